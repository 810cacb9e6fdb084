"""/api/v1/: the kernel's endpoints; each app adds its own under the same prefix."""

from django.urls import path

from logistics.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("campuses/", views.CampusList.as_view(), name="api-campuses"),
    path("departments/", views.DepartmentList.as_view(), name="api-departments"),
    path("alerts/", views.AlertList.as_view(), name="api-alerts"),
    path("alerts/<int:pk>/resolve/", views.AlertResolve.as_view(), name="api-alert-resolve"),
    path("search/", views.SearchView.as_view(), name="api-search"),
]

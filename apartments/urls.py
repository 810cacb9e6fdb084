from django.urls import path

from apartments import views

app_name = "apartments"

urlpatterns = [
    path("buildings/", views.building_list, name="building_list"),
    path("buildings/<int:pk>/", views.building_detail, name="building_detail"),
]

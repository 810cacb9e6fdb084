from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from logistics import (
    views,
    views_alerts,
    views_jobs,
    views_notifications,
    views_photos,
    views_search,
)

api_v1 = [
    path("", include("logistics.api.urls")),
    path("", include("apartments.api.urls")),
    path("", include("maintenance.api.urls")),
    path("", include("quality.api.urls")),
    path("", include("dining.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    # uploads: (the photo route of logistics/uploads.py goes here)
    path("photos/<int:pk>/", views_photos.photo, name="photo"),
    path("photos/<int:pk>/signed/<str:token>/", views_photos.photo_signed, name="photo-signed"),
    # notifications: the user's messages (logistics/views_notifications.py)
    path("notifications/", views_notifications.notification_list, name="notifications"),
    path("notifications/read/", views_notifications.notifications_read, name="notifications_read"),
    path(
        "notifications/<int:pk>/", views_notifications.notification_open, name="notification_open"
    ),
    # alerts: what staff must act on; the nightly jobs for administrators
    path("search/", views_search.search_page, name="search"),
    path("alerts/", views_alerts.alert_list, name="alerts"),
    path("alerts/<int:pk>/resolve/", views_alerts.alert_resolve_view, name="alert_resolve"),
    path("jobs/", views_jobs.job_list, name="jobs"),
    path("jobs/runs/<int:pk>/", views_jobs.job_run, name="job_run"),
    path("jobs/run/", views_jobs.job_rerun, name="job_rerun"),
    # A satisfaction survey's answering page: no login, the token is the key (quality.surveys).
    path("s/", include("quality.survey_urls")),
    path("apartments/", include("apartments.urls")),
    path("repairs/", include("maintenance.urls")),
    path("quality/", include("quality.urls")),
    path("dining/", include("dining.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "logistics.views.not_found"
handler500 = "logistics.views.server_error"

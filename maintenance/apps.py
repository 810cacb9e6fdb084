from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = _("Maintenance")

    def ready(self):
        from maintenance import photos  # noqa: F401 - registers who may see repair photos

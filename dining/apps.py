from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiningConfig(AppConfig):
    name = "dining"
    verbose_name = _("Dining")

    def ready(self):
        # Registers who may see a dish's photo (logistics.uploads) before any photo is served.
        from dining import services  # noqa: F401

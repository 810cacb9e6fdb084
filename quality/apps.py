from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Quality")

    def ready(self):
        # Register who may see inspection photos and nonconformities' evidence photos.
        from quality import nonconformities, photos  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApartmentsConfig(AppConfig):
    name = "apartments"
    verbose_name = _("Apartments")

    def ready(self):
        # The photo access policies (logistics.uploads) of inspection items and of
        # condition-report items register themselves when their modules are imported.
        from apartments import condition_reports, inspections  # noqa: F401

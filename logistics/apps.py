from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistics kernel")

    def ready(self):
        # Each app declares its hall entries, nightly jobs, demo data, notification kinds,
        # alert kinds and audiences, and what the staff's search finds, in modules of these
        # names; the kernel finds them without importing any app by name. Its Celery tasks
        # too: a web process sends tasks by name (logistics.publishing), and Celery itself
        # imports them only in workers.
        autodiscover_modules("hall", "jobs", "demo", "notifications", "alerts", "tasks", "search")
        from logistics import checks  # noqa: F401 - registers the system checks

"""System checks of the portal's own configuration, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def redis_in_production(app_configs, **kwargs):
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: background jobs would run inside web requests and every "
            "process would keep its own throttle counters.",
            hint="Set REDIS_URL=redis://host:6379/0 and run a Celery worker and beat "
            "(docs/operations.md).",
            id="logistics.W001",
        )
    ]


@register()
def visibility_timeout_outlasts_the_jobs(app_configs, **kwargs):
    """With late acknowledgement, Redis redelivers a task that is still running once the
    broker's visibility timeout passes: it must be longer than every nightly job's limit."""
    from logistics.nightly import longest_time_limit

    if not settings.REDIS_URL:
        return []
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = longest_time_limit()
    if timeout > longest:
        return []
    return [
        Error(
            f"The broker's visibility_timeout ({timeout} s) is not longer than the longest "
            f"nightly job's time limit ({longest} s): a job still running would be delivered "
            "to a second worker.",
            hint="Raise CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'] in settings.py.",
            id="logistics.E001",
        )
    ]


@register(deploy=True)
def pdf_downloads_work(app_configs, **kwargs):
    """PDF downloads of printable records need WeasyPrint and the system's Pango; without
    them the portal runs and the downloads answer 503 (logistics/pdf.py)."""
    from logistics.pdf import unavailable_reason

    reason = unavailable_reason()
    if reason is None:
        return []
    return [
        Warning(
            f"PDF downloads are unavailable: WeasyPrint cannot load ({reason}).",
            hint="apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei "
            "(docs/printing.md).",
            id="logistics.W002",
        )
    ]

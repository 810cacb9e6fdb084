"""System checks of the portal's own configuration, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


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

"""Time limits and moments in words, as the reporter reads them (the request form, the
request's page)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.models import Category


def _minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        return _hours_text(minutes // 60)
    if minutes == 1:
        return _("1 minute")
    return _("%(n)s minutes") % {"n": minutes}


def _hours_text(hours: int) -> str:
    if hours == 1:
        return _("1 hour")
    return _("%(n)s hours") % {"n": hours}


def promise_text(category: Category) -> str:
    """The category's promise in words: "responds within 1 hour, fixed within 24 hours"."""
    return _("responds within %(response)s, fixed within %(completion)s") % {
        "response": _minutes_text(category.response_minutes),
        "completion": _hours_text(category.completion_hours),
    }


def _when(value) -> str:
    """A moment as the reporter reads it: local time, the portal's date format."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

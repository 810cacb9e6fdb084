"""My repairs: the user's own requests and those of the room they live in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from logistics.access import has_role
from logistics.models import Role
from maintenance.dispatching import with_countdowns
from maintenance.models import Ticket
from maintenance.selectors import (
    dispatch_campuses,
    tickets_of_reporter,
    with_references,
)

PAGE_SIZE = 20


# The "my repairs" filter.
UNDER_WAY = (*Ticket.OPEN, Ticket.Status.DONE)
SHOW_CHOICES = {
    "open": gettext_lazy("Under way"),
    "finished": gettext_lazy("Finished"),
    "all": gettext_lazy("All"),
}


# --- My repairs --------------------------------------------------------------------------------


@require_GET
@login_required
def my_tickets(request):
    """The user's own requests and those of the room they live in, newest first, 20 a page."""
    show = request.GET.get("show", "all")
    if show not in SHOW_CHOICES:
        show = "all"
    tickets = tickets_of_reporter(request.user)
    if show == "open":
        tickets = tickets.filter(status__in=UNDER_WAY)
    elif show == "finished":
        tickets = tickets.exclude(status__in=UNDER_WAY)
    page = Paginator(tickets.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = with_countdowns(with_references(list(page.object_list)))
    return render(
        request,
        "maintenance/ticket_list.html",
        {
            "page": page,
            "tickets": rows,
            "show": show,
            "filters": list(SHOW_CHOICES.items()),
            "may_file": _may_file_quickly(request.user),
        },
    )


def _may_file_quickly(user) -> bool:
    """Whether to offer the "Report a repair" button (no query: roles only)."""
    return has_role(user, Role.STUDENT, Role.DORM_MANAGER, Role.SHIFT_LEAD) or (
        dispatch_campuses(user) != set()
    )

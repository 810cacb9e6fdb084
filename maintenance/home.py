"""What maintenance adds to a resident's day: on the home page, the repairs waiting for their
confirmation; on "My room" (apartments' page, through a hall panel on its "my_room" page), the
room's repairs and "report a repair here"."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from logistics.waiting import WaitingItem
from maintenance.models import Ticket
from maintenance.selectors import categories_all, resident_room_id

ROOM_REPAIRS_SHOWN = 5


def _with_categories(tickets: list[Ticket]) -> list[Ticket]:
    if not tickets:
        return tickets
    categories = {c.pk: c for c in categories_all()}  # from the cache
    for ticket in tickets:
        if ticket.category_id in categories:
            ticket.category = categories[ticket.category_id]
    return tickets


def repairs_to_confirm(user) -> list[WaitingItem]:
    """The user's own requests repaired and waiting for their confirmation: one query."""
    tickets = _with_categories(
        list(
            Ticket.objects.filter(reporter_id=user.pk, status=Ticket.Status.DONE).order_by(
                "-created_at", "-id"
            )
        )
    )
    return [
        WaitingItem(
            text=_("Repair %(number)s (%(category)s) is done: confirm it and rate the work.")
            % {"number": t.number, "category": t.category.display_name},
            url=reverse("maintenance:ticket_detail", args=[t.pk]),
            icon="wrench-adjustable",
        )
        for t in tickets
    ]


def room_repairs_panel(user) -> dict | None:
    """My room's repairs panel: the room's latest requests (whoever filed them) and the link to
    file one. Two queries: the room, its requests."""
    room_id = resident_room_id(user)
    if room_id is None:
        return None
    tickets = _with_categories(
        list(
            Ticket.objects.filter(room_id=room_id).order_by("-created_at", "-id")[
                :ROOM_REPAIRS_SHOWN
            ]
        )
    )
    return {"tickets": tickets}

"""Room readiness: whether each room of an open readiness campaign is ready for residents,
kept in the apartments app's own flag (Room.ready, written only through
apartments.services.rooms_set_ready; docs/decisions.md "Room readiness").

A room is ready when its checklist in every open campaign that covers it is done and it has no
open repair ticket (of any origin). The flag changes only when one of those does, so the
callers are few: a room task recorded (maintenance.campaigns), and a ticket opening or leaving
the open states (maintenance.services: filing, finishing, cancelling, merging, reopening).
Each call is a fixed number of statements, however many rooms. Rooms no open campaign covers
are left alone: the flag is the campaigns' business only.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from apartments.models import Room
from apartments.services import rooms_set_ready
from maintenance.models import Campaign, RoomTask, Ticket

OPEN_CAMPAIGNS_KEY = "maintenance:campaigns-open"
OPEN_CAMPAIGNS_SECONDS = 600


def campaigns_open() -> bool:
    """Whether any readiness campaign is open: from the cache, so that filing a repair (the
    portal's busiest write) pays nothing for readiness outside the holidays' campaign. Kept
    for OPEN_CAMPAIGNS_SECONDS and dropped when a campaign opens or closes (at once and again
    on commit); without Redis each process keeps its own copy, so another process may learn
    of a new campaign up to that long later (the campaign's start holds its rooms back itself
    in any case)."""
    value = cache.get(OPEN_CAMPAIGNS_KEY)
    if value is None:
        value = Campaign.objects.filter(status=Campaign.Status.OPEN).exists()
        cache.set(OPEN_CAMPAIGNS_KEY, value, OPEN_CAMPAIGNS_SECONDS)
    return value


def campaigns_changed() -> None:
    """A campaign opened or closed: forget whether any is open (now, and once committed, so
    that no request caches the state from before the commit)."""
    cache.delete(OPEN_CAMPAIGNS_KEY)
    transaction.on_commit(lambda: cache.delete(OPEN_CAMPAIGNS_KEY))


def _in_open_campaign(room_ids: Iterable[int]):
    return Room.objects.filter(
        pk__in=list(room_ids),
        campaign_tasks__campaign__status=Campaign.Status.OPEN,
    )


def rooms_blocked(room_ids: Iterable[int]) -> int:
    """A ticket opened (or reopened) in these rooms: those an open campaign covers are not
    ready. One UPDATE."""
    return rooms_set_ready(rooms=_in_open_campaign(room_ids), ready=False)


def rooms_refresh(room_ids: Iterable[int]) -> int:
    """Set the flag of these rooms (those an open campaign covers) from their tasks and
    tickets: ready exactly when no open campaign's task of theirs is unfinished and no ticket
    of theirs is open. Two UPDATEs."""
    room_ids = sorted(set(room_ids))
    if not room_ids:
        return 0
    # The rooms' rows locked first (in id order), so that a worker ticking the last item and a
    # technician finishing the last repair of one room at the same instant are serialised: the
    # second sees the first's commit, and the room does not stay "not ready" by a race.
    list(Room.objects.select_for_update().filter(pk__in=room_ids).order_by("pk").values("pk"))
    unfinished = RoomTask.objects.filter(
        room_id=OuterRef("pk"), campaign__status=Campaign.Status.OPEN
    ).exclude(status=RoomTask.Status.DONE)
    open_ticket = Ticket.objects.filter(room_id=OuterRef("pk"), status__in=Ticket.OPEN)
    covered = Room.objects.filter(
        Exists(
            RoomTask.objects.filter(room_id=OuterRef("pk"), campaign__status=Campaign.Status.OPEN)
        ),
        pk__in=room_ids,
    )
    blocked = Q(Exists(unfinished)) | Q(Exists(open_ticket))
    changed = rooms_set_ready(rooms=covered.filter(blocked), ready=False)
    changed += rooms_set_ready(rooms=covered.exclude(blocked), ready=True)
    return changed

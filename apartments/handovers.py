"""Shift hand-over (交接班) under the 24-hour shift-lead system: the outgoing lead of a building
writes what the next shift must know (open items such as hazards, repairs waiting and
residents to follow up; keys and equipment counted; notes) and names the incoming lead, who
acknowledges it. Acknowledged, it is read-only: this module has no way to change it (and
refuses a second acknowledgement), and on PostgreSQL the database refuses any change too (a
trigger, apartments/migrations/0014_handovers.py, as for the quality app's sealed records).

A building has at most one hand-over waiting (a database constraint): a double tap writes
once, and the next shift cannot start a new one before acknowledging. A hand-over waiting for
more than SAFETY_HANDOVER_STALE_HOURS (default 2) stands out on the building's page.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Building, BuildingAssignment, Handover
from apartments.selectors import buildings_for, desk_buildings_for
from logistics.errors import ServiceError
from logistics.models import User
from logistics.services import audit_record

TEXT_MAX_LENGTH = 4000
COUNT_MAX = 100_000


# --- Reads -----------------------------------------------------------------------------------


def writing_buildings_for(user) -> QuerySet[Building]:
    """Where `user` writes and acknowledges hand-overs: the buildings they work in."""
    return desk_buildings_for(user)


def handovers_for(user) -> QuerySet[Handover]:
    """The hand-overs of the buildings `user` sees."""
    return Handover.objects.filter(building__in=buildings_for(user)).select_related(
        "building__campus", "outgoing", "incoming", "acknowledged_by"
    )


def stale_after() -> dt.timedelta:
    return dt.timedelta(hours=settings.SAFETY_HANDOVER_STALE_HOURS)


def is_stale(handover: Handover, now: dt.datetime | None = None) -> bool:
    """Waiting for its acknowledgement longer than SAFETY_HANDOVER_STALE_HOURS."""
    now = now or timezone.now()
    return handover.acknowledged_at is None and handover.written_at < now - stale_after()


def building_handovers(building: Building, *, limit: int = 20) -> list[Handover]:
    """The building's latest hand-overs, the waiting one first: one query."""
    return list(
        Handover.objects.filter(building=building)
        .select_related("outgoing", "incoming", "acknowledged_by")
        .order_by("-written_at")[:limit]
    )


def pending_of(building: Building) -> Handover | None:
    """The building's hand-over waiting for its acknowledgement, if any (at most one)."""
    return (
        Handover.objects.filter(building=building, acknowledged_at__isnull=True)
        .select_related("incoming")
        .first()
    )


def incoming_candidates(building: Building, actor) -> QuerySet[User]:
    """Who may take over: the building's dorm managers and shift leads, but not the writer."""
    return (
        User.objects.filter(
            is_active=True,
            pk__in=BuildingAssignment.objects.filter(building=building).values("user_id"),
        )
        .exclude(pk=actor.pk)
        .order_by("username")
    )


# --- Writing and acknowledging ----------------------------------------------------------------


class HandoverError(ServiceError):
    """A step of the shift hand-over that cannot be done (logistics.errors.ServiceError)."""


class HandoverInvalid(HandoverError):
    status_code = 400
    code = "invalid"


class NotYours(HandoverError):
    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(_("No hand-over of yours has this id."))


class PendingExists(HandoverError):
    code = "pending_exists"

    def __init__(self):
        super().__init__(
            _("A hand-over of this building is waiting to be acknowledged; it comes first.")
        )


class AlreadyAcknowledged(HandoverError):
    code = "already_acknowledged"

    def __init__(self):
        super().__init__(_("This hand-over has been acknowledged already; it is read-only."))


def handover_write(
    *,
    actor: User,
    building: Building,
    incoming: User,
    keys_counted: int,
    equipment_counted: int,
    open_items: str = "",
    notes: str = "",
) -> Handover:
    """Write the building's hand-over to `incoming` (one of its staff, not the writer)."""
    if not writing_buildings_for(actor).filter(pk=building.pk).exists():
        raise NotYours()
    if (
        incoming is None
        or incoming.pk == actor.pk
        or not incoming_candidates(building, actor).filter(pk=incoming.pk).exists()
    ):
        raise HandoverInvalid(
            _("Choose the incoming shift lead among the building's staff."), field="incoming"
        )
    for field, value in (("keys_counted", keys_counted), ("equipment_counted", equipment_counted)):
        if value is None or not 0 <= value <= COUNT_MAX:
            raise HandoverInvalid(_("Enter the number counted."), field=field)
    open_items = (open_items or "").strip()
    notes = (notes or "").strip()
    for field, value in (("open_items", open_items), ("notes", notes)):
        if len(value) > TEXT_MAX_LENGTH:
            raise HandoverInvalid(
                _("At most %(n)s characters.") % {"n": TEXT_MAX_LENGTH}, field=field
            )
    with transaction.atomic():
        try:
            with transaction.atomic():
                handover = Handover.objects.create(
                    building=building,
                    outgoing=actor,
                    incoming=incoming,
                    written_at=timezone.now(),
                    open_items=open_items,
                    keys_counted=keys_counted,
                    equipment_counted=equipment_counted,
                    notes=notes,
                )
        except IntegrityError as error:
            # handover_one_pending_per_building: one is waiting (or a double tap got there).
            raise PendingExists() from error
        audit_record(
            actor=actor,
            action="handover.write",
            target=handover,
            changes={"incoming": incoming.username},
        )
    return handover


def handover_acknowledge(*, actor: User, handover: Handover) -> Handover:
    """The incoming lead acknowledges the hand-over; from then on it is read-only. Only the
    named incoming lead acknowledges (anyone else who works in the building: 404)."""
    if not writing_buildings_for(actor).filter(pk=handover.building_id).exists():
        raise NotYours()
    if handover.incoming_id != actor.pk:
        raise HandoverError(_("Only the incoming shift lead named on it acknowledges it."))
    with transaction.atomic():
        locked = Handover.objects.select_for_update().get(pk=handover.pk)
        if locked.acknowledged_at is not None:
            raise AlreadyAcknowledged()
        now = timezone.now()
        Handover.objects.filter(pk=handover.pk).update(acknowledged_by=actor, acknowledged_at=now)
        audit_record(actor=actor, action="handover.acknowledge", target=locked, changes={})
    handover.acknowledged_by = actor
    handover.acknowledged_at = now
    return handover

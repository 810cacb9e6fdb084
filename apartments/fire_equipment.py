"""Fire equipment (消防器材): the extinguishers and hydrants of each building, floor by floor,
checked every month on the round; equipment overdue for its check, expired, or expiring within
SAFETY_FIRE_EXPIRY_WARN_DAYS (default 30) stands out on the building's list and raises a
`fire_equipment_due` alert.

One alert per building, not per item: the building's staff act on the building (a round of its
floors, one order for new extinguishers), and forty expiring extinguishers must not ring the
bell forty times. Its key is the building's, without a date: it stays open, marked seen again
each night, while anything of the building is due, and the nightly job closes it once nothing
is (apartments.jobs). Its message gives the count when it was raised.

Equipment is entered and retired in the admin (back office); the pages show it and record the
checks. A check sets the next one SAFETY_FIRE_CHECK_DAYS (default 30) days later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.alerts import FIRE_EQUIPMENT_DUE
from apartments.models import Building, FireEquipment, FireEquipmentCheck
from apartments.selectors import buildings_for, desk_buildings_for
from logistics.alerts import AlertSpec, alerts_clear, alerts_raise
from logistics.errors import ServiceError
from logistics.models import Alert, Role, User
from logistics.services import audit_record

NOTE_MAX_LENGTH = 500


def warn_until(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=settings.SAFETY_FIRE_EXPIRY_WARN_DAYS)


def due_q(day: dt.date, prefix: str = "") -> Q:
    """FireEquipment needing attention on `day`: its check is due (today or before), or it has
    expired or expires within SAFETY_FIRE_EXPIRY_WARN_DAYS."""
    return Q(**{f"{prefix}next_inspection__lte": day}) | Q(
        **{f"{prefix}expires_on__lte": warn_until(day)}
    )


# --- Reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EquipmentRow:
    item: FireEquipment
    day: dt.date

    @property
    def expired(self) -> bool:
        return self.item.expires_on is not None and self.item.expires_on < self.day

    @property
    def expiring(self) -> bool:
        return (
            not self.expired
            and self.item.expires_on is not None
            and self.item.expires_on <= warn_until(self.day)
        )

    @property
    def check_due(self) -> bool:
        return self.item.next_inspection <= self.day

    @property
    def state(self) -> str:
        """expired, check_due, expiring or ok (the most urgent first)."""
        if self.expired:
            return "expired"
        if self.check_due:
            return "check_due"
        if self.expiring:
            return "expiring"
        return "ok"


def equipment_of(building: Building, day: dt.date) -> list[EquipmentRow]:
    """The building's equipment by floor, each with its last check (date and result): one
    query."""
    last = FireEquipmentCheck.objects.filter(equipment=OuterRef("pk")).order_by("-checked_at")
    items = (
        FireEquipment.objects.filter(building=building)
        .annotate(
            last_checked_on=Subquery(last.values("checked_on")[:1]),
            last_ok=Subquery(last.values("ok")[:1]),
        )
        .order_by("floor", "code")
    )
    return [EquipmentRow(item, day) for item in items]


def counts(rows: list[EquipmentRow]) -> dict[str, int]:
    result = {"expired": 0, "check_due": 0, "expiring": 0, "ok": 0}
    for row in rows:
        result[row.state] += 1
    return result


def viewing_buildings_for(user) -> QuerySet[Building]:
    return buildings_for(user)


def checking_buildings_for(user) -> QuerySet[Building]:
    """Whose equipment `user` checks: the buildings they work in (all for an administrator)."""
    return desk_buildings_for(user)


def equipment_get(user, pk: int) -> FireEquipment | None:
    """One piece of equipment of a building `user` checks, or None."""
    return (
        FireEquipment.objects.filter(pk=pk, building__in=checking_buildings_for(user))
        .select_related("building__campus")
        .first()
    )


# --- Recording a check -----------------------------------------------------------------------


class FireCheckError(ServiceError):
    """A step of the fire-equipment checks that cannot be done (logistics.errors.ServiceError)."""


class FireCheckInvalid(FireCheckError):
    status_code = 400
    code = "invalid"


class NotYourEquipment(FireCheckError):
    status_code = 404
    code = "equipment_not_found"

    def __init__(self):
        super().__init__(_("No fire equipment of yours has this id."))


class CheckedToday(FireCheckError):
    code = "already_checked"

    def __init__(self):
        super().__init__(_("This equipment has been checked today already."))


def fire_check_record(
    *, actor: User, equipment: FireEquipment, ok: bool, note: str = ""
) -> FireEquipmentCheck:
    """Record today's check of `equipment` by its building's staff and set its next check
    SAFETY_FIRE_CHECK_DAYS later. An issue needs a note. One check per item and day: a second
    (a double tap) raises CheckedToday."""
    if not checking_buildings_for(actor).filter(pk=equipment.building_id).exists():
        raise NotYourEquipment()
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise FireCheckInvalid(
            _("The note may be at most %(n)s characters long.") % {"n": NOTE_MAX_LENGTH},
            field="note",
        )
    if not ok and not note:
        raise FireCheckInvalid(_("Say what is wrong: an issue needs a note."), field="note")
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                check = FireEquipmentCheck.objects.create(
                    equipment=equipment,
                    checked_on=today,
                    checked_at=now,
                    checked_by=actor,
                    ok=ok,
                    note=note,
                )
        except IntegrityError as error:
            # fireequipmentcheck_one_per_day: checked today already (or by another phone now).
            raise CheckedToday() from error
        next_inspection = today + dt.timedelta(days=settings.SAFETY_FIRE_CHECK_DAYS)
        FireEquipment.objects.filter(pk=equipment.pk).update(next_inspection=next_inspection)
        equipment.next_inspection = next_inspection
        audit_record(
            actor=actor,
            action="fire_equipment.check",
            target=equipment,
            changes={"ok": ok, "next_inspection": next_inspection.isoformat()},
        )
    return check


# --- The nightly alert -----------------------------------------------------------------------


def due_alert_key(building_id: int) -> str:
    """The condition "something of this building is due": one open alert per building."""
    return f"fire_equipment_due:{building_id}"


def due_alerts_raise(day: dt.date) -> int:
    """One open `fire_equipment_due` alert for every building with equipment due on `day`
    (marked seen again when it is open already) and close those of buildings with nothing due
    any more. Returns how many buildings have something due.

    Three queries and the kernel's fixed few, whatever the number of buildings and items: the
    due equipment counted per building, the open alerts of this kind, and closing those whose
    building has nothing due."""
    due = list(
        FireEquipment.objects.filter(due_q(day))
        .values("building_id", "building__code", "building__campus_id")
        .annotate(n=Count("pk"))
        .order_by("building_id")
    )
    due_keys = {due_alert_key(row["building_id"]) for row in due}
    open_keys = Alert.objects.filter(
        kind=FIRE_EQUIPMENT_DUE.key, resolved_at__isnull=True
    ).values_list("key", flat=True)
    alerts_clear([key for key in open_keys if key not in due_keys])
    alerts_raise(
        [
            AlertSpec(
                kind=FIRE_EQUIPMENT_DUE,
                key=due_alert_key(row["building_id"]),
                role=Role.DORM_MANAGER,
                for_date=day,
                campus_id=row["building__campus_id"],
                subject=Building(pk=row["building_id"]),
                url=reverse("apartments:fire_equipment", args=[row["building_id"]]),
                params={"building": row["building__code"], "count": row["n"]},
            )
            for row in due
        ]
    )
    return len(due)

"""Meters (运行计量) and their readings: the counters that meter-based preventive schedules
(Schedule.Unit.METER, Atlas CMMS's meter triggers) run on — a lift's running hours, a water
heater's cycles.

Staff of the meter's campus record readings: its dispatchers (and maintenance heads,
administrators) and its technicians on duty. A reading is refused when it is lower than the
meter's latest (a meter only counts up; a replaced meter is a new meter), or when it advanced
more than `max_per_day` for each day (begun) since the latest — a typing error, an extra digit.
The meter row is locked while a reading is checked and recorded, so two people reading it at
once are checked against each other. The nightly preventive job compares the schedules'
thresholds with the meter's latest reading (maintenance.preventive.generate).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.services import audit_record
from maintenance.models import Meter, MeterReading, Technician
from maintenance.selectors import dispatch_campuses, may_dispatch_campus

# Readings above this are refused whatever the meter (the field holds 12 digits).
READING_MAX = Decimal("99999999999.9")


class MeterInvalid(ValueError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Who may ----------------------------------------------------------------------------------


def reader_campuses(user) -> set[int] | object:
    """Campuses (or ALL) whose meters `user` reads: those they dispatch, and a technician's
    on duty."""
    if not user.is_authenticated:
        return set()
    scope = dispatch_campuses(user)
    if scope is ALL:
        return ALL
    own = Technician.objects.filter(user_id=user.pk, is_active=True).values_list(
        "campus_id", flat=True
    )
    return set(scope) | set(own)


def meters_for(user) -> QuerySet[Meter]:
    scope = reader_campuses(user)
    meters = Meter.objects.select_related("campus", "room__building", "area")
    if scope is ALL:
        return meters
    return meters.filter(Q(campus_id__in=scope))


# --- Writes ---------------------------------------------------------------------------------


def meter_create(
    *, actor, campus, name: str, unit: str, max_per_day, room=None, area=None, reading=0
) -> Meter:
    """A new meter at a room or a public area of `campus`, starting at `reading`."""
    if not may_dispatch_campus(actor, campus.pk):
        raise MeterInvalid(_("You cannot plan maintenance on this campus."), "campus")
    name = (name or "").strip()[:100]
    if not name:
        raise MeterInvalid(_("Give the meter a name."), "name")
    if unit not in Meter.Unit.values:
        raise MeterInvalid(_("Choose what the meter counts."), "unit")
    if (room is None) == (area is None):
        raise MeterInvalid(_("Choose a room or a public area."), "room")
    place_campus = room.building.campus_id if room is not None else area.campus_id
    if place_campus != campus.pk:
        raise MeterInvalid(_("Choose a place on this campus."), "room")
    max_per_day = _number(max_per_day, "max_per_day")
    if max_per_day <= 0:
        raise MeterInvalid(_("The most in a day must be more than 0."), "max_per_day")
    reading = _number(reading, "reading")
    with transaction.atomic():
        meter = Meter.objects.create(
            campus=campus,
            name=name,
            unit=unit,
            max_per_day=max_per_day,
            room=room,
            area=area,
            building=room.building if room is not None else area.building,
            reading=reading,
            read_at=timezone.now(),
        )
        MeterReading.objects.create(meter=meter, value=reading, by=actor, note=_("First reading"))
        audit_record(actor=actor, action="meter.create", target=meter)
    return meter


def _number(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise MeterInvalid(_("Enter a number."), field) from None
    if not number.is_finite() or number < 0 or number > READING_MAX:
        raise MeterInvalid(_("Enter a number from 0 to %(max)s.") % {"max": READING_MAX}, field)
    return number.quantize(Decimal("0.1"))


@transaction.atomic
def reading_record(*, actor, meter: Meter, value, note: str = "") -> MeterReading:
    """Record a reading of `meter` by `actor` (see the module's docstring for what is
    refused); the meter's latest reading becomes it."""
    scope = reader_campuses(actor)
    if scope is not ALL and meter.campus_id not in scope:
        raise MeterInvalid(_("You cannot read the meters of this campus."))
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    if not meter.is_active:
        raise MeterInvalid(_("This meter is no longer in use."))
    value = _number(value, "value")
    if value < meter.reading:
        raise MeterInvalid(
            _("The reading cannot be lower than the last one (%(last)s): a meter only counts up.")
            % {"last": meter.reading},
            "value",
        )
    now = timezone.now()
    if meter.read_at is not None:
        days = max(1, math.ceil((now - meter.read_at).total_seconds() / 86400))
        most = meter.max_per_day * days
        if value - meter.reading > most:
            raise MeterInvalid(
                _(
                    "%(value)s is %(more)s more than the last reading in %(days)s day(s); this "
                    "meter advances at most %(max)s a day. Check the figure."
                )
                % {
                    "value": value,
                    "more": value - meter.reading,
                    "days": days,
                    "max": meter.max_per_day,
                },
                "value",
            )
    reading = MeterReading.objects.create(
        meter=meter, value=value, by=actor, note=(note or "").strip()[:200]
    )
    Meter.objects.filter(pk=meter.pk).update(reading=value, read_at=now)
    return reading

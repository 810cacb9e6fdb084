"""Preventive maintenance (计划维护): schedules that recur every N days, weeks or months or on
fixed dates each year, and the nightly generation of their jobs as tickets in the ordinary queue.

A generated job is a Ticket with the schedule's category (by default `preventive`, with its own
time limits), its place (a room, or a public area standing for a building system), the
schedule's task list as its description and the schedule's **owner as its reporter** (a ticket
needs one; the owner is the person who answers for the schedule and confirms its jobs:
docs/decisions.md, "Preventive jobs"). Its deadlines run from 08:00 of its due date, so a job
generated late (a missed night caught up) keeps the promise of its own date.

Never twice for one due date: the schedule rows are locked and re-read, `next_due` moves past
every date generated in the same transaction, and the database refuses a second ticket for a
schedule and date (ticket_one_per_due_date; the insert is ON CONFLICT DO NOTHING). A run for a
date generates every due date up to it, so nights the job missed are caught up whatever their
number. A batch is a fixed number of statements however many schedules and dates it holds.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.selectors import rooms_holding_asset_types
from maintenance.models import Schedule, StockMovement, Ticket, TicketEvent

# A schedule far behind (a daily one paused for a year) generates at most this many dates a
# run; the rest come the next night.
MAX_DATES_PER_RUN = 62
# The hour of its due date from which a generated job's time limits run.
WORKDAY_STARTS = time(8, 0)


class ScheduleInvalid(ValueError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _fixed_days(schedule: Schedule) -> list[tuple[int, int]]:
    days = []
    for text in schedule.fixed_dates or []:
        month, day = (int(part) for part in str(text).split("-"))
        days.append((month, day))
    return sorted(days)


def clean_fixed_dates(values) -> list[str]:
    """["07-15", "12-20"] from month-day texts; ScheduleInvalid for one that is not a date."""
    cleaned = set()
    for text in values:
        text = str(text).strip()
        if not text:
            continue
        try:
            month, day = (int(part) for part in text.split("-"))
            date(2024, month, day)  # a leap year: 02-29 is a date
        except (TypeError, ValueError):
            raise ScheduleInvalid(
                _("%(value)s is not a month and day (MM-DD).") % {"value": text}, "fixed_dates"
            ) from None
        cleaned.add(f"{month:02d}-{day:02d}")
    return sorted(cleaned)


def following(schedule: Schedule, due: date) -> date:
    """The due date after `due`."""
    if schedule.unit == Schedule.Unit.DAYS:
        return due + timedelta(days=schedule.every)
    if schedule.unit == Schedule.Unit.WEEKS:
        return due + timedelta(weeks=schedule.every)
    if schedule.unit == Schedule.Unit.MONTHS:
        return _add_months(due, schedule.every)
    days = _fixed_days(schedule)
    if not days:
        return date.max
    for year in (due.year, due.year + 1, due.year + 2):
        for month, day in days:
            last = calendar.monthrange(year, month)[1]
            candidate = date(year, month, min(day, last))
            if candidate > due:
                return candidate
    return date.max


def due_dates(schedule: Schedule, through: date) -> list[date]:
    """The schedule's due dates from its next_due up to `through`, at most MAX_DATES_PER_RUN."""
    dates = []
    due = schedule.next_due
    while due <= through and len(dates) < MAX_DATES_PER_RUN:
        dates.append(due)
        due = following(schedule, due)
    return dates


def due_schedules(for_date: date) -> QuerySet[Schedule]:
    """Active schedules with a job due by `for_date` (schedule_due_idx), and the meter
    schedules whose meter has reached their next threshold (schedule_meter_due_idx; a meter
    schedule's next_due is date.max, never reached)."""
    return Schedule.objects.filter(is_active=True).filter(
        Q(next_due__lte=for_date)
        | Q(
            unit=Schedule.Unit.METER,
            meter__is_active=True,
            meter__reading__gte=F("next_reading"),
        )
    )


def _description(schedule: Schedule, due: date, reading: Decimal | None = None) -> str:
    if reading is not None:
        when = _("at %(reading)s %(unit)s") % {
            "reading": f"{reading.normalize():f}",
            "unit": schedule.meter.get_unit_display(),
        }
    else:
        when = due.isoformat()
    return f"{schedule.name} ({when})\n{schedule.tasks}".strip()[:1000]


def threshold_passed(schedule: Schedule, reading: Decimal) -> Decimal:
    """The highest threshold of a meter schedule at or below `reading` (its next_reading, or
    that plus some multiple of `every` when the meter jumped past several)."""
    every = Decimal(schedule.every)
    steps = (reading - schedule.next_reading) // every
    return schedule.next_reading + steps * every


def _places(schedule: Schedule, rooms_of_type) -> list[tuple[int | None, int | None, int | None]]:
    """(room, area, building) of each ticket a due date of `schedule` generates: its room or
    area, or every room of its building (or campus) holding its asset type."""
    if schedule.room_id is not None:
        return [(schedule.room_id, None, schedule.room.building_id)]
    if schedule.area_id is not None:
        return [(None, schedule.area_id, schedule.area.building_id)]
    key = (schedule.asset_type_id, schedule.building_id, schedule.campus_id)
    return [(room, None, building) for room, building in rooms_of_type.get(key, ())]


def _rooms_of_types(schedules: list[Schedule]) -> dict:
    """{(asset type, building or None, campus): [(room, building)]} for the asset-type
    schedules among `schedules`: one query (none without them)."""
    typed = [s for s in schedules if s.room_id is None and s.area_id is None]
    if not typed:
        return {}
    rows = rooms_holding_asset_types({s.asset_type_id for s in typed}, {s.campus_id for s in typed})
    found: dict = {}
    for type_id, room_id, building_id, campus_id in rows:
        found.setdefault((type_id, building_id, campus_id), []).append((room_id, building_id))
        found.setdefault((type_id, None, campus_id), []).append((room_id, building_id))
    return found


def generate(ids: list[int], *, for_date: date) -> int:
    """Generate the jobs of the schedules `ids` due by `for_date` (a batch of the nightly job,
    in its transaction). Returns how many tickets were created. Five statements, six when the
    batch holds schedules for an asset type: lock and read the schedules (with their meters),
    the rooms holding those asset types, insert the tickets, read back those inserted, their
    timeline events, move the schedules on. None of them grows in number with the rooms or
    the schedules."""
    schedules = list(
        due_schedules(for_date)
        .filter(pk__in=ids)
        .select_related("room", "area", "category", "meter")
        .select_for_update(of=("self",))
    )
    if not schedules:
        return 0
    rooms_of_type = _rooms_of_types(schedules)
    tz = timezone.get_current_timezone()
    tickets = []
    earliest = for_date

    def job(schedule, due, room_id, area_id, building_id, reading=None):
        start = timezone.make_aware(datetime.combine(due, WORKDAY_STARTS), tz)
        return Ticket(
            campus_id=schedule.campus_id,
            building_id=building_id,
            room_id=room_id,
            area_id=area_id,
            category_id=schedule.category_id,
            description=_description(schedule, due, reading),
            reporter_id=schedule.owner_id,
            schedule_id=schedule.pk,
            due_on=due,
            due_reading=reading,
            respond_by=start + timedelta(minutes=schedule.category.response_minutes),
            complete_by=start + timedelta(hours=schedule.category.completion_hours),
        )

    for schedule in schedules:
        places = _places(schedule, rooms_of_type)
        if schedule.unit == Schedule.Unit.METER:
            if schedule.meter.reading < schedule.next_reading:
                continue  # a date run's OR matched nothing for it (next_due is date.max)
            passed = threshold_passed(schedule, schedule.meter.reading)
            for room_id, area_id, building_id in places:
                tickets.append(job(schedule, for_date, room_id, area_id, building_id, passed))
            schedule.next_reading = passed + schedule.every
            continue
        dates = due_dates(schedule, for_date)
        for due in dates:
            earliest = min(earliest, due)
            for room_id, area_id, building_id in places:
                tickets.append(job(schedule, due, room_id, area_id, building_id))
        schedule.next_due = following(schedule, dates[-1]) if dates else schedule.next_due
    Ticket.objects.bulk_create(tickets, ignore_conflicts=True)
    filed = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEvent.Kind.FILED)
    created = list(
        Ticket.objects.filter(
            schedule_id__in=[s.pk for s in schedules],
            due_on__gte=earliest,
            due_on__lte=for_date,
        )
        .exclude(Exists(filed))
        .values_list("pk", flat=True)
    )
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(ticket_id=pk, kind=TicketEvent.Kind.FILED, note=_("Preventive schedule"))
            for pk in created
        ]
    )
    Schedule.objects.bulk_update(schedules, ["next_due", "next_reading"])
    return len(created)


# --- Reads ---------------------------------------------------------------------------------------


def history(schedule: Schedule) -> list[Ticket]:
    """The schedule's jobs, newest due date first, each with `materials` (the value of the
    material it used): one query."""
    used = (
        StockMovement.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(v=Sum(F("quantity") * F("unit_cost")))
        .values("v")
    )
    from django.db.models import DecimalField, Subquery

    return list(
        schedule.tickets.select_related("technician", "room__building", "area")
        .annotate(
            materials=Coalesce(
                -Subquery(used, output_field=DecimalField(max_digits=14, decimal_places=2)),
                Decimal("0"),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
        .order_by("-due_on")
    )


def schedule_summaries(schedules: QuerySet[Schedule]) -> QuerySet[Schedule]:
    """Schedules with how many jobs they generated, done, and open: one query."""
    done = Q(tickets__status__in=[Ticket.Status.DONE, Ticket.Status.CLOSED])
    return schedules.select_related("campus", "room__building", "area", "category").annotate(
        jobs=Count("tickets"),
        jobs_done=Count("tickets", filter=done),
        jobs_open=Count("tickets", filter=Q(tickets__status__in=Ticket.OPEN)),
    )


# --- Writes ---------------------------------------------------------------------------------------


def schedule_create(
    *,
    actor,
    campus,
    name: str,
    tasks: str,
    unit: str,
    every: int,
    next_due: date | None,
    room=None,
    area=None,
    asset_type=None,
    building=None,
    meter=None,
    fixed_dates=(),
    category=None,
    owner=None,
) -> Schedule:
    """A new schedule, owned by `owner` (default the actor), due first on `next_due`.

    Its place: a room or a public area; or, for an asset type with neither, every room of
    `building` (or of the campus without one) holding that type, one job per room. A meter
    schedule (unit METER) is at its meter's place and falls due every `every` units of it,
    first at the meter's reading now plus `every`."""
    from django.db import transaction

    from logistics.services import audit_record
    from maintenance.reference import preventive_category_ensure
    from maintenance.selectors import may_dispatch_campus

    if not may_dispatch_campus(actor, campus.pk):
        raise ScheduleInvalid(_("You cannot plan maintenance on this campus."), "campus")
    name = (name or "").strip()[:100]
    tasks = (tasks or "").strip()
    if not name:
        raise ScheduleInvalid(_("Give the schedule a name."), "name")
    if not tasks:
        raise ScheduleInvalid(_("Write the task list."), "tasks")
    if unit not in Schedule.Unit.values:
        raise ScheduleInvalid(_("Choose how it recurs."), "unit")
    next_reading = None
    if unit == Schedule.Unit.METER:
        if meter is None:
            raise ScheduleInvalid(_("Choose the meter."), "meter")
        if meter.campus_id != campus.pk:
            raise ScheduleInvalid(_("Choose a meter on this campus."), "meter")
        room, area, building = meter.room, meter.area, None
        next_due = date.max
    elif meter is not None:
        raise ScheduleInvalid(_("A meter goes with a meter recurrence."), "meter")
    elif next_due is None:
        raise ScheduleInvalid(_("Give the first due date."), "next_due")
    if room is not None and area is not None:
        raise ScheduleInvalid(_("Choose a room or a public area."), "room")
    if room is None and area is None:
        if asset_type is None:
            raise ScheduleInvalid(
                _("Choose a room, a public area, or an asset type for every room holding it."),
                "room",
            )
        if building is not None and building.campus_id != campus.pk:
            raise ScheduleInvalid(_("Choose a building on this campus."), "building")
    else:
        place_campus = room.building.campus_id if room is not None else area.campus_id
        if place_campus != campus.pk:
            raise ScheduleInvalid(_("Choose a place on this campus."), "room")
        building = room.building if room is not None else area.building
    dates = clean_fixed_dates(fixed_dates) if unit == Schedule.Unit.FIXED else []
    if unit == Schedule.Unit.FIXED and not dates:
        raise ScheduleInvalid(_("Give at least one date (MM-DD)."), "fixed_dates")
    if not every or int(every) < 1:
        raise ScheduleInvalid(_("Every must be at least 1."), "every")
    if unit == Schedule.Unit.METER:
        next_reading = meter.reading + int(every)
    with transaction.atomic():
        schedule = Schedule.objects.create(
            campus=campus,
            name=name,
            tasks=tasks,
            unit=unit,
            every=int(every),
            fixed_dates=dates,
            next_due=next_due,
            room=room,
            area=area,
            building=building,
            asset_type=asset_type,
            meter=meter,
            next_reading=next_reading,
            category=category or preventive_category_ensure(),
            owner=owner or actor,
        )
        audit_record(actor=actor, action="schedule.create", target=schedule)
    return schedule

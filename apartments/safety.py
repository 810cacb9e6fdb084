"""Dorm safety: the nightly zero report (零报告制).

Every building with residents reports every night, even when nothing happened: "nothing to
report", or a note on what did. The building's dorm managers and shift leads file it (an
administrator may too); a building whose report is missing raises a `zero_report_missing`
alert when the nightly safety-inspection job runs (apartments.jobs), and filing the report
closes that alert. The report stores the night's count of late returns
(apartments.late_returns) as it stands when filed. Managers, heads and auditors see a
per-night board of their buildings.

Reads first (scoped to who asks), then the write (keyword-only, one transaction, audited).
A report that cannot be filed raises a ZeroReportError with a message in the request's
language and the HTTP status that describes it; the page and the API map it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments import late_returns
from apartments.alerts import ZERO_REPORT_MISSING
from apartments.models import Building, Hazard, Stay, ZeroReport
from apartments.selectors import buildings_for, desk_buildings_for, visibility_of
from logistics.alerts import AlertSpec, alerts_clear, alerts_raise
from logistics.errors import ServiceError
from logistics.models import Role, User
from logistics.services import audit_record

NOTE_MAX_LENGTH = 2000


# --- Reads -----------------------------------------------------------------------------------


def filing_buildings_for(user) -> QuerySet[Building]:
    """The buildings whose zero report `user` files: those they work in as dorm manager or
    shift lead (every one for an administrator). Seeing a building is not filing for it."""
    return desk_buildings_for(user)


def reports_for(user) -> QuerySet[ZeroReport]:
    """The zero reports `user` may see: those of the buildings they see (visibility_of)."""
    visibility = visibility_of(user)
    if visibility.nothing:
        return ZeroReport.objects.none()
    return ZeroReport.objects.filter(visibility.building_q("building__")).select_related(
        "building__campus", "filed_by"
    )


def deadline() -> dt.time:
    """ZERO_REPORT_DEADLINE as a time of day (local)."""
    hours, minutes = settings.ZERO_REPORT_DEADLINE.split(":")
    return dt.time(int(hours), int(minutes))


def end_of_day(day: dt.date) -> dt.datetime:
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(midnight, timezone.get_current_timezone())


def residents_on(day: dt.date) -> Q:
    """A filter for Building: it had residents at the end of `day` (a stay checked in by then
    and not ended before)."""
    end = end_of_day(day)
    stays = Stay.objects.filter(bed__room__building=OuterRef("pk"), checked_in_at__lt=end).filter(
        Q(status=Stay.Status.ACTIVE) | Q(status=Stay.Status.ENDED, ended_at__gte=end)
    )
    return Q(Exists(stays))


@dataclass(frozen=True)
class BoardRow:
    building: Building
    report: ZeroReport | None
    inhabited: bool

    @property
    def state(self) -> str:
        """reported_nothing, incidents, missing, or not_required (no residents)."""
        if self.report is not None:
            return "nothing" if self.report.nothing_to_report else "incidents"
        return "missing" if self.inhabited else "not_required"


def night_board(user, day: dt.date) -> list[BoardRow]:
    """Every building `user` sees with its report for `day`, in two queries whatever the
    number of buildings: the buildings (with their campus and whether they had residents),
    and that night's reports."""
    buildings = list(
        buildings_for(user)
        .select_related("campus")
        .annotate(inhabited=residents_on(day))
        .order_by("campus__code", "code")
    )
    if not buildings:
        return []
    reports = {
        report.building_id: report
        for report in ZeroReport.objects.filter(
            date=day, building_id__in=[b.pk for b in buildings]
        ).select_related("filed_by")
    }
    return [BoardRow(b, reports.get(b.pk), b.inhabited) for b in buildings]


def month_of(user, building_id: int, first: dt.date) -> tuple[Building, list[tuple]]:
    """One building's nights of the month starting on `first`, up to today: (day, BoardRow)
    for each, newest first. Three queries whatever the month: the building (one the user
    sees, else 404), its stays that overlap the month (for "had residents"), its reports."""
    from django.shortcuts import get_object_or_404

    building = get_object_or_404(buildings_for(user).select_related("campus"), pk=building_id)
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last = min(following - dt.timedelta(days=1), timezone.localdate())
    if last < first:
        return building, []
    stays = list(
        Stay.objects.filter(
            bed__room__building=building,
            checked_in_at__lt=end_of_day(last),
            status__in=[Stay.Status.ACTIVE, Stay.Status.ENDED],
        )
        .exclude(status=Stay.Status.ENDED, ended_at__lt=end_of_day(first))
        .values_list("checked_in_at", "status", "ended_at")
    )
    reports = {
        report.date: report
        for report in ZeroReport.objects.filter(
            building=building, date__gte=first, date__lte=last
        ).select_related("filed_by")
    }
    nights = []
    day = last
    while day >= first:
        end = end_of_day(day)
        inhabited = any(
            checked_in < end and (status == Stay.Status.ACTIVE or ended_at >= end)
            for checked_in, status, ended_at in stays
        )
        nights.append((day, BoardRow(building, reports.get(day), inhabited)))
        day -= dt.timedelta(days=1)
    return building, nights


def board_counts(rows: list[BoardRow]) -> dict[str, int]:
    counts = {"nothing": 0, "incidents": 0, "missing": 0, "not_required": 0}
    for row in rows:
        counts[row.state] += 1
    return counts


# --- Alerts ----------------------------------------------------------------------------------


def missing_alert_key(building_id: int, day: dt.date) -> str:
    """The condition of one missing report: one open alert per building and night."""
    return f"zero_report_missing:{building_id}:{day.isoformat()}"


def buildings_missing_report(day: dt.date) -> QuerySet[Building]:
    """The buildings that had residents on `day` and have no zero report for it."""
    reported = ZeroReport.objects.filter(building=OuterRef("pk"), date=day)
    return (
        Building.objects.filter(residents_on(day))
        .exclude(Exists(reported))
        .select_related("campus")
        .order_by("pk")
    )


def missing_reports_raise(day: dt.date) -> int:
    """Raise a `zero_report_missing` alert for `day` for every building missing its report
    (one per building and night however often this runs) and close those of the buildings
    that have reported meanwhile. Returns how many buildings are missing their report.

    Three queries and the kernel's fixed few for the alerts, whatever the number of
    buildings; the kernel then notifies each new alert's audience (apartments.alerts)."""
    missing = list(buildings_missing_report(day))
    reported = ZeroReport.objects.filter(date=day).values_list("building_id", flat=True)
    alerts_clear([missing_alert_key(building_id, day) for building_id in reported])
    alerts_raise(
        [
            AlertSpec(
                kind=ZERO_REPORT_MISSING,
                key=missing_alert_key(building.pk, day),
                role=Role.DORM_MANAGER,
                for_date=day,
                campus_id=building.campus_id,
                subject=building,
                url=reverse("apartments:zero_report_file", args=[building.pk])
                + f"?date={day.isoformat()}",
                params={"building": building.code},
            )
            for building in missing
        ]
    )
    return len(missing)


# --- Filing ----------------------------------------------------------------------------------


class ZeroReportError(ServiceError):
    """A step of the zero report that cannot be done (logistics.errors.ServiceError)."""


class ZeroReportInvalid(ZeroReportError):
    """Input that no state of the database makes right: a night still to come, a missing or
    too long note."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


class NotYourBuilding(ZeroReportError):
    """The caller does not work in the building: as for one that does not exist."""

    status_code = 404
    code = "building_not_found"

    def __init__(self):
        super().__init__(_("No building of yours has this id."))


class AlreadyFiled(ZeroReportError):
    code = "already_filed"

    def __init__(self):
        super().__init__(_("This building's zero report for that night has been filed already."))


def hazards_found_count(building_id: int, day: dt.date) -> int:
    """How many hazards the building's rounds of `day` found (the night round runs past
    midnight and still counts for `day`), and hazards recorded that day outside a round: the
    zero report's count."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)
    return Hazard.objects.filter(
        Q(round_room__round__date=day)
        | Q(round_room__isnull=True, found_at__gte=start, found_at__lt=end),
        room__building_id=building_id,
    ).count()


def zero_report_file(
    *,
    actor: User,
    building: Building,
    date: dt.date,
    nothing_to_report: bool,
    note: str = "",
) -> ZeroReport:
    """File `building`'s zero report for the night of `date` and close its missing-report
    alert. One report per building and night: the database refuses a second, even from two
    phones at once."""
    if not filing_buildings_for(actor).filter(pk=building.pk).exists():
        raise NotYourBuilding()
    if date > timezone.localdate():
        raise ZeroReportInvalid(_("A night still to come cannot be reported."), field="date")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ZeroReportInvalid(
            _("The note may be at most %(n)s characters long.") % {"n": NOTE_MAX_LENGTH},
            field="note",
        )
    if not nothing_to_report and not note:
        raise ZeroReportInvalid(
            _("Say what happened: a report with incidents needs a note."), field="note"
        )
    if ZeroReport.objects.filter(building=building, date=date).exists():
        raise AlreadyFiled()
    with transaction.atomic():
        try:
            with transaction.atomic():
                report = ZeroReport.objects.create(
                    building=building,
                    date=date,
                    nothing_to_report=nothing_to_report,
                    note=note,
                    # Counted, not typed: the night's late returns recorded at the desk.
                    late_returns=late_returns.night_count(building.pk, date),
                    hazards_found=hazards_found_count(building.pk, date),
                    filed_by=actor,
                    filed_at=timezone.now(),
                )
        except IntegrityError as error:
            # Another report for the building and night committed in between (two phones):
            # the unique constraint zeroreport_one_per_night.
            raise AlreadyFiled() from error
        audit_record(
            actor=actor,
            action="zero_report.file",
            target=report,
            changes={"date": date.isoformat(), "nothing_to_report": nothing_to_report},
        )
        alerts_clear([missing_alert_key(building.pk, date)])
    return report

"""Late returns (晚归): the desk of a building records a resident who came back after hours by
scanning or typing their student id; the night's count of a building goes into its zero report
(apartments.safety), residents with repeated late returns in the term stand out, and each
resident sees their own records.

Two rules the desk relies on, both settings:

- the night a return belongs to: the date of the evening, so a return at 00:40 on 5 March
  belongs to the night of 4 March (before SAFETY_NIGHT_ENDS, default 06:00, local time);
- the term: terms start on the SAFETY_TERM_STARTS days of every year (default 15 February
  and 1 September); the current term of a night runs from the latest start on or before it.
  The portal has no academic calendar of its own; these two days are the usual ones and an
  operator changes them in the environment.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Building, LateReturn, Resident, Stay
from apartments.selectors import desk_buildings_for, resident_of, visibility_of
from logistics.errors import ServiceError
from logistics.models import User
from logistics.services import audit_record

REASON_MAX_LENGTH = 200


# --- The night and the term ----------------------------------------------------------------


def night_ends() -> dt.time:
    hours, minutes = settings.SAFETY_NIGHT_ENDS.split(":")
    return dt.time(int(hours), int(minutes))


def night_of(moment: dt.datetime) -> dt.date:
    """The night a moment belongs to: its local date, or the day before when it is before
    SAFETY_NIGHT_ENDS (a return at 00:40 belongs to the evening before)."""
    local = timezone.localtime(moment)
    if local.time() < night_ends():
        return local.date() - dt.timedelta(days=1)
    return local.date()


def term_start(day: dt.date) -> dt.date:
    """The first day of the term `day` is in: the latest SAFETY_TERM_STARTS day on or before
    it (this year's or last year's)."""
    starts = []
    for year in (day.year, day.year - 1):
        for month_day in settings.SAFETY_TERM_STARTS:
            month, dom = (int(part) for part in month_day.split("-"))
            starts.append(dt.date(year, month, min(dom, 28) if month == 2 else dom))
    return max(start for start in starts if start <= day)


def repeat_threshold() -> int:
    return settings.SAFETY_LATE_RETURN_REPEAT


# --- Reads -----------------------------------------------------------------------------------


def recording_buildings_for(user) -> QuerySet[Building]:
    """The buildings whose desk records late returns for `user`: those they work in as dorm
    manager or shift lead (every one for an administrator)."""
    return desk_buildings_for(user)


def late_returns_for(user) -> QuerySet[LateReturn]:
    """The late returns `user` may see: staff those of the buildings they see, a resident
    their own, anyone else none."""
    visibility = visibility_of(user)
    if visibility.nothing:
        if not user.is_authenticated:
            return LateReturn.objects.none()
        return LateReturn.objects.filter(resident__user_id=user.pk).select_related(
            "building", "resident", "recorded_by"
        )
    return LateReturn.objects.filter(visibility.building_q("building__")).select_related(
        "building", "resident", "recorded_by"
    )


def with_term_counts(queryset: QuerySet[LateReturn], day: dt.date) -> QuerySet[LateReturn]:
    """Annotate each record with `term_count`: its resident's late returns in the term of
    `day` (up to that night), in the same query."""
    counts = (
        LateReturn.objects.filter(
            resident_id=OuterRef("resident_id"),
            night__gte=term_start(day),
            night__lte=day,
        )
        .order_by()
        .values("resident_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(term_count=Coalesce(Subquery(counts), 0))


def night_list(building: Building, day: dt.date) -> list[LateReturn]:
    """The late returns of `building` for the night of `day`, each with its resident's count in
    the term: one query."""
    return list(
        with_term_counts(
            LateReturn.objects.filter(building=building, night=day).select_related(
                "resident", "recorded_by"
            ),
            day,
        ).order_by("returned_at")
    )


def repeat_offenders(building: Building, day: dt.date) -> list[dict]:
    """The residents of `building` with SAFETY_LATE_RETURN_REPEAT or more late returns in the
    term of `day` (up to that night), most first: one query."""
    rows = (
        LateReturn.objects.filter(building=building, night__gte=term_start(day), night__lte=day)
        .values("resident_id", "resident__student_id", "resident__name")
        .annotate(n=Count("pk"))
        .filter(n__gte=repeat_threshold())
        .order_by("-n", "resident__student_id")
    )
    return [
        {"student_id": row["resident__student_id"], "name": row["resident__name"], "n": row["n"]}
        for row in rows
    ]


def night_count(building_id: int, day: dt.date) -> int:
    """How many late returns `building` had on the night of `day` (the zero report's count)."""
    return LateReturn.objects.filter(building_id=building_id, night=day).count()


def mine(user) -> tuple[Resident | None, list[LateReturn], int]:
    """A resident's own late returns, newest first, and how many are in the current term."""
    resident = resident_of(user)
    if resident is None:
        return None, [], 0
    records = list(
        LateReturn.objects.filter(resident=resident)
        .select_related("building")
        .order_by("-night", "-returned_at")
    )
    start = term_start(timezone.localdate())
    return resident, records, sum(1 for r in records if r.night >= start)


# --- Recording -------------------------------------------------------------------------------


class LateReturnError(ServiceError):
    """A step of the late returns that cannot be done (logistics.errors.ServiceError)."""


class LateReturnInvalid(LateReturnError):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


class NotYourBuilding(LateReturnError):
    status_code = 404
    code = "building_not_found"

    def __init__(self):
        super().__init__(_("No building of yours has this id."))


class UnknownStudent(LateReturnError):
    status_code = 404
    code = "resident_not_found"

    def __init__(self, student_id: str):
        super().__init__(_("No resident has the student id %(id)s.") % {"id": student_id})


class LivesElsewhere(LateReturnError):
    """The resident does not live in the desk's building (or in none of the caller's)."""

    status_code = 404
    code = "not_your_resident"

    def __init__(self, resident: Resident, building: Building | None):
        if building is None:
            message = _("%(name)s (%(id)s) does not live in any of your buildings.")
        else:
            message = _("%(name)s (%(id)s) does not live in building %(building)s.")
        super().__init__(
            message
            % {
                "name": resident.name,
                "id": resident.student_id,
                "building": building.code if building else "",
            }
        )


class AlreadyRecorded(LateReturnError):
    code = "already_recorded"

    def __init__(self, record: LateReturn | None = None):
        super().__init__(_("This resident's late return for that night has been recorded already."))
        self.record = record


def late_return_record(
    *,
    actor: User,
    student_id: str,
    building: Building | None = None,
    returned_at: dt.datetime | None = None,
    reason: str = "",
) -> LateReturn:
    """Record that the resident with `student_id` came back late. The resident must live (an
    active stay) in `building`, or in one of the caller's buildings when none is given. One
    record per resident and night: a second (a double tap, two desks) raises AlreadyRecorded."""
    buildings = recording_buildings_for(actor)
    if building is not None and not buildings.filter(pk=building.pk).exists():
        raise NotYourBuilding()
    student_id = (student_id or "").strip()
    if not student_id:
        raise LateReturnInvalid(_("Enter or scan a student id."), field="student_id")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise LateReturnInvalid(
            _("The reason may be at most %(n)s characters long.") % {"n": REASON_MAX_LENGTH},
            field="reason",
        )
    now = timezone.now()
    returned_at = returned_at or now
    if returned_at > now + dt.timedelta(minutes=5):
        raise LateReturnInvalid(
            _("A return still to come cannot be recorded."), field="returned_at"
        )
    resident = Resident.objects.filter(student_id=student_id).first()
    if resident is None:
        raise UnknownStudent(student_id)
    stay = (
        Stay.objects.filter(resident=resident, status=Stay.Status.ACTIVE)
        .select_related("bed__room__building")
        .first()
    )
    home = stay.bed.room.building if stay else None
    if home is None or (building is not None and home.pk != building.pk):
        raise LivesElsewhere(resident, building)
    if not buildings.filter(pk=home.pk).exists():
        raise LivesElsewhere(resident, None)
    night = night_of(returned_at)
    existing = LateReturn.objects.filter(resident=resident, night=night).first()
    if existing is not None:
        raise AlreadyRecorded(existing)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = LateReturn.objects.create(
                    resident=resident,
                    building=home,
                    night=night,
                    returned_at=returned_at,
                    reason=reason,
                    recorded_by=actor,
                    recorded_at=now,
                )
        except IntegrityError as error:
            # Another desk recorded it in between: latereturn_one_per_night.
            raise AlreadyRecorded() from error
        audit_record(
            actor=actor,
            action="late_return.record",
            target=record,
            changes={"student_id": resident.student_id, "night": night.isoformat()},
        )
    return record

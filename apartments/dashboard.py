"""Reads behind the move-in dashboard and the summary API: what has arrived, what is left,
where the free beds are. Every function takes the asking user and sees only their part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext

from apartments.models import (
    ArrivalTally,
    Building,
    BuildingAssignment,
    BuildingTally,
    Category,
    Resident,
    ResidentTally,
    Stay,
)
from apartments.selectors import Visibility, visibility_of
from logistics.models import Campus


def resident_q(visibility: Visibility) -> Q:
    """Residents a user's dashboard counts: those of the campuses they see whole, plus those
    reserved into or living in the buildings assigned to them."""
    if visibility.everything:
        return Q()
    allowed = Q(pk__in=[])
    if visibility.campus_ids:
        allowed |= Q(campus_id__in=visibility.campus_ids)
    if visibility.assigned:
        assigned = BuildingAssignment.objects.filter(user_id=visibility.user_id)
        allowed |= Q(
            pk__in=Stay.objects.filter(
                status__in=Stay.CURRENT,
                bed__room__building__in=assigned.values("building_id"),
            ).values("resident_id")
        )
    return allowed


def residents_for(user, *, campus: Campus | None = None):
    visibility = visibility_of(user)
    residents = Resident.objects.none() if visibility.nothing else Resident.objects.all()
    residents = residents.filter(resident_q(visibility))
    if campus is not None:
        residents = residents.filter(campus=campus)
    return residents


def _checked_in():
    return Exists(Stay.objects.filter(resident=OuterRef("pk"), status=Stay.Status.ACTIVE))


@dataclass
class Summary:
    """Counts of residents, by campus code and category key (CONTRACT.md)."""

    campuses: list[Campus]
    expected_cells: dict[tuple[str, str], int]
    checked_cells: dict[tuple[str, str], int]

    @property
    def expected(self) -> int:
        return sum(self.expected_cells.values())

    @property
    def checked_in(self) -> int:
        return sum(self.checked_cells.values())

    @property
    def remaining(self) -> int:
        return self.expected - self.checked_in

    def checked(self, campus: str | None = None, category: str | None = None) -> int:
        return sum(
            n
            for (c, k), n in self.checked_cells.items()
            if (campus is None or c == campus) and (category is None or k == category)
        )

    def expected_in(self, campus: str | None = None, category: str | None = None) -> int:
        return sum(
            n
            for (c, k), n in self.expected_cells.items()
            if (campus is None or c == campus) and (category is None or k == category)
        )

    def as_contract(self) -> dict:
        codes = [c.code for c in self.campuses]
        return {
            "expected": self.expected,
            "checked_in": self.checked_in,
            "remaining": self.remaining,
            "by_campus": {c: self.checked(campus=c) for c in codes},
            "by_category": {k: self.checked(category=k) for k in Category.values},
            "by_campus_and_category": {
                c: {k: self.checked_cells.get((c, k), 0) for k in Category.values} for c in codes
            },
        }

    def table(self) -> list[dict]:
        """Rows per category with a cell per campus and a total; the last row is the total."""
        codes = [c.code for c in self.campuses]
        rows = []
        for key, label in [*Category.choices, (None, gettext("Total"))]:
            cells = [
                (self.checked(campus=c, category=key), self.expected_in(campus=c, category=key))
                for c in codes
            ]
            rows.append(
                {
                    "key": key,
                    "label": label,
                    "cells": cells,
                    "total": (self.checked(category=key), self.expected_in(category=key)),
                }
            )
        return rows


def move_in_summary(user, *, campus: Campus | None = None) -> Summary:
    """Two queries: campuses, and residents expected and checked in by campus × category.

    Whoever sees whole campuses reads the tallies the triggers keep (apartments/tallies.py):
    a few rows per campus, however many residents. A dorm manager's figures are those of the
    residents of their own buildings, which no tally holds: those are counted, over the few
    residents concerned."""
    campuses = list(Campus.objects.all())  # in the university's own order
    if campus is not None:
        campuses = [c for c in campuses if c.pk == campus.pk]
    visibility = visibility_of(user)
    if visibility.assigned or visibility.nothing:
        grouped = (
            residents_for(user, campus=campus)
            .order_by()
            .values("campus__code", "category")
            .annotate(expected=Count("pk"), checked=Count("pk", filter=_checked_in()))
        )
    else:
        tallies = ResidentTally.objects.all()
        if not visibility.everything:
            tallies = tallies.filter(campus_id__in=visibility.campus_ids)
        if campus is not None:
            tallies = tallies.filter(campus=campus)
        grouped = (
            tallies.order_by()
            .values("campus__code", "category")
            .annotate(expected=Sum("expected"), checked=Sum("checked_in"))
            .filter(expected__gt=0)
        )
    expected, checked = {}, {}
    for row in grouped:
        key = (row["campus__code"], row["category"])
        expected[key] = row["expected"]
        checked[key] = row["checked"]
    return Summary(campuses=campuses, expected_cells=expected, checked_cells=checked)


CHART_HEIGHT = 100  # SVG units of the tallest bar; see dashboard_live.html


@dataclass
class HourBar:
    hour: int
    count: int
    height: float  # in SVG units, the tallest bar being CHART_HEIGHT

    @property
    def x(self) -> int:
        return self.hour * 10 + 1

    @property
    def y(self) -> float:
        return CHART_HEIGHT + 10 - self.height

    @property
    def label_y(self) -> float:
        return self.y - 2


def arrivals_per_hour(user, day: date) -> list[HourBar]:
    """Check-ins of `day` (local time) per hour, 0–23, in one query over the arrival tallies
    (a row per building, quarter hour and slot: apartments/tallies.py), so that its cost does
    not grow with the day's check-ins."""
    visibility = visibility_of(user)
    if visibility.nothing:
        return _bars({})
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
    buckets = (
        ArrivalTally.objects.filter(
            visibility.building_q("building__"), bucket__gte=start, bucket__lt=end
        )
        .order_by()
        .values("bucket")
        .annotate(n=Sum("arrivals"))
        .values_list("bucket", "n")
    )
    counts: dict[int, int] = {}
    for bucket, n in buckets:
        hour = timezone.localtime(bucket, tz).hour
        counts[hour] = counts.get(hour, 0) + n
    return _bars(counts)


def _bars(counts: dict[int, int]) -> list[HourBar]:
    tallest = max(counts.values(), default=0)
    return [
        HourBar(h, counts.get(h, 0), CHART_HEIGHT * counts.get(h, 0) / tallest if tallest else 0)
        for h in range(24)
    ]


@dataclass(slots=True)
class BuildingProgress:
    """One row of the dashboard's buildings table."""

    pk: int
    code: str
    campus_id: int
    campus: str  # the campus's name in the active language
    bed_count: int
    active_count: int
    reserved_count: int

    @property
    def free_beds(self) -> int:
        return self.bed_count - self.active_count - self.reserved_count

    @property
    def progress(self) -> int:
        """Residents checked in, in % of those expected here (checked in or reserved)."""
        expected = self.active_count + self.reserved_count
        return round(100 * self.active_count / expected) if expected else 0


def building_progress(user) -> list[BuildingProgress]:
    """The user's buildings with beds, residents checked in, reservations still to come and
    free beds, in one query over the building tallies (apartments/tallies.py): a few rows per
    building, however many residents. Plain rows, not models: the page shows a hundred."""
    visibility = visibility_of(user)
    if visibility.nothing:
        return []
    english = (get_language() or "").startswith("en")
    rows = (
        Building.objects.filter(visibility.building_q())
        .order_by("campus__position", "campus__code", "code")
        .values_list("pk", "code", "campus_id", "campus__name", "campus__name_en")
        .annotate(
            beds=Coalesce(Sum("tallies__beds"), 0),
            active=Coalesce(Sum("tallies__active"), 0),
            reserved=Coalesce(Sum("tallies__reserved"), 0),
        )
    )
    return [
        BuildingProgress(
            pk, code, campus_id, name_en if english and name_en else name, beds, active, reserved
        )
        for pk, code, campus_id, name, name_en, beds, active, reserved in rows
    ]


def stay_count(stays, path: str):
    """A count of `stays` per outer row, the outer row reached from a stay by `path`."""
    return Coalesce(
        Subquery(
            stays.filter(**{path: OuterRef("pk")})
            .order_by()
            .values(path)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def stays_in_room_count(stays):
    return stay_count(stays, "bed__room")


@dataclass
class KitCounts:
    placed: int = 0
    failed: int = 0
    issued: int = 0
    failures: int = 0  # failed checks ever, replaced or not
    by_status: dict = field(default_factory=dict)


def kit_counts(user) -> KitCounts:
    """Kits by status and failed checks, summed over the building tallies of the user's
    buildings (apartments/tallies.py): one query, however many beds."""
    visibility = visibility_of(user)
    if visibility.nothing:
        return KitCounts()
    totals = BuildingTally.objects.filter(visibility.building_q("building__")).aggregate(
        placed=Coalesce(Sum("kits_placed"), 0),
        failed=Coalesce(Sum("kits_failed"), 0),
        issued=Coalesce(Sum("kits_issued"), 0),
        failures=Coalesce(Sum("kit_failures"), 0),
    )
    return KitCounts(**totals)


def not_arrived(user, *, campus=None, category=None, building=None, search=""):
    """Residents expected and not yet checked in, with their reservation (if any)."""
    residents = (
        residents_for(user)
        .filter(~_checked_in())
        .select_related("campus")
        .prefetch_related(
            Prefetch(
                "stays",
                queryset=Stay.objects.filter(status=Stay.Status.RESERVED).select_related(
                    "bed__room__building"
                ),
                to_attr="reservations",
            )
        )
        .order_by("campus__position", "student_id")
    )
    if campus:
        residents = residents.filter(campus=campus)
    if category:
        residents = residents.filter(category=category)
    if building:
        residents = residents.filter(
            stays__status=Stay.Status.RESERVED, stays__bed__room__building=building
        )
    if search:
        residents = residents.filter(
            Q(student_id__icontains=search)
            | Q(name__icontains=search)
            | Q(college__icontains=search)
        )
    return residents


# --- The day's report, in the style of the source (DOMAIN.md) --------------------------------

# Postgraduates and doctoral students are reported together, as the source does.
REPORT_GROUPS = [
    ([Category.UNDERGRADUATE], "undergraduate"),
    ([Category.TOP_UP], "top_up"),
    ([Category.POSTGRADUATE, Category.DOCTORAL], "postgraduate"),
    ([Category.ADULT_EDUCATION], "adult_education"),
    ([Category.STAFF], "staff"),
]


def _group_label(key: str, n: int) -> str:
    labels = {
        "undergraduate": ngettext("%(count)s undergraduate", "%(count)s undergraduates", n),
        "top_up": ngettext("%(count)s top-up undergraduate", "%(count)s top-up undergraduates", n),
        "postgraduate": ngettext(
            "%(count)s postgraduate or doctoral student",
            "%(count)s postgraduate and doctoral students",
            n,
        ),
        "adult_education": ngettext(
            "%(count)s adult-education student", "%(count)s adult-education students", n
        ),
        "staff": ngettext("%(count)s member of staff", "%(count)s staff", n),
    }
    return labels[key] % {"count": _number(n)}


def _number(n: int) -> str:
    # Chinese reports write 6450; English ones 6,450.
    return f"{n:,}" if (get_language() or "").startswith("en") else str(n)


def campus_short_name(campus: Campus) -> str:
    name = campus.display_name
    for suffix in ("校区", " campus", " Campus"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def arrivals_on(user, day: date, *, campuses: list[Campus] | None = None) -> Summary:
    """The day's arrivals (stays checked in on `day`, local time, whether or not they have
    left since) by campus × category, among the residents `user`'s dashboard counts: one
    query over the stays' (status, checked_in_at) index, plus the campuses unless given."""
    if campuses is None:
        campuses = list(Campus.objects.all())
    visibility = visibility_of(user)
    checked: dict[tuple[str, str], int] = {}
    if not visibility.nothing:
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(day, time.min), tz)
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
        rows = (
            Stay.objects.filter(
                status__in=(Stay.Status.ACTIVE, Stay.Status.ENDED),
                checked_in_at__gte=start,
                checked_in_at__lt=end,
            )
            .filter(_arrival_q(visibility))
            .order_by()
            .values_list("resident__campus__code", "resident__category")
            .annotate(n=Count("pk"))
        )
        checked = {(campus, category): n for campus, category, n in rows}
    return Summary(campuses=campuses, expected_cells={}, checked_cells=checked)


def _arrival_q(visibility: Visibility) -> Q:
    """The stays of the residents a dashboard counts (resident_q), or of the buildings the
    user is assigned to."""
    if visibility.everything:
        return Q()
    allowed = Q(pk__in=[])
    if visibility.campus_ids:
        allowed |= Q(resident__campus_id__in=visibility.campus_ids)
    if visibility.assigned:
        allowed |= Q(
            bed__room__building__in=BuildingAssignment.objects.filter(
                user_id=visibility.user_id
            ).values("building_id")
        )
    return allowed


def report_paragraph(summary: Summary, *, day: date | None = None) -> str:
    """'本次迎新共接待各类住宿人员N人,其中本科生N人(松北:N人,江南:N人)…' in the active
    language, from the residents checked in so far; with `day`, the day's report of that
    day's arrivals (a summary from arrivals_on): '9月1日共接待…'."""
    if summary.checked_in == 0:
        if day is not None:
            return gettext("No resident checked in on %(date)s.") % {
                "date": formats.date_format(day)
            }
        return gettext("No resident has checked in yet.")
    parts = []
    for categories, key in REPORT_GROUPS:
        total = sum(summary.checked(category=c) for c in categories)
        if not total:
            continue
        per_campus = [
            (campus, sum(summary.checked(campus=campus.code, category=c) for c in categories))
            for campus in summary.campuses
        ]
        per_campus = [(c, n) for c, n in per_campus if n]
        details = []
        if len(per_campus) > 1:
            details = [
                gettext("%(campus)s: %(count)s")
                % {"campus": campus_short_name(c), "count": _number(n)}
                for c, n in per_campus
            ]
        doctoral = summary.checked(category=Category.DOCTORAL)
        if key == "postgraduate" and doctoral:
            details.append(gettext("including %(count)s doctoral") % {"count": _number(doctoral)})
        part = _group_label(key, total)
        if details:
            part += gettext(" (%(details)s)") % {"details": gettext(", ").join(details)}
        parts.append(part)
    if len(parts) > 1:
        listed = gettext(", ").join(parts[:-1]) + gettext(" and ") + parts[-1]
    else:
        listed = parts[0]
    if day is not None:
        return gettext("On %(date)s we received %(total)s residents of all kinds: %(parts)s.") % {
            "date": formats.date_format(day),
            "total": _number(summary.checked_in),
            "parts": listed,
        }
    return gettext("In this intake we received %(total)s residents of all kinds: %(parts)s.") % {
        "total": _number(summary.checked_in),
        "parts": listed,
    }

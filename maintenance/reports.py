"""Repair reports (维修统计): per technician, building, category or month, for a period — the
basis of each technician's assessment (计票) and of the center's time-limit promise (限时承诺).

What is counted, for the repair requests filed in the period on the campuses asked for (a
duplicate merged into another request is not counted: its fault is counted once, there):

- jobs: the requests filed;
- of those finished (a finish time is recorded): finished on time (finished_at ≤ complete_by)
  and responded to on time (started_at ≤ respond_by), as shares of the finished;
- ratings: the number rated and their average;
- reopened: requests the reporter reopened at least once;
- labour hours (sum of labour_minutes / 60), labour in points (the repair items of the job
  tickets, 维修项目计票制: maintenance.points) and in yuan at the labour rate, cost per finished
  job (labour in yuan plus materials, over the finished jobs), and material cost (issued
  minus returned unused, at each movement's unit cost; recovered parts are not deducted),
  whatever the status;
- open at the end: not finished nor closed by the end of the period;
- overdue now: still open and past a promise at the moment of the report.

Each tab costs a fixed number of queries, however many tickets, technicians or movements:
one GROUP BY over the tickets, one over their material movements (kept apart: aggregating
tickets and movements in one join would count a ticket once per movement), and one or two
for the rows' names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apartments.models import Building
from logistics.access import ALL, campus_scope
from logistics.models import Campus, Role, User
from maintenance.models import Category, StockMovement, Ticket
from maintenance.points import labour_yuan
from maintenance.selectors import dispatch_campuses, overdue_q
from maintenance.stores import JOB_KINDS

KINDS = ("technician", "building", "category", "month")
MAX_YEARS = 2
# Dates a report may ask for: wide enough for any real period, narrow enough that the day
# after the last one is still a date (9999-12-31 + 1 day is not).
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
CENT = Decimal("0.01")


# --- Who reads reports ---------------------------------------------------------------------------


def report_campuses(user) -> set[int] | None:
    """The campuses whose reports `user` reads: those they dispatch (dispatchers, maintenance
    heads, administrators: ALL) and those of their auditor grant (read-only). Empty: none."""
    if not user.is_authenticated:
        return set()
    campuses: set[int] = set()
    for scope in (dispatch_campuses(user), campus_scope(user, Role.AUDITOR)):
        if scope is ALL:
            return ALL
        campuses |= scope
    return campuses


def may_read_reports(user) -> bool:
    return report_campuses(user) != set()


# --- The period ----------------------------------------------------------------------------------


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Period:
    """From the first to the last day (both included), in the portal's time zone."""

    first: dt.date
    last: dt.date

    @classmethod
    def this_month(cls, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(today.replace(day=1), today)

    @property
    def since(self) -> dt.datetime:
        return _local_midnight(self.first)

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period."""
        return _local_midnight(self.last + dt.timedelta(days=1))


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def period_problems(first: dt.date | None, last: dt.date | None) -> dict[str, str]:
    """What is wrong with a period a user asked for, by field ("from", "to")."""
    problems = {}
    for name, day in (("from", first), ("to", last)):
        if day is not None and not FIRST_DATE <= day <= LAST_DATE:
            problems[name] = _("Choose a date between %(first)s and %(last)s.") % {
                "first": FIRST_DATE.isoformat(),
                "last": LAST_DATE.isoformat(),
            }
    if problems or first is None or last is None:
        return problems
    if last < first:
        problems["to"] = _("The end of the period cannot be before its start.")
    elif last >= add_years(first, MAX_YEARS):
        problems["to"] = _("A report covers at most %(years)s years.") % {"years": MAX_YEARS}
    return problems


# --- Rows ----------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Row:
    """One line of a report; the totals line is a Row too."""

    key: object = None
    label: str = ""
    # Counts and sums, added up as they are for the totals.
    jobs: int = 0
    finished: int = 0
    on_time: int = 0
    responded_on_time: int = 0
    rated: int = 0
    rating_sum: int = 0
    reopened: int = 0
    labour_minutes: int = 0
    labour_points: Decimal = field(default_factory=lambda: Decimal("0.0"))
    material_cost: Decimal = field(default_factory=lambda: Decimal("0.00"))
    open_at_end: int = 0
    overdue: int = 0
    # Sort order within the report.
    order: tuple = ()

    SUMMED = (
        "jobs",
        "finished",
        "on_time",
        "responded_on_time",
        "rated",
        "rating_sum",
        "reopened",
        "labour_minutes",
        "labour_points",
        "material_cost",
        "open_at_end",
        "overdue",
    )

    @property
    def on_time_percent(self) -> float | None:
        return _share(self.on_time, self.finished)

    @property
    def response_percent(self) -> float | None:
        return _share(self.responded_on_time, self.finished)

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rated, 2) if self.rated else None

    @property
    def labour_hours(self) -> float:
        return round(self.labour_minutes / 60, 2)

    @property
    def labour_yuan(self) -> Decimal:
        """The points at the labour rate (维修项目计票制)."""
        return labour_yuan(self.labour_points)

    @property
    def total_cost(self) -> Decimal:
        """Labour plus materials."""
        return self.labour_yuan + self.material_cost

    @property
    def cost_per_job(self) -> Decimal | None:
        """Labour plus materials per finished job."""
        if not self.finished:
            return None
        return (self.total_cost / self.finished).quantize(CENT)

    def add(self, other: Row) -> None:
        for name in self.SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    kind: str
    period: Period
    rows: list[Row]
    total: Row
    generated_at: dt.datetime


# Columns of the page and of the Excel file: (heading, how to read it from a Row).
def columns(kind: str) -> list[tuple[str, str]]:
    first = {
        "technician": _("Technician"),
        "building": _("Building"),
        "category": _("Category"),
        "month": _("Month"),
    }[kind]
    return [
        (first, "label"),
        (_("Jobs"), "jobs"),
        (_("Finished"), "finished"),
        (_("On time %"), "on_time_percent"),
        (_("Response on time %"), "response_percent"),
        (_("Average rating"), "average_rating"),
        (_("Rated"), "rated"),
        (_("Reopened"), "reopened"),
        (_("Labour hours"), "labour_hours"),
        (_("Labour (points)"), "labour_points"),
        (_("Labour (yuan)"), "labour_yuan"),
        (_("Material cost (yuan)"), "material_cost"),
        (_("Cost per finished job (yuan)"), "cost_per_job"),
        (_("Open at the end"), "open_at_end"),
        (_("Overdue now"), "overdue"),
    ]


# --- Computing a report --------------------------------------------------------------------------


def _tickets(period: Period, campuses: set[int] | None):
    tickets = Ticket.objects.filter(
        created_at__gte=period.since, created_at__lt=period.until
    ).exclude(status=Ticket.Status.MERGED)
    if campuses is not ALL:
        tickets = tickets.filter(campus_id__in=campuses)
    return tickets.order_by()


def _month(prefix: str = ""):
    return TruncMonth(f"{prefix}created_at", tzinfo=timezone.get_default_timezone())


# The grouping of each tab, on Ticket.
GROUPS = {
    "technician": ("technician_id",),
    "building": ("campus_id", "building_id"),
    "category": ("category_id",),
    "month": ("month",),
}


def _key(values: dict, names: tuple[str, ...], prefix: str = "") -> tuple:
    key = tuple(values[prefix + name] for name in names)
    if names == ("month",):
        # TruncMonth answers an aware datetime in the portal's time zone: keep the day.
        month = key[0]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month, timezone.get_default_timezone()).date()
        key = (month,)
    return key


def _ticket_figures(tickets, names: tuple[str, ...], period: Period, now) -> dict[tuple, Row]:
    finished = Q(finished_at__isnull=False)
    open_at_end = (Q(finished_at__isnull=True) | Q(finished_at__gte=period.until)) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=period.until)
    )
    if names == ("month",):
        tickets = tickets.annotate(month=_month())
    figures = (
        tickets.values(*names)
        .annotate(
            jobs=Count("pk"),
            finished=Count("pk", filter=finished),
            on_time=Count("pk", filter=finished & Q(finished_at__lte=F("complete_by"))),
            responded_on_time=Count("pk", filter=finished & Q(started_at__lte=F("respond_by"))),
            rated=Count("rating"),
            rating_sum=Sum("rating"),
            reopened=Count("pk", filter=Q(reopened_count__gt=0)),
            labour_minutes=Sum("labour_minutes"),
            labour_points=Sum("labour_points"),
            open_at_end=Count("pk", filter=open_at_end),
            overdue=Count("pk", filter=overdue_q(now)),
        )
        .order_by()
    )
    rows = {}
    for values in figures:
        key = _key(values, names)
        rows[key] = Row(
            key=key,
            jobs=values["jobs"],
            finished=values["finished"],
            on_time=values["on_time"],
            responded_on_time=values["responded_on_time"],
            rated=values["rated"],
            rating_sum=values["rating_sum"] or 0,
            reopened=values["reopened"],
            labour_minutes=values["labour_minutes"] or 0,
            labour_points=values["labour_points"] or Decimal("0.0"),
            open_at_end=values["open_at_end"],
            overdue=values["overdue"],
        )
    return rows


def _material_costs(tickets, names: tuple[str, ...]) -> dict[tuple, Decimal]:
    """Each group's material cost, from the movements of its tickets: a query of its own."""
    movements = StockMovement.objects.filter(kind__in=JOB_KINDS, ticket__in=tickets.values("pk"))
    if names == ("month",):
        movements = movements.annotate(month=_month("ticket__"))
        grouping = names
    else:
        grouping = tuple(f"ticket__{name}" for name in names)
    value = ExpressionWrapper(
        F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=22, decimal_places=4)
    )
    costs = {}
    for values in movements.values(*grouping).annotate(total=Sum(value)).order_by():
        key = _key(values, grouping)
        # Issues are negative from the storeroom's side: the job's cost is their opposite.
        cost = -Decimal(values["total"] or 0).quantize(CENT)
        costs[key] = cost if cost else Decimal("0.00")  # not "-0.00" when all was returned
    return costs


def _label_technicians(rows: list[Row]) -> None:
    ids = [row.key[0] for row in rows if row.key[0] is not None]
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}
    for row in rows:
        technician_id = row.key[0]
        if technician_id is None:
            row.label = _("Not assigned")
            row.order = (1, "")
        else:
            row.label = names.get(technician_id, "")
            row.order = (0, row.label, technician_id)


def _label_buildings(rows: list[Row]) -> None:
    building_ids = [row.key[1] for row in rows if row.key[1] is not None]
    campus_ids = {row.key[0] for row in rows}
    buildings = {b.pk: b for b in Building.objects.filter(pk__in=building_ids)}
    campuses = {c.pk: c for c in Campus.objects.filter(pk__in=campus_ids)}
    several = len(campus_ids) > 1
    for row in rows:
        campus_id, building_id = row.key
        campus = campuses.get(campus_id)
        campus_code = campus.code if campus else ""
        if building_id is None:
            outside = _("Outside the buildings")
            row.label = f"{outside} · {campus.display_name}" if several and campus else outside
            row.order = (campus_code, 1, "")
        else:
            building = buildings[building_id]
            row.label = f"{building.code} {building.display_name}"
            row.order = (campus_code, 0, building.code)


def _label_categories(rows: list[Row]) -> None:
    categories = {c.pk: c for c in Category.objects.filter(pk__in=[r.key[0] for r in rows])}
    for row in rows:
        category = categories[row.key[0]]
        row.label = category.display_name
        row.order = (category.position, category.code)


def _label_months(rows: list[Row]) -> None:
    for row in rows:
        row.label = date_format(row.key[0], "YEAR_MONTH_FORMAT")
        row.order = (row.key[0],)


LABELLERS = {
    "technician": _label_technicians,
    "building": _label_buildings,
    "category": _label_categories,
    "month": _label_months,
}


def repair_report(
    *, kind: str, period: Period, campuses: set[int] | None, now: dt.datetime | None = None
) -> Report:
    """The report of `kind` for requests filed in `period` on `campuses` (ALL: every campus).
    The caller has checked that the user may read these campuses (report_campuses)."""
    if kind not in KINDS:
        raise ValueError(kind)
    now = now or timezone.now()
    names = GROUPS[kind]
    tickets = _tickets(period, campuses)
    rows = _ticket_figures(tickets, names, period, now)
    for key, cost in _material_costs(tickets, names).items():
        if key in rows:  # every movement's ticket is in a group; guard against a race
            rows[key].material_cost = cost
    ordered = list(rows.values())
    if ordered:
        LABELLERS[kind](ordered)
    ordered.sort(key=lambda row: row.order)
    total = Row(key="total", label=_("Total"))
    for row in ordered:
        total.add(row)
    return Report(kind=kind, period=period, rows=ordered, total=total, generated_at=now)


def row_values(row: Row, kind: str) -> list:
    """A row as the Excel file has it: numbers as numbers, blanks where nothing is measured."""
    return [getattr(row, attribute) for _heading, attribute in columns(kind)]

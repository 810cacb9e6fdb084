"""Reads behind the quality dashboard (and its Excel file): nonconformities and overdue actions
by department, inspection scores over time by department and by SERVQUAL dimension, complaints
by channel. Who sees it: auditors and administrators every department, a department head their
own departments; nobody else (the view answers 404).

Every section is one GROUP BY in the database, whatever the number of departments, records or
months: the page costs the same handful of queries for ten rows or ten thousand.

What is counted:

- Nonconformities: *open now* (open or answered), *overdue now* (an action due date in the
  past and not closed) are the state of today, whatever the period; *closed in the period* and
  the *average days to close* (raised → closed) count those closed within the period.
- Inspection scores: sealed records only. An amendment replaces the record it amends: a record
  that has a sealed amendment is not counted, and of several amendments of one record only the
  latest (the highest chain position) is; so an inspection is counted once, with its latest
  score. It is counted in the month the inspection was carried out: the submission date of the
  record it amends (for an amendment) or its own. Months are calendar months in the portal's
  time zone (Asia/Shanghai). A department's monthly figure is the plain average of its records'
  scores.
- SERVQUAL: the answers of those same records, by the dimension of their checklist item, each
  answer as a percentage (scored: score / maximum; pass: 100; fail: 0; not applicable or
  unanswered: left out), averaged weighted by the item's weight.
- Complaints, by channel: *received* in the period, and of those the *answered* (a first answer
  recorded), the average hours from receipt to the first answer, the complainants' *satisfied*
  and *not satisfied* verdicts; *overdue now*: any complaint past its answer-due time without
  an answer, whenever it came in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.models import Department
from quality.models import Complaint, Inspection, InspectionAnswer, Nonconformity, Servqual
from quality.selectors import head_departments, is_auditor

MAX_MONTHS = 24
DEFAULT_MONTHS = 6
OVERDUE_LIST_LENGTH = 10
# Dates one may ask for: wide enough for any real period, narrow enough to stay valid dates.
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)


# --- Who sees the dashboard ------------------------------------------------------------------


def dashboard_scope(user) -> set[int] | None:
    """The departments (ids) whose figures `user` reads: ALL for auditors and administrators,
    the departments they head for a department head; empty: no dashboard for them."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if is_auditor(user):
        return ALL
    return head_departments(user)


def may_see_dashboard(user) -> bool:
    return dashboard_scope(user) != set()


def departments_for(user) -> QuerySet[Department]:
    scope = dashboard_scope(user)
    departments = Department.objects.order_by("code")
    if scope is ALL:
        return departments
    return departments.filter(pk__in=scope)


# --- The period --------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


@dataclass(frozen=True)
class Period:
    """From the first to the last day, both included, in the portal's time zone."""

    first: dt.date
    last: dt.date

    @classmethod
    def default(cls, today: dt.date | None = None) -> Period:
        """The last six months: this month and the five before it, up to today."""
        today = today or timezone.localdate()
        return cls(add_months(today, -(DEFAULT_MONTHS - 1)), today)

    @property
    def since(self) -> dt.datetime:
        return _local_midnight(self.first)

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period."""
        return _local_midnight(self.last + dt.timedelta(days=1))

    @property
    def months(self) -> list[dt.date]:
        """The first day of every calendar month the period touches."""
        months, month = [], month_start(self.first)
        while month <= self.last:
            months.append(month)
            month = add_months(month, 1)
        return months


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
    elif len(Period(first, last).months) > MAX_MONTHS:
        problems["to"] = _("The dashboard covers at most %(months)s months.") % {
            "months": MAX_MONTHS
        }
    return problems


def _month_of(value) -> dt.date | None:
    """TruncMonth answers an aware datetime (PostgreSQL, SQLite alike); keep the local date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, timezone.get_default_timezone())
        return value.date()
    return value


def _local_month(expression):
    return TruncMonth(expression, tzinfo=timezone.get_default_timezone())


def _rounded(value, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _in_departments(queryset, department_ids: list[int] | None, path: str = "department_id"):
    if department_ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": department_ids})


# --- Nonconformities -------------------------------------------------------------------------


@dataclass
class NonconformityRow:
    department: Department | None
    open: int = 0
    overdue: int = 0
    closed: int = 0
    average_days_to_close: float | None = None

    @property
    def label(self) -> str:
        return self.department.display_name if self.department else _("Total")


def _days(duration: dt.timedelta | None) -> float | None:
    if duration is None:
        return None
    return round(duration.total_seconds() / 86400, 1)


def overdue_q(today: dt.date) -> Q:
    return Q(due_date__lt=today) & ~Q(status=Nonconformity.Status.CLOSED)


def nonconformity_rows(
    departments: list[Department],
    department_ids: list[int] | None,
    period: Period,
    today: dt.date,
) -> tuple[list[NonconformityRow], NonconformityRow]:
    """One row per department and a total row, in one query."""
    closed_in_period = Q(closed_at__gte=period.since, closed_at__lt=period.until)
    days_to_close = ExpressionWrapper(F("closed_at") - F("raised_at"), output_field=DurationField())
    grouped = (
        _in_departments(Nonconformity.objects.all(), department_ids)
        .order_by()
        .values("department_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=Nonconformity.OPEN_STATUSES)),
            overdue=Count("pk", filter=overdue_q(today)),
            closed=Count("pk", filter=closed_in_period),
            close_time=Avg(days_to_close, filter=closed_in_period),
        )
    )
    by_department = {row["department_id"]: row for row in grouped}
    rows, total = [], NonconformityRow(department=None)
    weighted_days, weight = 0.0, 0
    for department in departments:
        values = by_department.get(department.pk, {})
        row = NonconformityRow(
            department=department,
            open=values.get("open", 0),
            overdue=values.get("overdue", 0),
            closed=values.get("closed", 0),
            average_days_to_close=_days(values.get("close_time")),
        )
        rows.append(row)
        total.open += row.open
        total.overdue += row.overdue
        total.closed += row.closed
        if values.get("close_time") is not None and row.closed:
            weighted_days += values["close_time"].total_seconds() / 86400 * row.closed
            weight += row.closed
    total.average_days_to_close = round(weighted_days / weight, 1) if weight else None
    return rows, total


def overdue_nonconformities(
    department_ids: list[int] | None, today: dt.date, limit: int = OVERDUE_LIST_LENGTH
) -> list[Nonconformity]:
    """The overdue ones, the longest overdue first; one query."""
    nonconformities = (
        _in_departments(Nonconformity.objects.filter(overdue_q(today)), department_ids)
        .select_related("department", "owner")
        .order_by("due_date", "raised_at", "pk")[:limit]
    )
    result = list(nonconformities)
    for nc in result:
        nc.days_overdue = (today - nc.due_date).days
    return result


# --- Inspection scores -------------------------------------------------------------------------


def counted_inspections() -> QuerySet[Inspection]:
    """The sealed records that count: those not replaced by a sealed amendment, and of the
    amendments of one record only the latest."""
    sealed = Inspection.objects.filter(status=Inspection.Status.SEALED)
    amended = sealed.filter(amends=OuterRef("pk"))
    superseded = sealed.filter(amends=OuterRef("amends"), sequence__gt=OuterRef("sequence"))
    return (
        sealed.filter(~Exists(amended))
        .filter(Q(amends__isnull=True) | ~Exists(superseded))
        .annotate(
            inspected_at=Coalesce(
                "amends__submitted_at", "submitted_at", output_field=DateTimeField()
            )
        )
    )


def _counted_in(department_ids: list[int] | None, period: Period) -> QuerySet[Inspection]:
    return _in_departments(counted_inspections(), department_ids).filter(
        inspected_at__gte=period.since, inspected_at__lt=period.until
    )


@dataclass
class Cell:
    average: float | None = None
    count: int = 0


@dataclass
class SeriesRow:
    """A line of a table by month: a department or a SERVQUAL dimension."""

    key: object
    label: str
    cells: list[Cell]
    average: float | None = None
    count: int = 0

    @property
    def has_data(self) -> bool:
        return self.count > 0


@dataclass
class MonthTable:
    months: list[dt.date]
    rows: list[SeriesRow]

    @property
    def with_data(self) -> list[SeriesRow]:
        return [r for r in self.rows if r.has_data]


def department_scores(
    departments: list[Department], department_ids: list[int] | None, period: Period
) -> MonthTable:
    """The monthly average score of every department; one query."""
    months = period.months
    grouped = (
        _counted_in(department_ids, period)
        .annotate(month=_local_month("inspected_at"))
        .order_by()
        .values("department_id", "month")
        .annotate(average=Avg("score"), count=Count("pk", filter=Q(score__isnull=False)))
    )
    cells: dict[tuple[int, dt.date], Cell] = {}
    for row in grouped:
        cells[(row["department_id"], _month_of(row["month"]))] = Cell(
            _rounded(row["average"]), row["count"]
        )
    rows = []
    for department in departments:
        line = [cells.get((department.pk, month), Cell()) for month in months]
        rows.append(_series(department, department.display_name, line))
    return MonthTable(months=months, rows=rows)


def _series(key, label: str, cells: list[Cell]) -> SeriesRow:
    count = sum(c.count for c in cells)
    total = sum(c.average * c.count for c in cells if c.average is not None)
    return SeriesRow(
        key=key,
        label=label,
        cells=cells,
        average=round(total / count, 1) if count else None,
        count=count,
    )


def _answer_percent():
    """An answer as a percentage of its item's maximum, or NULL when it does not count."""
    return Case(
        When(
            result=InspectionAnswer.Result.SCORED,
            score__isnull=False,
            then=Cast("score", FloatField()) * Value(100.0) / Cast("item__max_score", FloatField()),
        ),
        When(result=InspectionAnswer.Result.PASS, then=Value(100.0)),
        When(result=InspectionAnswer.Result.FAIL, then=Value(0.0)),
        default=None,
        output_field=FloatField(),
    )


def servqual_scores(department_ids: list[int] | None, period: Period) -> MonthTable:
    """The weighted average percentage of the answers of each SERVQUAL dimension by month;
    one query."""
    months = period.months
    counted = _counted_in(department_ids, period)
    weight = Cast("item__weight", FloatField())
    grouped = (
        InspectionAnswer.objects.filter(inspection__in=counted.values("pk"))
        .filter(
            Q(result=InspectionAnswer.Result.SCORED, score__isnull=False)
            | Q(result__in=[InspectionAnswer.Result.PASS, InspectionAnswer.Result.FAIL])
        )
        .annotate(
            month=_local_month(
                Coalesce(
                    "inspection__amends__submitted_at",
                    "inspection__submitted_at",
                    output_field=DateTimeField(),
                )
            ),
            percent=_answer_percent(),
        )
        .order_by()
        .values("item__servqual", "month")
        .annotate(
            weighted=Sum(F("percent") * weight, output_field=FloatField()),
            weights=Sum(weight, output_field=FloatField()),
            count=Count("pk"),
        )
    )
    sums: dict[tuple[str, dt.date], tuple[float, float, int]] = {}
    for row in grouped:
        sums[(row["item__servqual"], _month_of(row["month"]))] = (
            row["weighted"] or 0.0,
            row["weights"] or 0.0,
            row["count"],
        )
    rows = []
    for dimension, label in Servqual.choices:
        cells, weighted_total, weight_total = [], 0.0, 0.0
        for month in months:
            weighted, weights, count = sums.get((dimension, month), (0.0, 0.0, 0))
            cells.append(Cell(round(weighted / weights, 1) if weights else None, count))
            weighted_total += weighted
            weight_total += weights
        rows.append(
            SeriesRow(
                key=dimension,
                label=str(label),
                cells=cells,
                average=round(weighted_total / weight_total, 1) if weight_total else None,
                count=sum(c.count for c in cells),
            )
        )
    return MonthTable(months=months, rows=rows)


# --- Complaints ----------------------------------------------------------------------------------


@dataclass
class ChannelRow:
    channel: str | None
    label: str
    received: int = 0
    answered: int = 0
    average_hours: float | None = None
    overdue: int = 0
    satisfied: int = 0
    not_satisfied: int = 0

    @property
    def answered_percent(self) -> float | None:
        return _share(self.answered, self.received)


def complaint_rows(
    department_ids: list[int] | None, period: Period, now: dt.datetime
) -> tuple[list[ChannelRow], ChannelRow]:
    """One row per channel (hotline, box, web) and a total row, in one query."""
    received = Q(received_at__gte=period.since, received_at__lt=period.until)
    answered = received & Q(first_answered_at__isnull=False)
    time_to_answer = ExpressionWrapper(
        F("first_answered_at") - F("received_at"), output_field=DurationField()
    )
    grouped = (
        _in_departments(Complaint.objects.all(), department_ids)
        .order_by()
        .values("channel")
        .annotate(
            n_received=Count("pk", filter=received),
            n_answered=Count("pk", filter=answered),
            n_answer_time=Avg(time_to_answer, filter=answered),
            n_overdue=Count("pk", filter=Q(respond_by__lt=now, first_answered_at__isnull=True)),
            n_satisfied=Count("pk", filter=received & Q(satisfied=True)),
            n_not_satisfied=Count("pk", filter=received & Q(satisfied=False)),
        )
    )
    by_channel = {row["channel"]: row for row in grouped}
    rows, total = [], ChannelRow(channel=None, label=_("Total"))
    hours_total = 0.0
    for channel, label in Complaint.Channel.choices:
        values = by_channel.get(channel, {})
        answer_time = values.get("n_answer_time")
        row = ChannelRow(
            channel=channel,
            label=str(label),
            received=values.get("n_received", 0),
            answered=values.get("n_answered", 0),
            average_hours=(
                round(answer_time.total_seconds() / 3600, 1) if answer_time is not None else None
            ),
            overdue=values.get("n_overdue", 0),
            satisfied=values.get("n_satisfied", 0),
            not_satisfied=values.get("n_not_satisfied", 0),
        )
        rows.append(row)
        for name in ("received", "answered", "overdue", "satisfied", "not_satisfied"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        if answer_time is not None:
            hours_total += answer_time.total_seconds() / 3600 * row.answered
    total.average_hours = round(hours_total / total.answered, 1) if total.answered else None
    return rows, total


# --- A simple line chart, drawn on the server as SVG -------------------------------------------

CHART_WIDTH = 320
CHART_HEIGHT = 150
CHART_LEFT = 30  # room for the axis labels
CHART_RIGHT = 18  # room for the last month's label
CHART_TOP = 8
CHART_BOTTOM = 24
# Okabe–Ito colours: told apart by people with a colour vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


@dataclass
class ChartPoint:
    x: float
    y: float
    value: float
    month: dt.date


@dataclass
class ChartSeries:
    label: str
    colour: str
    points: list[ChartPoint]
    # Runs of consecutive months with a value: a month without records breaks the line.
    segments: list[str] = field(default_factory=list)


@dataclass
class ChartTick:
    position: float
    label: str


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    right: int
    baseline: float
    series: list[ChartSeries]
    y_ticks: list[ChartTick]
    x_ticks: list[ChartTick]

    @property
    def empty(self) -> bool:
        return not self.series


def line_chart(table: MonthTable) -> LineChart:
    """Percentages (0–100) of each row with data, month by month."""
    months = table.months
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    step = plot_width / (len(months) - 1) if len(months) > 1 else 0

    def x_of(index: int) -> float:
        x = CHART_LEFT + step * index if len(months) > 1 else CHART_LEFT + plot_width / 2
        return round(x, 1)

    def y_of(value: float) -> float:
        value = max(0.0, min(100.0, value))
        return round(CHART_TOP + plot_height * (1 - value / 100), 1)

    series = []
    for index, row in enumerate(table.with_data):
        points, segments, run = [], [], []
        for m, cell in enumerate(row.cells):
            if cell.average is None:
                if run:
                    segments.append(run)
                run = []
                continue
            point = ChartPoint(x_of(m), y_of(cell.average), cell.average, months[m])
            points.append(point)
            run.append(point)
        if run:
            segments.append(run)
        series.append(
            ChartSeries(
                label=row.label,
                colour=PALETTE[index % len(PALETTE)],
                points=points,
                segments=[" ".join(f"{p.x},{p.y}" for p in s) for s in segments if len(s) > 1],
            )
        )
    # Label every month while they fit, else every other (or third…) one.
    every = max(1, -(-len(months) // 8))
    return LineChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=CHART_LEFT,
        right=CHART_WIDTH - CHART_RIGHT,
        baseline=y_of(0),
        series=series,
        y_ticks=[ChartTick(y_of(v), str(v)) for v in (0, 25, 50, 75, 100)],
        x_ticks=[
            ChartTick(x_of(m), month.strftime("%Y-%m"))
            for m, month in enumerate(months)
            if m % every == 0
        ],
    )


# --- The whole dashboard -----------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    departments: list[Department]
    nonconformities: list[NonconformityRow]
    nonconformity_total: NonconformityRow
    overdue: list[Nonconformity]
    scores: MonthTable
    servqual: MonthTable
    complaints: list[ChannelRow]
    complaint_total: ChannelRow
    generated_at: dt.datetime

    @property
    def score_chart(self) -> LineChart:
        return line_chart(self.scores)

    @property
    def servqual_chart(self) -> LineChart:
        return line_chart(self.servqual)


def dashboard_build(
    user, *, period: Period, department: Department | None = None, now=None
) -> Dashboard:
    """Every section for `user`, optionally for one department of their scope. Six queries:
    the departments, the nonconformities by department, the overdue list, the scores by
    department and month, the SERVQUAL answers by dimension and month, the complaints by
    channel."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    departments = departments_for(user)
    if department is not None:
        departments = departments.filter(pk=department.pk)
    departments = list(departments)
    scope = dashboard_scope(user)
    department_ids = None if scope is ALL and department is None else [d.pk for d in departments]
    nc_rows, nc_total = nonconformity_rows(departments, department_ids, period, today)
    channel_rows, channel_total = complaint_rows(department_ids, period, now)
    return Dashboard(
        period=period,
        departments=departments,
        nonconformities=nc_rows,
        nonconformity_total=nc_total,
        overdue=overdue_nonconformities(department_ids, today),
        scores=department_scores(departments, department_ids, period),
        servqual=servqual_scores(department_ids, period),
        complaints=channel_rows,
        complaint_total=channel_total,
        generated_at=now,
    )

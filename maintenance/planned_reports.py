"""Cost and effort of planned work (readiness campaigns, preventive schedules) against reactive
repairs: labour from the job tickets, materials from the storeroom ledger, per building and
per technician, and a campaign's or a schedule's own totals. Readers are those of the repair
reports (maintenance.reports.report_campuses). Each figure set is two queries (the tickets'
figures, their materials) however many tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)

from apartments.models import Building
from logistics.models import User
from maintenance.models import StockMovement
from maintenance.reports import CENT, JOB_KINDS, Period, _tickets

PLANNED = "planned"
REACTIVE = "reactive"


def _kind(prefix: str = ""):
    planned = Q(**{f"{prefix}campaign__isnull": False}) | Q(**{f"{prefix}schedule__isnull": False})
    return Case(
        When(planned, then=Value(PLANNED)), default=Value(REACTIVE), output_field=CharField()
    )


@dataclass
class Figures:
    jobs: int = 0
    finished: int = 0
    labour_minutes: int = 0
    materials: Decimal = field(default_factory=lambda: Decimal("0.00"))

    @property
    def labour_hours(self) -> Decimal:
        return (Decimal(self.labour_minutes) / 60).quantize(Decimal("0.1"))


@dataclass
class Split:
    """One building's or technician's planned and reactive figures."""

    key: int | None
    label: str = ""
    planned: Figures = field(default_factory=Figures)
    reactive: Figures = field(default_factory=Figures)

    @property
    def planned_share(self) -> int | None:
        """Planned jobs as a percentage of all jobs."""
        total = self.planned.jobs + self.reactive.jobs
        return round(100 * self.planned.jobs / total) if total else None


def _split(tickets, group: str) -> dict:
    """Figures per (group, kind): the tickets' figures, then their materials."""
    rows: dict = {}
    figures = (
        tickets.annotate(kind=_kind())
        .values(group, "kind")
        .annotate(
            jobs=Count("pk"),
            finished=Count("pk", filter=Q(finished_at__isnull=False)),
            labour=Sum("labour_minutes"),
        )
        .order_by()
    )
    for values in figures:
        row = rows.setdefault(values[group], Split(values[group]))
        target = getattr(row, values["kind"])
        target.jobs, target.finished = values["jobs"], values["finished"]
        target.labour_minutes = values["labour"] or 0
    value = ExpressionWrapper(
        F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=22, decimal_places=4)
    )
    movements = (
        StockMovement.objects.filter(kind__in=JOB_KINDS, ticket__in=tickets.values("pk"))
        .annotate(kind_of=_kind("ticket__"))
        .values(f"ticket__{group}", "kind_of")
        .annotate(total=Sum(value))
        .order_by()
    )
    for values in movements:
        row = rows.setdefault(values[f"ticket__{group}"], Split(values[f"ticket__{group}"]))
        cost = -Decimal(values["total"] or 0).quantize(CENT)
        getattr(row, values["kind_of"]).materials = cost if cost else Decimal("0.00")
    return rows


def by_building(period: Period, campuses) -> list[Split]:
    """Planned against reactive repairs per building, for tickets filed in the period."""
    rows = _split(_tickets(period, campuses), "building_id")
    names = {
        b.pk: f"{b.code} {b.display_name}"
        for b in Building.objects.filter(pk__in=[k for k in rows if k])
    }
    for key, row in rows.items():
        row.label = names.get(key, "—")
    return sorted(rows.values(), key=lambda r: r.label)


def by_technician(period: Period, campuses) -> list[Split]:
    """Planned against reactive effort per technician (jobs assigned to them)."""
    rows = _split(_tickets(period, campuses).filter(technician__isnull=False), "technician_id")
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=list(rows))}
    for key, row in rows.items():
        row.label = names.get(key, "—")
    return sorted(rows.values(), key=lambda r: r.label)


def totals_of(tickets) -> Figures:
    """Labour and materials of a set of tickets (a campaign's, a schedule's): two queries."""
    values = tickets.order_by().aggregate(
        jobs=Count("pk"),
        finished=Count("pk", filter=Q(finished_at__isnull=False)),
        labour=Sum("labour_minutes"),
    )
    value = ExpressionWrapper(
        F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=22, decimal_places=4)
    )
    spent = StockMovement.objects.filter(
        kind__in=JOB_KINDS, ticket__in=tickets.values("pk")
    ).aggregate(total=Sum(value))["total"]
    cost = -Decimal(spent or 0).quantize(CENT)
    return Figures(
        jobs=values["jobs"],
        finished=values["finished"],
        labour_minutes=values["labour"] or 0,
        materials=cost if cost else Decimal("0.00"),
    )


def per_technician_of(tickets) -> list[tuple[str, int, int]]:
    """(technician, jobs, labour minutes) of a set of tickets: one query."""
    rows = (
        tickets.filter(technician__isnull=False)
        .values("technician_id", "technician__full_name", "technician__username")
        .annotate(jobs=Count("pk"), labour=Sum("labour_minutes"))
        .order_by("technician__username")
    )
    return [
        (r["technician__full_name"] or r["technician__username"], r["jobs"], r["labour"] or 0)
        for r in rows
    ]

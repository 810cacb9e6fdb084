"""The repair items table and the points of a job (维修项目计票制).

The maintenance center keeps a table of repair items with the points each counts (a tap
washer 1, a tap 3, a lock cylinder 4: maintenance.RepairItem, edited in the administration).
Finishing a job records the items done (TicketItem lines, with the points of the day), and
the ticket's `labour_points` adds them up over its visits. Labour in yuan is the points times
the labour rate (settings.REPAIR_YUAN_PER_POINT); a job's cost is its labour plus its
materials (maintenance.stores.job_material_cost). Recovered parts put back for reuse are
recorded on the job too (the storeroom's "recovered for reuse" movements) and shown with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from logistics.models import User
from maintenance.models import RepairItem, StockMovement, Ticket, TicketItem

CENT = Decimal("0.01")
MAX_QUANTITY = 99
MAX_LINES = 30


def labour_yuan(points) -> Decimal:
    """What `points` of labour are worth at the labour rate, in yuan (two decimals)."""
    return (Decimal(points or 0) * settings.REPAIR_YUAN_PER_POINT).quantize(CENT)


def items_offered(ticket: Ticket) -> QuerySet[RepairItem]:
    """The active items of the table, those of the job's fault category first."""
    return RepairItem.objects.filter(is_active=True).order_by(
        Case(
            When(category_id=ticket.category_id, then=Value(0)),
            When(category__isnull=True, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        "position",
        "code",
    )


class ItemsInvalid(ValueError):
    """The items sent are not ones of the table, or their quantities are wrong (the message
    says which); maintenance.services turns it into RepairInvalid on the field "items"."""

    @property
    def message(self) -> str:
        return self.args[0]


def clean_items(raw) -> list[tuple[RepairItem, int]]:
    """[(item, quantity)] from [{"item": code, "quantity": n}, …] (or (code, n) pairs): every
    item an active one of the table, every quantity a whole number from 1 to MAX_QUANTITY;
    the same item twice is added up. Raises ItemsInvalid otherwise."""
    pairs = []
    for entry in raw or ():
        if isinstance(entry, dict):
            code, quantity = entry.get("item"), entry.get("quantity", 1)
        else:
            code, quantity = entry
        pairs.append((str(code or "").strip(), quantity))
    if len(pairs) > MAX_LINES:
        raise ItemsInvalid(_("Record at most %(n)s repair items.") % {"n": MAX_LINES})
    codes = {code for code, _quantity in pairs}
    known = {i.code: i for i in RepairItem.objects.filter(code__in=codes, is_active=True)}
    totals: dict[str, int] = {}
    for code, quantity in pairs:
        if code not in known:
            raise ItemsInvalid(
                _("“%(code)s” is not an item of the repair items table.") % {"code": code}
            )
        try:
            quantity = int(quantity)
        except (TypeError, ValueError):
            quantity = 0
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ItemsInvalid(
                _("The quantity of an item is a whole number from 1 to %(n)s.")
                % {"n": MAX_QUANTITY}
            )
        totals[code] = totals.get(code, 0) + quantity
    if any(quantity > MAX_QUANTITY for quantity in totals.values()):
        raise ItemsInvalid(
            _("The quantity of an item is a whole number from 1 to %(n)s.") % {"n": MAX_QUANTITY}
        )
    return [(known[code], quantity) for code, quantity in totals.items()]


def record_items(*, actor: User, ticket: Ticket, items: list[tuple[RepairItem, int]]) -> Decimal:
    """Write the job's lines (inside the caller's transaction, the ticket locked) and add
    their points to the ticket's `labour_points` (the caller saves the ticket). Returns the
    points of these lines."""
    lines = [
        TicketItem(ticket=ticket, item=item, quantity=quantity, points=item.points, by=actor)
        for item, quantity in items
    ]
    TicketItem.objects.bulk_create(lines)
    added = sum((line.points * line.quantity for line in lines), Decimal("0"))
    ticket.labour_points = Decimal(ticket.labour_points or 0) + added
    return added


@dataclass(frozen=True)
class JobCost:
    points: Decimal
    labour: Decimal
    materials: Decimal
    recovered: Decimal

    @property
    def total(self) -> Decimal:
        return self.labour + self.materials


def job_cost(ticket: Ticket, material_cost: Decimal, movements=()) -> JobCost:
    """The job's cost: labour (its points at the rate) plus materials (issued minus returned
    unused); `recovered`, the value of the parts recovered for reuse among `movements` (the
    job's ledger lines, already read), which is not deducted."""
    recovered = sum(
        (m.quantity * m.unit_cost for m in movements if m.kind == StockMovement.Kind.RECOVERY),
        Decimal("0"),
    )
    points = Decimal(ticket.labour_points or 0)
    return JobCost(
        points=points,
        labour=labour_yuan(points),
        materials=material_cost,
        recovered=recovered.quantize(CENT),
    )


def job_items(ticket: Ticket) -> list[TicketItem]:
    return list(TicketItem.objects.filter(ticket=ticket).select_related("item").order_by("id"))

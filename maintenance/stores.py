"""The storeroom's ledger (材料来去一目了然): receipts, issues to a job, returns of unused
material, recovered parts put back for reuse, and adjustments with a reason.

A stock's balance is the sum of its movements. Each write changes the balance with one
conditional UPDATE (`balance = balance + q WHERE balance + q >= 0`) in the same transaction as
the movement it records, so two technicians drawing the last unit at the same instant are
serialised by the row lock the UPDATE takes: the first gets it, the second is refused. The
database's check constraint (stock_not_negative) stands behind that.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from logistics.access import has_role
from logistics.models import Role, User
from logistics.services import audit_record
from maintenance.models import Stock, StockMovement, Ticket
from maintenance.selectors import may_dispatch_campus
from maintenance.services import NotAllowed, RepairError, RepairInvalid, WrongStatus

MAX_QUANTITY = Decimal("100000")
REASON_MAX_LENGTH = 200
ZERO = Decimal("0")
# The movements that make up a job's material cost (recovered parts are not deducted).
JOB_KINDS = [StockMovement.Kind.ISSUE, StockMovement.Kind.RETURN]


class InsufficientStock(RepairError):
    code = "insufficient_stock"


def clean_quantity(value, *, allow_negative: bool = False) -> Decimal:
    """A quantity from a form or the API: at most two decimals, non-zero, within bounds."""
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RepairInvalid(_("Enter a number."), field="quantity") from None
    if not quantity.is_finite():
        raise RepairInvalid(_("Enter a number."), field="quantity")
    # The bound comes before quantize(), which raises InvalidOperation for "1e100".
    if abs(quantity) > MAX_QUANTITY:
        raise RepairInvalid(
            _("A quantity may be at most %(n)s.") % {"n": MAX_QUANTITY}, field="quantity"
        )
    if quantity != quantity.quantize(Decimal("0.01")):
        raise RepairInvalid(_("Use at most two decimal places."), field="quantity")
    if quantity == 0 or (quantity < 0 and not allow_negative):
        raise RepairInvalid(_("Enter a quantity greater than zero."), field="quantity")
    return quantity


def _move(
    *, actor: User, stock: Stock, kind: str, quantity: Decimal, ticket=None, reason: str = ""
) -> StockMovement:
    """Change the balance by `quantity` and record the movement, or refuse with
    InsufficientStock when the balance would go below zero."""
    changed = Stock.objects.filter(
        Q(pk=stock.pk) & Q(balance__gte=-quantity if quantity < 0 else ZERO)
    ).update(balance=F("balance") + quantity)
    if not changed:
        current = Stock.objects.filter(pk=stock.pk).values_list("balance", flat=True).first()
        raise InsufficientStock(
            _("Not enough %(material)s in stock: %(balance)s %(unit)s left.")
            % {
                "material": stock.material.display_name,
                "balance": current if current is not None else 0,
                "unit": unit_of(stock.material),
            },
            field="quantity",
        )
    movement = StockMovement.objects.create(
        stock=stock,
        kind=kind,
        quantity=quantity,
        unit_cost=stock.material.unit_cost,
        ticket=ticket,
        reason=reason,
        by=actor,
    )
    audit_record(
        actor=actor,
        action=f"stock.{kind}",
        target=stock,
        changes={"quantity": str(quantity), "ticket": ticket.pk if ticket else None},
    )
    return movement


def unit_of(material) -> str:
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en") and material.unit_en:
        return material.unit_en
    return material.unit


def _stock(stock: Stock) -> Stock:
    return Stock.objects.select_related("material", "storeroom").get(pk=stock.pk)


def _require_storekeeper(actor: User, stock: Stock) -> None:
    if not (has_role(actor, Role.ADMIN) or may_dispatch_campus(actor, stock.storeroom.campus_id)):
        raise NotAllowed(_("Only the campus's dispatchers keep this storeroom."))


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise RepairInvalid(_("Give the reason."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise RepairInvalid(
            _("The reason may be at most %(n)s characters long.") % {"n": REASON_MAX_LENGTH},
            field="reason",
        )
    return reason


@transaction.atomic
def stock_receive(*, actor: User, stock: Stock, quantity, reason: str = "") -> StockMovement:
    """Material arrives in the storeroom (a delivery, a purchase)."""
    stock = _stock(stock)
    _require_storekeeper(actor, stock)
    return _move(
        actor=actor,
        stock=stock,
        kind=StockMovement.Kind.RECEIPT,
        quantity=clean_quantity(quantity),
        reason=_reason(reason, required=False),
    )


@transaction.atomic
def stock_adjust(*, actor: User, stock: Stock, quantity, reason: str) -> StockMovement:
    """Correct the balance by a signed quantity (a count that differs, breakage), with a
    reason that stays in the ledger."""
    stock = _stock(stock)
    _require_storekeeper(actor, stock)
    return _move(
        actor=actor,
        stock=stock,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=clean_quantity(quantity, allow_negative=True),
        reason=_reason(reason, required=True),
    )


def _job(actor: User, ticket: Ticket, stock: Stock) -> Ticket:
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.technician_id != actor.pk:
        raise NotAllowed(_("This job is assigned to another technician."))
    if ticket.status not in (Ticket.Status.ASSIGNED, Ticket.Status.IN_PROGRESS):
        raise WrongStatus(_("Materials are recorded while the job is under way."))
    if stock.storeroom.campus_id != ticket.campus_id:
        raise RepairInvalid(
            _("Draw materials from a storeroom on the job's campus."), field="stock"
        )
    return ticket


@transaction.atomic
def stock_issue(*, actor: User, stock: Stock, ticket: Ticket, quantity) -> StockMovement:
    """The technician draws material for a job (领料). Refused if the storeroom has less."""
    stock = _stock(stock)
    quantity = clean_quantity(quantity)
    ticket = _job(actor, ticket, stock)
    return _move(
        actor=actor, stock=stock, kind=StockMovement.Kind.ISSUE, quantity=-quantity, ticket=ticket
    )


@transaction.atomic
def stock_return(
    *, actor: User, stock: Stock, ticket: Ticket, quantity, recovered: bool = False
) -> StockMovement:
    """Material goes back to the storeroom from a job: unused material (at most what the job
    drew of it), or, with `recovered`, a part taken out on the job that can be reused."""
    stock = _stock(stock)
    quantity = clean_quantity(quantity)
    ticket = _job(actor, ticket, stock)
    if not recovered:
        drawn = -(
            StockMovement.objects.filter(
                ticket=ticket,
                stock=stock,
                kind__in=[StockMovement.Kind.ISSUE, StockMovement.Kind.RETURN],
            ).aggregate(total=Sum("quantity"))["total"]
            or ZERO
        )
        if quantity > drawn:
            raise RepairInvalid(
                _("This job drew only %(n)s of it; return at most that.") % {"n": drawn},
                field="quantity",
            )
    kind = StockMovement.Kind.RECOVERY if recovered else StockMovement.Kind.RETURN
    return _move(actor=actor, stock=stock, kind=kind, quantity=quantity, ticket=ticket)


# --- Reads ---------------------------------------------------------------------------------------

_VALUE = ExpressionWrapper(
    F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=22, decimal_places=4)
)


def job_materials(ticket: Ticket) -> QuerySet[StockMovement]:
    """The job ticket's material lines, oldest first, with material and storeroom."""
    return (
        StockMovement.objects.filter(ticket=ticket)
        .select_related("stock__material", "stock__storeroom", "by")
        .order_by("at", "id")
    )


def job_material_cost(ticket: Ticket) -> Decimal:
    """What the job cost in materials: issued minus returned unused, at the costs of the day.
    Recovered parts are not deducted (they came from the job's old fittings)."""
    total = StockMovement.objects.filter(
        ticket=ticket, kind__in=[StockMovement.Kind.ISSUE, StockMovement.Kind.RETURN]
    ).aggregate(total=Coalesce(Sum(_VALUE), Decimal("0"), output_field=DecimalField()))["total"]
    return -Decimal(total).quantize(Decimal("0.01"))


def material_cost_expression(prefix: str = "movements__"):
    """An aggregate for querysets of tickets (reports): each ticket's material cost."""
    return -Coalesce(
        Sum(
            ExpressionWrapper(
                F(f"{prefix}quantity") * F(f"{prefix}unit_cost"),
                output_field=DecimalField(max_digits=22, decimal_places=4),
            ),
            filter=Q(**{f"{prefix}kind__in": JOB_KINDS}),
        ),
        Decimal("0"),
        output_field=DecimalField(max_digits=22, decimal_places=4),
    )


def ledger_balance(stock: Stock) -> Decimal:
    """The sum of the stock's movements: always equal to `stock.balance`."""
    return StockMovement.objects.filter(stock=stock).aggregate(
        total=Coalesce(Sum("quantity"), Decimal("0"))
    )["total"]

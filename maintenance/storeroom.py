"""What the storeroom pages, the job ticket and the home page read about materials and stock,
always scoped with selectors.storerooms_for (a storeroom outside it answers 404); and the two
catalogue writes that are not movements of the ledger: a material's card, and a material
taken into a storeroom. The ledger itself (receipts, issues, returns, adjustments) is
maintenance.stores.

Who keeps a storeroom (receipts, adjustments, adding materials, the catalogue): the campus's
dispatchers, the heads of departments serving maintenance, administrators. Technicians of the
campus read it and draw from it for their jobs.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from apartments.models import Storeroom
from logistics.access import has_role
from logistics.models import Role, User
from logistics.services import audit_record
from maintenance.models import Material, Stock, StockMovement, Ticket
from maintenance.selectors import may_dispatch, may_dispatch_campus, storerooms_for
from maintenance.services import NotAllowed, RepairError, RepairInvalid

LEDGER_PAGE_SIZE = 50
LOW_PAGE_SIZE = 100
MATERIALS_PAGE_SIZE = 100
MAX_LOW_AT = Decimal("100000")

# A stock is low when its balance is at or below its level. Materials no longer used
# (inactive) raise no warning: a discontinued part at zero is not a shortage.
LOW_Q = Q(balance__lte=F("low_at")) & Q(material__is_active=True)

_STOCK_VALUE = ExpressionWrapper(
    F("balance") * F("material__unit_cost"),
    output_field=DecimalField(max_digits=22, decimal_places=4),
)


class DuplicateStock(RepairError):
    code = "duplicate_stock"


# --- Who may do what ----------------------------------------------------------------------------


def may_keep(user, storeroom: Storeroom) -> bool:
    """Receipts, adjustments and new materials in this storeroom."""
    return has_role(user, Role.ADMIN) or may_dispatch_campus(user, storeroom.campus_id)


def may_edit_materials(user) -> bool:
    """The materials catalogue is shared by every campus: any dispatcher, maintenance head or
    administrator keeps it."""
    return has_role(user, Role.ADMIN) or may_dispatch(user)


# --- Reads --------------------------------------------------------------------------------------


def storerooms_with_counts(user) -> QuerySet[Storeroom]:
    """The storerooms in the user's scope, each with `material_count` and `low_count`, in one
    query."""
    return (
        storerooms_for(user)
        .select_related("campus", "building")
        .annotate(
            material_count=Count("stocks"),
            low_count=Count(
                "stocks",
                filter=Q(stocks__balance__lte=F("stocks__low_at"))
                & Q(stocks__material__is_active=True),
            ),
        )
        .order_by("campus__position", "campus__code", "code")
    )


def storeroom_get(user, pk: int) -> Storeroom:
    return get_object_or_404(storerooms_for(user).select_related("campus", "building"), pk=pk)


def stock_lines(storeroom: Storeroom) -> QuerySet[Stock]:
    """The storeroom's stock, each with its material and `value` (balance × today's cost)."""
    return (
        Stock.objects.filter(storeroom=storeroom)
        .select_related("material")
        .annotate(value=_STOCK_VALUE)
        .order_by("material__code")
    )


def stock_get(user, pk: int) -> Stock:
    """One stock of a storeroom in the user's scope, or 404."""
    return get_object_or_404(
        Stock.objects.filter(storeroom__in=storerooms_for(user)).select_related(
            "material", "storeroom__campus"
        ),
        pk=pk,
    )


def ledger(stock: Stock) -> QuerySet[StockMovement]:
    """The stock's movements, newest first, with the job and the person."""
    return (
        StockMovement.objects.filter(stock=stock)
        .select_related("ticket", "by")
        .order_by("-at", "-id")
    )


def low_stocks(user) -> QuerySet[Stock]:
    """Every stock in the user's scope at or below its low-stock level."""
    return (
        Stock.objects.filter(LOW_Q, storeroom__in=storerooms_for(user))
        .select_related("material", "storeroom__campus")
        .annotate(value=_STOCK_VALUE)
        .order_by("storeroom__campus__position", "storeroom__code", "material__code")
    )


def low_stock_panel_context(user) -> dict | None:
    """The home page's low-stock warning: how many stocks are low in how many storerooms, or
    None when nothing is low or the user keeps no storeroom. Two queries once the user's
    role grants are read (the technician's roster campus in storerooms_for, the count);
    administrators one; a department head one more (whether their department serves
    maintenance, selectors.maintenance_head_campuses)."""
    if not user.is_authenticated:
        return None
    counts = Stock.objects.filter(LOW_Q, storeroom__in=storerooms_for(user)).aggregate(
        count=Count("pk"), storerooms=Count("storeroom", distinct=True)
    )
    if not counts["count"]:
        return None
    return counts


def job_stock_choices(user, ticket: Ticket) -> list[Stock]:
    """The stock a technician may draw from or return to for `ticket`: the storerooms in
    their scope on the job's campus, with material and storeroom."""
    return list(
        Stock.objects.filter(
            storeroom__in=storerooms_for(user), storeroom__campus_id=ticket.campus_id
        )
        .select_related("material", "storeroom")
        .order_by("material__code", "storeroom__code")
    )


def materials(search: str = "") -> QuerySet[Material]:
    """The catalogue, by code; `search` matches the code or either name."""
    rows = Material.objects.order_by("code")
    search = (search or "").strip()[:100]
    if search:
        rows = rows.filter(
            Q(code__icontains=search) | Q(name__icontains=search) | Q(name_en__icontains=search)
        )
    return rows


# --- Catalogue writes (not movements: the ledger is maintenance.stores) ------------------------

MATERIAL_FIELDS = ("code", "name", "name_en", "unit", "unit_en", "unit_cost", "is_active")


@transaction.atomic
def material_save(*, actor: User, material: Material, before: dict | None = None) -> Material:
    """Create or update a material's card from a validated form. A new unit cost applies to
    movements from now on: each movement keeps the cost of its day."""
    if not may_edit_materials(actor):
        raise NotAllowed(_("Only dispatchers keep the materials catalogue."))
    created = material.pk is None
    material.full_clean()
    material.save()
    after = {name: str(getattr(material, name)) for name in MATERIAL_FIELDS}
    changes = (
        after
        if created
        else {k: [before.get(k), v] for k, v in after.items() if (before or {}).get(k) != v}
    )
    audit_record(
        actor=actor,
        action="material.create" if created else "material.update",
        target=material,
        changes=changes,
    )
    return material


def material_snapshot(material: Material) -> dict:
    """The card's values before an edit, for the audit record of what changed."""
    return {name: str(getattr(material, name)) for name in MATERIAL_FIELDS}


@transaction.atomic
def stock_create(*, actor: User, storeroom: Storeroom, material: Material, low_at) -> Stock:
    """Take a material into a storeroom, with nothing on hand (a receipt brings it in)."""
    if not may_keep(actor, storeroom):
        raise NotAllowed(_("Only the campus's dispatchers keep this storeroom."))
    if not material.is_active:
        raise RepairInvalid(_("This material is no longer used."), field="material")
    low_at = Decimal(low_at if low_at is not None else 0)
    if low_at < 0 or low_at > MAX_LOW_AT:
        raise RepairInvalid(
            _("The low-stock level must be between 0 and %(n)s.") % {"n": MAX_LOW_AT},
            field="low_at",
        )
    duplicate = DuplicateStock(
        _("This storeroom already keeps %(material)s.") % {"material": material.display_name},
        field="material",
    )
    if Stock.objects.filter(storeroom=storeroom, material=material).exists():
        raise duplicate
    try:
        # Two keepers adding the same material at once: the unique constraint decides.
        with transaction.atomic():
            stock = Stock.objects.create(storeroom=storeroom, material=material, low_at=low_at)
    except IntegrityError:
        raise duplicate from None
    audit_record(
        actor=actor,
        action="stock.create",
        target=stock,
        changes={"material": material.code, "low_at": str(low_at)},
    )
    return stock


# --- Double submissions -------------------------------------------------------------------------

# Each form of the job ticket and the ledger carries a fresh token; a movement is recorded once
# per token, so a double tap on a slow phone network draws the material once. cache.add is
# atomic in Redis (production) and in the local-memory cache.
SUBMISSION_TTL = 6 * 60 * 60
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _submission_key(user, token: str) -> str:
    return f"maintenance:submission:{user.pk}:{token}"


def submission_claim(user, token: str) -> bool:
    """False if this form was already submitted; True (and remembered) the first time, and for
    a request without a well-formed token (the API, an old page)."""
    if not token or not _TOKEN.match(token):
        return True
    return cache.add(_submission_key(user, token), 1, timeout=SUBMISSION_TTL)


def submission_release(user, token: str) -> None:
    """The submission failed: the same form may be sent again once corrected."""
    if token and _TOKEN.match(token):
        cache.delete(_submission_key(user, token))

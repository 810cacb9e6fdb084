"""Asset stocktakes (固定资产盘点): count a building's or a storeroom's assets, compare the count
with the books (帐物相符), and record the differences and who answers for each.

Services (writes) and selectors (reads) of stocktakes live together here. Every service is
keyword-only, typed and runs in one transaction; a refusal raises StocktakeError with a message
for the person counting (already translated) and leaves nothing half-done.

A stocktake starts with one line per asset on the books of its place (every asset in the
building's rooms, or in the storeroom; retired ones excluded). Counting a tag marks its line
found; a tag the place's books lack becomes a line without an asset (surplus). Completion
closes the stocktake for good: a completed stocktake is a record, every later change is refused.

Locking: a count, a responsible person and a completion each lock the stocktake row first, so
a completion never interleaves with a count (the count waits, then sees the stocktake closed).
Starting locks the place (building or storeroom) so that two people starting at the same moment
cannot open two stocktakes of one place.

The books' condition of each asset at completion is kept in the completion's audit record
(`condition_changed`): completing with "apply to the books" copies the counted conditions onto
the assets, after which the assets no longer show what the books said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    Building,
    BuildingAssignment,
    Stocktake,
    StocktakeLine,
    Storeroom,
)
from apartments.selectors import apartment_head_campuses, desk_buildings_for
from logistics.access import ALL, has_role, roles_of
from logistics.models import AuditEvent, Role, User
from logistics.services import audit_record

# Roles that may open the stocktake pages at all; which places is stocktake_places()'s business.
STOCKTAKE_ROLES = (Role.ADMIN, Role.DEPARTMENT_HEAD, Role.DORM_MANAGER, Role.SHIFT_LEAD)

# The conditions a counter can find an asset in (missing and retired are not found).
COUNTED_CONDITIONS = (AssetCondition.GOOD, AssetCondition.WORN, AssetCondition.DAMAGED)

COMPLETE_ACTION = "apartments.stocktake_complete"
BULK_BATCH = 1000


class StocktakeError(Exception):
    """A stocktake action that cannot be done, with a message for the person counting."""

    status_code = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Who may count where ----------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """The buildings and storerooms a user may stocktake, as querysets (usable as subqueries)."""

    buildings: QuerySet[Building]
    storerooms: QuerySet[Storeroom]

    def stocktake_q(self) -> Q:
        return Q(building__in=self.buildings.values("pk")) | Q(
            storeroom__in=self.storerooms.values("pk")
        )


def stocktake_places(user) -> Places:
    """Administrators count everywhere; heads of a department serving the apartments every
    building and storeroom of their campus; dorm managers and shift leads the buildings
    assigned to them; dorm managers also the storerooms of those buildings. Auditors see
    buildings but do not count them."""
    nothing = Places(Building.objects.none(), Storeroom.objects.none())
    if not user.is_authenticated:
        return nothing
    if Role.ADMIN in roles_of(user):
        return Places(Building.objects.all(), Storeroom.objects.all())
    heads = apartment_head_campuses(user) if Role.DEPARTMENT_HEAD in roles_of(user) else set()
    if heads is ALL:
        return Places(Building.objects.all(), Storeroom.objects.all())
    building_q = Q(campus_id__in=heads)
    storeroom_q = Q(campus_id__in=heads)
    if has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD):
        building_q |= Q(pk__in=desk_buildings_for(user).values("pk"))
    if Role.DORM_MANAGER in roles_of(user):
        managed = BuildingAssignment.objects.filter(user_id=user.pk, role=Role.DORM_MANAGER)
        storeroom_q |= Q(building_id__in=managed.values("building_id"))
    return Places(Building.objects.filter(building_q), Storeroom.objects.filter(storeroom_q))


def may_stocktake(user) -> bool:
    """Whether to offer the stocktakes at all (the menu of every page asks): from the roles
    alone, plus one query for department heads, as for imports. The pages themselves answer
    404 to a user with no place to count."""
    roles = roles_of(user)
    if roles & {Role.ADMIN, Role.DORM_MANAGER, Role.SHIFT_LEAD}:
        return True
    if Role.DEPARTMENT_HEAD in roles:
        campuses = apartment_head_campuses(user)
        return campuses is ALL or bool(campuses)
    return False


def place_label(stocktake: Stocktake) -> str:
    if stocktake.building_id:
        return f"{stocktake.building.code} {stocktake.building}"
    return str(stocktake.storeroom)


def location_label(asset: Asset) -> str:
    """Where the books put an asset: building and room, or storeroom."""
    if asset.room_id:
        return f"{asset.room.building.code}-{asset.room.number}"
    return str(asset.storeroom)


# --- Services ---------------------------------------------------------------------------------


def _stocktake_lock(stocktake: Stocktake) -> Stocktake:
    """The stocktake row, locked, refused if completed (a completed stocktake is a record)."""
    locked = (
        Stocktake.objects.select_related("building", "storeroom")
        .select_for_update(of=("self",))
        .get(pk=stocktake.pk)
    )
    if locked.status == Stocktake.Status.COMPLETED:
        raise StocktakeError(_("This stocktake is completed; it can no longer be changed."))
    return locked


def _books(*, building=None, storeroom=None) -> QuerySet[Asset]:
    """The assets on the books of a place: in the building's rooms or in the storeroom,
    retired ones excluded."""
    assets = Asset.objects.exclude(condition=AssetCondition.RETIRED)
    if building is not None:
        return assets.filter(room__building=building)
    return assets.filter(storeroom=storeroom)


@transaction.atomic
def stocktake_start(
    *, actor: User, building: Building | None = None, storeroom: Storeroom | None = None
) -> Stocktake:
    """Open a stocktake of a building or a storeroom, with one line per asset on its books."""
    if (building is None) == (storeroom is None):
        raise StocktakeError(_("Choose either a building or a storeroom to count."))
    # Lock the place: two people starting at once wait for each other, the second is refused.
    if building is not None:
        place = Building.objects.select_for_update().get(pk=building.pk)
        open_ones = Stocktake.objects.filter(building=place)
    else:
        place = Storeroom.objects.select_for_update().get(pk=storeroom.pk)
        open_ones = Stocktake.objects.filter(storeroom=place)
    running = open_ones.filter(status=Stocktake.Status.OPEN).first()
    if running is not None:
        raise StocktakeError(
            _(
                "A stocktake of %(place)s is already under way (started %(date)s). "
                "Finish it before starting another."
            )
            % {
                "place": place,
                "date": timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    stocktake = Stocktake.objects.create(building=building, storeroom=storeroom, started_by=actor)
    books = _books(building=building, storeroom=storeroom).order_by().values_list("pk", "tag")
    lines = StocktakeLine.objects.bulk_create(
        (StocktakeLine(stocktake=stocktake, asset_id=pk, tag=tag) for pk, tag in books.iterator()),
        batch_size=BULK_BATCH,
    )
    audit_record(
        actor=actor,
        action="apartments.stocktake_start",
        target=stocktake,
        changes={"assets": len(lines)},
    )
    return stocktake


@dataclass(frozen=True)
class CountResult:
    line: StocktakeLine
    outcome: str  # "found", "recounted", "surplus" (not on these books), "elsewhere"
    message: str


@transaction.atomic
def stocktake_count(
    *,
    actor: User,
    stocktake: Stocktake,
    tag: str,
    condition: str = AssetCondition.GOOD,
    note: str = "",
) -> CountResult:
    """Record that the asset with `tag` was found here, in `condition`. Counting a tag again
    updates its line; a tag this place's books lack becomes a surplus line."""
    tag = tag.strip()
    note = note.strip()
    if not tag:
        raise StocktakeError(_("Enter or scan a tag number."))
    if condition not in COUNTED_CONDITIONS:
        raise StocktakeError(_("Choose the condition the asset was found in."))
    locked = _stocktake_lock(stocktake)
    now = timezone.now()
    line = StocktakeLine.objects.select_related("asset").filter(stocktake=locked, tag=tag).first()
    if line is not None:
        outcome = "recounted" if line.found else ("found" if line.asset_id else "surplus")
        line.found = True
        line.condition = condition
        if note:
            line.note = note[:200]
        line.counted_by = actor
        line.counted_at = now
        line.save(update_fields=["found", "condition", "note", "counted_by", "counted_at"])
        if outcome == "recounted":
            message = _("%(tag)s counted again: the count is updated.") % {"tag": tag}
        elif outcome == "found":
            message = _("%(tag)s found.") % {"tag": tag}
        else:
            message = _("%(tag)s is not on the books here.") % {"tag": tag}
    else:
        asset = (
            Asset.objects.select_related("room__building", "storeroom", "asset_type")
            .filter(tag=tag)
            .first()
        )
        books = _books(building=locked.building, storeroom=locked.storeroom)
        on_these_books = asset is not None and books.filter(pk=asset.pk).exists()
        if on_these_books:
            # Put on the books here after the stocktake started (imported, moved in).
            outcome = "found"
            message = _("%(tag)s found.") % {"tag": tag}
            line_asset, line_note = asset, note
        elif asset is not None:
            outcome = "elsewhere"
            where = location_label(asset)
            message = _("%(tag)s is not on the books here: the books have it in %(where)s.") % {
                "tag": tag,
                "where": where,
            }
            elsewhere = _("On the books in %(where)s.") % {"where": where}
            line_asset, line_note = None, f"{elsewhere} {note}".strip()
        else:
            outcome = "surplus"
            message = _("%(tag)s is not on any books: recorded as found, not on the books.") % {
                "tag": tag
            }
            line_asset, line_note = None, note
        line = StocktakeLine.objects.create(
            stocktake=locked,
            asset=line_asset,
            tag=tag,
            found=True,
            condition=condition,
            note=line_note[:200],
            counted_by=actor,
            counted_at=now,
        )
    audit_record(
        actor=actor,
        action="apartments.stocktake_count",
        target=locked,
        changes={"tag": tag, "condition": condition, "outcome": outcome},
    )
    return CountResult(line=line, outcome=outcome, message=message)


@transaction.atomic
def stocktake_line_set_responsible(
    *, actor: User, line: StocktakeLine, responsible: str, note: str
) -> StocktakeLine:
    """Record who answers for a line's difference, and why."""
    _stocktake_lock(line.stocktake)
    line = StocktakeLine.objects.get(pk=line.pk)
    line.responsible = responsible.strip()[:100]
    line.note = note.strip()[:200]
    line.save(update_fields=["responsible", "note"])
    audit_record(
        actor=actor,
        action="apartments.stocktake_responsible",
        target=line.stocktake,
        changes={"tag": line.tag, "responsible": line.responsible, "note": line.note},
    )
    return line


@transaction.atomic
def stocktake_complete(*, actor: User, stocktake: Stocktake, apply_to_books: bool) -> Stocktake:
    """Close the stocktake. With `apply_to_books`, the books follow the count: assets not found
    become missing, found ones take the condition they were found in."""
    locked = _stocktake_lock(stocktake)
    lines = StocktakeLine.objects.filter(stocktake=locked)
    changed = dict(
        lines.filter(found=True, asset__isnull=False)
        .exclude(condition=F("asset__condition"))
        .values_list("tag", "asset__condition")
    )
    counted = dict(lines.filter(tag__in=list(changed)).values_list("tag", "condition"))
    figures = lines.aggregate(
        found_count=Count("pk", filter=Q(found=True, asset__isnull=False)),
        missing_count=Count("pk", filter=Q(found=False, asset__isnull=False)),
        surplus_count=Count("pk", filter=Q(asset__isnull=True)),
    )
    now = timezone.now()
    if apply_to_books:
        not_found = lines.filter(found=False, asset__isnull=False).values("asset_id")
        Asset.objects.filter(pk__in=not_found).update(
            condition=AssetCondition.MISSING, updated_at=now
        )
        for condition in COUNTED_CONDITIONS:
            found = lines.filter(found=True, condition=condition, asset__isnull=False)
            Asset.objects.filter(pk__in=found.values("asset_id")).exclude(
                condition=condition
            ).update(condition=condition, updated_at=now)
    locked.status = Stocktake.Status.COMPLETED
    locked.completed_by = actor
    locked.completed_at = now
    locked.save(update_fields=["status", "completed_by", "completed_at"])
    audit_record(
        actor=actor,
        action=COMPLETE_ACTION,
        target=locked,
        changes={
            "applied_to_books": apply_to_books,
            **{name.removesuffix("_count"): n for name, n in figures.items()},
            # The books' condition before, and the counted one: the record of what differed.
            "condition_changed": {tag: [book, counted[tag]] for tag, book in changed.items()},
        },
    )
    return locked


# --- Selectors --------------------------------------------------------------------------------


def _count_of(path_filter: Q):
    return Coalesce(
        Subquery(
            StocktakeLine.objects.filter(path_filter, stocktake=OuterRef("pk"))
            .order_by()
            .values("stocktake")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


def stocktake_list(user) -> QuerySet[Stocktake]:
    """The user's stocktakes, open first, with their place and progress: one query."""
    return (
        Stocktake.objects.filter(stocktake_places(user).stocktake_q())
        .select_related("building__campus", "storeroom__campus", "started_by", "completed_by")
        .annotate(
            books=_count_of(Q(asset__isnull=False)),
            counted=_count_of(Q(asset__isnull=False, found=True)),
            surplus=_count_of(Q(asset__isnull=True)),
        )
        .order_by("-status", "-started_at", "-pk")  # "open" sorts after "completed"
    )


def stocktake_get(user, pk: int) -> Stocktake:
    """One of the user's stocktakes, or 404 (also one that exists but is not theirs)."""
    return get_object_or_404(
        Stocktake.objects.filter(stocktake_places(user).stocktake_q()).select_related(
            "building__campus", "storeroom__campus", "started_by", "completed_by"
        ),
        pk=pk,
    )


def stocktake_line_get(stocktake: Stocktake, line_id: int) -> StocktakeLine:
    return get_object_or_404(StocktakeLine.objects.filter(stocktake=stocktake), pk=line_id)


@dataclass(frozen=True)
class Progress:
    books: int  # lines of assets on the books
    counted: int  # of those, found
    surplus: int  # found, not on the books

    @property
    def to_find(self) -> int:
        return self.books - self.counted

    @property
    def percent(self) -> int:
        return round(100 * self.counted / self.books) if self.books else 100


def stocktake_progress(stocktake: Stocktake) -> Progress:
    """Lines counted against the lines on the books: one query."""
    figures = StocktakeLine.objects.filter(stocktake=stocktake).aggregate(
        books=Count("pk", filter=Q(asset__isnull=False)),
        counted=Count("pk", filter=Q(asset__isnull=False, found=True)),
        surplus=Count("pk", filter=Q(asset__isnull=True)),
    )
    return Progress(**figures)


def stocktake_recent(stocktake: Stocktake, *, limit: int = 5) -> list[StocktakeLine]:
    """The last lines counted, latest first: one query."""
    return list(
        StocktakeLine.objects.filter(stocktake=stocktake, found=True)
        .select_related("asset__asset_type")
        .order_by("-counted_at", "-pk")[:limit]
    )


def stocktake_to_find(stocktake: Stocktake) -> list[tuple[str, list[StocktakeLine]]]:
    """The assets on the books not yet found, grouped by room (or storeroom): one query."""
    lines = (
        StocktakeLine.objects.filter(stocktake=stocktake, found=False, asset__isnull=False)
        .select_related("asset__asset_type", "asset__room__building", "asset__storeroom")
        .order_by("asset__room__floor", "asset__room__number", "tag")
    )
    return [(where, list(group)) for where, group in groupby(lines, key=_line_location)]


def _line_location(line: StocktakeLine) -> str:
    return location_label(line.asset) if line.asset_id else ""


def stocktake_lines(stocktake: Stocktake) -> QuerySet[StocktakeLine]:
    """Every line with its asset, type and place, for the export."""
    return (
        StocktakeLine.objects.filter(stocktake=stocktake)
        .select_related(
            "asset__asset_type", "asset__room__building", "asset__storeroom", "counted_by"
        )
        .order_by("asset__room__floor", "asset__room__number", "tag")
    )


@dataclass
class TypeCounts:
    asset_type: AssetType | None  # None: surplus tags that are on no books
    missing: int = 0
    surplus: int = 0
    changed: int = 0


@dataclass
class Differences:
    """帐物不符: on the books but not found; found but not on the books; found in another
    condition than the books say. Each line carries `book_condition` and `elsewhere` (the
    asset a surplus tag is on the books as, in another place, or None)."""

    missing: list[StocktakeLine] = field(default_factory=list)
    surplus: list[StocktakeLine] = field(default_factory=list)
    changed: list[StocktakeLine] = field(default_factory=list)
    by_type: list[TypeCounts] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.surplus) + len(self.changed)

    def lines(self) -> list[tuple[str, StocktakeLine]]:
        return (
            [("missing", line) for line in self.missing]
            + [("surplus", line) for line in self.surplus]
            + [("changed", line) for line in self.changed]
        )


def _recorded_changes(stocktake: Stocktake) -> dict[str, list[str]]:
    """The books' and the counted condition of the lines that differed at completion."""
    event = (
        AuditEvent.objects.filter(
            action=COMPLETE_ACTION,
            target_type__app_label="apartments",
            target_type__model="stocktake",
            target_id=str(stocktake.pk),
        )
        .order_by("-at")
        .first()
    )
    return (event.changes or {}).get("condition_changed", {}) if event else {}


def stocktake_differences(stocktake: Stocktake) -> Differences:
    """The differences with counts per asset type. Three queries, however many assets: the
    lines that differ, the assets surplus tags are on the books as elsewhere, and (for a
    completed stocktake) the books' conditions recorded at completion."""
    completed = stocktake.status == Stocktake.Status.COMPLETED
    recorded = _recorded_changes(stocktake) if completed else {}
    differs = Q(asset__isnull=True) | Q(asset__isnull=False, found=False)
    if completed:
        differs |= Q(tag__in=list(recorded))
    else:
        differs |= Q(asset__isnull=False, found=True) & ~Q(condition=F("asset__condition"))
    lines = list(
        StocktakeLine.objects.filter(differs, stocktake=stocktake)
        .select_related("asset__asset_type", "asset__room__building", "asset__storeroom")
        .order_by("asset__room__floor", "asset__room__number", "tag")
    )
    surplus_tags = [line.tag for line in lines if line.asset_id is None]
    elsewhere = {}
    if surplus_tags:
        elsewhere = {
            asset.tag: asset
            for asset in Asset.objects.filter(tag__in=surplus_tags).select_related(
                "asset_type", "room__building", "storeroom"
            )
        }
    result = Differences()
    types: dict[int | None, TypeCounts] = {}

    def counts_for(asset_type):
        key = asset_type.pk if asset_type else None
        if key not in types:
            types[key] = TypeCounts(asset_type=asset_type)
        return types[key]

    for line in lines:
        line.elsewhere = None
        line.book_condition = ""
        if line.asset_id is None:
            line.elsewhere = elsewhere.get(line.tag)
            result.surplus.append(line)
            counts_for(line.elsewhere.asset_type if line.elsewhere else None).surplus += 1
        elif not line.found:
            # Once applied to the books, the asset says "missing": show nothing then.
            line.book_condition = "" if completed else line.asset.condition
            result.missing.append(line)
            counts_for(line.asset.asset_type).missing += 1
        else:
            line.book_condition = recorded[line.tag][0] if completed else line.asset.condition
            result.changed.append(line)
            counts_for(line.asset.asset_type).changed += 1
    for line in lines:
        line.book_condition_label = (
            AssetCondition(line.book_condition).label if line.book_condition else ""
        )
    result.by_type = sorted(
        types.values(),
        key=lambda t: (t.asset_type is None, t.asset_type.code if t.asset_type else ""),
    )
    return result

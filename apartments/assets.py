"""Room and storeroom assets (固定资产): the damage price list, each room's and storeroom's
fittings with their tags and condition, and who may see them.

Reads (selectors) and writes (services) of the asset feature live here; the import of
assets from a spreadsheet is the "assets" kind of apartments/imports/. Move-out
inspections and stocktakes read `room_assets()` and change a fitting's condition through
`asset_condition_set()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    Building,
    BuildingAssignment,
    Room,
    Storeroom,
)
from apartments.selectors import apartment_head_campuses, buildings_for
from logistics.access import ALL, has_role, roles_of
from logistics.models import Role
from logistics.services import audit_record

# Conditions that make a room stand out on the building's summary: something to charge or
# to replace.
NEEDS_ATTENTION = (AssetCondition.DAMAGED, AssetCondition.MISSING)

# Roles that may open the storeroom pages at all; which storerooms is storerooms_for()'s job.
STOREROOM_VIEWERS = (Role.ADMIN, Role.DEPARTMENT_HEAD, Role.DORM_MANAGER)


# --- Services --------------------------------------------------------------------------------


@transaction.atomic
def asset_condition_set(*, actor, asset: Asset, condition: str, note: str = "") -> Asset:
    """Record `asset`'s condition as found (by an inspection, a stocktake or a manager), with
    an optional note; audited. Setting the same condition and note again changes nothing."""
    if condition not in AssetCondition.values:
        raise ValueError(f"unknown asset condition: {condition!r}")
    note = note.strip()
    max_note = Asset._meta.get_field("note").max_length
    if len(note) > max_note:
        raise ValueError(f"note longer than {max_note} characters")
    # Locked: an inspection and a stocktake counting the same room must not interleave.
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    before = {"condition": locked.condition, "note": locked.note}
    if locked.condition == condition and (not note or locked.note == note):
        asset.condition, asset.note = locked.condition, locked.note
        return asset
    locked.condition = condition
    if note:
        locked.note = note
    locked.save(update_fields=["condition", "note", "updated_at"])
    audit_record(
        actor=actor,
        action="apartments.asset_condition_set",
        target=locked,
        changes={
            "condition": [before["condition"], locked.condition],
            **({"note": [before["note"], locked.note]} if note else {}),
        },
    )
    asset.condition, asset.note, asset.updated_at = locked.condition, locked.note, locked.updated_at
    return asset


# --- Selectors: who sees what ----------------------------------------------------------------


def storerooms_for(user) -> QuerySet[Storeroom]:
    """Administrators see every storeroom; heads of the apartments those of their campuses;
    dorm managers the storerooms in the buildings assigned to them."""
    if not user.is_authenticated:
        return Storeroom.objects.none()
    if Role.ADMIN in roles_of(user):
        return Storeroom.objects.all()
    allowed = Q(pk__in=[])
    if has_role(user, Role.DEPARTMENT_HEAD):
        campuses = apartment_head_campuses(user)
        if campuses is ALL:
            return Storeroom.objects.all()
        if campuses:
            allowed |= Q(campus_id__in=campuses)
    if has_role(user, Role.DORM_MANAGER):
        allowed |= Q(
            building_id__in=BuildingAssignment.objects.filter(
                user_id=user.pk, role=Role.DORM_MANAGER
            ).values("building_id")
        )
    return Storeroom.objects.filter(allowed)


def assets_visible_to(user) -> QuerySet[Asset]:
    """The assets `user` may see: those in the rooms of their buildings (buildings_for) and
    those in their storerooms (storerooms_for)."""
    if not user.is_authenticated:
        return Asset.objects.none()
    return Asset.objects.filter(
        Q(room__building__in=buildings_for(user)) | Q(storeroom__in=storerooms_for(user))
    )


def room_get(user, room_id: int) -> Room:
    """A room of one of the user's buildings with its building and campus, or 404 (also for
    a room that exists in someone else's building)."""
    return get_object_or_404(
        Room.objects.select_related("building__campus").filter(building__in=buildings_for(user)),
        pk=room_id,
    )


def storeroom_get(user, pk: int) -> Storeroom:
    """One of the user's storerooms with its campus and building, or 404."""
    return get_object_or_404(
        storerooms_for(user).select_related("campus", "building"),
        pk=pk,
    )


# --- Selectors: the pages' reads -------------------------------------------------------------


def asset_types() -> QuerySet[AssetType]:
    """The damage price list, by code."""
    return AssetType.objects.order_by("code")


def room_assets(room: Room) -> QuerySet[Asset]:
    """The room's assets with their type (and prices), by type and tag: one query."""
    return room.assets.select_related("asset_type").order_by("asset_type__code", "tag")


def storeroom_assets(storeroom: Storeroom) -> QuerySet[Asset]:
    return storeroom.assets.select_related("asset_type").order_by("asset_type__code", "tag")


def storeroom_list(user) -> QuerySet[Storeroom]:
    """The user's storerooms with campus, building and their number of assets: one query."""
    return (
        storerooms_for(user)
        .select_related("campus", "building")
        .annotate(asset_count=Count("assets"))
        .order_by("campus__position", "campus__code", "code")
    )


def _condition_counts() -> dict[str, int]:
    return dict.fromkeys(AssetCondition.values, 0)


class _CountsByCondition:
    """A row of a summary: how many assets there are in each condition."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[int]:
        return [self.counts[c] for c in AssetCondition.values]


@dataclass
class TypeRow(_CountsByCondition):
    asset_type: AssetType
    counts: dict[str, int] = field(default_factory=_condition_counts)


@dataclass
class FloorRow(_CountsByCondition):
    floor: int
    counts: dict[str, int] = field(default_factory=_condition_counts)


@dataclass
class FlaggedRoom:
    room_id: int
    floor: int
    number: str
    damaged: int = 0
    missing: int = 0
    # What repairing the damaged and replacing the missing would cost, from the price list.
    estimate: Decimal = Decimal("0")


@dataclass
class BuildingAssetSummary:
    types: list[TypeRow]
    floors: list[FloorRow]
    flagged_rooms: list[FlaggedRoom]
    totals: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def total_cells(self) -> list[int]:
        return [self.totals[c] for c in AssetCondition.values]


def building_asset_summary(building: Building) -> BuildingAssetSummary:
    """A building's assets counted per type and condition, per floor and condition, and the
    rooms with damaged or missing assets (with the price-list estimate): two queries, one
    grouped count over the building's assets and the (short) price list."""
    grouped = (
        Asset.objects.filter(room__building=building)
        .order_by()
        .values("room_id", "room__floor", "room__number", "asset_type_id", "condition")
        .annotate(n=Count("pk"))
    )
    types = {t.pk: t for t in AssetType.objects.all()}
    by_type: dict[int, TypeRow] = {}
    by_floor: dict[int, FloorRow] = {}
    flagged: dict[int, FlaggedRoom] = {}
    totals = _condition_counts()
    for row in grouped:
        condition, n = row["condition"], row["n"]
        asset_type = types[row["asset_type_id"]]
        type_row = by_type.setdefault(asset_type.pk, TypeRow(asset_type))
        type_row.counts[condition] += n
        floor_row = by_floor.setdefault(row["room__floor"], FloorRow(row["room__floor"]))
        floor_row.counts[condition] += n
        totals[condition] += n
        if condition in NEEDS_ATTENTION:
            room = flagged.setdefault(
                row["room_id"],
                FlaggedRoom(row["room_id"], row["room__floor"], row["room__number"]),
            )
            if condition == AssetCondition.DAMAGED:
                room.damaged += n
                room.estimate += asset_type.repair_cost * n
            else:
                room.missing += n
                room.estimate += asset_type.replacement_cost * n
    return BuildingAssetSummary(
        types=sorted(by_type.values(), key=lambda r: r.asset_type.code),
        floors=sorted(by_floor.values(), key=lambda r: r.floor),
        flagged_rooms=sorted(flagged.values(), key=lambda r: (r.floor, r.number)),
        totals=totals,
    )


def building_assets_export_rows(building: Building) -> list[list[str]]:
    """A building's assets for the Excel export: a header row, then one row per asset, every
    cell text (one query)."""
    header = [
        _("Tag number"),
        _("Floor"),
        _("Room"),
        _("Asset type code"),
        _("Asset type"),
        _("Condition"),
        _("Acquired on"),
        _("Repair cost"),
        _("Replacement cost"),
        _("Note"),
    ]
    labels = dict(AssetCondition.choices)
    rows = [header]
    assets = (
        Asset.objects.filter(room__building=building)
        .select_related("room", "asset_type")
        .order_by("room__floor", "room__number", "asset_type__code", "tag")
    )
    for asset in assets:
        rows.append(
            [
                asset.tag,
                str(asset.room.floor),
                asset.room.number,
                asset.asset_type.code,
                asset.asset_type.display_name,
                str(labels[asset.condition]),
                asset.acquired_on.isoformat() if asset.acquired_on else "",
                str(asset.asset_type.repair_cost),
                str(asset.asset_type.replacement_cost),
                asset.note,
            ]
        )
    return rows

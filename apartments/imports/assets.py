"""The asset import (`import_assets`): room and storeroom assets by tag."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.imports.bulk import (
    _bulk_update,
    _field_max,
    _insert,
    _matching,
)
from apartments.imports.engine import _Importer, _Row
from apartments.imports.report import ImportKind
from apartments.imports.values import (
    Column,
    _Campuses,
    _shown,
    _to_int,
    _value_key,
)
from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    Building,
    Room,
    Storeroom,
)
from logistics.models import Campus

ASSET_COLUMNS = (
    Column("campus", "campus", "校区"),
    Column("building", "building", "楼栋", required=False, other_names=("楼号", "公寓")),
    Column("room", "room", "房间", required=False, other_names=("房间号", "房号")),
    Column("storeroom", "storeroom", "库房", required=False, other_names=("仓库", "store")),
    Column("type", "type", "资产类型", other_names=("asset_type", "资产类别", "类型")),
    Column("tag", "tag", "资产编号", other_names=("tag_number", "asset_tag", "编号", "资产标签")),
    Column("condition", "condition", "状况", required=False, other_names=("状态",)),
    Column(
        "acquired_on",
        "acquired_on",
        "购置日期",
        required=False,
        other_names=("acquired", "purchase_date", "购买日期"),
    ),
)

_CONDITION_ZH = ("完好", "老化", "损坏", "丢失", "报废")
_CONDITIONS = {
    **{c.value: c.value for c in AssetCondition},
    **dict(zip(_CONDITION_ZH, AssetCondition.values, strict=True)),
    "ok": AssetCondition.GOOD,
    "良好": AssetCondition.GOOD,
    "正常": AssetCondition.GOOD,
    "破损": AssetCondition.DAMAGED,
    "缺失": AssetCondition.MISSING,
    "lost": AssetCondition.MISSING,
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?\Z")
# Excel stores a date as days since 1899-12-30; a cell not formatted as a date shows the number.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_SERIALS = (18264, 73051)  # 1950-01-01 … 2099-12-31


def _parse_date(value: str) -> date | None:
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    serial = _to_int(text)
    if serial is not None and _EXCEL_SERIALS[0] <= serial <= _EXCEL_SERIALS[1]:
        return _EXCEL_EPOCH + timedelta(days=serial)
    return None


@dataclass
class _AssetLine:
    row: _Row
    tag: str
    type_id: int
    room_id: int | None
    storeroom_id: int | None
    condition: str | None  # None: not given (new assets are good, existing keep theirs)
    acquired_on: date | None  # None: not given (existing keep theirs)


@dataclass
class _AssetPlan:
    new_assets: list[dict[str, Any]] = field(default_factory=list)
    changed_assets: list[tuple[Asset, set[str]]] = field(default_factory=list)


class AssetImporter(_Importer):
    """Assets by tag: a new tag is created, a known one updated (its type, place, condition
    and purchase date as the file gives them). Asset types and storerooms are the admin's:
    the file must name ones that exist."""

    kind = ImportKind.ASSETS
    columns = ASSET_COLUMNS
    action = "apartments.import_assets"

    def check(self, rows: list[_Row]) -> _AssetPlan:
        lines = self._parse(rows)
        plan = _AssetPlan()
        existing = {
            tag: (pk, values)
            for tag, pk, *values in _matching(
                Asset.objects.values_list(
                    "tag",
                    "id",
                    "asset_type_id",
                    "room_id",
                    "storeroom_id",
                    "condition",
                    "acquired_on",
                ),
                "tag",
                [line.tag for line in lines],
            )
        }
        moved = 0
        for line in lines:
            found = existing.get(line.tag)
            if found is None:
                new = {
                    "tag": line.tag,
                    "asset_type_id": line.type_id,
                    "room_id": line.room_id,
                    "storeroom_id": line.storeroom_id,
                    "condition": line.condition or AssetCondition.GOOD,
                    "acquired_on": line.acquired_on,
                }
                plan.new_assets.append(new)
                continue
            pk, (type_id, room_id, storeroom_id, condition, acquired_on) = found
            asset = Asset(
                pk=pk,
                tag=line.tag,
                asset_type_id=type_id,
                room_id=room_id,
                storeroom_id=storeroom_id,
                condition=condition,
                acquired_on=acquired_on,
            )
            changed = set()
            for name, attname, value in (
                ("asset_type", "asset_type_id", line.type_id),
                ("room", "room_id", line.room_id),
                ("storeroom", "storeroom_id", line.storeroom_id),
                ("condition", "condition", line.condition),
                ("acquired_on", "acquired_on", line.acquired_on),
            ):
                if name in ("condition", "acquired_on") and value is None:
                    continue  # not given: kept
                if getattr(asset, attname) != value:
                    setattr(asset, attname, value)
                    changed.add(name)
            if {"room", "storeroom"} & changed:
                moved += 1
            if changed:
                plan.changed_assets.append((asset, changed))
            else:
                self.report.unchanged += 1
        self.report.created = len(plan.new_assets)
        self.report.updated = len(plan.changed_assets)
        self.report.details = {"moved": moved}
        return plan

    def _parse(self, rows: list[_Row]) -> list[_AssetLine]:
        report = self.report
        campuses = _Campuses()
        types = _AssetTypes()
        tag_max = _field_max(Asset, "tag")
        building_max = _field_max(Building, "code")
        room_max = _field_max(Room, "number")
        storeroom_max = _field_max(Storeroom, "code")
        bad_condition = _("Unknown condition “%(value)s”; use one of: %(choices)s.")
        conditions = ", ".join(
            f"{c.value} ({zh})" for c, zh in zip(AssetCondition, _CONDITION_ZH, strict=True)
        )
        bad_date = _("Not a date: “%(value)s”; write it as YYYY-MM-DD (e.g. 2024-09-01).")
        future_date = _("A purchase date cannot be in the future.")
        today = timezone.localdate()
        seen: dict[str, int] = {}
        parsed = []
        for row in rows:
            errors_before = len(report.errors)
            self.required(row, "campus", "type", "tag")
            tag = self.code_or_name(row, "tag", tag_max)
            building = self.text(row, "building", building_max)
            room = self.text(row, "room", room_max)
            storeroom = self.text(row, "storeroom", storeroom_max)
            if tag:
                if tag in seen:
                    self.fail(
                        row,
                        "tag",
                        _("Duplicate of line %(line)s (the same tag number).")
                        % {"line": seen[tag]},
                    )
                else:
                    seen[tag] = row.line
            campus = self.campus(row, campuses)
            type_value = row.values.get("type", "")
            asset_type = types.find(type_value) if type_value else None
            if type_value and asset_type is None:
                self.fail(row, "type", types.unknown_message(type_value))
            condition = self.choice(
                row, "condition", _CONDITIONS, bad_condition, choices=conditions
            )
            acquired_on = None
            date_value = row.values.get("acquired_on", "")
            if date_value:
                acquired_on = _parse_date(date_value)
                if acquired_on is None:
                    self.fail(row, "acquired_on", bad_date % {"value": _shown(date_value)})
                elif acquired_on > today:
                    self.fail(row, "acquired_on", future_date)
                    acquired_on = None
            if (building or room) and storeroom:
                self.fail(
                    row,
                    "storeroom",
                    _("Give either a building and room or a storeroom, not both."),
                )
            elif not (building or room or storeroom) and "room" not in row.refused:
                self.fail(
                    row,
                    "room" if self.has("room") else "storeroom",
                    _("Where is this asset? Give a building and room, or a storeroom."),
                )
            elif (building or room) and not (building and room):
                missing = "room" if building else "building"
                self.fail(
                    row,
                    missing,
                    _("A room needs building and room together; missing: %(missing)s.")
                    % {"missing": self.headings.get(missing, missing)},
                )
            if row.refused or len(report.errors) > errors_before:
                continue
            parsed.append(
                (row, tag, asset_type, campus, building, room, storeroom, condition, acquired_on)
            )

        places = self._places(parsed)
        lines = []
        for row, tag, asset_type, campus, building, room, storeroom, condition, acquired in parsed:
            room_id = storeroom_id = None
            if storeroom:
                storeroom_id = places.storeroom(campus, storeroom)
                if storeroom_id is None:
                    self.fail(
                        row,
                        "storeroom",
                        _(
                            "No storeroom “%(value)s” on campus %(campus)s; storerooms are "
                            "created in the administration."
                        )
                        % {"value": _shown(storeroom), "campus": campus},
                    )
                    continue
            else:
                found = places.building(campus, building)
                if found is None:
                    self.fail(
                        row,
                        "building",
                        _("No building “%(value)s” on campus %(campus)s.")
                        % {"value": _shown(building), "campus": campus},
                    )
                    continue
                room_id = places.rooms.get((found.pk, room.casefold()))
                if room_id is None:
                    self.fail(
                        row,
                        "room",
                        _("No room %(room)s in building %(building)s.")
                        % {"room": _shown(room), "building": found.code},
                    )
                    continue
            lines.append(
                _AssetLine(row, tag, asset_type.pk, room_id, storeroom_id, condition, acquired)
            )
        return lines

    def _places(self, parsed) -> _AssetPlaces:
        """The buildings, their rooms and the storerooms of the campuses named: three queries."""
        campus_ids = {campus.pk for _row, _tag, _type, campus, *_rest in parsed}
        places = _AssetPlaces()
        buildings = list(Building.objects.filter(campus_id__in=campus_ids))
        for b in buildings:
            places.by_code[(b.campus_id, b.code.casefold())] = b
            for name in {b.name.casefold(), b.name_en.casefold()} - {""}:
                key = (b.campus_id, name)
                places.by_name[key] = b if places.by_name.get(key, b) is b else None
        wanted = {
            found.pk
            for _row, _tag, _type, campus, building, *_rest in parsed
            if building and (found := places.building(campus, building)) is not None
        }
        places.rooms = {
            (building_id, number.casefold()): pk
            for pk, building_id, number in Room.objects.filter(building_id__in=wanted).values_list(
                "id", "building_id", "number"
            )
        }
        for s in Storeroom.objects.filter(campus_id__in=campus_ids):
            places.storerooms[(s.campus_id, s.code.casefold())] = s.pk
            for name in {s.name.casefold(), s.name_en.casefold()} - {""}:
                key = (s.campus_id, name)
                places.storeroom_names[key] = (
                    s.pk if places.storeroom_names.get(key, s.pk) == s.pk else None
                )
        return places

    def apply(self, plan: _AssetPlan) -> None:
        _insert(Asset, plan.new_assets)
        now = timezone.now()
        for asset, changed in plan.changed_assets:
            asset.updated_at = now  # bulk_update does not touch auto_now fields itself
            changed.add("updated_at")
        _bulk_update(Asset, plan.changed_assets)


@dataclass
class _AssetPlaces:
    by_code: dict[tuple[int, str], Building] = field(default_factory=dict)
    by_name: dict[tuple[int, str], Building | None] = field(default_factory=dict)
    rooms: dict[tuple[int, str], int] = field(default_factory=dict)
    storerooms: dict[tuple[int, str], int] = field(default_factory=dict)
    storeroom_names: dict[tuple[int, str], int | None] = field(default_factory=dict)

    def building(self, campus: Campus, value: str) -> Building | None:
        key = (campus.pk, value.casefold())
        return self.by_code.get(key) or self.by_name.get(key)

    def storeroom(self, campus: Campus, value: str) -> int | None:
        key = (campus.pk, value.casefold())
        return self.storerooms.get(key) or self.storeroom_names.get(key)


class _AssetTypes:
    """Asset types by code, Chinese or English name. Imports never create them: the price
    list is kept in the administration."""

    def __init__(self):
        self.all = list(AssetType.objects.order_by("code"))
        self.by_key: dict[str, AssetType | None] = {}
        for asset_type in self.all:
            for value in (asset_type.code, asset_type.name, asset_type.name_en):
                if value:
                    key = _value_key(value)
                    known = self.by_key.get(key, asset_type)
                    self.by_key[key] = asset_type if known is asset_type else None

    def find(self, value: str) -> AssetType | None:
        return self.by_key.get(_value_key(value))

    def unknown_message(self, value: str) -> str:
        if not self.all:
            return _(
                "Unknown asset type “%(value)s”: no asset type exists yet; an administrator "
                "creates them in the administration (with their prices)."
            ) % {"value": _shown(value)}
        known = ", ".join(f"{t.code} ({t.name})" for t in self.all)
        return _("Unknown asset type “%(value)s”; known types: %(known)s.") % {
            "value": _shown(value),
            "known": known,
        }

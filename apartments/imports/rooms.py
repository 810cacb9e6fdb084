"""The rooms import (`import_rooms`): buildings, rooms and their numbered beds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from apartments.imports.bulk import (
    _bulk_update,
    _chunks,
    _field_max,
    _in_chunks,
    _insert,
)
from apartments.imports.engine import _Importer, _Row
from apartments.imports.report import ImportKind
from apartments.imports.values import (
    _GENDERS,
    Column,
    _Campuses,
    _shown,
)
from apartments.models import (
    Bed,
    Building,
    GenderPolicy,
    KitCheck,
    Room,
    RoomKind,
    Stay,
)
from logistics.models import Campus

MIN_FLOOR, MAX_FLOOR = -5, 200
MIN_BEDS, MAX_BEDS = 1, 20


ROOM_COLUMNS = (
    Column("campus", "campus", "校区"),
    Column("building", "building", "楼栋", other_names=("楼号", "公寓")),
    Column("floor", "floor", "楼层"),
    Column("room", "room", "房间", other_names=("房间号", "房号", "room_number")),
    Column("beds", "beds", "床位数", other_names=("capacity",)),
    Column("gender", "gender", "性别"),
    Column("type", "type", "类型", required=False, other_names=("kind", "room_type", "房间类型")),
)


_ROOM_GENDERS = {
    **_GENDERS,
    "x": GenderPolicy.MIXED,
    "mixed": GenderPolicy.MIXED,
    "混合": GenderPolicy.MIXED,
    "男女混合": GenderPolicy.MIXED,
}


_ROOM_KINDS = {
    **{k.value: k.value for k in RoomKind},
    "宿舍": RoomKind.DORMITORY,
    "学生宿舍": RoomKind.DORMITORY,
    "教工宿舍": RoomKind.STAFF,
    "教工公寓": RoomKind.STAFF,
    "staff_apartment": RoomKind.STAFF,
    "无障碍": RoomKind.ACCESSIBLE,
    "无障碍房间": RoomKind.ACCESSIBLE,
    "accessible_room": RoomKind.ACCESSIBLE,
    "客房": RoomKind.GUEST,
    "guest_room": RoomKind.GUEST,
}


def _gender_policy(genders: Iterable[str]) -> str | None:
    """The policy all the genders agree on, or None if they differ (or there are none)."""
    distinct = set(genders)
    return distinct.pop() if len(distinct) == 1 else None


@dataclass
class _RoomLine:
    row: _Row
    campus: Campus
    building: str  # the value in the file
    floor: int
    number: str
    beds: int
    gender: str
    kind: str | None  # None: not given (new rooms are dormitories, existing keep theirs)


@dataclass
class _RoomPlan:
    new_campuses: list[Campus] = field(default_factory=list)  # unsaved, asked for by the file
    new_buildings: dict[Any, Building] = field(default_factory=dict)  # building key → building
    changed_buildings: dict[int, tuple[Building, set[str]]] = field(default_factory=dict)
    new_rooms: list[tuple[Any, Room]] = field(default_factory=list)  # (building key, room)
    changed_rooms: list[tuple[Room, set[str]]] = field(default_factory=list)
    new_beds: list[tuple[Room, int]] = field(default_factory=list)
    removed_beds: list[int] = field(default_factory=list)


class RoomImporter(_Importer):
    kind = ImportKind.ROOMS
    columns = ROOM_COLUMNS
    action = "apartments.import_rooms"

    def __init__(self, *, create_campuses: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.create_campuses = create_campuses
        self.campuses: _Campuses  # read in _parse(), within the import's transaction

    def check(self, rows: list[_Row]) -> _RoomPlan:
        # Rows with errors are left out; the others are still checked against the database,
        # so that one run reports every problem.
        lines = self._parse(rows)
        report = self.report

        # Preload: the buildings of the campuses named, their rooms, beds and current stays.
        campus_ids = {line.campus.pk for line in lines} - {None}  # None: a campus to create
        buildings = list(Building.objects.filter(campus_id__in=campus_ids))
        by_code = {(b.campus_id, b.code.casefold()): b for b in buildings}
        by_name: dict[tuple[int, str], Building | None] = {}
        for b in buildings:
            for name in {b.name.casefold(), b.name_en.casefold()} - {""}:
                key = (b.campus_id, name)
                by_name[key] = b if by_name.get(key, b) is b else None

        def building_of(line: _RoomLine) -> Building | None:
            key = (line.campus.pk, line.building.casefold())
            return by_code.get(key) or by_name.get(key)

        matched = {building_of(line) for line in lines} - {None}
        matched_ids = [b.pk for b in matched]
        rooms = list(Room.objects.filter(building_id__in=matched_ids))
        room_by_number = {(r.building_id, r.number.casefold()): r for r in rooms}
        rooms_of_building: dict[int, list[Room]] = defaultdict(list)
        for room in rooms:
            rooms_of_building[room.building_id].append(room)
        beds: dict[int, dict[int, int]] = defaultdict(dict)  # room id → {number: bed id}
        for bed_id, room_id, number in Bed.objects.filter(
            room__building_id__in=matched_ids
        ).values_list("id", "room_id", "number"):
            beds[room_id][number] = bed_id
        current: dict[int, tuple[str, str]] = {}  # bed id → (status, resident's gender)
        for bed_id, status, gender in Stay.objects.filter(
            bed__room__building_id__in=matched_ids, status__in=Stay.CURRENT
        ).values_list("bed_id", "status", "resident__gender"):
            current[bed_id] = (status, gender)

        plan = _RoomPlan()
        seen: dict[Any, int] = {}
        new_buildings: dict[Any, Building] = {}
        new_building_genders: dict[Any, list[str]] = defaultdict(list)
        final_gender: dict[int, str] = {}  # existing room id → its gender after the import
        max_floor: dict[Any, int] = {}
        removal_candidates: list[tuple[_RoomLine, Room, int, int]] = []
        room_changes: dict[int, set[str]] = {}
        unchanged = 0

        for line in lines:
            building = building_of(line)
            if building is not None:
                bkey = ("db", building.pk)
            else:
                bkey = ("new", _campus_ref(line.campus), line.building.casefold())
            room_key = (bkey, line.number.casefold())
            if room_key in seen:
                self.fail(
                    line.row,
                    "room",
                    _("Duplicate of line %(line)s (the same building and room).")
                    % {"line": seen[room_key]},
                )
                continue
            seen[room_key] = line.row.line
            max_floor[bkey] = max(max_floor.get(bkey, line.floor), line.floor)
            label = f"{line.building}-{line.number}"

            room = room_by_number.get((building.pk, line.number.casefold())) if building else None
            if room is None:
                if building is None and bkey not in new_buildings:
                    new_buildings[bkey] = Building(
                        campus=line.campus, code=line.building, name=line.building
                    )
                new_room = Room(
                    floor=line.floor,
                    number=line.number,
                    kind=line.kind or RoomKind.DORMITORY,
                    gender=line.gender,
                    capacity=line.beds,
                )
                if building is not None:
                    new_room.building = building
                plan.new_rooms.append((bkey, new_room))
                plan.new_beds.extend((new_room, n) for n in range(1, line.beds + 1))
                if building is None:
                    new_building_genders[bkey].append(line.gender)
                continue

            changed = set()
            for name, value in (
                ("floor", line.floor),
                ("gender", line.gender),
                ("kind", line.kind),
                ("capacity", line.beds),
            ):
                if value is not None and getattr(room, name) != value:
                    setattr(room, name, value)
                    changed.add(name)
            final_gender[room.pk] = room.gender
            room_beds = beds.get(room.pk, {})
            missing = [n for n in range(1, line.beds + 1) if n not in room_beds]
            plan.new_beds.extend((room, n) for n in missing)
            for number, bed_id in sorted(room_beds.items()):
                if number > line.beds:
                    removal_candidates.append((line, room, number, bed_id))
            if "gender" in changed and room.gender != GenderPolicy.MIXED:
                others = {
                    gender
                    for number, bed_id in room_beds.items()
                    if number <= line.beds
                    for _status, gender in [current.get(bed_id, (None, None))]
                    if gender and gender != room.gender
                }
                if others:
                    self.fail(
                        line.row,
                        "gender",
                        _(
                            "Room %(room)s has current residents of another gender: move them "
                            "before changing the room's gender."
                        )
                        % {"room": label},
                    )
            if changed or missing:
                room_changes[room.pk] = changed
                plan.changed_rooms.append((room, changed))
            elif not any(number > line.beds for number in room_beds):
                unchanged += 1

        # Beds above a room's new size go only if nobody has ever stayed in them and no kit
        # was ever checked in them (stays and kit checks are kept as history, and the database
        # refuses to delete a bed that has either).
        if removal_candidates:
            candidate_ids = [c[3] for c in removal_candidates]
            with_history = set(
                _in_chunks(
                    lambda ids: (
                        Stay.objects.filter(bed_id__in=ids)
                        .values_list("bed_id", flat=True)
                        .distinct()
                    ),
                    candidate_ids,
                )
            )
            with_kit_checks = set(
                _in_chunks(
                    lambda ids: (
                        KitCheck.objects.filter(bed_id__in=ids)
                        .values_list("bed_id", flat=True)
                        .distinct()
                    ),
                    candidate_ids,
                )
            )
            for line, room, number, bed_id in removal_candidates:
                label = f"{line.building}-{line.number}"
                values = {"bed": number, "room": label}
                status = current.get(bed_id, (None, None))[0]
                if status == Stay.Status.ACTIVE:
                    self.fail(
                        line.row,
                        "beds",
                        _("Bed %(bed)s of room %(room)s is occupied; it cannot be removed.")
                        % values,
                    )
                elif status == Stay.Status.RESERVED:
                    self.fail(
                        line.row,
                        "beds",
                        _("Bed %(bed)s of room %(room)s is reserved; it cannot be removed.")
                        % values,
                    )
                elif bed_id in with_history:
                    self.fail(
                        line.row,
                        "beds",
                        _(
                            "Bed %(bed)s of room %(room)s has past stays on record; it cannot "
                            "be removed."
                        )
                        % values,
                    )
                elif bed_id in with_kit_checks:
                    self.fail(
                        line.row,
                        "beds",
                        _(
                            "Bed %(bed)s of room %(room)s has kit checks on record; it cannot "
                            "be removed."
                        )
                        % values,
                    )
                else:
                    plan.removed_beds.append(bed_id)
                    if room.pk not in room_changes:
                        room_changes[room.pk] = set()
                        plan.changed_rooms.append((room, set()))

        # Buildings: a new one takes the policy its rooms agree on (else mixed); an existing one
        # changes only when all its rooms now agree. Floors grow to the highest room.
        for bkey, building in new_buildings.items():
            building.gender_policy = (
                _gender_policy(new_building_genders[bkey]) or GenderPolicy.MIXED
            )
            building.floors = max(1, max_floor[bkey])
            plan.new_buildings[bkey] = building
        new_room_genders: dict[int, list[str]] = defaultdict(list)
        for bkey, room in plan.new_rooms:
            if bkey[0] == "db":
                new_room_genders[bkey[1]].append(room.gender)
        for building in matched:
            changed = set()
            genders = [final_gender.get(r.pk, r.gender) for r in rooms_of_building[building.pk]]
            policy = _gender_policy(genders + new_room_genders[building.pk])
            if policy and policy != building.gender_policy:
                building.gender_policy = policy
                changed.add("gender_policy")
            top = max_floor.get(("db", building.pk), 0)
            if top > building.floors:
                building.floors = top
                changed.add("floors")
            if changed:
                plan.changed_buildings[building.pk] = (building, changed)

        report.created = len(plan.new_rooms)
        report.updated = len(plan.changed_rooms)
        report.unchanged = unchanged
        plan.new_campuses = list(self.campuses.new.values())
        report.campuses = [
            _("%(name)s (code %(code)s)") % {"name": c.name, "code": c.code}
            for c in plan.new_campuses
        ]
        if self.campuses.unknown:
            unknown = [f"“{_shown(value)}”" for value in self.campuses.unknown.values()]
            report.notes.append(
                _(
                    "Campuses not found: %(campuses)s. If they are new campuses rather than "
                    "typos, import the file again with --create-campuses (on the upload page, "
                    "an administrator ticks “Create the campuses the file names”)."
                )
                % {"campuses": ", ".join(unknown[:10]) + (", …" if len(unknown) > 10 else "")}
            )
        report.details = {
            "campuses_created": len(plan.new_campuses),
            "buildings_created": len(plan.new_buildings),
            "buildings_updated": len(plan.changed_buildings),
            "beds_added": len(plan.new_beds),
            "beds_removed": len(plan.removed_beds),
        }
        return plan

    def _parse(self, rows: list[_Row]) -> list[_RoomLine]:
        campuses = self.campuses = _Campuses(create=self.create_campuses, creatable=True)
        lines = []
        building_max = _field_max(Building, "code")
        room_max = _field_max(Room, "number")
        # Translated once, not for each of 100,000 rows.
        bad_floor = _("Must be a floor between %(min)s and %(max)s.")
        bad_beds = _("Must be a number of beds between %(min)s and %(max)s.")
        bad_gender = _("Must be M (男), F (女) or X (混合), not “%(value)s”.")
        bad_kind = _("Unknown room type “%(value)s”; use one of: %(choices)s.")
        kinds = _kind_choices()
        for row in rows:
            errors_before = len(self.report.errors)
            self.required(row, "campus", "building", "floor", "room", "beds", "gender")
            campus = self.campus(row, campuses)
            building = self.code_or_name(row, "building", building_max)
            number = self.code_or_name(row, "room", room_max)
            floor = self.integer(row, "floor", MIN_FLOOR, MAX_FLOOR, bad_floor, suffixes="层楼Ff")
            beds = self.integer(row, "beds", MIN_BEDS, MAX_BEDS, bad_beds)
            gender = self.choice(row, "gender", _ROOM_GENDERS, bad_gender)
            kind = self.choice(row, "type", _ROOM_KINDS, bad_kind, choices=kinds)
            if not row.refused and len(self.report.errors) == errors_before:
                lines.append(_RoomLine(row, campus, building, floor, number, beds, gender, kind))
        return lines

    def apply(self, plan: _RoomPlan) -> None:
        for campus in plan.new_campuses:
            campus.save()  # a handful at most; their new buildings take the ids when created
        Building.objects.bulk_create(plan.new_buildings.values())  # a few: every field is fine
        for bkey, room in plan.new_rooms:
            if bkey[0] == "new":
                room.building = plan.new_buildings[bkey]
        fields = ("building_id", "floor", "number", "kind", "gender", "capacity")
        room_ids = _insert(
            Room,
            [{name: getattr(room, name) for name in fields} for _key, room in plan.new_rooms],
            key=("building_id", "number"),
        )
        for _key, room in plan.new_rooms:
            room.pk = room_ids[(room.building_id, room.number)]
        _bulk_update(Building, list(plan.changed_buildings.values()))
        _bulk_update(Room, plan.changed_rooms)
        for chunk in _chunks(plan.removed_beds):
            Bed.objects.filter(pk__in=chunk, stays__isnull=True).delete()
        _insert(Bed, [{"room_id": room.pk, "number": number} for room, number in plan.new_beds])


def _campus_ref(campus: Campus):
    """A campus's identity in the plan: its id, or its code when it is still to be created."""
    return campus.pk if campus.pk is not None else ("new", campus.code)


def _kind_choices() -> str:
    return ", ".join(f"{k.value} ({zh})" for k, zh in zip(RoomKind, _KIND_ZH, strict=True))


_KIND_ZH = ("宿舍", "教工宿舍", "无障碍", "客房")

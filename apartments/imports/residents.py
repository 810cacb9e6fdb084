"""The residents import (`import_residents`): residents, their portal accounts and the
beds reserved for them in advance."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apartments.imports.bulk import (
    _bulk_update,
    _chunks,
    _field_max,
    _insert,
    _matching,
)
from apartments.imports.engine import _Conflict, _Importer, _Row
from apartments.imports.report import ImportKind
from apartments.imports.values import (
    _GENDERS,
    Column,
    _Campuses,
    _shown,
    _to_int,
)
from apartments.models import (
    Bed,
    Building,
    Category,
    GenderPolicy,
    Resident,
    Room,
    Stay,
)
from apartments.names import pinyin_initials
from logistics.models import Role, RoleGrant, User

MAX_BED_NUMBER = 99


RESIDENT_COLUMNS = (
    Column("student_id", "student_id", "学号", other_names=("工号", "学号/工号")),
    Column("name", "name", "姓名"),
    Column("gender", "gender", "性别"),
    Column("category", "category", "类别", other_names=("学生类别", "人员类别")),
    Column("campus", "campus", "校区"),
    Column("college", "college", "学院", other_names=("院系",)),
    Column("class", "class", "班级", required=False, other_names=("class_name",)),
    Column("building", "building", "楼栋", required=False, other_names=("楼号", "公寓")),
    Column("room", "room", "房间", required=False, other_names=("房间号", "房号")),
    Column("bed", "bed", "床位", required=False, other_names=("床号", "床位号")),
    Column("phone", "phone", "电话", required=False, other_names=("手机", "联系电话", "手机号")),
)


_CATEGORIES = {
    **{c.value: c.value for c in Category},
    "本科生": Category.UNDERGRADUATE,
    "本科": Category.UNDERGRADUATE,
    "专升本": Category.TOP_UP,
    "top_up_undergraduate": Category.TOP_UP,
    "研究生": Category.POSTGRADUATE,
    "硕士研究生": Category.POSTGRADUATE,
    "博士生": Category.DOCTORAL,
    "博士研究生": Category.DOCTORAL,
    "doctoral_student": Category.DOCTORAL,
    "成教": Category.ADULT_EDUCATION,
    "成人教育": Category.ADULT_EDUCATION,
    "教工": Category.STAFF,
    "教职工": Category.STAFF,
}


# The columns stored as a code or a name (never a value a spreadsheet would run as a formula).
STORED_AS_NAMES = ("student_id", "name", "college", "class")
_STUDENT_ID = re.compile(r"^[\w.@+-]+\Z")  # what a portal username may contain
_PHONE = re.compile(r"^[0-9+\-() ]+\Z")


@dataclass(frozen=True)
class _BedInfo:
    id: int
    label: str  # "S01-101-2"


@dataclass
class _ResidentLine:
    row: _Row
    student_id: str
    fields: dict[str, Any]  # the Resident's fields as the file gives them
    bed: _BedInfo | None


@dataclass
class _ResidentPlan:
    new_users: list[dict[str, str]] = field(default_factory=list)
    renamed_users: list[tuple[User, set[str]]] = field(default_factory=list)
    new_residents: list[dict[str, Any]] = field(default_factory=list)
    changed_residents: list[tuple[Resident, set[str]]] = field(default_factory=list)
    link_user: set[str] = field(default_factory=set)  # student ids whose account to link
    cancel_stays: list[int] = field(default_factory=list)
    new_stays: list[tuple[str, int]] = field(default_factory=list)  # (student id, bed id)
    resident_ids: dict[str, int] = field(default_factory=dict)  # of the residents there already


class ResidentImporter(_Importer):
    kind = ImportKind.RESIDENTS
    columns = RESIDENT_COLUMNS
    action = "apartments.import_residents"
    bed_buildings: list[int] = []  # the buildings of the beds asked for (set by _bed_lookup)

    def check(self, rows: list[_Row]) -> _ResidentPlan:
        # Rows with errors are left out; the others are still checked against the database.
        lines = self._parse(rows)
        report = self.report
        plan = _ResidentPlan()

        # Preload: the residents (with their account's name), the accounts named like the new
        # ones, and the current stays of these residents and of the buildings asked for.
        compared = ("name", "gender", "category", "campus_id", "college", "class_name", "phone")
        existing = {
            sid: (pk, dict(zip(compared, values, strict=True)), user_id, full_name)
            for sid, pk, user_id, full_name, *values in _matching(
                Resident.objects.values_list(
                    "student_id", "id", "user_id", "user__full_name", *compared
                ),
                "student_id",
                [line.student_id for line in lines],
            )
        }
        need_account = [
            line.student_id
            for line in lines
            if existing.get(line.student_id, (0, 0, None))[2] is None
        ]
        accounts = {
            username: (pk, owner)
            for username, pk, owner in _matching(
                User.objects.values_list("username", "id", "resident__id"), "username", need_account
            )
        }
        stay_fields = ("id", "bed_id", "status", "resident__student_id")
        current = Stay.objects.filter(status__in=Stay.CURRENT).values_list(*stay_fields)
        stays = _matching(current, "resident_id", [pk for pk, *_rest in existing.values()])
        if self.bed_buildings:
            stays += current.filter(bed__room__building_id__in=self.bed_buildings)
        stay_of_resident = {sid: (pk, bed, status) for pk, bed, status, sid in stays}
        stay_on_bed = {bed: (sid, status) for _pk, bed, status, sid in stays}

        unusable = make_password(None)  # once per import, not per row
        kept_checked_in = 0
        claims: list[_ResidentLine] = []  # rows that reserve a bed
        moving: set[str] = set()  # residents whose current reservation moves to another bed
        for line in lines:
            sid = line.student_id
            found = existing.get(sid)
            if found is None:
                plan.new_residents.append({"student_id": sid, **line.fields})
                user_id = None
            else:
                pk, values, user_id, full_name = found
                plan.resident_ids[sid] = pk
                changed = {name for name, value in line.fields.items() if values[name] != value}
                if "name" in changed and user_id and full_name == values["name"]:
                    # The account's name follows the registrar's, unless someone changed it.
                    plan.renamed_users.append(
                        (User(pk=user_id, full_name=line.fields["name"]), {"full_name"})
                    )
            if user_id is None:
                account, owner = accounts.get(sid, (None, None))
                if account is None:
                    plan.new_users.append(
                        {"username": sid, "full_name": line.fields["name"], "password": unusable}
                    )
                    plan.link_user.add(sid)
                elif owner is None:
                    plan.link_user.add(sid)
                else:
                    report.notes.append(
                        _(
                            "line %(line)s: the portal account %(username)s belongs to another "
                            "resident; this resident was left without an account."
                        )
                        % {"line": line.row.line, "username": sid}
                    )
            if found is not None:
                if sid in plan.link_user:
                    changed.add("user")
                if changed:
                    resident = Resident(pk=pk, student_id=sid, **line.fields)
                    plan.changed_residents.append((resident, changed))
                else:
                    report.unchanged += 1

            if line.bed is None:
                continue
            own = stay_of_resident.get(sid)
            if own and own[1] == line.bed.id:
                continue  # already reserved for (or living in) this very bed
            if own and own[2] == Stay.Status.ACTIVE:
                kept_checked_in += 1  # checked in elsewhere: the desk moves them, not a file
                continue
            if own:
                moving.add(sid)
            claims.append(line)

        claimed: dict[int, int] = {}  # bed id → the line that reserves it
        for line in claims:
            bed = line.bed
            if bed.id in claimed:
                self.fail(
                    line.row,
                    "bed",
                    _("Bed %(bed)s is already given to line %(line)s.")
                    % {"bed": bed.label, "line": claimed[bed.id]},
                )
                continue
            claimed[bed.id] = line.row.line
            holder, status = stay_on_bed.get(bed.id, (None, None))
            if holder is not None and holder != line.student_id:
                if status == Stay.Status.ACTIVE:
                    self.fail(
                        line.row,
                        "bed",
                        _("Bed %(bed)s is occupied by %(student_id)s.")
                        % {"bed": bed.label, "student_id": holder},
                    )
                    continue
                if holder not in moving:
                    self.fail(
                        line.row,
                        "bed",
                        _("Bed %(bed)s is reserved for %(student_id)s.")
                        % {"bed": bed.label, "student_id": holder},
                    )
                    continue
            own = stay_of_resident.get(line.student_id)
            if own:
                plan.cancel_stays.append(own[0])
            plan.new_stays.append((line.student_id, bed.id))

        if kept_checked_in:
            report.notes.append(
                ngettext(
                    "%(count)s resident is already checked in elsewhere and was left in their bed.",
                    "%(count)s residents are already checked in elsewhere and were left in "
                    "their beds.",
                    kept_checked_in,
                )
                % {"count": kept_checked_in}
            )
        report.created = len(plan.new_residents)
        report.updated = len(plan.changed_residents)
        report.details = {
            "accounts_created": len(plan.new_users),
            "reservations_made": len(plan.new_stays),
            "reservations_moved": len(plan.cancel_stays),
            "checked_in_kept": kept_checked_in,
        }
        return plan

    def _parse(self, rows: list[_Row]) -> list[_ResidentLine]:
        campuses = _Campuses()
        maxima = {
            "student_id": min(_field_max(Resident, "student_id"), _field_max(User, "username")),
            "name": min(_field_max(Resident, "name"), _field_max(User, "full_name")),
            "college": _field_max(Resident, "college"),
            "class": _field_max(Resident, "class_name"),
            "phone": _field_max(Resident, "phone"),
            "building": _field_max(Building, "code"),
            "room": _field_max(Room, "number"),
        }
        categories = ", ".join(
            f"{c.value} ({zh})" for c, zh in zip(Category, _CATEGORY_ZH, strict=True)
        )
        # Translated once, not for each of 100,000 rows.
        bad_gender = _("Must be M (男) or F (女), not “%(value)s”.")
        bad_category = _("Unknown category “%(value)s”; use one of: %(choices)s.")
        seen: dict[str, int] = {}
        parsed = []
        for row in rows:
            errors_before = len(self.report.errors)
            self.required(row, "student_id", "name", "gender", "category", "campus")
            # Codes and names are stored; a phone number's + starts a country code (its
            # characters cannot make a formula that does anything); building and room are
            # only looked up.
            texts = {
                name: (self.code_or_name if name in STORED_AS_NAMES else self.text)(
                    row, name, limit
                )
                for name, limit in maxima.items()
            }
            sid = texts["student_id"]
            if sid and not _STUDENT_ID.match(sid):
                self.fail(
                    row,
                    "student_id",
                    _("A student id may contain only letters, digits and @ . + - _"),
                )
            elif sid:
                if sid in seen:
                    self.fail(
                        row,
                        "student_id",
                        _("Duplicate of line %(line)s (the same student id).")
                        % {"line": seen[sid]},
                    )
                else:
                    seen[sid] = row.line
            if texts["phone"] and not _PHONE.match(texts["phone"]):
                self.fail(
                    row, "phone", _("A phone number may contain only digits, spaces and + - ( )")
                )
            gender = self.choice(row, "gender", _GENDERS, bad_gender)
            category = self.choice(row, "category", _CATEGORIES, bad_category, choices=categories)
            campus = self.campus(row, campuses)
            if row.refused or len(self.report.errors) > errors_before:
                continue
            fields = {
                "name": texts["name"],
                "gender": gender,
                "category": category,
                "campus_id": campus.pk,
                "college": texts["college"] or "",
            }
            if self.has("class"):
                fields["class_name"] = texts["class"] or ""
            if self.has("phone"):
                fields["phone"] = texts["phone"] or ""
            parsed.append((row, sid, fields, campus))

        # Beds: building, room and bed together; they must exist (rooms are imported first).
        beds = self._bed_lookup(parsed)
        lines = []
        for row, sid, fields, campus in parsed:
            bed = self._bed(row, fields, campus, beds) if beds is not None else None
            lines.append(_ResidentLine(row, sid, fields, bed))
        return lines

    def _bed_lookup(self, parsed):
        if not any(self.has(name) for name in ("building", "room", "bed")):
            return None
        wanted = {row.values.get("building", "").casefold() for row, *_rest in parsed} - {""}
        by_value: dict[str, list[Building]] = defaultdict(list)  # code or name → buildings
        for b in Building.objects.select_related("campus").order_by("campus__code", "code"):
            for value in {b.code.casefold(), b.name.casefold(), b.name_en.casefold()} & wanted:
                by_value[value].append(b)
        buildings = {b for found in by_value.values() for b in found}
        ids = self.bed_buildings = [b.pk for b in buildings]
        rooms = {
            r.pk: r
            for r in Room.objects.filter(building_id__in=ids).only(
                "id", "building_id", "number", "gender"
            )
        }
        rooms_by_number = {(r.building_id, r.number.casefold()): r for r in rooms.values()}
        beds = {
            (room_id, number): bed_id
            for bed_id, room_id, number in Bed.objects.filter(
                room__building_id__in=ids
            ).values_list("id", "room_id", "number")
        }
        return {"buildings": by_value, "rooms": rooms_by_number, "beds": beds}

    def _bed(self, row, fields, campus, lookup) -> _BedInfo | None:
        given = {name: row.values.get(name, "") for name in ("building", "room", "bed")}
        if not any(given.values()):
            return None
        missing = [name for name, value in given.items() if not value]
        if missing:
            self.fail(
                row,
                missing[0],
                _("A bed reservation needs building, room and bed together; missing: %(missing)s.")
                % {"missing": ", ".join(self.headings.get(m, m) for m in missing)},
            )
            return None
        number = _to_int(given["bed"], suffixes="床号")
        if number is None or not 1 <= number <= MAX_BED_NUMBER:
            self.fail(
                row, "bed", _("Not a bed number: “%(value)s”.") % {"value": _shown(given["bed"])}
            )
            return None
        matches = lookup["buildings"].get(given["building"].casefold(), [])
        building = next((b for b in matches if b.campus_id == campus.pk), None)
        if building is None and matches:
            self.fail(
                row,
                "building",
                _(
                    "Building %(building)s is on campus %(other)s, not on the resident's "
                    "campus %(campus)s."
                )
                % {"building": matches[0].code, "other": matches[0].campus, "campus": campus},
            )
            return None
        if building is None:
            self.fail(
                row,
                "building",
                _("No building “%(value)s” on campus %(campus)s.")
                % {"value": _shown(given["building"]), "campus": campus},
            )
            return None
        room = lookup["rooms"].get((building.pk, given["room"].casefold()))
        if room is None:
            self.fail(
                row,
                "room",
                _("No room %(room)s in building %(building)s.")
                % {"room": _shown(given["room"]), "building": building.code},
            )
            return None
        room_label = f"{building.code}-{room.number}"
        bed_id = lookup["beds"].get((room.pk, number))
        if bed_id is None:
            self.fail(
                row,
                "bed",
                _("No bed %(bed)s in room %(room)s.") % {"bed": number, "room": room_label},
            )
            return None
        gender = fields["gender"]
        for place, policy in ((room_label, room.gender), (building.code, building.gender_policy)):
            if policy not in (GenderPolicy.MIXED, gender):
                message = (
                    _("%(place)s houses women only; this resident is a man.")
                    if policy == GenderPolicy.FEMALE
                    else _("%(place)s houses men only; this resident is a woman.")
                )
                self.fail(row, "room", message % {"place": place})
                return None
        if building.categories and fields["category"] not in building.categories:
            self.fail(
                row,
                "building",
                _("Building %(building)s does not house residents of the category %(category)s.")
                % {"building": building.code, "category": Category(fields["category"]).label},
            )
            return None
        return _BedInfo(id=bed_id, label=f"{room_label}-{number}")

    def apply(self, plan: _ResidentPlan) -> None:
        now = timezone.now()
        user_ids = {
            username: pk for (username,), pk in _insert(User, plan.new_users, ("username",)).items()
        }
        # Accounts that existed before, now linked to their resident: those may hold roles.
        existing_accounts = [sid for sid in plan.link_user if sid not in user_ids]
        found = dict(
            _matching(User.objects.values_list("username", "id"), "username", existing_accounts)
        )
        granted = set(
            _matching(
                RoleGrant.objects.filter(
                    role=Role.STUDENT, campus=None, department=None
                ).values_list("user_id", flat=True),
                "user_id",
                found.values(),
            )
        )
        user_ids.update(found)
        # Every newly linked account gets the resident's role, once. Filtered by hand: SQLite
        # cannot enforce RoleGrant's NULLS NOT DISTINCT constraint.
        _insert(
            RoleGrant,
            [
                {"user_id": user_ids[sid], "role": Role.STUDENT}
                for sid in sorted(plan.link_user)
                if user_ids[sid] not in granted
            ],
        )

        for row in plan.new_residents:
            row["user_id"] = user_ids.get(row["student_id"])
            row["name_initials"] = pinyin_initials(row["name"])
        new_ids = _insert(Resident, plan.new_residents, ("student_id",))
        for resident, changed in plan.changed_residents:
            if resident.student_id in plan.link_user:
                resident.user_id = user_ids[resident.student_id]
            if "campus_id" in changed:
                changed.discard("campus_id")
                changed.add("campus")
            if "name" in changed:
                resident.name_initials = pinyin_initials(resident.name)
                changed.add("name_initials")
        _bulk_update(Resident, plan.changed_residents)
        _bulk_update(User, plan.renamed_users)

        # Moves: the old reservations end before the new ones begin (one current stay per
        # bed and per resident). Only reservations: one checked in meanwhile stays as it is,
        # and the import is undone.
        cancelled = 0
        for chunk in _chunks(plan.cancel_stays):
            cancelled += Stay.objects.filter(pk__in=chunk, status=Stay.Status.RESERVED).update(
                status=Stay.Status.CANCELLED, ended_at=now
            )
        if cancelled != len(plan.cancel_stays):
            raise _Conflict(_("a reservation changed meanwhile"))
        resident_ids = {**plan.resident_ids, **{sid: pk for (sid,), pk in new_ids.items()}}
        _insert(
            Stay,
            [
                {
                    "resident_id": resident_ids[sid],
                    "bed_id": bed_id,
                    "status": Stay.Status.RESERVED,
                    "reserved_at": now,
                }
                for sid, bed_id in plan.new_stays
            ],
        )


_CATEGORY_ZH = ("本科生", "专升本", "研究生", "博士生", "成教", "教工")

"""The room and resident imports (CONTRACT.md, "Management commands"): the engine in
the apartments/imports package through the two commands, with files built in the tests."""

import io
import zipfile

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook

from apartments import imports
from apartments.models import Bed, Building, Resident, Room, Stay
from logistics import tables
from logistics.models import AuditEvent, Campus, Role, RoleGrant, User
from tests.apartments.move_in_data import csv_bytes
from tests.conftest import is_postgres
from tests.factories import (
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English; the operator's own language is tested on its own."""
    from django.utils import translation

    with translation.override("en"):
        yield


ROOM_HEADER_ZH = ["校区", "楼栋", "楼层", "房间", "床位数", "性别"]
ROOM_HEADER_EN = ["campus", "building", "floor", "room", "beds", "gender"]
RESIDENT_HEADER_EN = [
    "student_id",
    "name",
    "gender",
    "category",
    "campus",
    "college",
    "building",
    "room",
    "bed",
    "phone",
]
RESIDENT_HEADER_ZH = [
    "学号",
    "姓名",
    "性别",
    "类别",
    "校区",
    "学院",
    "楼栋",
    "房间",
    "床位",
    "电话",
]


# --- Helpers ---------------------------------------------------------------------------------


def xlsx_bytes(rows, *, sheets=1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for n in range(1, sheets):
        workbook.create_sheet(f"other{n}").append(["ignored"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(command, tmp_path, data: bytes, *, name="file.csv", dry_run=False, options=()):
    """Run the command on `data` saved as `name`, in English; returns (stdout, stderr, error)
    where error is the CommandError's message or None."""
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    args = [str(path)] + (["--dry-run"] if dry_run else []) + list(options)
    with translation.override("en"):
        try:
            call_command(command, *args, stdout=out, stderr=err)
        except CommandError as exc:
            return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


def engine(kind, rows=None, *, data=None, dry_run=False, actor=None):
    """Run the engine directly, in English."""
    with translation.override("en"):
        return imports.run_import(
            kind,
            data=data if data is not None else csv_bytes(rows),
            file_name="test.csv",
            actor=actor,
            dry_run=dry_run,
        )


def errors_of(report):
    return [(e.line, e.column) for e in report.sorted_errors()]


def snapshot():
    """Everything an import may write, counted."""
    return {
        "buildings": Building.objects.count(),
        "rooms": Room.objects.count(),
        "beds": Bed.objects.count(),
        "residents": Resident.objects.count(),
        "users": User.objects.count(),
        "grants": RoleGrant.objects.count(),
        "stays": list(Stay.objects.order_by("pk").values_list("pk", "bed_id", "status")),
        "audit": AuditEvent.objects.count(),
        "room_fields": list(
            Room.objects.order_by("pk").values_list("floor", "gender", "kind", "capacity")
        ),
        "resident_fields": list(
            Resident.objects.order_by("pk").values_list("name", "phone", "campus_id")
        ),
        "policies": list(Building.objects.order_by("pk").values_list("gender_policy", "floors")),
    }


@pytest.fixture
def campuses():
    return (
        CampusFactory(code="songbei", name="松北校区", name_en="Songbei"),
        CampusFactory(code="jiangnan", name="江南校区", name_en="Jiangnan"),
    )


ROOMS = [
    ROOM_HEADER_ZH,
    ["松北校区", "S01", "1", "101", "4", "男"],
    ["松北", "S01", "1", "102", "2", "男"],
    ["songbei", "S02", "2", "201", "4", "女"],
    ["江南", "J01", "3", "301", "4", "X"],
]


@pytest.fixture
def rooms(campuses, tmp_path):
    """Rooms imported the ordinary way: S01 (men), S02 (women) on Songbei, J01 on Jiangnan."""
    _out, _err, error = run("import_rooms", tmp_path, csv_bytes(ROOMS), name="rooms.csv")
    assert error is None
    return {b.code: b for b in Building.objects.all()}


def resident_row(sid, *, name="张三", gender="男", category="本科生", campus="松北", bed=()):
    building, room, number = bed or ("", "", "")
    return [sid, name, gender, category, campus, "计算机学院", building, room, number, ""]


def stay_of(student_id):
    return Stay.objects.select_related("bed__room__building").get(
        resident__student_id=student_id, status__in=Stay.CURRENT
    )


# --- Rooms -----------------------------------------------------------------------------------


def test_rooms_from_csv_with_chinese_headers_and_values(campuses, tmp_path):
    # Given a CSV with Chinese headers, campuses named with and without "校区"
    # When it is imported
    out, err, error = run("import_rooms", tmp_path, csv_bytes(ROOMS))

    # Then the buildings, rooms and beds exist, numbered 1..N
    assert error is None, err
    assert "4 rows: 4 created, 0 updated, 0 unchanged." in out
    s01 = Building.objects.get(code="S01")
    assert (s01.campus.code, s01.name, s01.gender_policy) == ("songbei", "S01", "M")
    assert Building.objects.get(code="S02").gender_policy == "F"
    j01 = Building.objects.get(code="J01")
    assert (j01.campus.code, j01.gender_policy, j01.floors) == ("jiangnan", "X", 3)
    room = Room.objects.get(building=s01, number="101")
    assert (room.floor, room.capacity, room.gender, room.kind) == (1, 4, "M", "dormitory")
    assert list(room.beds.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert Bed.objects.count() == 14
    # and the import is on record
    event = AuditEvent.objects.get(action="apartments.import_rooms")
    assert event.actor is None
    assert event.changes["counts"]["created"] == 4
    assert event.changes["file"] == "file.csv"


def test_rooms_from_xlsx_with_english_headers_numbers_and_types(campuses, tmp_path):
    # Given an Excel file whose numbers are numbers, with an optional type column
    rows = [
        [*ROOM_HEADER_EN, "type"],
        ["Songbei", "S01", 1, 101, 4, "M", "dormitory"],
        ["SONGBEI CAMPUS", "S01", 1.0, "102", 1, "F", "无障碍"],
        ["jiangnan", "J01", 2, 201, 2, "mixed", "guest"],
    ]
    # When it is imported
    _out, err, error = run("import_rooms", tmp_path, xlsx_bytes(rows), name="rooms.xlsx")

    # Then
    assert error is None, err
    kinds = dict(Room.objects.values_list("number", "kind"))
    assert kinds == {"101": "dormitory", "102": "accessible", "201": "guest"}
    # S01's rooms disagree: a new building with rooms for men and for women is mixed
    assert Building.objects.get(code="S01").gender_policy == "X"


@pytest.mark.parametrize(
    ("encoding", "bom"), [("gb18030", False), ("utf-8", True), ("utf-8", False)]
)
def test_rooms_csv_in_gbk_or_with_a_bom(campuses, tmp_path, encoding, bom):
    # Given the same Chinese file as Excel in China saves it (GBK), or with a UTF-8 BOM
    data = csv_bytes(ROOMS, encoding=encoding, bom=bom)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")

    # When imported, then it reads the same
    _out, err, error = run("import_rooms", tmp_path, data)
    assert error is None, err
    assert Room.objects.count() == 4


def test_rooms_reimport_changes_nothing(rooms, tmp_path):
    # Given the rooms imported once
    before = snapshot()

    # When the same file is imported again
    out, _err, error = run("import_rooms", tmp_path, csv_bytes(ROOMS))

    # Then nothing changed but the audit trail
    assert error is None
    assert "4 rows: 0 created, 0 updated, 4 unchanged." in out
    after = snapshot()
    assert after.pop("audit") == before.pop("audit") + 1
    assert after == before


def test_rooms_reimport_updates_and_adds_beds(rooms, tmp_path):
    # Given S01-101 with 4 beds
    # When a file moves it to floor 2, makes it 6 beds and an accessible room
    rows = [[*ROOM_HEADER_EN, "type"], ["songbei", "S01", "2", "101", "6", "M", "accessible"]]
    out, _err, error = run("import_rooms", tmp_path, csv_bytes(rows))

    # Then the room is updated and beds 5 and 6 added; the building's floors follow
    assert error is None
    assert "1 rows: 0 created, 1 updated, 0 unchanged." in out
    room = Room.objects.get(building__code="S01", number="101")
    assert (room.floor, room.capacity, room.kind) == (2, 6, "accessible")
    assert list(room.beds.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert Building.objects.get(code="S01").floors == 2
    assert Room.objects.count() == 4


def test_rooms_shrink_removes_free_beds(rooms, tmp_path):
    # When S01-101 goes from 4 beds to 2, nobody having stayed in beds 3 and 4
    rows = [ROOM_HEADER_EN, ["songbei", "S01", "1", "101", "2", "M"]]
    out, _err, error = run("import_rooms", tmp_path, csv_bytes(rows))

    # Then they are removed
    assert error is None
    assert "removed: 2" in out
    room = Room.objects.get(building__code="S01", number="101")
    assert list(room.beds.values_list("number", flat=True)) == [1, 2]
    assert room.capacity == 2


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Stay.Status.ACTIVE, "Bed 4 of room S01-101 is occupied; it cannot be removed."),
        (Stay.Status.RESERVED, "Bed 4 of room S01-101 is reserved; it cannot be removed."),
        (
            Stay.Status.ENDED,
            "Bed 4 of room S01-101 has past stays on record; it cannot be removed.",
        ),
    ],
)
def test_rooms_shrink_refused_when_a_bed_is_or_was_used(rooms, tmp_path, status, reason):
    # Given someone in (or once in) bed 4 of S01-101
    bed = Bed.objects.get(room__building__code="S01", room__number="101", number=4)
    Stay.objects.create(
        resident=ResidentFactory(campus=rooms["S01"].campus), bed=bed, status=status
    )
    before = snapshot()

    # When a file makes the room 2 beds
    rows = [ROOM_HEADER_EN, ["songbei", "S01", "1", "101", "2", "M"]]
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))

    # Then the row is refused and nothing is written
    assert error == "1 error in file.csv: nothing was imported."
    assert err.strip() == f"line 2: beds: {reason}"
    assert snapshot() == before


def test_room_gender_cannot_change_under_its_residents(rooms, tmp_path):
    # Given a man reserved in S01-101
    bed = Bed.objects.get(room__building__code="S01", room__number="101", number=1)
    Stay.objects.create(
        resident=ResidentFactory(campus=rooms["S01"].campus, gender="M"), bed=bed, status="reserved"
    )
    # When a file makes the room a women's room
    rows = [ROOM_HEADER_EN, ["songbei", "S01", "1", "101", "4", "F"]]
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))
    # Then it is refused
    assert error is not None
    assert "line 2: gender: Room S01-101 has current residents of another gender" in err


def test_existing_building_policy_changes_only_when_all_its_rooms_agree(rooms, tmp_path):
    # Given S01 (men) with rooms 101 and 102
    # When only 101 becomes a women's room
    one = [ROOM_HEADER_EN, ["songbei", "S01", "1", "101", "4", "F"]]
    assert run("import_rooms", tmp_path, csv_bytes(one))[2] is None
    # Then the building's policy stays
    assert Building.objects.get(code="S01").gender_policy == "M"

    # When 102 follows
    both = [*one, ["songbei", "S01", "1", "102", "2", "F"]]
    out, _err, error = run("import_rooms", tmp_path, csv_bytes(both))
    # Then all its rooms agree and the building is for women
    assert error is None
    assert "Buildings created: 0, updated: 1." in out
    assert Building.objects.get(code="S01").gender_policy == "F"


def test_every_bad_room_row_is_reported_with_its_line_and_nothing_is_written(campuses, tmp_path):
    # Given a file with one good row and a bad row of each kind (the header is line 1)
    rows = [
        ROOM_HEADER_EN,
        ["songbei", "S01", "1", "101", "4", "M"],  # 2: fine
        ["songbei", "", "1", "102", "4", "M"],  # 3: building empty
        ["songbei", "S01", "one", "103", "4", "M"],  # 4: floor not a number
        ["songbei", "S01", "1", "104", "21", "M"],  # 5: beds out of 1..20
        ["songbei", "S01", "1", "105", "0", "M"],  # 6: beds out of 1..20
        ["songbei", "S01", "900", "106", "4", "M"],  # 7: floor not sane
        ["songbei", "S01", "1", "107", "4", "Q"],  # 8: gender
        ["mars", "S01", "1", "108", "4", "M"],  # 9: unknown campus
        ["songbei", "S" * 31, "1", "109", "4", "M"],  # 10: building too long
        ["songbei", "S01", "1", "1\x07", "4", "M"],  # 11: control character
        ["songbei", "S01", "1", "101", "4", "M"],  # 12: duplicate of line 2
        ["songbei", "S01", "1", "111", "2.5", "M"],  # 13: beds not a whole number
    ]
    before = snapshot()

    # When imported
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))

    # Then every bad row is printed with its line and column, and nothing is written
    assert error == "11 errors in file.csv: nothing was imported."
    lines = err.strip().splitlines()
    assert lines == [
        "line 3: building: This value is required.",
        "line 4: floor: Not a whole number: “one”.",
        "line 5: beds: Must be a number of beds between 1 and 20.",
        "line 6: beds: Must be a number of beds between 1 and 20.",
        "line 7: floor: Must be a floor between -5 and 200.",
        "line 8: gender: Must be M (男), F (女) or X (混合), not “Q”.",
        "line 9: campus: Unknown campus “mars”; known campuses: jiangnan (江南校区), "
        "songbei (松北校区).",
        "line 10: building: Too long: at most 30 characters.",
        "line 11: room: Contains control characters (such as line breaks); remove them.",
        "line 12: room: Duplicate of line 2 (the same building and room).",
        "line 13: beds: Not a whole number: “2.5”.",
    ]
    assert snapshot() == before


def test_a_file_with_two_errors_reports_both(campuses, tmp_path):
    rows = [
        ROOM_HEADER_EN,
        ["songbei", "S01", "1", "101", "x", "M"],
        ["songbei", "S01", "1", "102", "4", "M"],
        ["songbei", "S01", "1", "103", "4", "?"],
    ]
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))
    assert error == "2 errors in file.csv: nothing was imported."
    assert err.strip().splitlines() == [
        "line 2: beds: Not a whole number: “x”.",
        "line 4: gender: Must be M (男), F (女) or X (混合), not “?”.",
    ]
    assert Room.objects.count() == 0


def test_blank_lines_keep_the_line_numbers_of_the_file(campuses):
    rows = [ROOM_HEADER_EN, [], ["songbei", "S01", "1", "101", "4", "M"], [], ["songbei"]]
    report = engine("rooms", rows)
    assert errors_of(report) == [
        (5, "building"),
        (5, "floor"),
        (5, "room"),
        (5, "beds"),
        (5, "gender"),
    ]


def test_unknown_campus_when_none_exists_says_how_to_create_them(db):
    report = engine("rooms", [ROOM_HEADER_EN, ["songbei", "S01", "1", "101", "4", "M"]])
    assert [e.reason for e in report.errors] == ["Unknown campus “songbei”: no campus exists yet."]
    assert HINT % "“songbei”" in report.notes


# --- Campuses created by a first import (import_rooms --create-campuses) ---------------------

HINT = (
    "Campuses not found: %s. If they are new campuses rather than typos, import the file "
    "again with --create-campuses (on the upload page, an administrator ticks “Create the "
    "campuses the file names”)."
)
FIRST_ROOMS = [
    ROOM_HEADER_ZH,
    ["南湖校区", "N01", "1", "101", "4", "男"],
    ["南湖", "N01", "1", "102", "4", "男"],  # the same campus, without the suffix
    ["Beilin Campus", "N01", "2", "201", "2", "女"],  # another campus, same building code
]


def campus_rows():
    return list(Campus.objects.order_by("position").values_list("code", "name", "position"))


def test_a_first_import_creates_the_campuses_it_names_when_asked(db, tmp_path):
    # Given a fresh installation: no campus at all
    # When the first room list is imported with --create-campuses
    out, err, error = run(
        "import_rooms", tmp_path, csv_bytes(FIRST_ROOMS), options=["--create-campuses"]
    )
    # Then each campus the file names is created once, however it is spelled, and listed
    assert error is None, err
    assert campus_rows() == [("campus-1", "南湖校区", 1), ("beilin-campus", "Beilin Campus", 2)]
    assert "Campuses created: 南湖校区 (code campus-1), Beilin Campus (code beilin-campus)." in out
    # and the rooms are in buildings of their own campus
    assert sorted(
        Room.objects.values_list("building__campus__code", "building__code", "number")
    ) == [
        ("beilin-campus", "N01", "201"),
        ("campus-1", "N01", "101"),
        ("campus-1", "N01", "102"),
    ]
    event = AuditEvent.objects.get(action="apartments.import_rooms")
    assert event.changes["counts"]["campuses_created"] == 2

    # When the same file is imported again
    out, err, error = run(
        "import_rooms", tmp_path, csv_bytes(FIRST_ROOMS), options=["--create-campuses"]
    )
    # Then nothing is duplicated: the campuses exist now
    assert error is None, err
    assert Campus.objects.count() == 2
    assert "Campuses created" not in out
    assert "3 rows: 0 created, 0 updated, 3 unchanged." in out


def test_a_dry_run_lists_the_campuses_it_would_create_and_creates_nothing(db, tmp_path):
    out, err, error = run(
        "import_rooms",
        tmp_path,
        csv_bytes(FIRST_ROOMS),
        dry_run=True,
        options=["--create-campuses"],
    )
    assert error is None, err
    assert (
        "Campuses to create: 南湖校区 (code campus-1), Beilin Campus (code beilin-campus)." in out
    )
    assert "Dry run: nothing was written." in out
    assert Campus.objects.count() == 0
    assert Building.objects.count() == 0


def test_known_campuses_are_used_and_only_the_unknown_one_is_created(campuses, tmp_path):
    rows = [
        ROOM_HEADER_EN,
        ["松北", "S01", "1", "101", "4", "M"],
        ["Jiangnan Campus", "J01", "1", "101", "4", "M"],
        ["Nanhu", "N01", "1", "101", "4", "M"],
    ]
    out, err, error = run("import_rooms", tmp_path, csv_bytes(rows), options=["--create-campuses"])
    assert error is None, err
    assert "Campuses created: Nanhu (code nanhu)." in out
    assert Campus.objects.count() == 3
    assert Campus.objects.get(code="nanhu").position > max(c.position for c in campuses)
    assert dict(Building.objects.values_list("code", "campus__code")) == {
        "S01": "songbei",
        "J01": "jiangnan",
        "N01": "nanhu",
    }


def test_a_new_campus_code_never_takes_an_existing_one(db):
    # Given campuses coded "campus-1" (a Chinese name imported before) and "nanhu"
    CampusFactory(code="campus-1", name="南湖校区", name_en="")
    CampusFactory(code="nanhu", name="旧校区", name_en="Old campus")
    # When a file names another Chinese-named campus, and "Nanhu." (whose code would be "nanhu")
    rows = [
        ROOM_HEADER_EN,
        ["北林校区", "S01", "1", "101", "4", "M"],
        ["Nanhu.", "S01", "1", "101", "4", "M"],
    ]
    with translation.override("en"):
        report = imports.run_import(
            imports.ImportKind.ROOMS,
            data=csv_bytes(rows),
            file_name="rooms.csv",
            create_campuses=True,
        )
    # Then each new campus gets a code of its own
    assert report.ok, report.format_text()
    assert sorted(Campus.objects.values_list("code", "name")) == [
        ("campus-1", "南湖校区"),
        ("campus-2", "北林校区"),
        ("nanhu", "旧校区"),
        ("nanhu-2", "Nanhu."),
    ]


def test_without_the_flag_an_unknown_campus_is_a_bad_row_with_a_hint(campuses, tmp_path):
    # Given a file with a typo in one campus and a campus that does not exist
    rows = [
        ROOM_HEADER_EN,
        ["松北", "S01", "1", "101", "4", "M"],
        ["松比", "S01", "1", "102", "4", "M"],
        ["Nanhu", "N01", "1", "101", "4", "M"],
        ["nanhu campus", "N01", "1", "102", "4", "M"],
    ]
    before = snapshot()
    # When imported without --create-campuses
    out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))
    # Then those rows are bad, nothing is imported, and the report says how to create them
    assert error == "3 errors in file.csv: nothing was imported."
    assert [line.split(";")[0] for line in err.strip().splitlines()] == [
        "line 3: campus: Unknown campus “松比”",
        "line 4: campus: Unknown campus “Nanhu”",
        "line 5: campus: Unknown campus “nanhu campus”",
    ]
    assert HINT % "“松比”, “Nanhu”" in out
    assert snapshot() == before
    assert Campus.objects.count() == 2


def test_a_campus_to_create_is_checked_like_any_name(db, tmp_path):
    rows = [
        ROOM_HEADER_EN,
        ['=HYPERLINK("http://x","y")', "S01", "1", "101", "4", "M"],
        ["南" * 101, "S01", "1", "102", "4", "M"],
    ]
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows), options=["--create-campuses"])
    assert error == "2 errors in file.csv: nothing was imported."
    assert err.strip().splitlines() == [
        "line 2: campus: " + FORMULA % "=",
        "line 3: campus: Too long: at most 100 characters.",
    ]
    assert Campus.objects.count() == 0


def test_the_residents_and_assets_imports_never_create_a_campus(db, tmp_path):
    for command in ("import_residents", "import_assets"):
        with pytest.raises(CommandError, match="--create-campuses"):
            call_command(command, str(tmp_path / "x.csv"), "--create-campuses")
    with pytest.raises(ValueError, match="only rooms"):
        imports.run_import(
            imports.ImportKind.RESIDENTS, data=b"", file_name="x.csv", create_campuses=True
        )


def test_missing_header_is_named_and_unknown_columns_are_noted(campuses, tmp_path):
    # Given a file without "beds", and a column the import does not know
    rows = [
        ["校区", "楼栋", "楼层", "房间", "性别", "备注"],
        ["松北", "S01", "1", "101", "男", "x"],
    ]
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))
    assert error is not None
    assert err.strip() == "line 1: beds / 床位数: This required column is missing."

    # When the column is there, the extra one is only noted
    rows = [
        ["校区", "楼栋", "楼层", "房间", "床位数", "性别", "备注"],
        ["松北", "S01", "1", "101", "4", "男", "x"],
    ]
    out, _err, error = run("import_rooms", tmp_path, csv_bytes(rows))
    assert error is None
    assert "Columns ignored (not known to this import): 备注." in out


def test_headers_ignore_case_spacing_and_duplicates_are_refused(campuses):
    rows = [
        [" Campus ", "BUILDING", "Floor", "Room", "Beds", "Gender"],
        ["songbei", "S01", "1", "1", "1", "M"],
    ]
    assert engine("rooms", rows).ok
    twice = [["campus", "校区", "building", "floor", "room", "beds", "gender"]]
    report = engine("rooms", twice)
    assert [str(e) for e in report.errors] == [
        "line 1: 校区: This column appears twice (also as “campus”)."
    ]


FORMULA = (
    "Starts with “%s”: a spreadsheet would run it as a formula. Codes and names may not start "
    "with = + - or @."
)


def test_codes_a_spreadsheet_would_run_as_formulas_are_refused(campuses, tmp_path):
    # Given building codes and room numbers that a spreadsheet would evaluate
    rows = [
        ROOM_HEADER_EN,
        ["songbei", "=1+1", "1", "101", "2", "M"],
        ["songbei", "S01", "1", "@SUM(A1)", "2", "M"],
        ["songbei", "+S01", "1", "102", "2", "M"],
        ["songbei", "S01", "-1", "-101", "2", "M"],  # a negative floor is a number: fine
        ["songbei", " =cmd|' /C calc'!A0", "1", "103", "2", "M"],  # spaces are trimmed first
        ["songbei", "S-01", "1", "1-04", "2", "M"],  # inside a value: fine
    ]
    before = snapshot()
    # When imported
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))
    # Then each is a bad row with its reason, and nothing is written
    assert error == "5 errors in file.csv: nothing was imported."
    assert err.strip().splitlines() == [
        "line 2: building: " + FORMULA % "=",
        "line 3: room: " + FORMULA % "@",
        "line 4: building: " + FORMULA % "+",
        "line 5: room: " + FORMULA % "-",
        "line 6: building: " + FORMULA % "=",
    ]
    assert snapshot() == before


def test_dry_run_reports_what_would_change_and_writes_nothing(campuses, tmp_path):
    before = snapshot()
    out, _err, error = run("import_rooms", tmp_path, csv_bytes(ROOMS), dry_run=True)
    assert error is None
    assert "Dry run: nothing was written." in out
    assert "4 rows: 4 created, 0 updated, 0 unchanged." in out
    assert snapshot() == before


# --- Files -----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def _zip_of_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (PNG, "This file is neither a CSV nor an Excel (.xlsx) file."),
        (b"abc\x00def\x00" * 20, "This file is neither a CSV nor an Excel (.xlsx) file."),
        (XLS, "This is an old Excel .xls file: save it as .xlsx or CSV and try again."),
        (_zip_of_text(), "This zip file is not an Excel workbook that can be read"),
    ],
)
def test_files_that_are_not_csv_or_xlsx_are_refused(campuses, tmp_path, data, reason):
    # Given a file named .csv whatever it holds
    _out, err, error = run("import_rooms", tmp_path, data, name="rooms.csv")
    # Then it is judged by its content
    assert error == "1 error in rooms.csv: nothing was imported."
    assert err.strip().startswith(reason)
    assert Room.objects.count() == 0


def test_an_xlsx_named_csv_is_read_as_xlsx(campuses, tmp_path):
    data = xlsx_bytes([ROOM_HEADER_EN, ["songbei", "S01", 1, 101, 4, "M"]], sheets=2)
    out, _err, error = run("import_rooms", tmp_path, data, name="rooms.csv")
    assert error is None
    assert "Only the first sheet" in out
    assert Room.objects.count() == 1


def test_xlsx_line_numbers_count_blank_rows(campuses):
    data = xlsx_bytes(
        [
            ROOM_HEADER_EN,
            ["songbei", "S01", 1, 101, 4, "M"],
            [],
            ["songbei", "S01", 1, 102, 99, "M"],
        ]
    )
    report = engine("rooms", data=data)
    assert errors_of(report) == [(4, "beds")]


def test_size_and_row_limits(campuses, monkeypatch):
    monkeypatch.setattr(tables, "MAX_FILE_BYTES", 100)
    report = engine("rooms", data=b"x" * 101)
    assert [str(e) for e in report.errors] == ["The file is larger than 20 MB."]

    monkeypatch.setattr(tables, "MAX_FILE_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(tables, "MAX_ROWS", 2)
    rows = [ROOM_HEADER_EN] + [["songbei", "S01", "1", str(n), "1", "M"] for n in range(3)]
    report = engine("rooms", rows)
    assert [str(e) for e in report.errors] == [
        "The file has more than 2 rows: split it into smaller files."
    ]


def test_missing_or_unreadable_file_is_a_clear_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_rooms", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="a folder, not a file"):
        call_command("import_residents", str(tmp_path))


# --- Residents -------------------------------------------------------------------------------


def test_residents_with_accounts_and_reservations(rooms, tmp_path):
    # Given a Chinese file: a man with a bed in S01, a woman with one in S02, one without
    rows = [
        RESIDENT_HEADER_ZH,
        resident_row("2025000001", bed=("S01", "101", "1")),
        [
            "2025000002",
            "李四",
            "女",
            "研究生",
            "songbei",
            "理学院",
            "S02",
            "201",
            "2号床",
            "+86 138 0000 0000",
        ],
        ["2025000003", "王五", "M", "doctoral", "Jiangnan Campus", "", "", "", "", ""],
    ]
    # When imported
    out, err, error = run("import_residents", tmp_path, csv_bytes(rows))

    # Then the residents exist with their values
    assert error is None, err
    assert "3 rows: 3 created, 0 updated, 0 unchanged." in out
    assert "Portal accounts created: 3. Reservations made: 2 (moved from another bed: 0)." in out
    li = Resident.objects.get(student_id="2025000002")
    assert (li.name, li.gender, li.category, li.campus.code, li.college, li.phone) == (
        "李四",
        "F",
        "postgraduate",
        "songbei",
        "理学院",
        "+86 138 0000 0000",
    )
    # and each has a portal account without a usable password, with the student's role
    user = li.user
    assert (user.username, user.full_name) == ("2025000002", "李四")
    assert not is_password_usable(user.password)
    assert not user.has_usable_password()
    assert RoleGrant.objects.filter(role=Role.STUDENT).count() == 3
    # and the beds are reserved
    stay = stay_of("2025000001")
    assert (str(stay.bed), stay.status) == ("S01-101-1", "reserved")
    assert stay.reserved_at is not None
    assert str(stay_of("2025000002").bed) == "S02-201-2"
    assert not Stay.objects.filter(resident__student_id="2025000003").exists()
    assert AuditEvent.objects.filter(action="apartments.import_residents").count() == 1


def test_resident_values_are_only_ever_text(rooms):
    # Given values a browser would interpret, and a phone number in international form
    rows = [
        RESIDENT_HEADER_EN,
        [
            "2025000001",
            "<script>alert(1)</script>",
            "F",
            "staff",
            "songbei",
            "",
            "",
            "",
            "",
            "+86 1",
        ],
    ]
    report = engine("residents", rows)
    # Then they are stored exactly as they were written (pages escape them)
    assert report.ok, report.format_text()
    resident = Resident.objects.get()
    assert (resident.name, resident.phone) == ("<script>alert(1)</script>", "+86 1")


def test_resident_values_a_spreadsheet_would_run_as_formulas_are_refused(rooms):
    # Given a student id, names, a college and a class that a spreadsheet would evaluate
    header = [*RESIDENT_HEADER_EN, "class"]
    rows = [
        header,
        ["+2025000001", "张三", "M", "undergraduate", "songbei", "", "", "", "", "", ""],
        ["2025000002", "=1+2", "M", "undergraduate", "songbei", "", "", "", "", "", ""],
        ["2025000003", "张三", "M", "undergraduate", "songbei", "@SUM(A1)", "", "", "", "", ""],
        ["2025000004", "张三", "M", "undergraduate", "songbei", "", "", "", "", "", "-2"],
        ["2025000005", "张三", "M", "undergraduate", "songbei", "", "", "", "", "+86 1", "计科1班"],
    ]
    before = snapshot()
    report = engine("residents", rows)
    # Then each is a bad row (the phone number is not a name: + starts a country code)
    assert [(e.line, e.column, e.reason) for e in report.sorted_errors()] == [
        (2, "student_id", FORMULA % "+"),
        (3, "name", FORMULA % "="),
        (4, "college", FORMULA % "@"),
        (5, "class", FORMULA % "-"),
    ]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        (1, "张\n三"),  # a line break inside a quoted cell
        (1, "\u202e三张"),  # right-to-left override: shows the name reversed
        (5, "计算机\x07学院"),
        (0, "2025\t000001"),
    ],
)
def test_resident_values_with_control_characters_are_refused(rooms, cell, value):
    row = resident_row("2025000001")
    row[cell] = value
    report = engine("residents", [RESIDENT_HEADER_EN, row])
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (
            2,
            RESIDENT_HEADER_EN[cell],
            "Contains control characters (such as line breaks); remove them.",
        )
    ]
    assert not Resident.objects.exists()


def test_an_unknown_room_type_names_the_known_ones(campuses):
    rows = [[*ROOM_HEADER_EN, "type"], ["songbei", "S01", "1", "101", "4", "M", "suite"]]
    report = engine("rooms", rows)
    assert [str(e) for e in report.errors] == [
        "line 2: type: Unknown room type “suite”; use one of: dormitory (宿舍), staff (教工宿舍), "
        "accessible (无障碍), guest (客房)."
    ]


def test_residents_from_xlsx_with_numbers_for_ids_and_phones(rooms):
    rows = [
        RESIDENT_HEADER_EN,
        [
            2025000001,
            "Zhang San",
            "M",
            "Undergraduate",
            "songbei",
            "CS",
            "S01",
            101,
            2,
            13800000000,
        ],
    ]
    report = engine("residents", data=xlsx_bytes(rows))
    assert report.ok, report.format_text()
    resident = Resident.objects.get()
    assert (resident.student_id, resident.phone) == ("2025000001", "13800000000")
    assert str(stay_of("2025000001").bed) == "S01-101-2"


def test_residents_reimport_changes_nothing(rooms, tmp_path):
    rows = [
        RESIDENT_HEADER_EN,
        resident_row("2025000001", bed=("S01", "101", "1")),
        resident_row("2025000002"),
    ]
    assert run("import_residents", tmp_path, csv_bytes(rows))[2] is None
    before = snapshot()

    out, _err, error = run("import_residents", tmp_path, csv_bytes(rows))

    assert error is None
    assert "2 rows: 0 created, 0 updated, 2 unchanged." in out
    assert "Portal accounts created: 0. Reservations made: 0" in out
    after = snapshot()
    assert after.pop("audit") == before.pop("audit") + 1
    assert after == before


def test_residents_update_changed_fields_and_the_account_name(rooms):
    engine(
        "residents", [RESIDENT_HEADER_EN, resident_row("2025000001"), resident_row("2025000002")]
    )
    # When one resident's name and campus change
    rows = [
        RESIDENT_HEADER_EN,
        resident_row("2025000001", name="张叁", campus="江南"),
        resident_row("2025000002"),
    ]
    report = engine("residents", rows)
    # Then that one is updated, and their account's name follows
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    resident = Resident.objects.get(student_id="2025000001")
    assert (resident.name, resident.campus.code, resident.user.full_name) == (
        "张叁",
        "jiangnan",
        "张叁",
    )
    assert User.objects.filter(username__startswith="2025").count() == 2


def test_an_existing_account_is_linked_not_duplicated(rooms):
    # Given an account named like the student id, already a student
    user = UserFactory(username="2025000001")
    RoleGrant.objects.create(user=user, role=Role.STUDENT)
    # When the resident is imported
    report = engine("residents", [RESIDENT_HEADER_EN, resident_row("2025000001")])
    # Then the account is theirs, and the role is not granted twice
    assert report.ok
    assert report.details["accounts_created"] == 0
    assert Resident.objects.get().user == user
    assert RoleGrant.objects.filter(user=user).count() == 1


def test_a_reservation_moves_and_the_old_one_is_cancelled(rooms):
    engine("residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "101", "1"))])
    old = stay_of("2025000001")

    report = engine(
        "residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "102", "2"))]
    )

    assert report.ok
    assert report.details["reservations_moved"] == 1
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert old.ended_at is not None
    assert str(stay_of("2025000001").bed) == "S01-102-2"


def test_two_residents_can_swap_reserved_beds(rooms):
    engine(
        "residents",
        [
            RESIDENT_HEADER_EN,
            resident_row("2025000001", bed=("S01", "101", "1")),
            resident_row("2025000002", bed=("S01", "101", "2")),
        ],
    )
    report = engine(
        "residents",
        [
            RESIDENT_HEADER_EN,
            resident_row("2025000001", bed=("S01", "101", "2")),
            resident_row("2025000002", bed=("S01", "101", "1")),
        ],
    )
    assert report.ok, report.format_text()
    assert str(stay_of("2025000001").bed) == "S01-101-2"
    assert str(stay_of("2025000002").bed) == "S01-101-1"


def test_a_checked_in_resident_is_left_in_their_bed(rooms):
    engine("residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "101", "1"))])
    Stay.objects.filter(resident__student_id="2025000001").update(status="active")

    report = engine(
        "residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "102", "1"))]
    )

    assert report.ok
    assert report.details["reservations_made"] == 0
    assert "1 resident is already checked in elsewhere and was left in their bed." in report.notes
    stay = stay_of("2025000001")
    assert (str(stay.bed), stay.status) == ("S01-101-1", "active")


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            resident_row("2025000009", gender="女", bed=("S01", "101", "1")),
            "room",
            "S01-101 houses men only; this resident is a woman.",
        ),
        (
            resident_row("2025000009", campus="江南", bed=("S01", "101", "1")),
            "building",
            "Building S01 is on campus Songbei, not on the resident's campus Jiangnan.",
        ),
        (
            resident_row("2025000009", bed=("S09", "101", "1")),
            "building",
            "No building “S09” on campus Songbei.",
        ),
        (
            resident_row("2025000009", bed=("S01", "999", "1")),
            "room",
            "No room 999 in building S01.",
        ),
        (resident_row("2025000009", bed=("S01", "101", "5")), "bed", "No bed 5 in room S01-101."),
        (
            resident_row("2025000009", bed=("S01", "101", "")),
            "bed",
            "A bed reservation needs building, room and bed together; missing: bed.",
        ),
        (resident_row("2025000009", bed=("S01", "101", "x")), "bed", "Not a bed number: “x”."),
        (resident_row("2025000009", gender="X"), "gender", "Must be M (男) or F (女), not “X”."),
        (
            resident_row("2025000009", category="freshman"),
            "category",
            "Unknown category “freshman”; use one of: undergraduate (本科生), top_up (专升本), "
            "postgraduate (研究生), doctoral (博士生), adult_education (成教), staff (教工).",
        ),
        (
            ["2025 0001", "张三", "男", "本科生", "松北", "", "", "", "", ""],
            "student_id",
            "A student id may contain only letters, digits and @ . + - _",
        ),
        (
            ["", "张三", "男", "本科生", "松北", "", "", "", "", ""],
            "student_id",
            "This value is required.",
        ),
        (
            ["2025000009", "张" * 101, "男", "本科生", "松北", "", "", "", "", ""],
            "name",
            "Too long: at most 100 characters.",
        ),
        (
            ["2025000009", "张三", "男", "本科生", "松北", "", "", "", "", "call me"],
            "phone",
            "A phone number may contain only digits, spaces and + - ( )",
        ),
    ],
)
def test_bad_resident_rows_are_refused(rooms, row, column, reason):
    before = snapshot()
    report = engine("residents", [RESIDENT_HEADER_EN, resident_row("2025000001"), row])
    assert [(e.line, e.column, e.reason) for e in report.errors] == [(3, column, reason)]
    assert snapshot() == before


def test_a_building_for_other_categories_refuses_the_resident(rooms):
    Building.objects.filter(code="S01").update(categories=["postgraduate"])
    report = engine(
        "residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "101", "1"))]
    )
    assert [str(e) for e in report.errors] == [
        "line 2: building: Building S01 does not house residents of the category Undergraduate."
    ]


def test_a_mixed_room_in_a_women_building_follows_the_building(campuses):
    building = BuildingFactory(campus=campuses[0], code="W1", gender_policy="F")
    RoomFactory(building=building, number="1", gender="X", capacity=2)
    report = engine(
        "residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("W1", "1", "1"))]
    )
    assert [e.reason for e in report.errors] == ["W1 houses women only; this resident is a man."]
    report = engine(
        "residents",
        [RESIDENT_HEADER_EN, resident_row("2025000002", gender="女", bed=("W1", "1", "1"))],
    )
    assert report.ok


def test_duplicate_student_id_and_same_bed_twice_name_the_earlier_line(rooms):
    rows = [
        RESIDENT_HEADER_EN,
        resident_row("2025000001", bed=("S01", "101", "1")),
        resident_row("2025000002", bed=("S01", "101", "1")),
        resident_row("2025000001"),
    ]
    report = engine("residents", rows)
    assert [str(e) for e in report.sorted_errors()] == [
        "line 3: bed: Bed S01-101-1 is already given to line 2.",
        "line 4: student_id: Duplicate of line 2 (the same student id).",
    ]
    assert Resident.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("reserved", "Bed S01-101-1 is reserved for 2024000001."),
        ("active", "Bed S01-101-1 is occupied by 2024000001."),
    ],
)
def test_a_bed_taken_in_the_database_is_refused(rooms, status, reason):
    holder = ResidentFactory(student_id="2024000001", campus=rooms["S01"].campus)
    bed = Bed.objects.get(room__building__code="S01", room__number="101", number=1)
    Stay.objects.create(resident=holder, bed=bed, status=status)
    report = engine(
        "residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "101", "1"))]
    )
    assert [str(e) for e in report.errors] == [f"line 2: bed: {reason}"]
    assert Resident.objects.count() == 1


def test_residents_dry_run_writes_nothing(rooms, tmp_path):
    before = snapshot()
    rows = [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "101", "1"))]
    out, _err, error = run("import_residents", tmp_path, csv_bytes(rows), dry_run=True)
    assert error is None
    assert "Dry run: nothing was written." in out
    assert "Portal accounts created: 1. Reservations made: 1" in out
    assert snapshot() == before


def test_a_reservation_taken_meanwhile_undoes_the_whole_import(rooms, monkeypatch):
    # Given a resident reserved in S01-101-1, whom the file moves to 102-1
    engine("residents", [RESIDENT_HEADER_EN, resident_row("2025000001", bed=("S01", "101", "1"))])
    before = snapshot()
    checker = imports.ResidentImporter.check

    def check_then_desk_checks_in(self, rows):
        plan = checker(self, rows)
        # a desk checks the resident in between the checks and the writes
        Stay.objects.filter(resident__student_id="2025000001").update(status="active")
        return plan

    monkeypatch.setattr(imports.ResidentImporter, "check", check_then_desk_checks_in)
    rows = [
        RESIDENT_HEADER_EN,
        resident_row("2025000002"),
        resident_row("2025000001", bed=("S01", "102", "1")),
    ]
    report = engine("residents", rows)
    # Then the whole import is undone (here with the simulated desk, which shares its
    # transaction; a real desk's check-in commits on its own and stands)
    assert not report.ok
    assert "nothing was imported" in report.errors[0].reason
    assert snapshot() == before


# --- Query budget ----------------------------------------------------------------------------


def _many_rooms(campus, count):
    building = BuildingFactory(campus=campus, code="Q1", gender_policy="X")
    rooms = Room.objects.bulk_create(
        [Room(building=building, floor=1, number=str(n), capacity=1) for n in range(count)]
    )
    Bed.objects.bulk_create([Bed(room=room, number=1) for room in rooms])


def _queries(kind, rows):
    with CaptureQueriesContext(connection) as queries:
        report = engine(kind, rows)
    assert report.ok, report.format_text()
    return len(queries)


@pytest.fixture
def sqlite_real_variable_limit(monkeypatch):
    """Django 5.2 assumes SQLite's old limit of 999 variables a query and splits bulk inserts
    by it (a 300-row insert of 12 columns would take 4). The SQLite in use allows 32,766, as
    PostgreSQL allows far more: let bulk queries be one query, as they are in production."""
    if not is_postgres():
        monkeypatch.setattr(connection.features, "max_query_params", 32766)


def test_query_count_does_not_grow_with_rows(campuses, sqlite_real_variable_limit):
    # Given a building Q1 of 620 one-bed rooms numbered 0..619
    _many_rooms(campuses[0], 620)

    def rooms_file(building, count, beds):
        return [ROOM_HEADER_EN] + [
            ["songbei", building, "1", str(n), str(beds), "X"] for n in range(count)
        ]

    def residents_file(prefix, count, first_bed, name="张三"):
        return [RESIDENT_HEADER_EN] + [
            resident_row(f"{prefix}{n:06d}", name=name, bed=("Q1", str(first_bed + n), "1"))
            for n in range(count)
        ]

    # Rooms: campuses and buildings read, then one INSERT each of buildings, rooms, beds and
    # the audit record, within a savepoint (8), whatever the number of rows…
    assert (
        _queries("rooms", rooms_file("R1", 10, 2)),
        _queries("rooms", rooms_file("R2", 300, 2)),
    ) == (8, 8)
    # …then also the buildings' rooms, beds and current stays read, one UPDATE of the rooms and
    # one INSERT of the beds they gain (10).
    assert (
        _queries("rooms", rooms_file("R1", 10, 3)),
        _queries("rooms", rooms_file("R2", 300, 3)),
    ) == (10, 10)

    # Residents: campuses, buildings, rooms, beds, residents, the accounts named like them and
    # the current stays in those buildings read; accounts, roles, residents and reservations
    # inserted; the audit record; a savepoint (14)…
    assert (
        _queries("residents", residents_file("30", 10, 0)),
        _queries("residents", residents_file("31", 300, 10)),
    ) == (14, 14)
    # …and when every one of them is renamed and moved to another bed: no accounts to look
    # for, but their current stays; one UPDATE each of residents, account names and old
    # reservations, one INSERT of the new ones (14).
    assert (
        _queries("residents", residents_file("30", 10, 310, name="新名")),
        _queries("residents", residents_file("31", 300, 320, name="新名")),
    ) == (14, 14)
    assert Stay.objects.filter(status="cancelled").count() == 310
    assert User.objects.filter(full_name="新名").count() == 310


def test_an_operator_reads_the_report_in_chinese(tmp_path):
    """The commands speak the portal's default language, Simplified Chinese."""
    from django.utils import translation

    path = tmp_path / "rooms.csv"
    path.write_text("校区,楼栋,楼层,房间,床位数,性别\n火星,S01,1,101,4,M\n", encoding="utf-8")
    err = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("import_rooms", str(path), stdout=io.StringIO(), stderr=err)
    assert "第 2 行：校区：" in err.getvalue()


def test_rooms_shrink_refused_when_a_bed_has_kit_checks_on_record(rooms, tmp_path):
    """Kit checks are evidence (验质验量): removing their bed would delete them."""
    from apartments.models import KitCheck, KitType

    bed = Bed.objects.get(room__building__code="S01", room__number="101", number=4)
    kit_type = KitType.objects.create(code="standard", name="标准行李")
    KitCheck.objects.create(bed=bed, kit_type=kit_type, result="failed", reason="枕头缺失")
    before = snapshot()

    rows = [ROOM_HEADER_EN, ["songbei", "S01", "1", "101", "2", "M"]]
    _out, err, error = run("import_rooms", tmp_path, csv_bytes(rows))

    assert error == "1 error in file.csv: nothing was imported."
    assert err.strip() == (
        "line 2: beds: Bed 4 of room S01-101 has kit checks on record; it cannot be removed."
    )
    assert snapshot() == before
    assert KitCheck.objects.filter(bed=bed).exists()


def test_the_database_keeps_kit_checks_when_a_bed_is_deleted(rooms):
    from django.db.models import ProtectedError

    from apartments.models import KitCheck, KitType

    bed = Bed.objects.get(room__building__code="S01", room__number="101", number=4)
    kit_type = KitType.objects.create(code="standard", name="标准行李")
    KitCheck.objects.create(bed=bed, kit_type=kit_type, result="passed")
    with pytest.raises(ProtectedError):
        bed.delete()


def test_imported_residents_get_their_pinyin_initials_and_keep_them_on_a_rename(rooms):
    """The staff's search finds residents by initials (apartments.names): the import's bulk
    insert and bulk update write them as save() would."""
    report = engine(
        "residents",
        [
            RESIDENT_HEADER_ZH,
            resident_row("2601001", name="王伟"),
            resident_row("2601002", name="单雄信"),
        ],
    )
    assert not report.sorted_errors()
    initials = dict(Resident.objects.values_list("student_id", "name_initials"))
    assert initials == {"2601001": "ww", "2601002": "sxx"}

    engine("residents", [RESIDENT_HEADER_ZH, resident_row("2601001", name="李明")])
    assert Resident.objects.get(student_id="2601001").name_initials == "lm"

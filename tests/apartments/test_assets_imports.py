"""The asset import (the "assets" kind of apartments/imports/, `import_assets`): assets by
tag into rooms or storerooms, all or nothing, every bad row reported, re-imports update."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from apartments import imports
from apartments.models import Asset, AssetCondition, AssetType, Storeroom
from logistics.models import AuditEvent, Role
from tests.apartments.test_imports import (  # noqa: F401 (a fixture)
    csv_bytes,
    errors_of,
    run,
    sqlite_real_variable_limit,
    xlsx_bytes,
)
from tests.factories import BuildingFactory, CampusFactory, RoomFactory, user_with_role

pytestmark = pytest.mark.django_db

HEADER_EN = ["campus", "building", "room", "storeroom", "type", "tag", "condition", "acquired_on"]
HEADER_ZH = ["校区", "楼栋", "房间", "库房", "资产类型", "资产编号", "状况", "购置日期"]


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def campus():
    return CampusFactory(code="songbei", name="松北校区", name_en="Songbei")


@pytest.fixture
def places(campus):
    """Building S01 with rooms 101 and 102, and the campus storeroom KF01."""
    building = BuildingFactory(campus=campus, code="S01", name="松北1号公寓")
    r101 = RoomFactory(building=building, number="101", floor=1)
    r102 = RoomFactory(building=building, number="102", floor=1)
    store = Storeroom.objects.create(campus=campus, code="KF01", name="备品库房")
    return r101, r102, store


@pytest.fixture
def types():
    chair = AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost=30, replacement_cost=120
    )
    desk = AssetType.objects.create(
        code="desk", name="书桌", name_en="Desk", repair_cost=60, replacement_cost=450
    )
    return chair, desk


def engine(rows=None, *, data=None, dry_run=False, actor=None):
    return imports.run_import(
        imports.ImportKind.ASSETS,
        data=data if data is not None else csv_bytes(rows),
        file_name="assets.csv",
        actor=actor,
        dry_run=dry_run,
    )


def books():
    return list(
        Asset.objects.order_by("tag").values_list(
            "tag", "asset_type__code", "room__number", "storeroom__code", "condition", "acquired_on"
        )
    )


def test_a_csv_with_english_headers_puts_assets_in_rooms_and_the_storeroom(places, types):
    # Given a room list, a storeroom and the price list
    # When the asset register is imported
    report = engine(
        [
            HEADER_EN,
            ["songbei", "S01", "101", "", "chair", "S01-101-CH1", "", "2024-09-01"],
            ["Songbei", "S01", "101", "", "Desk", "S01-101-DK1", "worn", ""],
            ["松北校区", "", "", "KF01", "书桌", "KF-DK-01", "good", ""],
        ]
    )
    # Then every asset is on the books where the file says, new ones good
    assert report.ok, report.format_text()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert books() == [
        ("KF-DK-01", "desk", None, "KF01", "good", None),
        ("S01-101-CH1", "chair", "101", None, "good", datetime.date(2024, 9, 1)),
        ("S01-101-DK1", "desk", "101", None, "worn", None),
    ]
    assert AuditEvent.objects.filter(action="apartments.import_assets").count() == 1


def test_an_xlsx_with_chinese_headers_and_values_and_an_excel_date(places, types):
    # Given an Excel file with Chinese headers, Chinese conditions and real date cells
    data = xlsx_bytes(
        [
            HEADER_ZH,
            ["松北", "S01", 102, None, "椅子", "S01-102-CH1", "损坏", datetime.date(2023, 8, 20)],
            ["松北", None, None, "KF01", "chair", "KF-CH-01", "丢失", 45536],  # 2024-09-01
        ]
    )
    # When it is imported
    report = engine(data=data)
    # Then the room number typed as a number, the date cell and the date serial are read
    assert report.ok, report.format_text()
    assert books() == [
        ("KF-CH-01", "chair", None, "KF01", "missing", datetime.date(2024, 9, 1)),
        ("S01-102-CH1", "chair", "102", None, "damaged", datetime.date(2023, 8, 20)),
    ]


def test_every_bad_row_is_reported_and_nothing_is_written(places, types):
    # Given one good row and a row of each kind of mistake
    rows = [
        HEADER_EN,
        ["songbei", "S01", "101", "", "chair", "OK-1", "", ""],  # line 2: fine
        ["nowhere", "S01", "101", "", "chair", "E-3", "", ""],  # unknown campus
        ["songbei", "S99", "101", "", "chair", "E-4", "", ""],  # unknown building
        ["songbei", "S01", "999", "", "chair", "E-5", "", ""],  # unknown room
        ["songbei", "", "", "KF99", "chair", "E-6", "", ""],  # unknown storeroom
        ["songbei", "S01", "101", "", "sofa", "E-7", "", ""],  # unknown type
        ["songbei", "S01", "101", "KF01", "chair", "E-8", "", ""],  # room and storeroom
        ["songbei", "", "", "", "chair", "E-9", "", ""],  # neither
        ["songbei", "S01", "101", "", "chair", "OK-1", "", ""],  # duplicate tag (of line 2)
        ["songbei", "S01", "101", "", "chair", "E-11", "", "2024-13-01"],  # bad date
        ["songbei", "S01", "101", "", "chair", "E-12", "broken", ""],  # bad condition
        ["songbei", "S01", "", "", "chair", "E-13", "", ""],  # building without room
        ["songbei", "S01", "101", "", "chair", "", "", ""],  # no tag
        ["songbei", "S01", "101", "", "chair", "E-15", "", "2999-01-01"],  # future date
    ]
    before = AuditEvent.objects.count()
    # When it is imported
    report = engine(rows)
    # Then each mistake is reported on its line and column, and nothing is written
    assert errors_of(report) == [
        (3, "campus"),
        (4, "building"),
        (5, "room"),
        (6, "storeroom"),
        (7, "type"),
        (8, "storeroom"),
        (9, "room"),
        (10, "tag"),
        (11, "acquired_on"),
        (12, "condition"),
        (13, "room"),
        (14, "tag"),
        (15, "acquired_on"),
    ]
    messages = {e.line: e.reason for e in report.errors}
    assert "known types: chair (椅子), desk (书桌)" in messages[7]
    assert "Duplicate of line 2" in messages[10]
    assert "created in the administration" in messages[6]
    assert "good (完好)" in messages[12]
    assert not report.written
    assert Asset.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_tags_a_spreadsheet_would_run_or_with_control_characters_are_refused(places, types):
    # Given tags that a spreadsheet would evaluate, or that hide control characters
    rows = [
        HEADER_EN,
        ["songbei", "S01", "101", "", "chair", '=HYPERLINK("http://x")', "", ""],
        ["songbei", "S01", "101", "", "chair", "@A1", "", ""],
        ["songbei", "S01", "101", "", "chair", "+1", "", ""],
        ["songbei", "S01", "101", "", "chair", "-1", "", ""],
        ["songbei", "S01", "101", "", "chair", "T\u202e-1", "", ""],
        ["songbei", "S01", "101", "", "chair", "S01-101-1", "", ""],  # fine
    ]
    # When imported
    report = engine(rows)
    # Then each is a bad row with its reason, and nothing is written
    formula = (
        "Starts with “%s”: a spreadsheet would run it as a formula. Codes and names may not "
        "start with = + - or @."
    )
    assert [(e.line, e.column, e.reason) for e in report.sorted_errors()] == [
        (2, "tag", formula % "="),
        (3, "tag", formula % "@"),
        (4, "tag", formula % "+"),
        (5, "tag", formula % "-"),
        (6, "tag", "Contains control characters (such as line breaks); remove them."),
    ]
    assert Asset.objects.count() == 0


def test_no_asset_type_yet_says_who_creates_them(places):
    report = engine([HEADER_EN, ["songbei", "S01", "101", "", "chair", "T-1", "", ""]])
    assert errors_of(report) == [(2, "type")]
    assert "no asset type exists yet" in report.errors[0].reason


def test_a_missing_required_column_is_reported(places, types):
    report = engine([["campus", "building", "room", "type"], ["songbei", "S01", "101", "chair"]])
    assert [(e.column, e.reason) for e in report.errors] == [
        ("tag / 资产编号", "This required column is missing.")
    ]


def test_a_dry_run_checks_and_writes_nothing(places, types):
    report = engine(
        [HEADER_EN, ["songbei", "S01", "101", "", "chair", "D-1", "", ""]], dry_run=True
    )
    assert report.ok and report.created == 1
    assert not report.written
    assert Asset.objects.count() == 0


def test_importing_again_updates_moves_and_never_duplicates(places, types):
    first = [
        HEADER_EN,
        ["songbei", "S01", "101", "", "chair", "A-1", "good", "2024-09-01"],
        ["songbei", "S01", "101", "", "desk", "A-2", "good", ""],
        ["songbei", "S01", "102", "", "desk", "A-3", "", ""],
    ]
    assert engine(first).ok
    ids = dict(Asset.objects.values_list("tag", "pk"))

    # When the same file comes again, nothing changes
    again = engine(first)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    # When a chair moves to the storeroom, a desk moves rooms and another gets damaged
    # (condition and date left empty: kept as they are)
    report = engine(
        [
            HEADER_EN,
            ["songbei", "", "", "KF01", "chair", "A-1", "", ""],
            ["songbei", "S01", "102", "", "desk", "A-2", "", ""],
            ["songbei", "S01", "102", "", "desk", "A-3", "damaged", ""],
        ]
    )
    # Then the same assets are updated in place
    assert report.ok, report.format_text()
    assert (report.created, report.updated, report.unchanged) == (0, 3, 0)
    assert report.details["moved"] == 2
    assert dict(Asset.objects.values_list("tag", "pk")) == ids
    assert books() == [
        ("A-1", "chair", None, "KF01", "good", datetime.date(2024, 9, 1)),
        ("A-2", "desk", "102", None, "good", None),
        ("A-3", "desk", "102", None, "damaged", None),
    ]


def test_the_command_imports_and_its_dry_run_writes_nothing(tmp_path, places, types):
    data = csv_bytes([HEADER_ZH, ["松北", "S01", "101", "", "chair", "C-1", "完好", ""]])
    out, _err, error = run("import_assets", tmp_path, data, dry_run=True)
    assert error is None and "Dry run" in out
    assert Asset.objects.count() == 0

    out, _err, error = run("import_assets", tmp_path, data)
    assert error is None and "Imported." in out
    assert Asset.objects.get().tag == "C-1"


def test_the_command_fails_with_every_error(tmp_path, places, types):
    data = csv_bytes(
        [
            HEADER_EN,
            ["songbei", "S01", "101", "", "sofa", "C-1", "", ""],
            ["songbei", "S01", "101", "", "chair", "C-2", "??", ""],
        ]
    )
    _out, err, error = run("import_assets", tmp_path, data)
    assert error == "2 errors in file.csv: nothing was imported."
    assert "line 2: type" in err and "line 3: condition" in err


def _rows(n, *, offset=0, room="101"):
    return [HEADER_EN] + [
        ["songbei", "S01", room, "", "chair", f"Q-{offset + i:04d}", "good", "2024-09-01"]
        for i in range(n)
    ]


def _queries(rows):
    with CaptureQueriesContext(connection) as ctx:
        report = engine(rows)
    assert report.ok, report.format_text()
    assert report.written
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("sqlite_real_variable_limit")
def test_the_number_of_queries_does_not_grow_with_the_rows(places, types):
    # New assets: campuses, asset types, existing tags, buildings, rooms and storerooms read,
    # one INSERT of the assets and one of the audit record, within a savepoint (10), for 10
    # rows as for 300…
    assert (_queries(_rows(10)), _queries(_rows(300, offset=100))) == (10, 10)
    # …and moving them all to another room: the same reads and one UPDATE instead (10).
    assert (
        _queries(_rows(10, room="102")),
        _queries(_rows(300, offset=100, room="102")),
    ) == (10, 10)


def test_the_upload_page_offers_and_runs_the_asset_import(client, places, types):
    client.force_login(user_with_role(Role.ADMIN))
    page = client.get(reverse("apartments:import_upload"))
    assert b'value="assets"' in page.content

    template = client.get(reverse("apartments:import_template", args=["assets", "csv"]))
    assert template.status_code == 200
    assert "资产编号" in template.content.decode("utf-8-sig")

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "assets.csv", csv_bytes([HEADER_ZH, ["松北", "S01", "101", "", "书桌", "U-1", "", ""]])
    )
    response = client.post(
        reverse("apartments:import_upload"), {"kind": "assets", "file": upload, "dry_run": ""}
    )
    assert response.status_code == 200
    assert response.context["report"].written
    assert Asset.objects.get().asset_type.code == "desk"
    assert Asset.objects.get().asset_type.repair_cost == Decimal("60.00")


def test_the_example_row_of_the_template_is_a_valid_row_shape(types):
    header, example = imports.template_rows(imports.ImportKind.ASSETS)
    assert header == HEADER_ZH
    assert len(example) == len(header)
    assert AssetCondition.GOOD.label  # the example's 完好 is a known condition

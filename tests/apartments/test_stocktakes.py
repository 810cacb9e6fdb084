"""Asset stocktakes (固定资产盘点): count a building's or storeroom's assets against the books,
record the differences and who answers for them, then close the stocktake for good."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from apartments import stocktakes
from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    Room,
    Stocktake,
    StocktakeLine,
    Storeroom,
)
from logistics.models import AuditEvent, Role
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    DepartmentFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (Chinese is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


HTMX = {"HTTP_HX_REQUEST": "true"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- Given ------------------------------------------------------------------------------------


@pytest.fixture
def campus():
    return CampusFactory(code="songbei")


@pytest.fixture
def building(campus):
    building = BuildingFactory(campus=campus, code="S01")
    RoomFactory(building=building, floor=1, number="101", capacity=2, with_beds=False)
    RoomFactory(building=building, floor=2, number="201", capacity=2, with_beds=False)
    return building


@pytest.fixture
def other_building(campus):
    building = BuildingFactory(campus=campus, code="S02")
    RoomFactory(building=building, floor=1, number="101", capacity=2, with_beds=False)
    return building


@pytest.fixture
def types():
    return {
        code: AssetType.objects.create(
            code=code,
            name=name,
            name_en=code.title(),
            repair_cost=Decimal("20.00"),
            replacement_cost=Decimal("200.00"),
        )
        for code, name in (("desk", "书桌"), ("chair", "椅子"), ("lamp", "台灯"))
    }


@pytest.fixture
def assets(building, other_building, types):
    """S01-101: D1 desk, C1 chair; S01-201: D2 desk, C2 chair (worn on the books), L9 retired
    lamp; S02-101: X1 chair."""
    r101, r201 = Room.objects.filter(building=building).order_by("number")
    elsewhere = Room.objects.get(building=other_building)
    rows = [
        ("D1", "desk", r101, AssetCondition.GOOD),
        ("C1", "chair", r101, AssetCondition.GOOD),
        ("D2", "desk", r201, AssetCondition.GOOD),
        ("C2", "chair", r201, AssetCondition.WORN),
        ("L9", "lamp", r201, AssetCondition.RETIRED),
        ("X1", "chair", elsewhere, AssetCondition.GOOD),
    ]
    return {
        tag: Asset.objects.create(tag=tag, asset_type=types[code], room=room, condition=condition)
        for tag, code, room, condition in rows
    }


@pytest.fixture
def storeroom(campus, building, types):
    storeroom = Storeroom.objects.create(
        campus=campus, building=building, code="K1", name="一号库房", name_en="Store 1"
    )
    Asset.objects.create(tag="K-1", asset_type=types["desk"], storeroom=storeroom)
    return storeroom


@pytest.fixture
def manager(building):
    user = user_with_role(Role.DORM_MANAGER, full_name="王经理")
    BuildingAssignmentFactory(user=user, building=building)
    return user


@pytest.fixture
def stocktake(building, assets, manager):
    return stocktakes.stocktake_start(actor=manager, building=building)


def lines_of(stocktake):
    return dict(
        StocktakeLine.objects.filter(stocktake=stocktake).values_list(
            "tag", "asset__tag", named=False
        )
    )


def count(stocktake, user, tag, condition=AssetCondition.GOOD, note=""):
    return stocktakes.stocktake_count(
        actor=user, stocktake=stocktake, tag=tag, condition=condition, note=note
    )


def conditions():
    return dict(Asset.objects.values_list("tag", "condition"))


# --- Services: start --------------------------------------------------------------------------


def test_start_makes_one_line_per_asset_on_the_books_and_nothing_else(stocktake, manager):
    # Retired L9 is off the books; X1 is in another building.
    assert lines_of(stocktake) == {"C1": "C1", "C2": "C2", "D1": "D1", "D2": "D2"}
    assert not StocktakeLine.objects.filter(found=True).exists()
    assert stocktake.status == Stocktake.Status.OPEN
    assert stocktake.started_by == manager
    event = AuditEvent.objects.get(action="apartments.stocktake_start")
    assert event.changes == {"assets": 4}


def test_a_storeroom_stocktake_counts_the_storeroom_only(storeroom, assets, manager):
    stocktake = stocktakes.stocktake_start(actor=manager, storeroom=storeroom)
    assert lines_of(stocktake) == {"K-1": "K-1"}


def test_a_second_open_stocktake_of_the_same_place_is_refused(stocktake, building, manager):
    with pytest.raises(stocktakes.StocktakeError) as error:
        stocktakes.stocktake_start(actor=manager, building=building)
    assert "already under way" in error.value.message
    assert Stocktake.objects.count() == 1

    stocktakes.stocktake_complete(actor=manager, stocktake=stocktake, apply_to_books=False)
    again = stocktakes.stocktake_start(actor=manager, building=building)  # after completion: ok
    assert again.pk != stocktake.pk


def test_start_needs_exactly_one_place(building, storeroom, manager):
    for places in ({}, {"building": building, "storeroom": storeroom}):
        with pytest.raises(stocktakes.StocktakeError):
            stocktakes.stocktake_start(actor=manager, **places)
    assert not Stocktake.objects.exists()


# --- Services: count --------------------------------------------------------------------------


def test_counting_a_tag_on_the_books_marks_its_line_found(stocktake, manager):
    result = count(stocktake, manager, " D1 ", AssetCondition.DAMAGED, "桌腿松动")

    assert result.outcome == "found"
    line = StocktakeLine.objects.get(stocktake=stocktake, tag="D1")
    assert (line.found, line.condition, line.note, line.counted_by) == (
        True,
        "damaged",
        "桌腿松动",
        manager,
    )
    assert line.counted_at is not None


def test_counting_the_same_tag_twice_updates_and_never_duplicates(stocktake, manager):
    count(stocktake, manager, "D1")
    result = count(stocktake, manager, "D1", AssetCondition.WORN)

    assert result.outcome == "recounted"
    assert StocktakeLine.objects.filter(stocktake=stocktake, tag="D1").count() == 1
    assert StocktakeLine.objects.get(stocktake=stocktake, tag="D1").condition == "worn"
    # A surplus tag counted twice is one line too
    count(stocktake, manager, "ZZ-404")
    count(stocktake, manager, "ZZ-404", AssetCondition.DAMAGED)
    assert StocktakeLine.objects.filter(stocktake=stocktake, tag="ZZ-404").count() == 1


def test_a_tag_on_no_books_is_found_but_not_on_the_books(stocktake, manager):
    result = count(stocktake, manager, "ZZ-404", note="走廊里发现")

    assert result.outcome == "surplus"
    line = result.line
    assert (line.asset, line.found, line.note) == (None, True, "走廊里发现")


def test_a_tag_on_another_place_s_books_says_where(stocktake, manager, settings):
    settings.LANGUAGE_CODE = "en"
    result = count(stocktake, manager, "X1")

    assert result.outcome == "elsewhere"
    assert "S02-101" in result.message
    assert result.line.asset is None
    assert "S02-101" in result.line.note
    assert Asset.objects.get(tag="X1").room.building.code == "S02"  # the books are untouched


def test_empty_tag_and_impossible_condition_are_refused(stocktake, manager):
    for tag, condition in (("  ", "good"), ("D1", "missing"), ("D1", "retired")):
        with pytest.raises(stocktakes.StocktakeError):
            count(stocktake, manager, tag, condition)
    assert not StocktakeLine.objects.filter(found=True).exists()


# --- Services: responsible and complete -------------------------------------------------------


def test_complete_without_applying_leaves_the_books_alone(stocktake, manager):
    count(stocktake, manager, "D1", AssetCondition.DAMAGED)
    before = conditions()

    stocktakes.stocktake_complete(actor=manager, stocktake=stocktake, apply_to_books=False)

    stocktake.refresh_from_db()
    assert stocktake.status == Stocktake.Status.COMPLETED
    assert (stocktake.completed_by, stocktake.completed_at is not None) == (manager, True)
    assert conditions() == before


def test_complete_applying_to_the_books(stocktake, manager):
    count(stocktake, manager, "D1", AssetCondition.DAMAGED)
    count(stocktake, manager, "C2", AssetCondition.GOOD)  # worn on the books, found good
    count(stocktake, manager, "X1")  # elsewhere: its books are not this stocktake's business

    stocktakes.stocktake_complete(actor=manager, stocktake=stocktake, apply_to_books=True)

    assert conditions() == {
        "D1": "damaged",
        "C1": "missing",
        "D2": "missing",
        "C2": "good",
        "L9": "retired",
        "X1": "good",
    }
    event = AuditEvent.objects.get(action="apartments.stocktake_complete")
    assert event.changes == {
        "applied_to_books": True,
        "found": 2,
        "missing": 2,
        "surplus": 1,
        "condition_changed": {"C2": ["worn", "good"], "D1": ["good", "damaged"]},
    }
    # The record still shows what the books said, though the assets now follow the count
    stocktake.refresh_from_db()
    differences = stocktakes.stocktake_differences(stocktake)
    changed = {line.tag: (line.book_condition, line.condition) for line in differences.changed}
    assert changed == {"C2": ("worn", "good"), "D1": ("good", "damaged")}


def test_a_completed_stocktake_is_frozen(stocktake, manager):
    count(stocktake, manager, "D1")
    line = StocktakeLine.objects.get(stocktake=stocktake, tag="C1")
    stocktakes.stocktake_complete(actor=manager, stocktake=stocktake, apply_to_books=False)
    snapshot = list(StocktakeLine.objects.order_by("pk").values())

    attempts = [
        lambda: count(stocktake, manager, "C1"),
        lambda: count(stocktake, manager, "NEW-1"),
        lambda: stocktakes.stocktake_line_set_responsible(
            actor=manager, line=line, responsible="张三", note=""
        ),
        lambda: stocktakes.stocktake_complete(
            actor=manager, stocktake=stocktake, apply_to_books=True
        ),
    ]
    for attempt in attempts:
        with pytest.raises(stocktakes.StocktakeError):
            attempt()
    assert list(StocktakeLine.objects.order_by("pk").values()) == snapshot
    assert conditions()["C1"] == "good"


def test_responsible_person_is_recorded_while_open(stocktake, manager):
    line = StocktakeLine.objects.get(stocktake=stocktake, tag="C1")
    stocktakes.stocktake_line_set_responsible(
        actor=manager, line=line, responsible=" 李四（301室） ", note="借给隔壁"
    )
    line.refresh_from_db()
    assert (line.responsible, line.note) == ("李四（301室）", "借给隔壁")


# --- Selectors ----------------------------------------------------------------------------------


def test_differences_and_progress(stocktake, manager):
    count(stocktake, manager, "D1", AssetCondition.DAMAGED)  # condition changed
    count(stocktake, manager, "C1")  # as the books say
    count(stocktake, manager, "C2", AssetCondition.WORN)  # as the books say (worn)
    count(stocktake, manager, "X1")  # surplus, on the books elsewhere
    count(stocktake, manager, "ZZ-404")  # surplus, on no books

    differences = stocktakes.stocktake_differences(stocktake)
    progress = stocktakes.stocktake_progress(stocktake)

    assert [line.tag for line in differences.missing] == ["D2"]
    assert sorted(line.tag for line in differences.surplus) == ["X1", "ZZ-404"]
    assert [line.tag for line in differences.changed] == ["D1"]
    by_type = {
        t.asset_type.code if t.asset_type else None: (t.missing, t.surplus, t.changed)
        for t in differences.by_type
    }
    assert by_type == {"desk": (1, 0, 1), "chair": (0, 1, 0), None: (0, 1, 0)}
    assert (progress.books, progress.counted, progress.surplus, progress.to_find) == (4, 3, 2, 1)
    assert progress.percent == 75


# --- Pages: who may count -----------------------------------------------------------------------


def pages(stocktake):
    return [
        reverse("apartments:stocktake_count", args=[stocktake.pk]),
        reverse("apartments:stocktake_differences", args=[stocktake.pk]),
        reverse("apartments:stocktake_export", args=[stocktake.pk]),
    ]


def test_anonymous_visitors_go_to_the_login_page(client, stocktake):
    for url in [reverse("apartments:stocktake_list"), *pages(stocktake)]:
        assert client.get(url).status_code == 302


def test_students_auditors_dining_heads_and_other_managers_get_404(
    client, stocktake, other_building
):
    other_manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=other_manager, building=other_building)
    dining = DepartmentFactory(code="dining", areas=["dining"])
    outsiders = [
        user_with_role(Role.STUDENT),
        user_with_role(Role.AUDITOR),
        user_with_role(Role.DEPARTMENT_HEAD, department=dining),
    ]
    for user in outsiders:
        client.force_login(user)
        assert client.get(reverse("apartments:stocktake_list")).status_code == 404
    for user in [*outsiders, other_manager]:
        client.force_login(user)
        for url in pages(stocktake):
            assert client.get(url).status_code == 404, (user, url)
        post = reverse("apartments:stocktake_count_post", args=[stocktake.pk])
        assert client.post(post, {"tag": "D1", "condition": "good"}).status_code == 404
    assert not StocktakeLine.objects.filter(found=True).exists()
    # The other building's manager sees their own list, without this stocktake
    client.force_login(other_manager)
    response = client.get(reverse("apartments:stocktake_list"))
    assert response.status_code == 200
    assert f"stocktake-{stocktake.pk}" not in response.content.decode()


def test_the_right_manager_an_apartment_head_and_an_admin_may_count(
    client, stocktake, manager, campus
):
    apartments = DepartmentFactory(code="apartments", areas=["apartments"])
    head = user_with_role(Role.DEPARTMENT_HEAD, campus=campus, department=apartments)
    for user in (manager, head, user_with_role(Role.ADMIN)):
        client.force_login(user)
        for url in pages(stocktake):
            assert client.get(url).status_code == 200, (user, url)


def test_shift_leads_count_buildings_but_not_storerooms(client, building, storeroom):
    lead = user_with_role(Role.SHIFT_LEAD)
    BuildingAssignmentFactory(user=lead, building=building, role=Role.SHIFT_LEAD)
    places = stocktakes.stocktake_places(lead)
    assert list(places.buildings) == [building]
    assert list(places.storerooms) == []
    dorm_manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=dorm_manager, building=building)
    assert list(stocktakes.stocktake_places(dorm_manager).storerooms) == [storeroom]


def test_starting_a_place_outside_one_s_scope_is_refused(client, manager, other_building):
    client.force_login(manager)
    response = client.post(
        reverse("apartments:stocktake_start"), {"place": f"b{other_building.pk}"}
    )
    assert response.status_code == 302
    assert not Stocktake.objects.exists()


# --- Pages: counting --------------------------------------------------------------------------


def test_start_then_count_without_javascript(client, manager, building, assets):
    client.force_login(manager)
    response = client.post(reverse("apartments:stocktake_start"), {"place": f"b{building.pk}"})
    stocktake = Stocktake.objects.get()
    assert response.url == reverse("apartments:stocktake_count", args=[stocktake.pk])

    url = reverse("apartments:stocktake_count_post", args=[stocktake.pk])
    response = client.post(url, {"tag": "D1", "condition": "worn", "note": ""}, **ENGLISH)
    assert response.status_code == 302
    page = client.get(response.url, **ENGLISH).content.decode()
    assert "D1 found." in page
    assert 'id="stocktake-tag"' in page and "autofocus" in page
    assert StocktakeLine.objects.get(tag="D1").condition == "worn"


def test_count_with_htmx_answers_the_result_progress_and_the_line_to_remove(
    client, manager, stocktake
):
    client.force_login(manager)
    url = reverse("apartments:stocktake_count_post", args=[stocktake.pk])
    response = client.post(url, {"tag": "D1", "condition": "good"}, **HTMX, **ENGLISH)

    assert response.status_code == 200
    html = response.content.decode()
    line = StocktakeLine.objects.get(tag="D1")
    assert 'data-outcome="found"' in html
    assert f'id="tofind-{line.pk}" hx-swap-oob="delete"' in html
    assert 'id="stocktake-progress"' in html and 'hx-swap-oob="true"' in html
    assert "<html" not in html

    response = client.post(url, {"tag": "", "condition": "good"}, **HTMX, **ENGLISH)
    assert response.status_code == 400
    assert "Enter or scan a tag number." in response.content.decode()


def test_get_never_changes_anything(client, manager, stocktake):
    client.force_login(manager)
    before = (
        list(StocktakeLine.objects.order_by("pk").values()),
        list(Stocktake.objects.values()),
        conditions(),
    )
    for url in [
        reverse("apartments:stocktake_list"),
        *pages(stocktake),
        reverse("apartments:stocktake_start"),
        reverse("apartments:stocktake_count_post", args=[stocktake.pk]) + "?tag=D1",
        reverse("apartments:stocktake_complete", args=[stocktake.pk]) + "?apply_to_books=1",
    ]:
        assert client.get(url).status_code in (200, 405)
    after = (
        list(StocktakeLine.objects.order_by("pk").values()),
        list(Stocktake.objects.values()),
        conditions(),
    )
    assert after == before


def test_responsible_and_complete_through_the_pages(client, manager, stocktake):
    client.force_login(manager)
    line = StocktakeLine.objects.get(stocktake=stocktake, tag="C1")
    url = reverse("apartments:stocktake_responsible", args=[stocktake.pk, line.pk])
    response = client.post(url, {"responsible": "张三", "note": "搬走了"}, **HTMX)
    assert response.status_code == 200
    assert 'value="张三"' in response.content.decode()

    complete = reverse("apartments:stocktake_complete", args=[stocktake.pk])
    client.post(complete, {"apply_to_books": "1"})  # not confirmed: nothing happens
    assert Stocktake.objects.get().status == Stocktake.Status.OPEN

    client.post(complete, {"apply_to_books": "1", "confirm": "on"})
    assert Stocktake.objects.get().status == Stocktake.Status.COMPLETED
    assert conditions()["C1"] == "missing"

    # Afterwards the responsible person can no longer change, and the count page is a record
    response = client.post(url, {"responsible": "李四", "note": ""}, **HTMX)
    assert response.status_code == 409
    line.refresh_from_db()
    assert line.responsible == "张三"
    count_page = client.get(reverse("apartments:stocktake_count", args=[stocktake.pk]))
    assert count_page.status_code == 302
    differences = client.get(count_page.url).content.decode()
    assert 'data-testid="complete-form"' not in differences


def test_export_holds_every_line_and_the_differences_as_text(client, manager, stocktake):
    count(stocktake, manager, "D1", AssetCondition.DAMAGED)
    count(stocktake, manager, "=HYPERLINK(1)")  # a tag that looks like a formula
    line = StocktakeLine.objects.get(stocktake=stocktake, tag="D2")
    stocktakes.stocktake_line_set_responsible(
        actor=manager, line=line, responsible="张三", note="毕业带走"
    )
    client.force_login(manager)

    response = client.get(reverse("apartments:stocktake_export", args=[stocktake.pk]), **ENGLISH)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    lines_sheet, differences_sheet = workbook.worksheets
    rows = list(lines_sheet.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "Tag number",
        "Asset type",
        "Place on the books",
        "Condition on the books",
        "Found",
        "Condition found",
    )
    by_tag = {row[0]: row for row in rows[1:]}
    assert set(by_tag) == {"C1", "C2", "D1", "D2", "=HYPERLINK(1)"}
    assert by_tag["D1"][:6] == ("D1", "Desk", "S01-101", "Good", "yes", "Damaged")
    assert by_tag["=HYPERLINK(1)"][2] == "not on the books"
    assert lines_sheet["A1"].data_type == "s"
    formula_cell = next(c for c in lines_sheet["A"] if c.value == "=HYPERLINK(1)")
    assert formula_cell.data_type == "s"  # text, never a formula
    differences = {row[1]: row for row in differences_sheet.iter_rows(min_row=2, values_only=True)}
    assert differences["D2"][0] == "On the books, not found"
    assert differences["D2"][6:8] == ("张三", "毕业带走")
    assert differences["D1"][0] == "Condition changed"
    assert differences["=HYPERLINK(1)"][0] == "Found, not on the books"
    assert set(differences) == {"C1", "C2", "D2", "D1", "=HYPERLINK(1)"}


# --- Query budgets --------------------------------------------------------------------------------


def make_assets(building, asset_type, n):
    room = Room.objects.filter(building=building).first()
    Asset.objects.bulk_create(
        Asset(tag=f"BULK-{i:04d}", asset_type=asset_type, room=room) for i in range(n)
    )


@pytest.mark.parametrize("n", [10, 300])
def test_pages_cost_a_fixed_number_of_queries(
    client, manager, building, assets, types, n, django_assert_num_queries
):
    make_assets(building, types["chair"], n)
    stocktake = stocktakes.stocktake_start(actor=manager, building=building)
    for tag in ("D1", "C2", "ZZ-404", "X1", "BULK-0000"):
        count(stocktake, manager, tag, AssetCondition.DAMAGED)
    client.force_login(manager)
    client.get(reverse("apartments:stocktake_list"))  # warm up the session

    # session, user with role grants, the buildings and the storerooms one may count (the start
    # form), the stocktakes with their progress (one query)
    with django_assert_num_queries(5):
        client.get(reverse("apartments:stocktake_list"))
    # session, user with role grants, the stocktake; progress, last counted, lines still to find
    with django_assert_num_queries(6):
        client.get(reverse("apartments:stocktake_count", args=[stocktake.pk]))
    # session, user with role grants, the stocktake; progress, the lines that differ, the assets
    # surplus tags are on the books as elsewhere
    with django_assert_num_queries(6):
        client.get(reverse("apartments:stocktake_differences", args=[stocktake.pk]))
    # session, user with role grants, the stocktake; every line; the lines that differ, surplus
    # assets elsewhere
    with django_assert_num_queries(6):
        client.get(reverse("apartments:stocktake_export", args=[stocktake.pk]))

    stocktakes.stocktake_complete(actor=manager, stocktake=stocktake, apply_to_books=True)
    # as before, plus the completion's record of the books' conditions
    with django_assert_num_queries(7):
        client.get(reverse("apartments:stocktake_differences", args=[stocktake.pk]))


@pytest.mark.parametrize("n", [10, 300])
def test_services_cost_a_fixed_number_of_queries(
    manager, building, assets, types, n, django_assert_num_queries
):
    make_assets(building, types["chair"], n)
    with CaptureQueriesContext(connection) as start:
        stocktake = stocktakes.stocktake_start(actor=manager, building=building)
    assert StocktakeLine.objects.filter(stocktake=stocktake).count() == n + 4
    # savepoint, lock the building, any open stocktake?, create it, read the books, audit,
    # release; plus the lines' bulk inserts, as many as the database's batch size needs (one
    # per 1,000 lines on PostgreSQL; SQLite's limit on variables makes its batches smaller)
    sql = [q["sql"] for q in start.captured_queries]
    inserts = [q for q in sql if q.startswith('INSERT INTO "apartments_stocktakeline"')]
    batch = connection.ops.bulk_batch_size(list(range(9)), [None] * (n + 4))
    assert len(sql) - len(inserts) == 7
    assert len(inserts) == -(-(n + 4) // min(batch, stocktakes.BULK_BATCH))
    with django_assert_num_queries(6):
        # savepoint, lock the stocktake (with its place), the line, update it, audit, release
        count(stocktake, manager, "BULK-0001")
    with django_assert_num_queries(11):
        # lock, changed conditions, their counted conditions, figures; missing; three
        # conditions found; close; audit
        stocktakes.stocktake_complete(actor=manager, stocktake=stocktake, apply_to_books=True)

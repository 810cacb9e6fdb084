"""import_menus (CONTRACT.md "Dining"): both header languages, .csv and .xlsx, all or nothing
with every bad row and its line, re-import changes nothing, rises beyond PRICE_RISE_LIMIT held
for approval, and a term's menu in a fixed number of queries."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from dining import prices
from dining.imports import import_menus
from dining.models import Dish, DishPrice, Menu, MenuItem, PriceRequest
from tests.dining.data import dining_world, today

pytestmark = pytest.mark.django_db

EN = ["canteen", "date", "meal", "dish", "price", "allergens"]
ZH = ["食堂", "日期", "餐别", "菜品", "价格", "过敏原"]


@pytest.fixture
def world():
    return dining_world()


def csv_bytes(rows) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def day(n=1):
    return (today() + dt.timedelta(days=n)).isoformat()


def test_a_week_in_english_headers_creates_menus_dishes_and_prices(world):
    rows = [
        EN,
        ["一食堂", day(1), "lunch", "宫保鸡丁", "12.00", "peanuts;soy"],
        ["Canteen One", day(1), "lunch", "清炒时蔬", "4.00", ""],
        ["一食堂", day(2), "dinner", "番茄炒蛋", "7.00", "eggs"],
    ]
    report = import_menus(csv_bytes(rows), file_name="week.csv", actor=world["manager"])
    assert report.ok and report.written, report.format_text()
    assert report.counts["menus_created"] == 2
    assert report.counts["items_created"] == 3
    assert report.counts["dishes_created"] == 1
    greens = Dish.objects.get(canteen=world["A"], name="清炒时蔬")
    assert greens.prices.get().price == Decimal("4.00")
    # 6.50 → 7.00 is a rise of 7.7 %: within the limit, it starts on its day.
    tomato = [(p.valid_from, p.valid_to, p.price) for p in world["tomato"].prices.all()]
    assert tomato[-1] == (today() + dt.timedelta(days=2), None, Decimal("7.00"))
    assert tomato[0][1] == today() + dt.timedelta(days=1)


def test_chinese_headers_and_values_in_xlsx(world):
    rows = [ZH, ["一食堂", day(1), "午餐", "花生米", "3", "花生；大豆"]]
    report = import_menus(xlsx_bytes(rows), file_name="菜单.xlsx", actor=world["manager"])
    assert report.ok, report.format_text()
    dish = Dish.objects.get(name="花生米")
    assert dish.allergens == ["peanuts", "soy"]
    item = MenuItem.objects.get(dish=dish)
    assert (item.menu.meal, item.price) == ("lunch", Decimal("3.00"))


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(world):
    rows = [
        EN,
        ["一食堂", day(1), "lunch", "米饭", "1.00", ""],
        ["三食堂", day(1), "lunch", "米饭", "1.00", ""],
        ["一食堂", "next monday", "lunch", "米饭", "1.00", ""],
        ["一食堂", day(1), "supper", "米饭", "1.00", ""],
        ["一食堂", day(1), "dinner", "米饭", "-1", ""],
        ["一食堂", day(1), "dinner", "汤", "2.00", "garlic"],
        ["一食堂", day(1), "lunch", "米饭", "1.00", ""],
        ["一食堂", day(1), "dinner", "", "2.00", ""],
    ]
    menus = Menu.objects.count()
    report = import_menus(csv_bytes(rows), file_name="bad.csv", actor=world["manager"])
    assert not report.written
    assert [e.line for e in report.problems()] == [3, 4, 5, 6, 7, 8, 9]
    assert "三食堂" in str(report.problems()[0])
    assert Menu.objects.count() == menus
    assert not Dish.objects.filter(name="汤").exists()


def test_a_missing_column_is_reported(world):
    report = import_menus(csv_bytes([["canteen", "date", "dish"]]), file_name="x.csv")
    assert {e.column for e in report.errors} == {"meal / 餐别", "price / 价格"}


def test_importing_the_same_file_again_changes_nothing(world):
    rows = [EN] + [
        ["一食堂", day(n), meal, dish, price, ""]
        for n in (1, 2)
        for meal in ("lunch", "dinner")
        for dish, price in (("宫保鸡丁", "12.00"), ("新菜", "5.00"))
    ]
    data = csv_bytes(rows)
    assert import_menus(data, file_name="w.csv", actor=world["manager"]).written
    snapshot = (
        list(MenuItem.objects.order_by("pk").values_list("pk", "price", "position")),
        list(DishPrice.objects.order_by("pk").values_list("pk", "price", "valid_to")),
        Dish.objects.count(),
    )
    again = import_menus(data, file_name="w.csv", actor=world["manager"])
    assert again.written
    assert again.counts["items_unchanged"] == 8
    assert again.counts["items_created"] == again.counts["items_updated"] == 0
    assert again.counts["prices_changed"] == 0
    assert snapshot == (
        list(MenuItem.objects.order_by("pk").values_list("pk", "price", "position")),
        list(DishPrice.objects.order_by("pk").values_list("pk", "price", "valid_to")),
        Dish.objects.count(),
    )


def test_a_menu_in_the_file_becomes_exactly_what_the_file_lists(world):
    rows = [EN, ["一食堂", today().isoformat(), "lunch", "米饭", "1.00", ""]]
    report = import_menus(csv_bytes(rows), file_name="w.csv", actor=world["manager"])
    assert report.counts["items_removed"] == 2
    assert [i.dish for i in world["lunch"].items.all()] == [world["rice"]]


def test_a_rise_beyond_the_limit_is_held_for_approval_and_nothing_imported(world, settings):
    settings.PRICE_RISE_LIMIT = 10
    rows = [
        EN,
        ["一食堂", day(1), "lunch", "米饭", "1.00", ""],
        ["一食堂", day(1), "lunch", "宫保鸡丁", "13.50", ""],  # +12.5 %
        ["一食堂", day(2), "lunch", "宫保鸡丁", "13.50", ""],
        ["一食堂", day(1), "dinner", "番茄炒蛋", "7.15", ""],  # +10 %: allowed
    ]
    menus = Menu.objects.count()
    report = import_menus(csv_bytes(rows), file_name="rise.csv", actor=world["manager"])
    assert not report.written and not report.errors
    assert [e.line for e in report.approvals] == [3, 4]
    assert "approval" in str(report.approvals[0])
    assert Menu.objects.count() == menus
    assert world["tomato"].prices.count() == 1
    request = PriceRequest.objects.get()
    assert (request.dish, request.price, request.reference_price) == (
        world["kungpao"],
        Decimal("13.50"),
        Decimal("12.00"),
    )
    # A second import of the same file files no second request.
    import_menus(csv_bytes(rows), file_name="rise.csv", actor=world["manager"])
    assert PriceRequest.objects.count() == 1

    # Once approved, the same file imports.
    prices.request_decide(actor=world["manager"], request=request, approve=True, reason="猪肉涨价")
    report = import_menus(csv_bytes(rows), file_name="rise.csv", actor=world["manager"])
    assert report.written, report.format_text()
    current = world["kungpao"].prices.get(valid_to=None)
    assert (current.price, current.approval_id, current.reason) == (
        Decimal("13.50"),
        request.pk,
        "猪肉涨价",
    )


def test_dry_run_writes_nothing(world):
    rows = [EN, ["一食堂", day(1), "lunch", "新菜", "5.00", ""]]
    report = import_menus(csv_bytes(rows), file_name="w.csv", dry_run=True)
    assert report.ok and not report.written
    assert not Dish.objects.filter(name="新菜").exists()


def test_a_dining_manager_imports_only_their_campuses_canteens(world):
    rows = [EN, ["一食堂", day(1), "lunch", "米饭", "1.00", ""]]
    report = import_menus(csv_bytes(rows), file_name="w.csv", actor=world["south_manager"])
    assert [e.line for e in report.errors] == [2]


def test_the_command_reports_problems_and_fails(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([EN, ["一食堂", day(1), "tea", "米饭", "1.00", ""]]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_menus", str(path))
    assert "tea" in capsys.readouterr().err  # the bad row, with its line
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([EN, ["一食堂", day(1), "lunch", "米饭", "1.00", ""]]))
    call_command("import_menus", str(good), "--dry-run")
    assert not Menu.objects.filter(date=today() + dt.timedelta(days=1)).exists()
    call_command("import_menus", str(good))
    assert Menu.objects.filter(date=today() + dt.timedelta(days=1)).exists()


def test_a_term_of_10000_rows_in_a_fixed_number_of_queries(world):
    dishes = [(f"菜{n:02d}", f"{5 + n % 7}.00") for n in range(20)]
    rows = [EN]
    start = today() + dt.timedelta(days=1)
    n_days = 10_000 // (len(dishes) * 3) + 1
    for d in range(n_days):
        for meal in ("breakfast", "lunch", "dinner"):
            for name, price in dishes:
                rows.append(
                    ["一食堂", (start + dt.timedelta(days=d)).isoformat(), meal, name, price, ""]
                )
    rows = rows[:10_001]
    with CaptureQueriesContext(connection) as queries:
        report = import_menus(csv_bytes(rows), file_name="term.csv", actor=world["manager"])
    assert report.written, report.format_text()[:2000]
    assert MenuItem.objects.filter(menu__date__gte=start).count() == 10_000
    # Bulk statements: batches of 1,000, not a query per row.
    assert len(queries) < 60

"""The price-stability report: dishes changed, average and largest change, the index against
the term's start, the band mix against 3:4:3; its page (query count pinned) and Excel export."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from dining import report
from dining.models import Dish, DishPrice, Menu, MenuItem
from tests.dining.data import dining_world

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 10, 1)


@pytest.fixture
def world(settings):
    settings.SAFETY_TERM_STARTS = ["02-15", "09-01"]
    settings.DINING_PRICE_BANDS = (Decimal("6"), Decimal("12"))
    world = dining_world()
    DishPrice.objects.all().delete()
    term = dt.date(2026, 9, 1)
    plan = {
        "kungpao": [(term, "12.00"), (dt.date(2026, 10, 10), "13.20")],  # +10 %
        "tomato": [(term, "6.00"), (dt.date(2026, 10, 20), "5.70")],  # −5 %
        "rice": [(term, "1.00")],
    }
    for code, prices in plan.items():
        for n, (day, price) in enumerate(prices):
            end = prices[n + 1][0] - dt.timedelta(days=1) if n + 1 < len(prices) else None
            DishPrice.objects.create(
                dish=world[code],
                price=Decimal(price),
                valid_from=day,
                valid_to=end,
                reason="测试",
            )
    menu = Menu.objects.create(canteen=world["A"], date=dt.date(2026, 10, 12), meal="lunch")
    for code in plan:
        MenuItem.objects.create(menu=menu, dish=world[code], price=Decimal("1"))
    return world


def test_the_months_figures(world):
    data = report.price_stability(world["A"], MONTH)
    assert data.term_start == dt.date(2026, 9, 1)
    assert data.dishes == 3 and data.changed == 2
    assert [c.percent for c in data.changes] == [Decimal("10.0"), Decimal("-5.0")]
    assert data.average_change == Decimal("2.5")
    assert data.largest_change.dish == world["kungpao"]
    # (1.10 + 0.95 + 1.00) / 3 × 100
    assert data.index == Decimal("101.7")
    assert [(m.isoformat(), v) for m, v in data.series] == [
        ("2026-09-01", Decimal("100.0")),
        ("2026-10-01", Decimal("101.7")),
    ]
    bands = {b["key"]: (b["count"], b["share"], b["gap"]) for b in data.bands}
    # rice 1.00 and tomato 5.70 are low, kung pao 13.20 high
    assert bands == {
        "low": (2, Decimal("66.7"), Decimal("36.7")),
        "middle": (0, Decimal("0.0"), Decimal("-40.0")),
        "high": (1, Decimal("33.3"), Decimal("3.3")),
    }


@pytest.mark.parametrize("extra", [0, 10])
def test_the_report_page_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    for n in range(extra):
        dish = Dish.objects.create(canteen=world["A"], name=f"菜{n}")
        DishPrice.objects.create(dish=dish, price=Decimal("8"), valid_from=dt.date(2026, 9, 1))
        DishPrice.objects.create(dish=dish, price=Decimal("9"), valid_from=dt.date(2026, 10, 5))
    client.force_login(world["manager"])
    # session, user with grants; managed canteens; dishes; prices with who set them; the
    # month's menu dishes; the bell's unread count; the departments serving dining (a dining
    # manager is their head for the quality pages: the menu's quality entries)
    with django_assert_num_queries(8):
        response = client.get(f"/dining/report/?canteen={world['A'].pk}&month=2026-10")
    assert response.status_code == 200
    assert 'data-testid="report-chart"' in response.content.decode()


def test_the_excel_export(client, world):
    client.force_login(world["manager"])
    response = client.get(f"/dining/report/?canteen={world['A'].pk}&month=2026-10&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:5] == ["一食堂", "2026-10", "2026-09-01", 3, 2]
    assert rows[1][7] == 101.7


def test_another_campuses_manager_gets_their_own_canteen(client, world):
    client.force_login(world["south_manager"])
    response = client.get(f"/dining/report/?canteen={world['A'].pk}&month=2026-10")
    assert response.context["canteen"] == world["B"]


def test_a_dish_priced_after_the_term_started_enters_the_index_at_its_first_price(world):
    dish = Dish.objects.create(canteen=world["A"], name="新菜")
    DishPrice.objects.create(
        dish=dish,
        price=Decimal("10"),
        valid_from=dt.date(2026, 9, 20),
        valid_to=dt.date(2026, 10, 14),
    )
    DishPrice.objects.create(dish=dish, price=Decimal("12"), valid_from=dt.date(2026, 10, 15))
    data = report.price_stability(world["A"], MONTH)
    # (1.10 + 0.95 + 1.00 + 1.20) / 4 × 100
    assert data.index == Decimal("106.3")

"""Editing menus in the browser: a dish goes on at its price in force (a rise waiting for
approval does not reach the menu), copying last week never overwrites a planned menu, and only
the canteen's dining manager edits."""

import datetime as dt
from decimal import Decimal

import pytest

from dining import menus, prices
from dining.models import Menu, MenuItem
from tests.dining.data import dining_world, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


def test_a_dish_goes_on_at_its_price_in_force_not_a_pending_rise(world):
    tomorrow = today() + dt.timedelta(days=1)
    prices.price_set(
        actor=world["manager"],
        dish=world["kungpao"],
        price=Decimal("20.00"),
        valid_from=tomorrow,
        reason="涨价",
    )  # beyond the limit: waits for approval
    item = menus.menu_item_add(
        actor=world["manager"],
        canteen=world["A"],
        date=tomorrow,
        meal="dinner",
        dish=world["kungpao"],
    )
    assert item.price == Decimal("12.00")
    with pytest.raises(menus.MenuError, match="already"):
        menus.menu_item_add(
            actor=world["manager"],
            canteen=world["A"],
            date=tomorrow,
            meal="dinner",
            dish=world["kungpao"],
        )
    with pytest.raises(menus.MenuError, match="another canteen"):
        menus.menu_item_add(
            actor=world["manager"],
            canteen=world["A"],
            date=tomorrow,
            meal="dinner",
            dish=world["noodles_b"],
        )


@pytest.mark.parametrize("who", ["staff_a", "south_manager", "student"])
def test_only_the_canteens_manager_edits(world, who):
    with pytest.raises(menus.MenuNotYours):
        menus.menu_item_add(
            actor=world[who],
            canteen=world["A"],
            date=today(),
            meal="dinner",
            dish=world["rice"],
        )


def test_copying_last_week_keeps_planned_menus(world):
    monday = today() - dt.timedelta(days=today().weekday()) + dt.timedelta(days=21)
    source = Menu.objects.create(
        canteen=world["A"], date=monday - dt.timedelta(days=7), meal="lunch"
    )
    MenuItem.objects.create(menu=source, dish=world["rice"], price=Decimal("0.50"))
    MenuItem.objects.create(menu=source, dish=world["tomato"], price=Decimal("6.00"), position=1)
    other = Menu.objects.create(
        canteen=world["A"], date=monday - dt.timedelta(days=6), meal="lunch"
    )
    MenuItem.objects.create(menu=other, dish=world["rice"], price=Decimal("1.00"))
    planned = Menu.objects.create(
        canteen=world["A"], date=monday + dt.timedelta(days=1), meal="lunch"
    )

    assert menus.week_copy(actor=world["manager"], canteen=world["A"], monday=monday) == 1
    copied = Menu.objects.get(canteen=world["A"], date=monday, meal="lunch")
    # at the prices in force on the new day
    assert sorted((i.dish.name, i.price) for i in copied.items.all()) == [
        ("番茄炒蛋", Decimal("6.50")),
        ("米饭", Decimal("1.00")),
    ]
    assert not planned.items.exists()
    assert menus.week_copy(actor=world["manager"], canteen=world["A"], monday=monday) == 0


def test_the_edit_page(client, world):
    client.force_login(world["manager"])
    url = f"/dining/menus/{world['A'].pk}/?date={today()}"
    assert "宫保鸡丁" in client.get(url).content.decode()
    item = world["lunch"].items.get(dish=world["rice"])
    client.post(f"/dining/menus/items/{item.pk}/remove/")
    assert not world["lunch"].items.filter(dish=world["rice"]).exists()
    client.post(
        f"/dining/menus/{world['A'].pk}/add/",
        {"date": today().isoformat(), "meal": "lunch", "dish": world["rice"].pk},
    )
    assert world["lunch"].items.filter(dish=world["rice"]).exists()
    client.force_login(world["staff_a"])
    assert client.get(url).status_code == 404

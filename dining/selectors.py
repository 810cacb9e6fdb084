"""Reads of the dining app: the menus of a day with their dishes' ratings (the menu page and
API), and what the quality app scores (food-safety compliance, dish ratings). The quality app
calls these; dining never imports quality."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, QuerySet

from dining.models import Canteen, DishRating, Menu, MenuItem

MEAL_ORDER = {"breakfast": 0, "lunch": 1, "dinner": 2}


def canteens_for_diners(campus: int | None = None) -> QuerySet[Canteen]:
    """The canteens every signed-in user may see (all in use)."""
    canteens = Canteen.objects.filter(active=True).select_related("campus")
    if campus is not None:
        canteens = canteens.filter(campus_id=campus)
    return canteens


def rating_summary(dish_ids) -> dict[int, tuple[float | None, int]]:
    """{dish id: (average stars rounded to one decimal, number of ratings)}: one query."""
    rows = (
        DishRating.objects.filter(dish_id__in=list(dish_ids))
        .values("dish_id")
        .annotate(average=Avg("stars"), count=Count("id"))
    )
    return {r["dish_id"]: (round(float(r["average"]), 1), r["count"]) for r in rows}


@dataclass
class MenuView:
    menu: Menu
    items: list[MenuItem]


def menus_between(
    first: dt.date, last: dt.date, *, campus: int | None = None, canteen: int | None = None
) -> list[MenuView]:
    """The menus of canteens in use from `first` to `last`, each with its items (dish, price)
    and every item's dish carrying `rating` and `ratings`: three queries whatever the number
    of menus and dishes (menus, items with dishes, ratings)."""
    menus = Menu.objects.filter(
        date__gte=first, date__lte=last, canteen__active=True
    ).select_related("canteen")
    if campus is not None:
        menus = menus.filter(canteen__campus_id=campus)
    if canteen is not None:
        menus = menus.filter(canteen_id=canteen)
    menus = sorted(menus, key=lambda m: (m.date, m.canteen_id, MEAL_ORDER.get(m.meal, 9)))
    if not menus:
        return []
    items: dict[int, list[MenuItem]] = {}
    for item in (
        MenuItem.objects.filter(menu_id__in=[m.pk for m in menus])
        .select_related("dish")
        .order_by("menu_id", "position", "id")
    ):
        items.setdefault(item.menu_id, []).append(item)
    ratings = rating_summary({i.dish_id for found in items.values() for i in found})
    for found in items.values():
        for item in found:
            item.rating, item.ratings = ratings.get(item.dish_id, (None, 0))
    return [MenuView(m, items.get(m.pk, [])) for m in menus]

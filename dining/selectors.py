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


# --- What the quality app scores -------------------------------------------------------------


def food_safety_compliance(start: dt.date, end: dt.date) -> dict:
    """The share of the food-safety records due from `start` to `end` (inclusive) that are
    present and in range, for the dining center's scorecard:

    - a retained sample of every dish of every meal served, of at least FOOD_SAMPLE_MIN_GRAMS;
    - a morning check of every worker on a canteen's roster on every day it served;
    - the morning and afternoon readings of every fridge in use of a canteen on every day it
      served, within range.

    Returns {"score": 0–100 (one decimal) or None when nothing was due, "n": records due}.
    Seven queries whatever the period."""
    from django.conf import settings

    from dining.models import (
        FoodSample,
        FoodWorker,
        Fridge,
        MorningCheck,
        TemperatureReading,
    )

    served = set(
        MenuItem.objects.filter(
            menu__date__gte=start, menu__date__lte=end, menu__canteen__active=True
        ).values_list("menu__date", "menu__meal", "dish_id")
    )
    sampled = set(
        FoodSample.objects.filter(
            date__gte=start, date__lte=end, grams__gte=settings.FOOD_SAMPLE_MIN_GRAMS
        ).values_list("date", "meal", "dish_id")
    )
    due, ok = len(served), len(served & sampled)

    serving_days = set(
        Menu.objects.filter(date__gte=start, date__lte=end, canteen__active=True).values_list(
            "canteen_id", "date"
        )
    )
    canteens = {canteen_id for canteen_id, _day in serving_days}
    workers: dict[int, list[int]] = {}
    for worker_id, canteen_id in FoodWorker.objects.filter(
        canteen_id__in=canteens, on_roster=True
    ).values_list("pk", "canteen_id"):
        workers.setdefault(canteen_id, []).append(worker_id)
    checked = set(
        MorningCheck.objects.filter(date__gte=start, date__lte=end).values_list("worker_id", "date")
    )
    fridges: dict[int, list[int]] = {}
    for fridge_id, canteen_id in Fridge.objects.filter(
        canteen_id__in=canteens, active=True
    ).values_list("pk", "canteen_id"):
        fridges.setdefault(canteen_id, []).append(fridge_id)
    readings = set(
        TemperatureReading.objects.filter(
            date__gte=start, date__lte=end, in_range=True
        ).values_list("fridge_id", "date", "slot")
    )
    slots = TemperatureReading.Slot.values
    for canteen_id, day in serving_days:
        for worker_id in workers.get(canteen_id, []):
            due += 1
            ok += (worker_id, day) in checked
        for fridge_id in fridges.get(canteen_id, []):
            for slot in slots:
                due += 1
                ok += (fridge_id, day, slot) in readings
    return {"score": round(ok * 100 / due, 1) if due else None, "n": due}


def dish_rating_summary(start: dt.date, end: dt.date) -> dict:
    """Diners' ratings of the meals from `start` to `end` (inclusive): {"score": the average
    stars on a 0–100 scale (1 star = 0, 5 stars = 100) or None without ratings, "average":
    the average stars or None, "n": ratings}. One query."""
    row = DishRating.objects.filter(date__gte=start, date__lte=end).aggregate(
        average=Avg("stars"), n=Count("id")
    )
    if not row["n"]:
        return {"score": None, "average": None, "n": 0}
    average = float(row["average"])
    return {"score": round((average - 1) * 25, 1), "average": round(average, 2), "n": row["n"]}

"""Editing menus in the browser (the dining manager): add a dish to a meal, take one off, copy
last week's menus into this week. A menu item's price is always the dish's price in force that
day (dining.prices), so a rise still waiting for approval never reaches a menu."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from dining import prices
from dining.access import managed_canteens
from dining.models import Canteen, Dish, Meal, Menu, MenuItem
from logistics.errors import ServiceError
from logistics.services import audit_record


class MenuError(ServiceError):
    status_code = 400
    code = "invalid"


class MenuNotYours(MenuError):
    status_code = 404
    code = "not_found"


def _check(actor, canteen_id: int) -> None:
    if not managed_canteens(actor).filter(pk=canteen_id).exists():
        raise MenuNotYours(_("No such canteen."))


@transaction.atomic
def menu_item_add(*, actor, canteen: Canteen, date: dt.date, meal: str, dish: Dish) -> MenuItem:
    _check(actor, canteen.pk)
    if meal not in Meal.values:
        raise MenuError(_("Choose breakfast, lunch or dinner."), field="meal")
    if dish.canteen_id != canteen.pk:
        raise MenuError(_("That dish is from another canteen."), field="dish")
    price = prices.timelines_of([dish.pk]).get(dish.pk, prices.Timeline()).price_on(date)
    if price is None:
        raise MenuError(
            _("%(dish)s has no price on %(date)s: set its price first.")
            % {"dish": dish.display_name, "date": date},
            field="dish",
        )
    menu, _created = Menu.objects.get_or_create(canteen=canteen, date=date, meal=meal)
    if menu.items.filter(dish=dish).exists():
        raise MenuError(_("%(dish)s is on this menu already.") % {"dish": dish.display_name})
    position = (menu.items.aggregate(last=Max("position"))["last"] or 0) + 1
    item = MenuItem.objects.create(menu=menu, dish=dish, price=price, position=position)
    audit_record(actor=actor, action="menu.add", target=menu, changes={"dish": dish.name})
    return item


@transaction.atomic
def menu_item_remove(*, actor, item: MenuItem) -> None:
    _check(actor, item.menu.canteen_id)
    audit_record(
        actor=actor, action="menu.remove", target=item.menu, changes={"dish": item.dish.name}
    )
    item.delete()


@transaction.atomic
def week_copy(*, actor, canteen: Canteen, monday: dt.date) -> int:
    """Copy the menus of the week before `monday` into the week starting on `monday`, for the
    days and meals that have no menu yet (a planned menu is never overwritten), each dish at
    its price in force on its new day; a dish without a price then is left out. Returns how
    many menus were created. A fixed number of queries."""
    _check(actor, canteen.pk)
    source_start = monday - dt.timedelta(days=7)
    existing = set(
        Menu.objects.filter(
            canteen=canteen, date__gte=monday, date__lt=monday + dt.timedelta(days=7)
        ).values_list("date", "meal")
    )
    items = list(
        MenuItem.objects.filter(
            menu__canteen=canteen, menu__date__gte=source_start, menu__date__lt=monday
        )
        .select_related("menu")
        .order_by("menu__date", "menu__meal", "position", "id")
    )
    timelines = prices.timelines_of({item.dish_id for item in items})
    wanted: dict[tuple[dt.date, str], list[MenuItem]] = {}
    for item in items:
        day = item.menu.date + dt.timedelta(days=7)
        if (day, item.menu.meal) in existing:
            continue
        price = timelines.get(item.dish_id, prices.Timeline()).price_on(day)
        if price is None:
            continue
        wanted.setdefault((day, item.menu.meal), []).append(
            MenuItem(dish_id=item.dish_id, price=price, position=item.position)
        )
    menus = [Menu(canteen=canteen, date=day, meal=meal) for (day, meal) in wanted]
    Menu.objects.bulk_create(menus)
    new_items = []
    for menu in menus:
        for item in wanted[(menu.date, menu.meal)]:
            item.menu = menu
            new_items.append(item)
    MenuItem.objects.bulk_create(new_items)
    audit_record(
        actor=actor,
        action="menu.copy_week",
        target=canteen,
        changes={"week": monday.isoformat(), "menus": len(menus)},
    )
    return len(menus)

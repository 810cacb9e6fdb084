"""A small dining world for the tests: two campuses, a canteen on each, their staff and
managers, a few dishes with prices, and today's lunch menu in canteen A."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from dining.models import (
    Canteen,
    CanteenAssignment,
    Dish,
    DishPrice,
    FoodWorker,
    Fridge,
    Menu,
    MenuItem,
)
from logistics.models import Role
from tests.factories import CampusFactory, UserFactory, user_with_role


def today() -> dt.date:
    return timezone.localdate()


def dining_world() -> dict:
    north = CampusFactory(code="north", name="北校区", name_en="North")
    south = CampusFactory(code="south", name="南校区", name_en="South")
    a = Canteen.objects.create(
        campus=north, name="一食堂", name_en="Canteen One", lunch_hours="11:00-13:00"
    )
    b = Canteen.objects.create(campus=south, name="二食堂", name_en="Canteen Two")
    world = {"north": north, "south": south, "A": a, "B": b}
    world["manager"] = user_with_role(Role.DINING_MANAGER, username="dining")
    world["south_manager"] = user_with_role(
        Role.DINING_MANAGER, campus=south, username="dining_south"
    )
    world["staff_a"] = user_with_role(Role.CANTEEN_STAFF, username="cook_a")
    world["staff_b"] = user_with_role(Role.CANTEEN_STAFF, username="cook_b")
    CanteenAssignment.objects.create(canteen=a, user=world["staff_a"])
    CanteenAssignment.objects.create(canteen=b, user=world["staff_b"])
    world["student"] = user_with_role(Role.STUDENT, username="20260001")
    world["student2"] = user_with_role(Role.STUDENT, username="20260002")
    world["technician"] = user_with_role(Role.TECHNICIAN, username="tech")
    world["admin"] = user_with_role(Role.ADMIN, username="root")
    world["nobody"] = UserFactory(username="nobody")
    start = today() - dt.timedelta(days=60)
    for code, name, en, price, allergens in [
        ("kungpao", "宫保鸡丁", "Kung pao chicken", "12.00", ["peanuts", "soy"]),
        ("tomato", "番茄炒蛋", "Tomato and egg", "6.50", ["eggs"]),
        ("rice", "米饭", "Rice", "1.00", []),
    ]:
        dish = Dish.objects.create(
            canteen=a, name=name, name_en=en, allergens=allergens, category="other"
        )
        DishPrice.objects.create(dish=dish, price=Decimal(price), valid_from=start)
        world[code] = dish
    world["noodles_b"] = Dish.objects.create(canteen=b, name="牛肉面", name_en="Beef noodles")
    DishPrice.objects.create(dish=world["noodles_b"], price=Decimal("10.00"), valid_from=start)
    lunch = Menu.objects.create(canteen=a, date=today(), meal="lunch")
    for position, code in enumerate(["kungpao", "tomato", "rice"]):
        dish = world[code]
        MenuItem.objects.create(
            menu=lunch, dish=dish, price=dish.prices.get().price, position=position
        )
    world["lunch"] = lunch
    world["worker1"] = FoodWorker.objects.create(canteen=a, name="王师傅", job="厨师")
    world["worker2"] = FoodWorker.objects.create(canteen=a, name="李阿姨", job="帮厨")
    world["fridge"] = Fridge.objects.create(canteen=a, name="留样冰箱", kind="fridge")
    world["freezer"] = Fridge.objects.create(canteen=a, name="冷冻柜", kind="freezer")
    return world

"""The dining part of the demo university (`seed_demo`): canteens on both campuses, a term of
menus with a few price changes (and one rise waiting for approval), ratings, a week of samples
(one missing), morning checks (one worker off duty), temperatures (one out of range, acted on),
suppliers (one certificate expiring soon). The canteen staff account `cook` works in 松北一食堂.
Idempotent: a canteen that has its menus already is left alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from logistics.demo import DEMO_PASSWORD, demo_seeder

CANTEENS = [
    # (campus, name, name_en, windows)
    ("songbei", "松北一食堂", "Songbei Canteen One", "1号窗口 基本伙\n2号窗口 面食\n3号窗口 清真"),
    ("songbei", "松北二食堂", "Songbei Canteen Two", "风味小吃\n自选快餐"),
    ("jiangnan", "江南食堂", "Jiangnan Canteen", "基本伙\n麻辣烫"),
]
DISHES = [
    # (name, name_en, category, allergens, price, meals)
    ("豆浆", "Soy milk", "drink", ["soy"], "1.00", ["breakfast"]),
    ("鸡蛋饼", "Egg pancake", "staple", ["eggs", "gluten"], "3.00", ["breakfast"]),
    ("小米粥", "Millet porridge", "soup", [], "1.00", ["breakfast"]),
    ("宫保鸡丁", "Kung pao chicken", "meat", ["peanuts", "soy"], "12.00", ["lunch", "dinner"]),
    ("番茄炒蛋", "Tomato and egg", "vegetable", ["eggs"], "6.00", ["lunch", "dinner"]),
    ("红烧肉", "Braised pork", "meat", ["soy"], "14.00", ["lunch"]),
    ("清炒时蔬", "Seasonal greens", "vegetable", [], "4.00", ["lunch", "dinner"]),
    ("牛肉面", "Beef noodles", "noodles", ["gluten"], "10.00", ["dinner"]),
    ("米饭", "Rice", "staple", [], "1.00", ["lunch", "dinner"]),
]
WORKERS = ["周师傅", "吴阿姨", "郑师傅", "冯阿姨"]
MEAL_TIMES = {"breakfast": dt.time(7, 30), "lunch": dt.time(11, 45), "dinner": dt.time(17, 45)}


@demo_seeder(order=60)
@transaction.atomic
def seed_dining(log):
    from dining import report
    from dining.models import (
        Canteen,
        CanteenAssignment,
        Dish,
        DishPrice,
        Menu,
        MenuItem,
    )
    from logistics.models import Campus, Department, Role, RoleGrant, User

    campuses = {c.code: c for c in Campus.objects.all()}
    if not campuses:
        return
    today = timezone.localdate()
    term = report.term_start(today)
    zone = timezone.get_current_timezone()
    manager = User.objects.filter(username="dining").first()
    cook, created = User.objects.get_or_create(username="cook", defaults={"full_name": "周师傅"})
    if created:
        cook.set_password(DEMO_PASSWORD)
        cook.save()
    RoleGrant.objects.get_or_create(
        user=cook,
        role=Role.CANTEEN_STAFF,
        campus=campuses["songbei"],
        department=Department.objects.filter(code="dining").first(),
    )
    made = 0
    for position, (campus, name, name_en, windows) in enumerate(CANTEENS):
        canteen, _ = Canteen.objects.get_or_create(
            name=name,
            defaults={
                "campus": campuses[campus],
                "name_en": name_en,
                "windows": windows,
                "breakfast_hours": "06:30-08:30",
                "lunch_hours": "11:00-13:00",
                "dinner_hours": "17:00-19:00",
            },
        )
        if position == 0:
            CanteenAssignment.objects.get_or_create(canteen=canteen, user=cook)
        if canteen.menus.exists():
            continue
        made += 1
        dishes = {}
        for n, (dish_name, dish_en, category, allergens, price, _meals) in enumerate(DISHES):
            if position == 2 and n % 3 == 2:
                continue  # a smaller canteen
            dish = Dish.objects.create(
                canteen=canteen,
                name=dish_name,
                name_en=dish_en,
                category=category,
                allergens=sorted(allergens),
            )
            dishes[dish_name] = (dish, Decimal(price))
        # Prices from the start of term; a few changes within the limit mid-term.
        prices = []
        changes = {
            "红烧肉": ("15.00", 40, "猪肉进价上涨"),
            "番茄炒蛋": ("5.50", 55, "番茄当季降价"),
        }
        for dish_name, (dish, price) in dishes.items():
            change = changes.get(dish_name) if position == 0 else None
            if change:
                switch = term + dt.timedelta(days=change[1])
                prices.append(
                    DishPrice(
                        dish=dish,
                        price=price,
                        valid_from=term,
                        valid_to=switch - dt.timedelta(days=1),
                        set_by=manager,
                        reason="学期定价",
                    )
                )
                prices.append(
                    DishPrice(
                        dish=dish,
                        price=Decimal(change[0]),
                        valid_from=switch,
                        set_by=manager,
                        reason=change[2],
                    )
                )
            else:
                prices.append(
                    DishPrice(
                        dish=dish, price=price, valid_from=term, set_by=manager, reason="学期定价"
                    )
                )
        DishPrice.objects.bulk_create(prices)
        price_on = {}
        for row in prices:
            price_on.setdefault(row.dish_id, []).append(row)

        def current(dish, day, price_on=price_on):
            found = None
            for row in price_on[dish.pk]:
                if row.valid_from <= day:
                    found = row.price
            return found

        # The term's menus, and the week ahead.
        menus = []
        day = term
        while day <= today + dt.timedelta(days=7):
            for meal in ("breakfast", "lunch", "dinner"):
                menus.append(Menu(canteen=canteen, date=day, meal=meal))
            day += dt.timedelta(days=1)
        Menu.objects.bulk_create(menus, batch_size=1000)
        items = []
        for menu in menus:
            for n, (dish_name, (dish, _price)) in enumerate(dishes.items()):
                meals = next(d[5] for d in DISHES if d[0] == dish_name)
                if menu.meal in meals:
                    items.append(
                        MenuItem(menu=menu, dish=dish, price=current(dish, menu.date), position=n)
                    )
        MenuItem.objects.bulk_create(items, batch_size=2000)
        first = position == 0
        if first:
            _seed_first_canteen(dishes, cook, today)
        _seed_food_safety(canteen, cook, today, zone, first=first)
    _seed_suppliers(campuses, today)
    log(f"dining: {Canteen.objects.count()} canteens ({made} seeded now), cook works in 松北一食堂")


def _seed_first_canteen(dishes, cook, today):
    from dining.models import DishRating, PriceRequest
    from logistics.models import Role, User

    # A rise above the limit waits for the dining manager's approval.
    kungpao = dishes["宫保鸡丁"][0]
    PriceRequest.objects.get_or_create(
        dish=kungpao,
        price=Decimal("14.00"),
        valid_from=today + dt.timedelta(days=7),
        status=PriceRequest.Status.PENDING,
        defaults={
            "reference_price": Decimal("12.00"),
            "requested_by": cook,
            "source": "下周菜单.xlsx",
        },
    )
    # Ratings of the last days by residents.
    diners = list(User.objects.filter(role_grants__role=Role.STUDENT).order_by("pk")[:12])
    ratings = []
    for back in range(1, 6):
        day = today - dt.timedelta(days=back)
        for n, diner in enumerate(diners):
            dish, _price = list(dishes.values())[3 + (n + back) % 5]
            meal = "dinner" if dish.name == "牛肉面" else "lunch"
            ratings.append(
                DishRating(
                    dish=dish,
                    date=day,
                    meal=meal,
                    user=diner,
                    stars=3 + (n + back) % 3,
                    comment=["很好吃", "", "有点咸", "", "分量足"][(n + back) % 5],
                )
            )
    DishRating.objects.bulk_create(ratings, ignore_conflicts=True)


def _seed_food_safety(canteen, cook, today, zone, *, first):
    from dining.models import (
        FoodSample,
        FoodWorker,
        Fridge,
        MenuItem,
        MorningCheck,
        TemperatureReading,
    )

    # Food safety: fridges, workers, a week of records.
    fridge = Fridge.objects.create(canteen=canteen, name="留样冰箱", kind=Fridge.Kind.FRIDGE)
    freezer = Fridge.objects.create(canteen=canteen, name="冷冻库", kind=Fridge.Kind.FREEZER)
    workers = [
        FoodWorker.objects.create(canteen=canteen, name=w, job="厨师" if i % 2 == 0 else "帮厨")
        for i, w in enumerate(WORKERS)
    ]
    samples, checks, readings = [], [], []
    for back in range(1, 8):
        day = today - dt.timedelta(days=back)
        for item in MenuItem.objects.filter(menu__canteen=canteen, menu__date=day).select_related(
            "menu"
        ):
            if first and back == 1 and item.menu.meal == "lunch" and item.dish.name == "红烧肉":
                continue  # the one sample missing
            taken = timezone.make_aware(dt.datetime.combine(day, MEAL_TIMES[item.menu.meal]), zone)
            samples.append(
                FoodSample(
                    canteen=canteen,
                    date=day,
                    meal=item.menu.meal,
                    dish_id=item.dish_id,
                    grams=130 + item.position * 5,
                    taken_at=taken,
                    fridge=fridge,
                    taken_by=cook,
                    destroyed_at=taken + dt.timedelta(hours=50) if back >= 3 else None,
                    destroyed_by=cook if back >= 3 else None,
                )
            )
        for i, worker in enumerate(workers):
            off = first and back == 1 and i == 1
            checks.append(
                MorningCheck(
                    worker=worker,
                    date=day,
                    symptoms=["fever"] if off else [],
                    cleared=not off,
                    note="体温37.8℃，已回家休息" if off else "",
                    checked_by=cook,
                )
            )
        for f, values in ((fridge, ("4.0", "5.0")), (freezer, ("-19.0", "-20.0"))):
            for slot, value in zip(("morning", "afternoon"), values, strict=True):
                celsius = Decimal(value)
                out = first and back == 2 and f == fridge and slot == "afternoon"
                if out:
                    celsius = Decimal("9.5")
                readings.append(
                    TemperatureReading(
                        fridge=f,
                        date=day,
                        slot=slot,
                        celsius=celsius,
                        in_range=f.in_range(celsius),
                        action_note="开门频繁，已调低设定温度，复测6℃" if out else "",
                        recorded_by=cook,
                    )
                )
    FoodSample.objects.bulk_create(samples)
    MorningCheck.objects.bulk_create(checks)
    TemperatureReading.objects.bulk_create(readings)
    if not first:
        return
    # Today: one worker off duty at the morning check, the rest still to check.
    MorningCheck.objects.create(
        worker=workers[2],
        date=today,
        symptoms=["hand_wound"],
        cleared=False,
        note="手部割伤",
        checked_by=cook,
    )


def _seed_suppliers(campuses, today):
    from dining.models import Canteen, Supplier, SupplierCertificate

    # Suppliers (索证索票): one certificate expiring within 30 days.
    for supplier_name, expiry in (("绿源蔬菜配送", 20), ("北方粮油", 300)):
        supplier, _ = Supplier.objects.get_or_create(
            name=supplier_name, defaults={"contact": "0451-8888 0000"}
        )
        supplier.canteens.add(*Canteen.objects.filter(campus=campuses["songbei"]))
        SupplierCertificate.objects.get_or_create(
            supplier=supplier,
            kind=SupplierCertificate.Kind.FOOD_LICENCE,
            defaults={
                "number": f"JY2301{expiry:04d}",
                "expires_on": today + dt.timedelta(days=expiry),
            },
        )

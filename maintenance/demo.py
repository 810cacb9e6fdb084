"""The demo university's repairs: fault categories, the technicians' roster, public areas, a
repair storeroom per campus with its materials, and repair requests of the demo student and
their neighbours at every step of their life.

Everything is made through the services (maintenance.services, maintenance.stores), so the
timelines, notifications, audit records and the storeroom ledger are the real thing. Running it
twice changes nothing: rows are found by their codes, and the requests are made only once.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from logistics.demo import DEMO_PASSWORD, demo_seeder
from logistics.models import Campus, Department, Role, RoleGrant, User

# (username, full name, campus, skills): the demo technician exists already (logistics.demo).
TECHNICIANS = [
    ("technician", "王师傅", "songbei", ["plumbing", "water_heater", "doors_locks"]),
    ("technician2", "李师傅", "songbei", ["electrical", "network", "air_conditioning"]),
    ("technician3", "孙师傅", "songbei", ["furniture", "doors_locks", "other", "plumbing"]),
]

# Public areas of a few buildings: (code suffix, name, name in English)
AREA_BUILDINGS = ["S01", "S02", "J01"]
AREAS = [
    ("LAUNDRY", "洗衣房", "Laundry"),
    ("WATER", "水房", "Water room"),
    ("LOBBY", "一楼大厅", "Ground-floor lobby"),
]

# One repair storeroom per campus, apart from the apartments' asset storeroom (KF01).
STOREROOM_CODE = "WX01"
STOREROOM_NAME = ("维修材料库", "Repair materials store")
# (code, name, name_en, unit, unit_en, unit cost, opening stock, low-stock level)
MATERIALS = [
    ("faucet", "水龙头", "Tap", "个", "pc", "35.00", 20, 5),
    ("angle_valve", "角阀", "Angle valve", "个", "pc", "18.00", 30, 8),
    ("tube_light", "灯管", "Fluorescent tube", "根", "tube", "12.50", 40, 10),
    ("led_bulb", "LED灯泡", "LED bulb", "个", "pc", "9.90", 50, 10),
    ("switch_panel", "开关面板", "Switch panel", "个", "pc", "15.00", 25, 5),
    # Low on purpose: the storeroom's warning shows on the demo.
    ("lock_cylinder", "门锁锁芯", "Lock cylinder", "个", "pc", "45.00", 3, 5),
    ("hinge", "合页", "Hinge", "副", "pair", "6.50", 40, 10),
    ("network_cable", "网线", "Network cable", "米", "m", "2.20", 300, 50),
    ("heater_thermostat", "热水器温控器", "Water heater thermostat", "个", "pc", "68.00", 8, 2),
    ("ac_remote", "空调遥控器", "Air conditioner remote", "个", "pc", "25.00", 10, 3),
]

# The center's points table (维修项目计票表): (code, name, name_en, fault category, points).
REPAIR_ITEMS = [
    ("tap_washer", "更换水龙头垫圈", "Tap washer replaced", "plumbing", "1"),
    ("tap", "更换水龙头", "Tap replaced", "plumbing", "3"),
    ("angle_valve", "更换角阀", "Angle valve replaced", "plumbing", "3"),
    ("drain_unblock", "疏通下水", "Drain unblocked", "plumbing", "2"),
    ("tube_light", "更换灯管", "Tube light replaced", "electrical", "1"),
    ("switch_panel", "更换开关面板", "Switch panel replaced", "electrical", "2"),
    ("lock_cylinder", "更换门锁锁芯", "Lock cylinder replaced", "doors_locks", "4"),
    ("hinge", "更换合页", "Hinge replaced", "doors_locks", "2"),
    ("network_port", "网口压线/更换网线", "Network port or cable redone", "network", "2"),
    ("heater_thermostat", "更换热水器温控器", "Heater thermostat replaced", "water_heater", "4"),
    ("inspection_visit", "上门检查（无更换）", "Site visit, nothing replaced", None, "1"),
]

# The demo requests' descriptions: finding one means the requests were made already.
FAULTS = {
    "submitted": "卫生间水龙头一直滴水，关不紧。",
    "assigned": "宿舍灯管不亮，换了开关也没用。",
    "in_progress": "洗衣房靠门那台洗衣机的进水阀漏水，地面很滑。",
    "merged": "洗衣房有台洗衣机漏水。",
    "done": "门锁锁芯卡住，钥匙拧不动。",
    "closed_good": "网口没有信号，电脑连不上校园网。",
    "closed_low": "热水器不出热水。",
    "overdue": "空调不制冷，一直吹热风。",
    "lobby": "一楼大厅两盏灯不亮。",
}


@demo_seeder(order=40)
@transaction.atomic
def seed_maintenance(log):
    from maintenance.reference import categories_ensure

    categories = categories_ensure()
    campuses = {c.code: c for c in Campus.objects.all()}
    technicians = _seed_technicians(campuses, categories)
    areas = _seed_areas()
    stocks = _seed_storerooms(campuses)
    items = _seed_repair_items(categories)
    log(
        f"maintenance: {len(categories)} categories, {len(technicians)} technicians, "
        f"{len(areas)} public areas, {len(stocks)} stocks, {items} repair items"
    )
    made = _seed_tickets(categories, technicians, areas, stocks)
    log(f"maintenance: {made} repair requests made" if made else "maintenance: requests kept")


def _seed_repair_items(categories) -> int:
    from decimal import Decimal

    from maintenance.models import RepairItem

    for position, (code, name, name_en, category, points) in enumerate(REPAIR_ITEMS, start=1):
        RepairItem.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": categories.get(category) if category else None,
                "points": Decimal(points),
                "position": position,
            },
        )
    return len(REPAIR_ITEMS)


def _seed_technicians(campuses, categories):
    from maintenance.models import Technician

    department = Department.objects.filter(code="maintenance").first()
    users = {}
    for username, full_name, campus, skills in TECHNICIANS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        RoleGrant.objects.get_or_create(
            user=user, role=Role.TECHNICIAN, campus=campuses[campus], department=department
        )
        profile, created = Technician.objects.get_or_create(
            user=user, defaults={"campus": campuses[campus]}
        )
        if created:
            profile.skills.set([categories[code] for code in skills])
        users[username] = user
    return users


def _seed_areas():
    from apartments.models import Building
    from maintenance.models import PublicArea

    areas = {}
    for building in Building.objects.filter(code__in=AREA_BUILDINGS).select_related("campus"):
        for suffix, name, name_en in AREAS:
            code = f"{building.code}-{suffix}"
            areas[code], _ = PublicArea.objects.get_or_create(
                campus=building.campus,
                code=code,
                defaults={
                    "building": building,
                    "name": f"{building.name}{name}",
                    "name_en": f"{building.name_en} {name_en}".strip(),
                },
            )
    return areas


def _storekeeper(campus):
    """Who receives the opening stock: the campus's demo dispatcher, else the administrator."""
    from maintenance.selectors import may_dispatch_campus

    dispatcher = User.objects.filter(username="dispatcher").first()
    if dispatcher is not None and may_dispatch_campus(dispatcher, campus.pk):
        return dispatcher
    return User.objects.get(username="admin")


def _seed_storerooms(campuses):
    from apartments.models import Storeroom
    from maintenance import stores
    from maintenance.models import Material, Stock

    materials = {}
    for code, name, name_en, unit, unit_en, cost, _opening, _low in MATERIALS:
        materials[code], _ = Material.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "unit": unit,
                "unit_en": unit_en,
                "unit_cost": Decimal(cost),
            },
        )
    stocks = {}
    for campus in campuses.values():
        storeroom, _ = Storeroom.objects.get_or_create(
            campus=campus,
            code=STOREROOM_CODE,
            defaults={"name": STOREROOM_NAME[0], "name_en": STOREROOM_NAME[1]},
        )
        keeper = _storekeeper(campus)
        for code, *_names, opening, low in MATERIALS:
            stock, created = Stock.objects.get_or_create(
                storeroom=storeroom, material=materials[code], defaults={"low_at": low}
            )
            if created:
                # Through the ledger, so the balance is the sum of its movements.
                stores.stock_receive(actor=keeper, stock=stock, quantity=opening, reason="期初入库")
            stocks[(campus.code, code)] = stock
    return stocks


def _neighbours(student, room, count=3):
    """Residents living in the demo student's building, roommates first: they report the
    other faults."""
    from apartments.models import Stay

    stays = (
        Stay.objects.filter(status=Stay.Status.ACTIVE, bed__room__building_id=room.building_id)
        .exclude(resident__user=student)
        .exclude(resident__user__isnull=True)
        .select_related("resident__user", "bed")
        .order_by("bed__room__floor", "bed__room__number", "bed__number")
    )
    rows = sorted(stays[:100], key=lambda s: s.bed.room_id != room.pk)
    return [row.resident.user for row in rows[:count]]


def _seed_tickets(categories, technicians, areas, stocks) -> int:
    from apartments.demo import DEMO_STUDENT_ID
    from maintenance import services, stores
    from maintenance.models import Ticket
    from maintenance.selectors import resident_room

    if Ticket.objects.filter(description__in=FAULTS.values()).exists():
        return 0
    student = User.objects.filter(username=DEMO_STUDENT_ID).first()
    room = resident_room(student) if student is not None else None
    neighbours = _neighbours(student, room) if room is not None else []
    if len(neighbours) < 3:
        return 0  # no demo student checked in: nobody to report the faults
    first, second, third = neighbours
    dispatcher = User.objects.get(username="dispatcher")
    wang, li, sun = (technicians[name] for name in ("technician", "technician2", "technician3"))
    building = room.building.code
    laundry = areas.get(f"{building}-LAUNDRY") or areas["S01-LAUNDRY"]
    lobby = areas.get(f"{building}-LOBBY") or areas["S01-LOBBY"]
    campus = laundry.campus.code

    def file(reporter, key, code, **place):
        return services.ticket_file(
            reporter=reporter,
            category=categories[code],
            description=FAULTS[key],
            available_times="工作日晚上7点后",
            **place,
        )

    def assign(ticket, technician):
        return services.ticket_assign(actor=dispatcher, ticket=ticket, technician=technician)

    def work(ticket, technician, material=None, quantity=1):
        services.ticket_start(actor=technician, ticket=ticket)
        if material:
            stores.stock_issue(
                actor=technician, stock=stocks[(campus, material)], ticket=ticket, quantity=quantity
            )

    def finish(ticket, technician, minutes, note, items=()):
        return services.ticket_finish(
            actor=technician,
            ticket=ticket,
            labour_minutes=minutes,
            work_note=note,
            items=[{"item": code, "quantity": n} for code, n in items],
        )

    made = []
    # Closed last week with a good rating, and with a low one a supervisor must follow up.
    good = file(second, "closed_good", "network")
    assign(good, li)
    work(good, li, "network_cable", 3)
    finish(good, li, 25, "重新压制水晶头，更换3米网线。", [("network_port", 1)])
    services.ticket_confirm(actor=second, ticket=good, rating=5, comment="师傅很快，态度很好。")
    made.append((good, timedelta(days=6)))

    low = file(student, "closed_low", "water_heater")
    assign(low, wang)
    work(low, wang, "heater_thermostat")
    finish(low, wang, 60, "更换温控器。", [("heater_thermostat", 1)])
    services.ticket_confirm(actor=student, ticket=low, rating=2, comment="等了两天才来修。")
    made.append((low, timedelta(days=5)))

    # Finished yesterday, waiting for the demo student's confirmation.
    done = file(student, "done", "doors_locks")
    assign(done, sun)
    work(done, sun, "lock_cylinder")
    finish(done, sun, 40, "更换锁芯，配两把钥匙。", [("lock_cylinder", 1)])
    made.append((done, timedelta(days=1)))

    # Being repaired, with a duplicate report from a neighbour merged into it.
    working = file(student, "in_progress", "plumbing", area=laundry)
    assign(working, wang)
    work(working, wang, "angle_valve")
    duplicate = file(first, "merged", "plumbing", area=laundry)
    services.ticket_merge(actor=dispatcher, primary=working, duplicates=[duplicate])
    made.append((working, timedelta(hours=3)))
    made.append((duplicate, timedelta(hours=3)))

    # Assigned, not started yet.
    assigned = file(first, "assigned", "electrical")
    assign(assigned, li)
    made.append((assigned, timedelta(minutes=20)))

    # Overdue: filed two days ago and still waiting for dispatch.
    overdue = file(third, "overdue", "air_conditioning")
    made.append((overdue, timedelta(days=2)))

    # Just filed: by the demo student, and by the dorm manager for the lobby.
    file(student, "submitted", "plumbing")
    manager = User.objects.filter(username="manager").first()
    if manager is not None and not services.place_problem(manager, room=None, area=lobby):
        file(manager, "lobby", "electrical", area=lobby)

    for ticket, ago in made:
        _backdate(ticket, ago)
    return Ticket.objects.filter(description__in=FAULTS.values()).count()


def _backdate(ticket, ago: timedelta) -> None:
    """Move a demo request's whole history `ago` into the past: its times, its promise, its
    timeline, its material lines and what people were told keep their distances."""
    from django.urls import reverse

    from logistics.models import Notification
    from maintenance.models import StockMovement, Ticket, TicketEvent

    fields = [
        "created_at",
        "respond_by",
        "complete_by",
        "assigned_at",
        "started_at",
        "finished_at",
        "closed_at",
        "rated_at",
    ]
    Ticket.objects.filter(pk=ticket.pk).update(**{name: F(name) - ago for name in fields})
    TicketEvent.objects.filter(ticket=ticket).update(at=F("at") - ago)
    StockMovement.objects.filter(ticket=ticket).update(at=F("at") - ago)
    url = reverse("maintenance:ticket_detail", args=[ticket.pk])
    Notification.objects.filter(url=url).update(created_at=F("created_at") - ago)


# --- Planned maintenance and room readiness (issue 17) ------------------------------------------

CAMPAIGN_NAME = "2026年暑期整修保洁"
CAMPAIGN_BUILDING = "S02"  # the demo shift lead's building (with S01, left alone for the desk)
CAMPAIGN_CHECKLIST = [
    "门窗、灯具、水电设施检查维修 / Fittings checked and repaired",
    "室内外清洁 / Cleaned inside and out",
    "床上用品到位 / Bedding kits in place",
    "资产清单核对 / Asset list matches",
]
LAMP_FAULT = "台灯不亮，灯座松动。"
# (name, area suffix or None for rooms, unit, every, fixed dates)
HEATER_TYPE = "water-heater"
HEATER_ROOMS_SCHEDULE = "S01各房间热水器季度巡检"
PUMP_METER = "S01水房热水泵运行小时"
PUMP_SCHEDULE = "热水泵每500小时保养"
SCHEDULES = [
    ("热水器除垢保养", "WATER", "months", 6, []),
    ("灭火器月检", "LOBBY", "months", 1, []),
    ("洗衣房设备年检", "LAUNDRY", "fixed", 1, ["07-15"]),
]


@demo_seeder(order=45)
@transaction.atomic
def seed_planned(log):
    """A summer campaign half done on S02 (one room blocked by a broken lamp), and preventive
    schedules for the water heaters, the fire extinguishers and the laundry."""
    from apartments.models import Building
    from maintenance import campaigns, preventive
    from maintenance.models import Campaign, PublicArea, RoomTask, Schedule
    from maintenance.reference import categories_ensure

    dispatcher = User.objects.filter(username="dispatcher").first()
    worker = User.objects.filter(username="shiftlead").first()
    building = Building.objects.filter(code=CAMPAIGN_BUILDING).select_related("campus").first()
    if dispatcher is None or worker is None or building is None:
        log("maintenance: no planned work (the demo staff or S02 is missing)")
        return
    today = timezone.localdate()
    if not Campaign.objects.filter(name=CAMPAIGN_NAME).exists():
        campaign = campaigns.campaign_start(
            actor=dispatcher,
            campus=building.campus,
            name=CAMPAIGN_NAME,
            buildings=[building],
            checklist=CAMPAIGN_CHECKLIST,
            move_in_date=today + timedelta(days=21),
        )
        tasks = list(
            RoomTask.objects.filter(campaign=campaign).order_by("room__floor", "room__number")
        )
        everything = list(range(len(CAMPAIGN_CHECKLIST)))
        half = len(tasks) // 2
        for task in tasks[:half]:
            campaigns.room_task_record(actor=worker, task=task, done_items=everything)
        for task in tasks[half : half + 6]:
            campaigns.room_task_record(actor=worker, task=task, done_items=everything[:2])
        if tasks:
            campaigns.room_fault_report(
                actor=worker,
                task=tasks[half],
                category=categories_ensure()["electrical"],
                description=LAMP_FAULT,
            )
        # Spread the finished rooms over the last week, for the forecast's pace.
        for n, task in enumerate(tasks[:half]):
            RoomTask.objects.filter(pk=task.pk).update(
                done_at=timezone.now() - timedelta(days=n % 7)
            )
        log(f"maintenance: campaign {CAMPAIGN_NAME}: {half} of {len(tasks)} rooms done")
    made = 0
    for name, suffix, unit, every, fixed in SCHEDULES:
        if Schedule.objects.filter(name=name).exists():
            continue
        area = PublicArea.objects.filter(code=f"S01-{suffix}").first()
        if area is None:
            continue
        preventive.schedule_create(
            actor=dispatcher,
            campus=area.campus,
            name=name,
            tasks="检查\n保养\n记录",
            unit=unit,
            every=every,
            fixed_dates=fixed,
            next_due=today + timedelta(days=3 + made),
            area=area,
        )
        made += 1
    log(f"maintenance: {made} preventive schedules made" if made else "maintenance: schedules kept")
    _seed_asset_and_meter_schedules(log, dispatcher, today)


def _seed_asset_and_meter_schedules(log, dispatcher, today) -> None:
    """A schedule for every S01 room holding a water heater (one job per room), and the S01
    water room's pump with a running-hours meter, read weekly, serviced every 500 hours."""
    from apartments.models import AssetType, Building
    from maintenance import meters, preventive
    from maintenance.models import Meter, MeterReading, PublicArea, Schedule

    heater = AssetType.objects.filter(code=HEATER_TYPE).first()
    building = Building.objects.filter(code="S01").first()
    if (
        heater is not None
        and building is not None
        and not Schedule.objects.filter(name=HEATER_ROOMS_SCHEDULE).exists()
    ):
        preventive.schedule_create(
            actor=dispatcher,
            campus=building.campus,
            name=HEATER_ROOMS_SCHEDULE,
            tasks="检查安全阀\n检查漏电保护\n排污",
            unit="months",
            every=3,
            next_due=today + timedelta(days=2),
            asset_type=heater,
            building=building,
        )
        log(f"maintenance: schedule {HEATER_ROOMS_SCHEDULE} for every S01 room with a heater")
    area = PublicArea.objects.filter(code="S01-WATER").first()
    if area is None or Meter.objects.filter(name=PUMP_METER).exists():
        return
    meter = meters.meter_create(
        actor=dispatcher,
        campus=area.campus,
        name=PUMP_METER,
        unit="hours",
        max_per_day=24,
        area=area,
        reading=4700,
    )
    MeterReading.objects.filter(meter=meter).update(at=timezone.now() - timedelta(weeks=3))
    # A reading a week for the last three weeks (the latest today).
    for weeks_ago, value in ((2, 4820), (1, 4935), (0, 5060)):
        reading = MeterReading.objects.create(meter=meter, value=value, by=dispatcher)
        at = timezone.now() - timedelta(weeks=weeks_ago)
        MeterReading.objects.filter(pk=reading.pk).update(at=at)
        Meter.objects.filter(pk=meter.pk).update(reading=value, read_at=at)
    meter.refresh_from_db()
    preventive.schedule_create(
        actor=dispatcher,
        campus=area.campus,
        name=PUMP_SCHEDULE,
        tasks="检查轴承与润滑\n检查密封\n记录电流",
        unit="meter",
        every=500,
        next_due=None,
        meter=meter,
    )
    # The pump was last serviced at 4,500 hours: the 5,000-hour service is due tonight.
    Schedule.objects.filter(name=PUMP_SCHEDULE).update(next_reading=5000)
    log(f"maintenance: meter {PUMP_METER} and its schedule every 500 hours")

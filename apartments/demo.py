"""The demo university's apartments: a dozen buildings on two campuses, a few thousand beds,
residents of every category (with portal accounts), the dorm staff's building scopes, the room
assets with their price list, this year's graduates on their way out, a week of late returns
(one repeat offender, and the demo student once), fire equipment on every floor (some of it
expired, expiring or overdue for its check), shift hand-overs of S01 (the latest still waiting
for its acknowledgement), this year's safety responsibility agreements with some signed (in the
portal and on paper) and many not, and a week of nightly zero reports with one
missing (each counting its night's late returns).

The demo sits above what it seeds: it writes through the models and imports no feature module
(apartments.assets and apartments.move_out do not import it either). seed_resident_days is
the exception on purpose: its inspections, charges, disputes and stocktake go through the
services, imported when it runs, so that their audit records and notifications exist too."""

import datetime as dt
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apartments.models import (
    AgreementLevel,
    AgreementSignature,
    AgreementText,
    Asset,
    AssetCondition,
    AssetType,
    Bed,
    BedKit,
    Building,
    BuildingAssignment,
    Category,
    Charge,
    ConditionReport,
    FireEquipment,
    FireEquipmentCheck,
    Gender,
    GenderPolicy,
    Handover,
    InspectionResult,
    KitItem,
    KitType,
    LateReturn,
    MoveOutNotice,
    MoveOutReason,
    MoveOutRequest,
    Resident,
    Room,
    RoomInspection,
    RoomKind,
    Stay,
    Stocktake,
    Storeroom,
    ZeroReport,
)
from apartments.names import pinyin_initials
from logistics.demo import DEMO_PASSWORD, demo_seeder
from logistics.models import Campus, Role, RoleGrant, User

# (campus, code, name, name_en, gender policy, floors, rooms per floor, beds per room)
BUILDINGS = [
    ("songbei", "S01", "松北1号公寓", "Songbei Apartment 1", GenderPolicy.MALE, 6, 16, 4),
    ("songbei", "S02", "松北2号公寓", "Songbei Apartment 2", GenderPolicy.FEMALE, 6, 16, 4),
    ("songbei", "S03", "松北3号公寓", "Songbei Apartment 3", GenderPolicy.MALE, 6, 16, 4),
    ("songbei", "S04", "松北4号公寓", "Songbei Apartment 4", GenderPolicy.FEMALE, 6, 16, 4),
    ("songbei", "S05", "松北5号公寓", "Songbei Apartment 5", GenderPolicy.MALE, 6, 16, 4),
    ("songbei", "S06", "研究生公寓", "Postgraduate Apartment", GenderPolicy.MIXED, 5, 12, 2),
    ("songbei", "S07", "教工公寓", "Staff Apartment", GenderPolicy.MIXED, 4, 10, 1),
    ("jiangnan", "J01", "江南1号公寓", "Jiangnan Apartment 1", GenderPolicy.MALE, 6, 16, 4),
    ("jiangnan", "J02", "江南2号公寓", "Jiangnan Apartment 2", GenderPolicy.FEMALE, 6, 16, 4),
    ("jiangnan", "J03", "江南3号公寓", "Jiangnan Apartment 3", GenderPolicy.MIXED, 6, 16, 4),
    (
        "jiangnan",
        "J04",
        "江南研究生公寓",
        "Jiangnan Postgraduate Apartment",
        GenderPolicy.MIXED,
        5,
        10,
        2,
    ),
    ("jiangnan", "J05", "江南教工公寓", "Jiangnan Staff Apartment", GenderPolicy.MIXED, 3, 10, 1),
]

# Residents per campus and category: the source's intake, scaled down about five times.
RESIDENTS = {
    ("songbei", Category.UNDERGRADUATE): 725,
    ("jiangnan", Category.UNDERGRADUATE): 357,
    ("songbei", Category.TOP_UP): 89,
    ("jiangnan", Category.TOP_UP): 27,
    ("songbei", Category.POSTGRADUATE): 62,
    ("jiangnan", Category.POSTGRADUATE): 16,
    ("songbei", Category.DOCTORAL): 4,
    ("jiangnan", Category.DOCTORAL): 1,
    ("songbei", Category.ADULT_EDUCATION): 4,
    ("jiangnan", Category.ADULT_EDUCATION): 1,
    ("songbei", Category.STAFF): 5,
    ("jiangnan", Category.STAFF): 3,
}
COLLEGES = ["计算机学院", "机械工程学院", "经济管理学院", "外国语学院", "材料学院", "理学院"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
CATEGORY_PREFIX = {
    Category.UNDERGRADUATE: "25",
    Category.TOP_UP: "26",
    Category.POSTGRADUATE: "27",
    Category.DOCTORAL: "28",
    Category.ADULT_EDUCATION: "29",
    Category.STAFF: "30",
}
DEMO_STUDENT_ID = "2501000001"

# Demo staff scopes over buildings: (username, role, building codes)
BUILDING_STAFF = [
    ("manager", Role.DORM_MANAGER, ["S01", "S02", "S03"]),
    ("shiftlead", Role.SHIFT_LEAD, ["S01", "S02"]),
]


@demo_seeder(order=20)
@transaction.atomic
def seed_apartments(log):
    campuses = {c.code: c for c in Campus.objects.all()}
    buildings = _seed_buildings(campuses)
    log(f"apartments: {len(buildings)} buildings, {Bed.objects.count()} beds")
    _seed_residents(campuses)
    log(f"apartments: {Resident.objects.count()} residents")
    _seed_move_in()
    log(
        f"apartments: {Stay.objects.filter(status=Stay.Status.ACTIVE).count()} checked in, "
        f"{Stay.objects.filter(status=Stay.Status.RESERVED).count()} reserved"
    )
    for username, role, codes in BUILDING_STAFF:
        user = User.objects.get(username=username)
        for code in codes:
            BuildingAssignment.objects.get_or_create(building=buildings[code], user=user, role=role)


# Buildings that house only some categories; the rest take undergraduates and top-ups.
BUILDING_CATEGORIES = {
    "S06": [Category.POSTGRADUATE, Category.DOCTORAL],
    "J04": [Category.POSTGRADUATE, Category.DOCTORAL],
    "S07": [Category.STAFF],
    "J05": [Category.STAFF],
}


def _room_gender(policy, floor):
    """Rooms follow their building; a mixed building has men on odd floors, women on even."""
    if policy != GenderPolicy.MIXED:
        return policy
    return GenderPolicy.MALE if floor % 2 else GenderPolicy.FEMALE


def _seed_buildings(campuses):
    buildings = {}
    for campus, code, name, name_en, policy, floors, per_floor, beds in BUILDINGS:
        categories = BUILDING_CATEGORIES.get(code, [])
        building, _ = Building.objects.get_or_create(
            campus=campuses[campus],
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "gender_policy": policy,
                "floors": floors,
                "categories": categories,
            },
        )
        buildings[code] = building
        kind = RoomKind.STAFF if categories == [Category.STAFF] else RoomKind.DORMITORY
        Room.objects.bulk_create(
            [
                Room(
                    building=building,
                    floor=f,
                    number=f"{f}{r:02d}",
                    capacity=beds,
                    kind=kind,
                    gender=_room_gender(policy, f),
                )
                for f in range(1, floors + 1)
                for r in range(1, per_floor + 1)
            ],
            ignore_conflicts=True,
        )
        rooms = Room.objects.filter(building=building).only("pk", "capacity")
        Bed.objects.bulk_create(
            [Bed(room=room, number=n) for room in rooms for n in range(1, room.capacity + 1)],
            ignore_conflicts=True,
        )
    return buildings


def _seed_residents(campuses):
    rows = []
    serial = 0
    for (campus, category), count in RESIDENTS.items():
        for i in range(count):
            serial += 1
            gender = Gender.MALE if serial % 2 else Gender.FEMALE
            student_id = (
                f"{CATEGORY_PREFIX[category]}{'01' if campus == 'songbei' else '02'}{i + 1:06d}"
            )
            rows.append(
                {
                    "student_id": student_id,
                    "name": SURNAMES[serial % len(SURNAMES)]
                    + GIVEN[serial % len(GIVEN)]
                    + GIVEN[(serial // len(GIVEN)) % len(GIVEN)],
                    "gender": gender,
                    "category": category,
                    "campus": campuses[campus],
                    "college": "" if category == Category.STAFF else COLLEGES[i % len(COLLEGES)],
                    "class_name": ""
                    if category == Category.STAFF
                    else f"{COLLEGES[i % len(COLLEGES)][:2]}{25}-{i % 8 + 1}班",
                }
            )
    existing = set(
        User.objects.filter(username__in=[r["student_id"] for r in rows]).values_list(
            "username", flat=True
        )
    )
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(username=r["student_id"], full_name=r["name"], password=unusable)
            for r in rows
            if r["student_id"] not in existing
        ]
    )
    users = dict(
        User.objects.filter(username__in=[r["student_id"] for r in rows]).values_list(
            "username", "pk"
        )
    )
    Resident.objects.bulk_create(
        [
            Resident(user_id=users[r["student_id"]], name_initials=pinyin_initials(r["name"]), **r)
            for r in rows
        ],
        ignore_conflicts=True,
    )
    # Filtered by hand: SQLite cannot enforce RoleGrant's NULLS NOT DISTINCT constraint.
    granted = set(
        RoleGrant.objects.filter(role=Role.STUDENT, user_id__in=users.values()).values_list(
            "user_id", flat=True
        )
    )
    RoleGrant.objects.bulk_create(
        [RoleGrant(user_id=pk, role=Role.STUDENT) for pk in users.values() if pk not in granted]
    )
    # The demo student signs in with a password; other residents use the university's sign-on.
    demo = User.objects.get(username=DEMO_STUDENT_ID)
    if not demo.has_usable_password():
        demo.set_password(DEMO_PASSWORD)
        demo.save(update_fields=["password"])


KIT_ITEMS = [
    ("棉被", "Quilt", 1),
    ("枕头", "Pillow", 1),
    ("床单", "Sheet", 2),
    ("被罩", "Quilt cover", 2),
    ("枕套", "Pillowcase", 2),
    ("褥子", "Mattress pad", 1),
]


def _seed_move_in():
    """Move-in day under way: most residents have a bed reserved, about half of those have
    checked in today, kits are placed (a few failed the check). Only on a database without
    any stay yet, so running twice changes nothing."""
    kit_type, created = KitType.objects.get_or_create(
        code="standard", defaults={"name": "标准床上用品", "name_en": "Standard bedding kit"}
    )
    if created:
        KitItem.objects.bulk_create(
            [KitItem(kit_type=kit_type, name=n, name_en=e, quantity=q) for n, e, q in KIT_ITEMS]
        )
    if Stay.objects.exists():
        return
    pools: dict[tuple, list[int]] = {}
    beds = Bed.objects.select_related("room__building").order_by(
        "room__building__code", "room__floor", "room__number", "number"
    )
    for bed in beds:
        building = bed.room.building
        pool = tuple(building.categories) or ("general",)
        pools.setdefault((building.campus_id, pool, bed.room.gender), []).append(bed.pk)

    def pool_of(resident):
        if resident.category == Category.STAFF:
            return (Category.STAFF,)
        if resident.category in (Category.POSTGRADUATE, Category.DOCTORAL):
            return (Category.POSTGRADUATE, Category.DOCTORAL)
        return ("general",)

    day = timezone.localdate()
    tz = timezone.get_current_timezone()
    now = timezone.now()
    stays, kits = [], []
    for i, resident in enumerate(Resident.objects.order_by("student_id")):
        if i % 10 == 9:
            continue  # one in ten has no reservation yet: the desk proposes a bed
        free = pools.get((resident.campus_id, pool_of(resident), resident.gender))
        if not free:
            continue
        bed_id = free.pop(0)
        arrived = i % 5 < 3  # independent of gender, which alternates
        at = timezone.make_aware(
            datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=i % 600), tz
        )
        if at > now:  # check-ins happened, never later than now: those of the day before
            at -= timedelta(days=1)
        stays.append(
            Stay(
                resident=resident,
                bed_id=bed_id,
                status=Stay.Status.ACTIVE if arrived else Stay.Status.RESERVED,
                reserved_at=at - timedelta(days=20),
                checked_in_at=at if arrived else None,
                key_issued=arrived,
                kit_issued=arrived,
            )
        )
        kits.append(
            BedKit(
                bed_id=bed_id,
                kit_type=kit_type,
                status=BedKit.Status.ISSUED if arrived else BedKit.Status.PLACED,
            )
        )
    for j, kit in enumerate(kits):
        if kit.status == BedKit.Status.PLACED and j % 37 == 1:
            kit.status = BedKit.Status.FAILED  # a torn quilt, a missing pillowcase…
            kit.failures = 1
    Stay.objects.bulk_create(stays, batch_size=2000)
    BedKit.objects.bulk_create(kits, batch_size=2000)


# --- Assets ----------------------------------------------------------------------------------

# (code, name, name_en, repair cost, replacement cost), in CNY.
DEMO_ASSET_TYPES = [
    ("bed-frame", "床架", "Bed frame", "80.00", "600.00"),
    ("mattress", "床垫", "Mattress", "50.00", "300.00"),
    ("desk", "书桌", "Desk", "60.00", "450.00"),
    ("chair", "椅子", "Chair", "30.00", "120.00"),
    ("wardrobe", "衣柜", "Wardrobe", "80.00", "700.00"),
    ("lamp", "台灯", "Desk lamp", "15.00", "60.00"),
    ("air-conditioner", "空调", "Air conditioner", "200.00", "2800.00"),
    ("water-heater", "热水器", "Water heater", "150.00", "1200.00"),
    ("door-lock", "门锁", "Door lock", "40.00", "180.00"),
    ("window-screen", "纱窗", "Window screen", "20.00", "90.00"),
]
# Per bed: a bed frame, a mattress, a desk, a chair and a wardrobe.
DEMO_PER_BED = ("bed-frame", "mattress", "desk", "chair", "wardrobe")
# Per room: one of each.
DEMO_PER_ROOM = ("air-conditioner", "lamp", "door-lock", "window-screen")
# Staff apartments and postgraduate rooms (two beds or fewer) have their own water heater.
DEMO_WATER_HEATER_MAX_BEDS = 2
# Each campus's spare furniture store.
DEMO_STOREROOM_CODE = "KF01"
DEMO_SPARES = (("chair", 40), ("desk", 20), ("mattress", 10))
DEMO_ACQUIRED_ON = "2023-08-20"


def seed_assets(log) -> None:
    """The demo's price list, a standard set of fittings tagged into every room of the demo
    buildings, and a storeroom of spares per campus. Safe to run again: tags are unique, so
    what exists is skipped. Bulk queries only (about 20,000 assets in a few seconds)."""
    started = time.monotonic()
    with transaction.atomic():
        types = _seed_asset_types()
        rooms = list(
            Room.objects.filter(
                building__campus__code__in={b[0] for b in BUILDINGS},
                building__code__in={b[1] for b in BUILDINGS},
            )
            .select_related("building")
            .only("pk", "number", "capacity", "building__code")
        )
        assets = []
        for room in rooms:
            prefix = f"{room.building.code}-{room.number}"
            for code in DEMO_PER_BED:
                for bed in range(1, room.capacity + 1):
                    assets.append(_demo_asset(f"{prefix}-{code}-{bed}", types[code], room=room))
            per_room = list(DEMO_PER_ROOM)
            if room.capacity <= DEMO_WATER_HEATER_MAX_BEDS:
                per_room.append("water-heater")
            for code in per_room:
                assets.append(_demo_asset(f"{prefix}-{code}", types[code], room=room))
        storerooms = 0
        for campus in Campus.objects.filter(code__in={b[0] for b in BUILDINGS}):
            storeroom, created = Storeroom.objects.get_or_create(
                campus=campus,
                code=DEMO_STOREROOM_CODE,
                defaults={
                    "name": f"{campus.name}备品库房",
                    "name_en": f"{campus.name_en} spares store".strip(),
                },
            )
            storerooms += created
            for code, count in DEMO_SPARES:
                for n in range(1, count + 1):
                    tag = f"{campus.code.upper()}-{DEMO_STOREROOM_CODE}-{code}-{n:02d}"
                    assets.append(_demo_asset(tag, types[code], storeroom=storeroom))
        # What a previous run tagged is skipped (one read of the tags, not 20,000 conflicts).
        tagged = set(Asset.objects.values_list("tag", flat=True))
        missing = [asset for asset in assets if asset.tag not in tagged]
        Asset.objects.bulk_create(missing, batch_size=2000, ignore_conflicts=True)
        added = len(missing)
    log(
        f"assets: {len(types)} asset types, {storerooms} storerooms created, "
        f"{added} assets tagged ({len(assets) - added} already there) "
        f"in {time.monotonic() - started:.1f} s"
    )


def _seed_asset_types() -> dict[str, AssetType]:
    existing = {
        t.code: t for t in AssetType.objects.filter(code__in=[t[0] for t in DEMO_ASSET_TYPES])
    }
    missing = [
        AssetType(
            code=code,
            name=name,
            name_en=name_en,
            repair_cost=Decimal(repair),
            replacement_cost=Decimal(replacement),
        )
        for code, name, name_en, repair, replacement in DEMO_ASSET_TYPES
        if code not in existing
    ]
    if missing:
        AssetType.objects.bulk_create(missing, ignore_conflicts=True)
        # Prices changed in the admin are kept: only what is new is created.
        existing = {
            t.code: t for t in AssetType.objects.filter(code__in=[t[0] for t in DEMO_ASSET_TYPES])
        }
    return existing


def _demo_asset(tag: str, asset_type: AssetType, *, room=None, storeroom=None) -> Asset:
    return Asset(
        tag=tag,
        asset_type=asset_type,
        room=room,
        storeroom=storeroom,
        condition=AssetCondition.GOOD,
        acquired_on=DEMO_ACQUIRED_ON,
    )


# --- Move-out ----------------------------------------------------------------------------------

DEMO_NOTICE_TITLE = "%(year)s届毕业生退宿须知"
DEMO_NOTICE_TITLE_EN = "Moving out: notice to the graduates of %(year)s"
DEMO_NOTICE_BODY = """%(year)s届毕业生同学：

毕业离校期间学生公寓集中办理退宿，时间为%(from)s至%(until)s。请按以下步骤办理：

一、提交退宿申请：离校前至少三天，在服务大厅“退宿”中填写计划离校日期和原因。
二、预约验房：宿舍管理员根据申请安排验房时间，请本人在场。验房按入住时确认的资产清单逐件核对（床、书桌、椅子、衣柜、台灯、空调等）。
三、交还钥匙：验房后将房间钥匙交回楼栋值班室，清空个人物品，带走或按指定地点放置生活垃圾。
四、结清费用：损坏或丢失的公物按价目表收取维修费或赔偿费；可由造成损坏的室友分担。费用结清（或经管理员减免）后方可办理离校手续。

以下情况收费：公物损坏、丢失，墙面乱涂乱画、私自打孔，钥匙未交回（按锁芯更换收费）。正常使用造成的磨损不收费。

对验房结果有异议的，可在结果公布后三天内在网上提出。祝同学们前程似锦，平安离校！
公寓中心"""
DEMO_NOTICE_BODY_EN = "\n\n".join(
    [
        "Dear graduates of %(year)s,",
        "The apartments handle move-outs for graduates from %(from)s to %(until)s. "
        "Please follow these steps:",
        '1. File a move-out request: at least three days before you leave, open "Move out" '
        "in the service hall and give your planned date and reason.\n"
        "2. Room inspection: your dorm manager schedules an inspection; please be there. The "
        "room is checked against the asset list you confirmed at move-in (bed, desk, chair, "
        "wardrobe, lamp, air conditioner…).\n"
        "3. Return your keys: after the inspection, hand your keys to the duty room of your "
        "building, empty the room and take your rubbish to the marked place.\n"
        "4. Settle charges: damaged or missing fittings are charged at the repair or "
        "replacement price of the price list; a charge can be split among the roommates "
        "responsible. You are cleared once charges are paid (or waived by a manager).",
        "What is charged: damaged or missing fittings, drawings on or holes drilled in the "
        "walls, keys not returned (the lock is replaced). Normal wear is not charged.",
        "If you disagree with the inspection, you can say so online within three days of the "
        "result. We wish you every success, and a safe journey!\nThe Apartment Center",
    ]
)


def seed_move_out(log) -> None:
    """This year's graduating group (a fifth of the undergraduates, by student id; the demo
    student among them), one published notice for them, and requests filed by some of them at
    every step. Running it twice changes nothing."""
    today = timezone.localdate()
    year = today.year
    undergraduates = Resident.objects.filter(
        category=Category.UNDERGRADUATE, graduation_year__isnull=True
    )
    graduates = [
        r for r in undergraduates.only("pk", "student_id") if int(r.student_id[-6:]) % 5 == 1
    ]
    for resident in graduates:
        resident.graduation_year = year
    Resident.objects.bulk_update(graduates, ["graduation_year"], batch_size=2000)

    move_out_from = dt.date(year, 6, 20)
    if move_out_from < today:
        move_out_from = today
    move_out_until = move_out_from + dt.timedelta(days=20)
    values = {
        "year": year,
        "from": move_out_from.isoformat(),
        "until": move_out_until.isoformat(),
    }
    _notice, created = MoveOutNotice.objects.get_or_create(
        graduation_year=year,
        title=DEMO_NOTICE_TITLE % values,
        defaults={
            "title_en": DEMO_NOTICE_TITLE_EN % values,
            "body": DEMO_NOTICE_BODY % values,
            "body_en": DEMO_NOTICE_BODY_EN % values,
            "categories": [Category.UNDERGRADUATE.value],
            "move_out_from": move_out_from,
            "move_out_until": move_out_until,
            "published_at": timezone.now(),
            "created_by": User.objects.filter(username="admin").first(),
        },
    )

    # Some graduates have filed already (not the demo student: they file on the phone).
    if MoveOutRequest.objects.filter(resident__graduation_year=year).exists():
        log(f"move-out: {len(graduates)} graduates of {year} marked, requests kept")
        return
    filed = set(MoveOutRequest.objects.values_list("resident_id", flat=True))
    stays = (
        Stay.objects.filter(status=Stay.Status.ACTIVE, resident__graduation_year=year)
        .exclude(resident__student_id=DEMO_STUDENT_ID)
        .exclude(resident_id__in=filed)
        .order_by("resident__student_id")
        .values_list("pk", "resident_id")
    )
    steps = [
        MoveOutRequest.Status.REQUESTED,
        MoveOutRequest.Status.REQUESTED,
        MoveOutRequest.Status.SCHEDULED,
        MoveOutRequest.Status.REQUESTED,
    ]
    requests = []
    for i, (stay_id, resident_id) in enumerate(stays):
        if i % 3:
            continue  # a third have filed so far
        status = steps[i % len(steps)]
        inspection_at = None
        if status == MoveOutRequest.Status.SCHEDULED:
            inspection_at = timezone.make_aware(
                dt.datetime.combine(move_out_from, dt.time(9 + i % 8, 0))
            )
        requests.append(
            MoveOutRequest(
                resident_id=resident_id,
                stay_id=stay_id,
                planned_date=move_out_from + dt.timedelta(days=i % 10),
                reason=MoveOutReason.GRADUATION,
                status=status,
                inspection_at=inspection_at,
            )
        )
    MoveOutRequest.objects.bulk_create(requests, batch_size=2000, ignore_conflicts=True)
    log(
        f"move-out: {len(graduates)} graduates of {year} marked, notice "
        f"{'published' if created else 'kept'}, {len(requests)} requests filed"
    )


@demo_seeder(order=30)
def seed_assets_and_move_out(log):
    """Room assets with the price list, then this year's graduates with their notice and some
    move-out requests."""
    seed_assets(log)
    seed_move_out(log)


# --- Dorm safety: a week of zero reports -----------------------------------------------------

ZERO_REPORT_DAYS = 7
# The building whose report is missing tonight (its staff have not filed yet: the alert shows).
ZERO_REPORT_MISSING = "S03"
# Some nights had something to report (every so many reports, in turn).
ZERO_REPORT_INCIDENTS = [
    "晚归2人（21:40、22:15），已登记并告知辅导员。",
    "305室查出违禁电器（热得快）1件，已暂扣，责令整改。",
    "3楼消防通道堆放纸箱，已当场清理。",
    "2楼灭火器压力不足，已报维修中心更换。",
]


# Late returns of the last week: (building, index of the resident among its active stays,
# nights back, local time of return, reason). A return after midnight belongs to the night
# before (apartments.late_returns.night_of); the first of S01 has three this week: a repeat.
LATE_RETURNS = [
    ("S01", 0, 1, "23:20", "社团活动"),
    ("S01", 0, 3, "23:45", "兼职"),
    ("S01", 0, 5, "00:30", ""),
    ("S01", 1, 1, "23:05", "图书馆自习"),
    ("S02", 0, 2, "23:35", "看病"),
    ("S02", 1, 4, "23:15", "家中有事"),
]


@demo_seeder(order=35)
@transaction.atomic
def seed_late_returns(log):
    """Late returns over the last week in S01 and S02 (recorded by the shift lead), and one
    for the demo student. Only on a database without any late return yet."""
    if LateReturn.objects.exists():
        log("safety: late returns kept")
        return
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    recorder = User.objects.filter(username="shiftlead").first()
    records = []
    for code, index, back, clock, reason in LATE_RETURNS:
        stays = list(
            Stay.objects.filter(status=Stay.Status.ACTIVE, bed__room__building__code=code)
            .exclude(resident__student_id=DEMO_STUDENT_ID)
            .select_related("bed__room__building", "resident")
            .order_by("resident__student_id")[:2]
        )
        if len(stays) <= index:
            continue
        records.append(_late_return(stays[index], today, back, clock, reason, recorder, tz))
    demo = (
        Stay.objects.filter(status=Stay.Status.ACTIVE, resident__student_id=DEMO_STUDENT_ID)
        .select_related("bed__room__building", "resident")
        .first()
    )
    if demo is not None:
        records.append(_late_return(demo, today, 2, "23:25", "实验室加班", recorder, tz))
    LateReturn.objects.bulk_create(records, ignore_conflicts=True)
    log(f"safety: {len(records)} late returns")


def _late_return(stay, today, back, clock, reason, recorder, tz) -> LateReturn:
    night = today - dt.timedelta(days=back)
    hours, minutes = (int(part) for part in clock.split(":"))
    day = night + dt.timedelta(days=1) if hours < 6 else night
    returned_at = timezone.make_aware(datetime.combine(day, dt.time(hours, minutes)), tz)
    return LateReturn(
        resident=stay.resident,
        building=stay.bed.room.building,
        night=night,
        returned_at=returned_at,
        reason=reason,
        recorded_by=recorder,
        recorded_at=returned_at + timedelta(minutes=2),
    )


# Fire equipment that needs attention: (building, code, days to its next check, days to its
# expiry). Everything else is in order, checked a week ago.
FIRE_EQUIPMENT_DUE = {
    ("S01", "MH-S01-2"): (-3, 300),  # overdue for its monthly check
    ("S01", "MH-S01-3"): (20, 12),  # expiring in 12 days
    ("S01", "MH-S01-5"): (20, -5),  # expired
    ("S02", "MH-S02-4"): (20, 25),  # expiring
}


@demo_seeder(order=36)
@transaction.atomic
def seed_fire_equipment(log):
    """An extinguisher on every floor of every building and a hydrant on the ground floor,
    checked a week ago by the shift lead; a few expired, expiring or overdue (which the
    nightly job's first run turns into their buildings' fire_equipment_due alerts). Only on a
    database without any fire equipment yet."""
    if FireEquipment.objects.exists():
        log("safety: fire equipment kept")
        return
    today = timezone.localdate()
    checker = User.objects.filter(username="shiftlead").first()
    items = []
    for building in Building.objects.order_by("campus__code", "code"):
        for floor in range(1, building.floors + 1):
            code = f"MH-{building.code}-{floor}"
            next_in, expires_in = FIRE_EQUIPMENT_DUE.get((building.code, code), (23, 400 + floor))
            items.append(
                FireEquipment(
                    building=building,
                    floor=floor,
                    kind=FireEquipment.Kind.EXTINGUISHER,
                    code=code,
                    location=f"{floor}楼楼梯口",
                    next_inspection=today + dt.timedelta(days=next_in),
                    expires_on=today + dt.timedelta(days=expires_in),
                )
            )
        items.append(
            FireEquipment(
                building=building,
                floor=1,
                kind=FireEquipment.Kind.HYDRANT,
                code=f"XHS-{building.code}-1",
                location="1楼大厅",
                next_inspection=today + dt.timedelta(days=23),
            )
        )
    FireEquipment.objects.bulk_create(items, ignore_conflicts=True)
    checked_at = timezone.now() - dt.timedelta(days=7)
    FireEquipmentCheck.objects.bulk_create(
        [
            FireEquipmentCheck(
                equipment=item,
                checked_on=timezone.localdate(checked_at),
                checked_at=checked_at,
                checked_by=checker,
                ok=item.code != "MH-S01-5",
                note="" if item.code != "MH-S01-5" else "已过期，已报后勤更换。",
            )
            for item in FireEquipment.objects.all()
        ],
        ignore_conflicts=True,
    )
    log(f"safety: {len(items)} fire equipment items")


HANDOVER_ITEMS = [
    "305室热得快已暂扣，待复查\n2楼东侧水管滴水，已报修（维修单待派工）",
    "412室学生发烧，已通知辅导员，夜间关注",
    "",
]


@demo_seeder(order=37)
@transaction.atomic
def seed_handovers(log):
    """The last three days' hand-overs of S01 between the manager and the shift lead,
    acknowledged, and tonight's, written five hours ago and still waiting (it stands out).
    Only on a database without any hand-over yet."""
    if Handover.objects.exists():
        log("safety: hand-overs kept")
        return
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "shiftlead"])}
    building = Building.objects.filter(code="S01").first()
    if building is None or len(users) < 2:
        return
    now = timezone.now()
    records = []
    for back in (3, 2, 1):
        written = now - dt.timedelta(days=back, hours=5)
        outgoing, incoming = (
            (users["shiftlead"], users["manager"])
            if back % 2
            else (users["manager"], users["shiftlead"])
        )
        records.append(
            Handover(
                building=building,
                outgoing=outgoing,
                incoming=incoming,
                written_at=written,
                open_items=HANDOVER_ITEMS[back - 1],
                keys_counted=384,
                equipment_counted=7,
                acknowledged_by=incoming,
                acknowledged_at=written + dt.timedelta(minutes=20),
            )
        )
    records.append(
        Handover(
            building=building,
            outgoing=users["shiftlead"],
            incoming=users["manager"],
            written_at=now - dt.timedelta(hours=5),
            open_items=HANDOVER_ITEMS[0],
            keys_counted=384,
            equipment_counted=7,
            notes="夜班巡查正常，消防通道畅通。",
        )
    )
    Handover.objects.bulk_create(records)
    log(f"safety: {len(records)} hand-overs, 1 waiting")


AGREEMENT_TEXTS = {
    AgreementLevel.CENTER_DEPARTMENT: (
        "后勤服务总公司与各中心安全责任状",
        "Safety agreement: the logistics group with its departments",
        "一、中心主任为本中心安全第一责任人。\n二、每月组织一次安全检查，隐患限期整改。",
        "1. The head of each department answers for its safety.\n"
        "2. A safety inspection every month; hazards fixed by their deadline.",
    ),
    AgreementLevel.DEPARTMENT_MANAGER: (
        "公寓中心与楼长安全责任状",
        "Safety agreement: the apartment center with each building manager",
        "一、楼长为本楼安全第一责任人。\n二、落实日检、夜检和零报告制度。",
        "1. The building manager answers for the building's safety.\n"
        "2. Day and night checks and the nightly zero report, every day.",
    ),
    AgreementLevel.MANAGER_STAFF: (
        "楼长与服务员安全责任状",
        "Safety agreement: the building manager with the service staff",
        "一、执行24小时领班制度和交接班制度。\n二、发现隐患立即报告。",
        "1. Keep the 24-hour shift-lead system and the shift hand-over.\n"
        "2. Report every hazard at once.",
    ),
    AgreementLevel.MANAGER_STUDENT: (
        "学生公寓安全责任书",
        "Student apartment safety agreement",
        "一、不使用违禁电器（热得快、电热毯、电炉等）。\n二、不在寝室吸烟，不堵塞消防通道。\n"
        "三、按时归寝，晚归须登记。",
        "1. No banned appliances (immersion heaters, electric blankets, hot plates…).\n"
        "2. No smoking in rooms; never block a fire exit.\n"
        "3. Be back on time; a late return is recorded.",
    ),
}


@demo_seeder(order=38)
@transaction.atomic
def seed_agreements(log):
    """This year's agreement text of every level; the manager has signed theirs, the shift
    lead not yet; in S01 every third resident has signed in the portal and every fifth on paper
    at the desk; the demo student has not (they sign from their room page). Only on a database
    without any agreement text yet."""
    if AgreementText.objects.exists():
        log("safety: agreements kept")
        return
    now = timezone.now()
    year = timezone.localdate().year
    texts = {
        level: AgreementText.objects.create(
            level=level,
            year=year,
            version=1,
            title=title,
            title_en=title_en,
            text=text,
            text_en=text_en,
            published_at=now - dt.timedelta(days=30),
        )
        for level, (title, title_en, text, text_en) in AGREEMENT_TEXTS.items()
    }
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "shiftlead"])}
    signatures = []
    manager = users.get("manager")
    s01 = Building.objects.filter(code="S01").first()
    if manager is not None:
        signatures.append(
            AgreementSignature(
                agreement=texts[AgreementLevel.DEPARTMENT_MANAGER],
                signer=manager,
                building=s01,
                signed_at=now - dt.timedelta(days=20),
            )
        )
    stays = (
        Stay.objects.filter(status=Stay.Status.ACTIVE, bed__room__building=s01)
        .exclude(resident__student_id=DEMO_STUDENT_ID)
        .exclude(resident__user__isnull=True)
        .select_related("resident")
        .order_by("resident__student_id")
    )
    for n, stay in enumerate(stays):
        on_paper = n % 5 == 0
        if n % 3 and not on_paper:
            continue
        signatures.append(
            AgreementSignature(
                agreement=texts[AgreementLevel.MANAGER_STUDENT],
                signer_id=stay.resident.user_id,
                building=s01,
                signed_at=now - dt.timedelta(days=10, minutes=n),
                on_paper=on_paper,
                recorded_by=users.get("shiftlead") if on_paper else None,
            )
        )
    AgreementSignature.objects.bulk_create(signatures, ignore_conflicts=True)
    log(f"safety: {len(texts)} agreement texts, {len(signatures)} signatures")


@demo_seeder(order=40)
@transaction.atomic
def seed_zero_reports(log):
    """Every building's zero report for the last week up to tonight, by its staff, most with
    nothing to report and some with incidents, except tonight's of S03; then the nightly
    safety-inspection job's work for tonight, which raises its missing-report alert. Only on a
    database without any zero report yet, so running twice changes nothing."""
    if ZeroReport.objects.exists():
        log("safety: zero reports kept")
        return
    from logistics.nightly import NIGHTLY_JOBS

    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "shiftlead"])}
    admin = User.objects.filter(username="admin").first()
    filers = {}
    for username, _role, codes in BUILDING_STAFF:
        for code in codes:
            filers.setdefault(code, []).append(users.get(username))
    late = {}
    for building_id, night in LateReturn.objects.values_list("building_id", "night"):
        late[building_id, night] = late.get((building_id, night), 0) + 1
    reports = []
    n = 0
    for building in Building.objects.order_by("campus__code", "code"):
        for back in range(ZERO_REPORT_DAYS - 1, -1, -1):
            night = today - dt.timedelta(days=back)
            if back == 0 and building.code == ZERO_REPORT_MISSING:
                continue
            n += 1
            staff = filers.get(building.code) or [admin]
            filed_at = timezone.make_aware(
                datetime.combine(night, dt.time(22, 0)) + timedelta(minutes=n % 50), tz
            )
            incident = ZERO_REPORT_INCIDENTS[n % len(ZERO_REPORT_INCIDENTS)] if n % 9 == 4 else ""
            reports.append(
                ZeroReport(
                    building=building,
                    date=night,
                    nothing_to_report=not incident,
                    note=incident,
                    late_returns=late.get((building.pk, night), 0),
                    filed_by=staff[n % len(staff)],
                    filed_at=min(filed_at, timezone.now()),
                )
            )
    ZeroReport.objects.bulk_create(reports, ignore_conflicts=True)
    # What the nightly job does for tonight, without recording a run (the real one at 23:30
    # still does tonight): S03, which has residents, gets its zero_report_missing alert.
    NIGHTLY_JOBS["apartments.safety_inspection"](today)
    log(f"safety: {len(reports)} zero reports over {ZERO_REPORT_DAYS} nights, 1 missing tonight")


# --- Dorm safety: a week of rounds and their hazards -----------------------------------------

SAFETY_ROUND_DAYS = 7
# The building whose rounds carry the hazards (its staff: "manager" and "shiftlead").
SAFETY_ROUND_BUILDING = "S01"


@demo_seeder(order=35)
@transaction.atomic
def seed_safety_rounds(log):
    """A week of day and night rounds up to today, as the nightly job planned them; the past
    ones walked (every room in order but a few findings, a few rooms not reached), today's still
    to walk; and hazards in every state in S01: verified (with a confiscated kettle), rectified,
    reopened, past its deadline (escalated), and open in the demo student's room (their home
    page shows it). The zero reports' run of tonight's job (order 40) then plans tomorrow and
    raises the overdue hazard's alerts. Only on a database without any round yet."""
    from apartments.models import (
        Confiscation,
        Hazard,
        RoundRoom,
        SafetyRound,
    )

    if SafetyRound.objects.exists():
        log("safety: rounds kept")
        return
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    staff = {u.username: u for u in User.objects.filter(username__in=["manager", "shiftlead"])}
    manager, lead = staff.get("manager"), staff.get("shiftlead")
    first = today - dt.timedelta(days=SAFETY_ROUND_DAYS - 1)

    def at(day, hour, minute=0):
        return timezone.make_aware(datetime.combine(day, dt.time(hour, minute)), tz)

    # The demo's residents moved in today (the move-in dashboard's story), so the job's planning,
    # which looks at who lived where each night, finds nobody on the nights before: the week is
    # laid out here the way the job spreads the rooms, a seventh of each building a day.
    occupied: dict[int, list[int]] = {}
    for building_id, room_id in (
        Room.objects.filter(beds__stays__status=Stay.Status.ACTIVE)
        .distinct()
        .order_by("building_id", "floor", "number")
        .values_list("building_id", "pk")
    ):
        occupied.setdefault(building_id, []).append(room_id)
    now = timezone.now()
    SafetyRound.objects.bulk_create(
        [
            SafetyRound(
                building_id=building_id,
                date=first + dt.timedelta(days=n),
                kind=kind,
                planned_at=now,
            )
            for building_id in occupied
            for n in range(SAFETY_ROUND_DAYS)
            for kind in ("day", "night")
        ]
    )
    round_ids = {
        (r.building_id, r.date, r.kind): r.pk
        for r in SafetyRound.objects.filter(date__gte=first, date__lte=today)
    }
    rows = []
    for building_id, room_ids in occupied.items():
        for index, room_id in enumerate(room_ids):
            n = index % SAFETY_ROUND_DAYS
            day = first + dt.timedelta(days=n)
            kind = "night" if (index // SAFETY_ROUND_DAYS) % 2 == 0 else "day"
            walked = day < today
            missed = walked and index % 10 == 9
            rows.append(
                RoundRoom(
                    round_id=round_ids[(building_id, day, kind)],
                    room_id=room_id,
                    state=RoundRoom.State.PENDING
                    if not walked
                    else RoundRoom.State.NOT_REACHED
                    if missed
                    else RoundRoom.State.OK,
                    checked_by=lead or manager if walked and not missed else None,
                    checked_at=at(day, 10 if kind == "day" else 21, 30)
                    if walked and not missed
                    else None,
                    residents_present=2 if walked and not missed else None,
                )
            )
    RoundRoom.objects.bulk_create(rows)
    for n in range(SAFETY_ROUND_DAYS - 1):
        day = first + dt.timedelta(days=n)
        for kind, hour in (("day", 11), ("night", 22)):
            SafetyRound.objects.filter(date=day, kind=kind).update(
                finished_at=at(day, hour), finished_by=lead or manager
            )

    building = Building.objects.filter(code=SAFETY_ROUND_BUILDING).first()
    if building is None:
        return
    checked = (
        RoundRoom.objects.filter(round__building=building, state=RoundRoom.State.OK)
        .select_related("round", "room")
        .order_by("round__date", "round__kind", "pk")
    )

    def found(back, kind, appliance="", note="", **fields):
        """A finding on a round `back` days ago (a room that round reached)."""
        day = today - dt.timedelta(days=back)
        row = checked.filter(round__date=day).exclude(room__hazards__isnull=False).first()
        if row is None:
            return None
        RoundRoom.objects.filter(pk=row.pk).update(state=RoundRoom.State.FINDINGS)
        from django.conf import settings

        return Hazard.objects.create(
            room=row.room,
            round_room=row,
            kind=kind,
            appliance=appliance,
            note=note,
            found_by=row.checked_by,
            found_at=row.checked_at,
            deadline=day + dt.timedelta(days=settings.SAFETY_HAZARD_DEADLINE_DAYS[kind]),
            owner=row.checked_by,
            **fields,
        )

    verified = found(
        6,
        "banned_appliance",
        "kettle",
        "书桌下发现热水壶一个，已没收。",
        state=Hazard.State.VERIFIED,
        rectified_at=at(today - dt.timedelta(days=6), 22),
        rectified_by=lead or manager,
        rectification_note="热水壶已没收，宿舍长签字确认。",
        verified_at=at(today - dt.timedelta(days=4), 21),
        verified_by=manager,
        last_note="复查无违禁电器。",
    )
    if verified is not None:
        Confiscation.objects.create(
            hazard=verified,
            item="白色电热水壶（1.5升）",
            resident=Resident.objects.filter(
                stays__bed__room=verified.room, stays__status=Stay.Status.ACTIVE
            ).first(),
            taken_at=verified.found_at,
            taken_by=verified.found_by,
        )
    found(
        2,
        "banned_appliance",
        "hair_straightener",
        "床头插座上插着直发器。",
        state=Hazard.State.RECTIFIED,
        rectified_at=at(today - dt.timedelta(days=1), 12),
        rectification_note="已收起，不再在宿舍使用。",
    )
    found(
        5,
        "banned_appliance",
        "heater",
        "床下有取暖器。",
        state=Hazard.State.REOPENED,
        rectified_at=at(today - dt.timedelta(days=4), 12),
        reopened_count=1,
        last_note="复查时取暖器仍在床下。",
    )
    overdue = found(6, "blocked_exit", note="3楼东侧消防通道堆放纸箱。")
    if overdue is not None:
        Hazard.objects.filter(pk=overdue.pk).update(deadline=today - dt.timedelta(days=5))
    # The demo student's room: a finding from yesterday's night round, still open.
    student_room = Room.objects.filter(
        beds__stays__resident__student_id=DEMO_STUDENT_ID, beds__stays__status=Stay.Status.ACTIVE
    ).first()
    if student_room is not None:
        yesterday_night = SafetyRound.objects.filter(
            building=student_room.building, date=today - dt.timedelta(days=1), kind="night"
        ).first()
        row = None
        if yesterday_night is not None:
            row, _ = RoundRoom.objects.update_or_create(
                round=yesterday_night,
                room=student_room,
                defaults={
                    "state": RoundRoom.State.FINDINGS,
                    "checked_by": lead or manager,
                    "checked_at": at(today - dt.timedelta(days=1), 21, 40),
                    "residents_present": 3,
                },
            )
        from django.conf import settings

        Hazard.objects.create(
            room=student_room,
            round_room=row,
            kind="banned_appliance",
            appliance="hot_plate",
            note="阳台上有电热炉。",
            found_by=lead or manager,
            found_at=at(today - dt.timedelta(days=1), 21, 40),
            deadline=today
            - dt.timedelta(days=1)
            + dt.timedelta(days=settings.SAFETY_HAZARD_DEADLINE_DAYS["banned_appliance"]),
            owner=lead or manager,
        )
    log(
        f"safety: {SafetyRound.objects.count()} rounds over {SAFETY_ROUND_DAYS} days, "
        f"{Hazard.objects.count()} hazards"
    )


# --- A resident's and a manager's day: condition reports, inspections, charges, a stocktake ---

# The demo's condition reports: the first residents checked in to the manager's buildings, in
# turn pending (the demo student's among them), confirmed, disputed, and disputed then resolved.
DEMO_CONDITION_REPORTS = 12
# Inspections of the graduates' rooms whose requests are under way in the manager's buildings,
# each with a charge in one state: open, disputed, paid, waived, disputed and answered.
DEMO_CHARGE_STATES = ("open", "disputed", "paid", "waived", "answered")
DEMO_STOCKTAKE_COUNTED = 20


@demo_seeder(order=39)
@transaction.atomic
def seed_resident_days(log):
    """Condition reports, room inspections with charges in every state and an open stocktake,
    through the services (so their audit records and notifications are there too). Running it
    twice changes nothing."""
    manager = User.objects.filter(username="manager").first()
    if manager is None:
        return
    buildings = list(Building.objects.filter(assignments__user=manager).order_by("code"))
    reports = _seed_condition_reports(manager, buildings)
    charges = _seed_inspections(manager, buildings)
    counted = _seed_stocktake(manager, buildings[:1])
    log(
        f"apartments: {reports} condition reports, {charges} inspection charges, "
        f"a stocktake with {counted} assets counted"
    )


def _seed_condition_reports(manager, buildings) -> int:
    from apartments import condition_reports as cr

    if ConditionReport.objects.exists():
        return 0
    demo = Stay.objects.filter(
        resident__student_id=DEMO_STUDENT_ID, status=Stay.Status.ACTIVE
    ).select_related("bed__room__building")
    others = (
        Stay.objects.filter(status=Stay.Status.ACTIVE, bed__room__building__in=buildings)
        .exclude(resident__student_id=DEMO_STUDENT_ID)
        .exclude(resident__move_out_requests__isnull=False)
        .select_related("bed__room__building", "resident__user")
        .order_by("resident__student_id")[: DEMO_CONDITION_REPORTS - 1]
    )
    due = timezone.localdate() + dt.timedelta(days=5)
    made = 0
    for i, stay in enumerate([*demo, *others]):
        report = cr.condition_report_open(stay=stay)
        ConditionReport.objects.filter(pk=report.pk).update(due_by=due)
        report.due_by = due
        user = stay.resident.user
        asset = Asset.objects.filter(room_id=stay.bed.room_id).order_by("tag").first()
        kind = i % 4
        if kind == 1 and user is not None:
            cr.condition_report_confirm(actor=user, report=report)
        elif kind in (2, 3) and user is not None and asset is not None:
            cr.condition_report_dispute(
                actor=user, report=report, items=[(asset, "抽屉拉不开，入住时就坏了", None)]
            )
            if kind == 3 and stay.bed.room.building in buildings:
                cr.condition_report_resolve(
                    actor=manager,
                    report=report,
                    resolution="已核实，记为磨损，退宿时不计赔偿。",
                    conditions={asset.pk: AssetCondition.WORN},
                )
        made += 1
    return made


def _seed_inspections(manager, buildings) -> int:
    from apartments import inspections

    if RoomInspection.objects.exists():
        return 0
    requests = list(
        MoveOutRequest.objects.filter(
            status__in=(MoveOutRequest.Status.REQUESTED, MoveOutRequest.Status.SCHEDULED),
            stay__bed__room__building__in=buildings,
        )
        .select_related("resident__user", "stay__bed__room")
        .order_by("planned_date", "pk")[: len(DEMO_CHARGE_STATES)]
    )
    made = 0
    for state, request in zip(DEMO_CHARGE_STATES, requests, strict=False):
        inspection = inspections.inspection_start(actor=manager, move_out_request=request)
        assets = list(Asset.objects.filter(room_id=request.stay.bed.room_id).order_by("tag"))
        if not assets:
            continue
        items = [inspections.ItemInput(asset_id=a.pk) for a in assets]
        items[0] = inspections.ItemInput(
            asset_id=assets[0].pk,
            result=InspectionResult.DAMAGED,
            note="桌面划痕严重",
            resident_ids=[request.resident_id],
        )
        inspections.inspection_complete(actor=manager, inspection=inspection, items=items)
        charge = Charge.objects.filter(item__inspection=inspection).get()
        resident_user = request.resident.user
        if state in ("disputed", "answered") and resident_user is not None:
            inspections.charge_dispute(actor=resident_user, charge=charge, text="入住时就有划痕")
            if state == "answered":
                inspections.charge_answer(
                    actor=manager,
                    charge=charge,
                    resolution="入住验收单无划痕记录，按维修价的一半收取。",
                    amount=(charge.amount / 2).quantize(Decimal("0.01")),
                    price_reason="双方各担一半",
                )
        elif state == "paid":
            inspections.charge_pay(actor=manager, charge=charge)
        elif state == "waived":
            inspections.charge_waive(actor=manager, charge=charge, reason="家庭经济困难，予以减免")
        made += 1
    return made


def _seed_stocktake(manager, buildings) -> int:
    from apartments import stocktakes

    if not buildings or Stocktake.objects.exists():
        return 0
    stocktake = stocktakes.stocktake_start(actor=manager, building=buildings[0])
    tags = list(
        Asset.objects.filter(room__building=buildings[0])
        .order_by("tag")
        .values_list("tag", flat=True)[:DEMO_STOCKTAKE_COUNTED]
    )
    for i, tag in enumerate(tags):
        condition = AssetCondition.WORN if i % 7 == 3 else AssetCondition.GOOD
        stocktakes.stocktake_count(actor=manager, stocktake=stocktake, tag=tag, condition=condition)
    return len(tags)

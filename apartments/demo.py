"""The demo university's apartments: a dozen buildings on two campuses, a few thousand beds,
residents of every category (with portal accounts), and the dorm staff's building scopes."""

from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apartments.models import (
    Bed,
    BedKit,
    Building,
    BuildingAssignment,
    Category,
    Gender,
    GenderPolicy,
    KitItem,
    KitType,
    Resident,
    Room,
    RoomKind,
    Stay,
)
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
        [Resident(user_id=users[r["student_id"]], **r) for r in rows], ignore_conflicts=True
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
        code="standard", defaults={"name": "标准行李", "name_en": "Standard bedding kit"}
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


@demo_seeder(order=30)
def seed_assets_and_move_out(log):
    """Room assets with the price list, then this year's graduates with their notice and some
    move-out requests. Imported here: those modules import this app's models and services."""
    from apartments.assets import seed_assets
    from apartments.move_out import seed_move_out

    seed_assets(log)
    seed_move_out(log)

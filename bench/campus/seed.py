"""Seeds the campus-scale bench database: campuses, buildings, rooms, beds, residents with
accounts and stays, technicians and open repair tickets, in bulk (bulk_create in large
batches), then ANALYZE. Prints one JSON object on its last line: what the scenarios need
(session cookies, an API token, student ids to check in, ids of a category and so on).

Run by bench/campus/run.py with DJANGO_SETTINGS_MODULE and DATABASE_URL set to the bench
database, which run.py has just dropped and migrated. Never run it against real data.

    python bench/campus/seed.py RESIDENTS ROOMS BUILDINGS OPEN_TICKETS STUDENT_SESSIONS
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from apartments.models import (  # noqa: E402
    Bed,
    BedKit,
    Building,
    Category,
    KitType,
    Resident,
    Room,
    Stay,
)
from logistics.models import Campus, Role, RoleGrant, User  # noqa: E402
from maintenance.models import Category as TicketCategory  # noqa: E402
from maintenance.models import Technician, Ticket  # noqa: E402

BATCH = 5000
BEDS_PER_ROOM = 4
FLOORS = 10
# Of the residents: checked in, reserved (arriving later), and not yet arranged (the pool the
# check-in scenarios draw from: each check-in needs a resident who has no bed yet).
ACTIVE_SHARE = 0.4
RESERVED_SHARE = 0.1
CAMPUSES = [("main", "主校区", "Main campus"), ("south", "南校区", "South campus")]
# The intake's mix of categories, roughly (DOMAIN.md), repeated over the residents.
CATEGORY_CYCLE = [Category.UNDERGRADUATE] * 17 + [Category.TOP_UP, Category.POSTGRADUATE]
UNUSABLE = "!bench"  # an unusable password hash: nobody signs in with a password here


# The backend a signed-in session names: the last one (the first, django-axes, only guards
# sign-ins and loads no user).
BACKEND = settings.AUTHENTICATION_BACKENDS[-1]


def student_id(n: int) -> str:
    return f"26{n:08d}"


def bulk(model, rows):
    model.objects.bulk_create(rows, batch_size=BATCH)


def session_for(user: User) -> str:
    store = SessionStore()
    data = {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: BACKEND,
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }
    key = secrets.token_hex(16)
    Session.objects.create(
        session_key=key,
        session_data=store.encode(data),
        expire_date=timezone.now() + timedelta(days=1),
    )
    return key


def sessions_for(users: list[User]) -> list[str]:
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    rows, keys = [], []
    for user in users:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        keys.append(key)
    bulk(Session, rows)
    return keys


def staff_user(username: str, role: str, campus: Campus | None = None) -> User:
    user = User.objects.create(username=username, full_name=username, password=UNUSABLE)
    RoleGrant.objects.create(user=user, role=role, campus=campus)
    return user


@transaction.atomic
def seed(residents: int, rooms: int, buildings: int, open_tickets: int, sessions: int) -> dict:
    now = timezone.now()
    campuses = []
    for position, (code, name, name_en) in enumerate(CAMPUSES, start=1):
        campus, _ = Campus.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": position}
        )
        campuses.append(campus)

    # Buildings: half of each campus for men, half for women, any category.
    bulk(
        Building,
        [
            Building(
                campus=campuses[b % len(campuses)],
                code=f"B{b:03d}",
                name=f"{b}号楼",
                name_en=f"Building {b}",
                gender_policy="M" if (b // len(campuses)) % 2 == 0 else "F",
                floors=FLOORS,
                categories=[],
            )
            for b in range(buildings)
        ],
    )
    all_buildings = list(Building.objects.order_by("code"))
    per_building = max(1, rooms // len(all_buildings))
    room_rows = []
    for building in all_buildings:
        for r in range(per_building):
            floor = 1 + r % FLOORS
            room_rows.append(
                Room(
                    building=building,
                    floor=floor,
                    number=f"{floor}{r // FLOORS + 1:02d}",
                    gender=building.gender_policy,
                    capacity=BEDS_PER_ROOM,
                )
            )
    bulk(Room, room_rows)
    room_ids = list(Room.objects.values_list("pk", flat=True))
    bulk(Bed, [Bed(room_id=r, number=n) for r in room_ids for n in range(1, BEDS_PER_ROOM + 1)])

    # Residents, each with an account, spread over the campuses and genders.
    bulk(
        User,
        [
            User(username=student_id(n), full_name=f"学生{n}", password=UNUSABLE)
            for n in range(residents)
        ],
    )
    user_ids = dict(User.objects.filter(username__startswith="26").values_list("username", "pk"))
    bulk(
        Resident,
        [
            Resident(
                student_id=student_id(n),
                name=f"学生{n}",
                name_initials="xs",  # pinyin_initials("学生…"), as the import writes it
                gender="M" if n % 2 == 0 else "F",
                category=CATEGORY_CYCLE[n % len(CATEGORY_CYCLE)],
                campus=campuses[(n // 2) % len(campuses)],
                college="计算机学院",
                user_id=user_ids[student_id(n)],
            )
            for n in range(residents)
        ],
    )
    bulk(RoleGrant, [RoleGrant(user_id=pk, role=Role.STUDENT) for pk in user_ids.values()])

    # Stays: the first residents are checked in, the next have a reservation, the rest have
    # nothing yet. Beds are filled from the front of each campus and gender, as the desks'
    # proposals fill them (first building, first floor first).
    free_beds: dict[tuple[int, str], list[int]] = {}
    for bed_id, campus_id, gender in Bed.objects.order_by(
        "room__building__code", "room__floor", "room__number", "number"
    ).values_list("pk", "room__building__campus_id", "room__building__gender_policy"):
        free_beds.setdefault((campus_id, gender), []).append(bed_id)
    active = int(residents * ACTIVE_SHARE)
    reserved = int(residents * RESERVED_SHARE)
    stays = []
    taken: dict[tuple[int, str], int] = {}
    resident_rows = Resident.objects.order_by("student_id").values_list(
        "pk", "campus_id", "gender"
    )[: active + reserved]
    for n, (pk, campus_id, gender) in enumerate(resident_rows):
        beds = free_beds[(campus_id, gender)]
        bed = beds[taken.get((campus_id, gender), 0)]
        taken[(campus_id, gender)] = taken.get((campus_id, gender), 0) + 1
        if n < active:
            at = now - timedelta(seconds=n % 36000)  # over the last ten hours
            stays.append(
                Stay(
                    resident_id=pk,
                    bed_id=bed,
                    status=Stay.Status.ACTIVE,
                    checked_in_at=at,
                    key_issued=True,
                    kit_issued=True,
                )
            )
        else:
            stays.append(
                Stay(resident_id=pk, bed_id=bed, status=Stay.Status.RESERVED, reserved_at=now)
            )
    bulk(Stay, stays)

    # Bedding kits: every bed's kit checked and placed before the day, handed over with the
    # key to those checked in (the dashboard counts them).
    kit_type = KitType.objects.create(code="standard", name="标准行李", name_en="Standard kit")
    issued = {s.bed_id for s in stays if s.status == Stay.Status.ACTIVE}
    bulk(
        BedKit,
        [
            BedKit(
                bed_id=pk,
                kit_type=kit_type,
                status=BedKit.Status.ISSUED if pk in issued else BedKit.Status.PLACED,
                failures=0,
            )
            for pk in Bed.objects.values_list("pk", flat=True)
        ],
    )

    # Staff: an administrator (dashboard, summary, check-in desks), a dispatcher per campus,
    # technicians.
    admin = staff_user("bench-admin", Role.ADMIN)
    dispatcher = staff_user("bench-dispatcher", Role.DISPATCHER, campuses[0])
    technicians = []
    for campus in campuses:
        for t in range(10):
            user = staff_user(f"bench-tech-{campus.code}-{t}", Role.TECHNICIAN, campus)
            technicians.append(Technician.objects.create(user=user, campus=campus))
    token = Token.objects.create(user=admin).key
    dispatcher_token = Token.objects.create(user=dispatcher).key

    # Open repair tickets, filed by checked-in residents (at most MAX_OPEN_PER_REPORTER each)
    # for their rooms; a third assigned to a technician. The first `sessions` checked-in
    # residents file none: they are the ones who file in the bench.
    categories = list(TicketCategory.objects.filter(is_active=True).order_by("pk"))
    in_rooms = list(
        Stay.objects.filter(status=Stay.Status.ACTIVE)
        .order_by("resident__student_id")
        .values_list(
            "resident__user_id",
            "bed__room_id",
            "bed__room__building_id",
            "bed__room__building__campus_id",
        )
    )
    filers, reporters = in_rooms[:sessions], in_rooms[sessions:]
    tech_by_campus: dict[int, list[Technician]] = {}
    for tech in technicians:
        tech_by_campus.setdefault(tech.campus_id, []).append(tech)
    tickets = []
    for n in range(open_tickets):
        user_id, room_id, building_id, campus_id = reporters[(n // 3) % len(reporters)]
        category = categories[n % len(categories)]
        filed = now - timedelta(minutes=n % 10000)
        assigned = n % 3 == 0
        tickets.append(
            Ticket(
                campus_id=campus_id,
                building_id=building_id,
                room_id=room_id,
                category=category,
                description=f"水龙头漏水 {n}",
                urgency="urgent" if n % 10 == 0 else "normal",
                status=Ticket.Status.ASSIGNED if assigned else Ticket.Status.SUBMITTED,
                reporter_id=user_id,
                technician_id=tech_by_campus[campus_id][n % 10].user_id if assigned else None,
                assigned_at=filed if assigned else None,
                respond_by=filed + timedelta(minutes=category.response_minutes),
                complete_by=filed
                + timedelta(hours=category.completion_hours)
                + timedelta(minutes=category.response_minutes),
            )
        )
    bulk(Ticket, tickets)
    # auto_now_add stamped them all now: spread the filing times over the last days.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE maintenance_ticket SET created_at = respond_by - "
            "(SELECT response_minutes FROM maintenance_category c WHERE c.id = category_id) "
            "* interval '1 minute'"
        )

    my_repairs_user = reporters[0][0]
    filer_users = list(User.objects.filter(pk__in=[f[0] for f in filers]))
    pool = list(
        Resident.objects.filter(stays__isnull=True)
        .order_by("student_id")
        .values_list("student_id", flat=True)
    )
    return {
        "token": token,
        "dispatcher_token": dispatcher_token,
        "admin_session": session_for(admin),
        "dispatcher_session": session_for(dispatcher),
        "student_session": session_for(User.objects.get(pk=my_repairs_user)),
        "filer_sessions": sessions_for(filer_users),
        "categories": [c.pk for c in categories],
        "checkin_pool": pool,
    }


def main():
    residents, rooms, buildings, open_tickets, sessions = (int(a) for a in sys.argv[1:6])
    started = time.perf_counter()
    result = seed(residents, rooms, buildings, open_tickets, sessions)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        # The seed's triggers rewrote each tally row thousands of times in one transaction;
        # autovacuum (set to act after 500 updates, apartments/tallies.py) would clean them
        # within a minute in production, but it is off on CI's PostgreSQL.
        cursor.execute(
            "VACUUM apartments_buildingtally, apartments_residenttally, apartments_arrivaltally"
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    out = Path(os.environ.get("BENCH_SEED_OUT", "/tmp/bench-campus-seed.json"))
    out.write_text(json.dumps(result))
    print(json.dumps({"seconds": result["seconds"], "out": str(out)}))


if __name__ == "__main__":
    main()

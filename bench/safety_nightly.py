"""How long the nightly safety-inspection job (`apartments.safety_inspection`) takes at a large
university's scale, and how many queries it makes: 300 buildings, 20,000 rooms, 30,000
residents checked in, a dorm manager per building, fire equipment on every floor (a tenth of it
due, expiring or expired), zero reports filed by two buildings in three; and the same at a tenth
of that size. The query counts must be equal at both sizes (the job's steps are bulk queries);
the bench fails when they are not.

    make bench-safety                  # both sizes, about a minute
    .venv/bin/python bench/safety_nightly.py [--scale 1.0 --scale 0.1]

It drops and recreates its own PostgreSQL database for each size (BENCH_SAFETY_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/logistics_bench_safety; the name must start with
logistics_bench) and uses Redis database 13 (BENCH_SAFETY_REDIS_URL). Never point it at real
data. Each size runs in a child process (`--child SCALE`) that seeds in bulk and measures:

- the first run, through the engine (`run_job`: its lock, its JobRun, the steps): every missing
  zero report and every building with fire equipment due gets its alert, and their audiences a
  notification;
- a second run of the job's work for the same date (as `run_nightly_jobs` run again by an
  operator would do once the first is forgotten): it finds every alert open and only marks it
  seen again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_SAFETY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_safety"
)
REDIS_URL = os.environ.get("BENCH_SAFETY_REDIS_URL", "redis://127.0.0.1:6379/13")

sys.path.insert(0, str(ROOT))
from bench.sized import SizedBench  # noqa: E402

BENCH = SizedBench(__file__, DATABASE_URL, REDIS_URL)

JOB = "apartments.safety_inspection"

# At scale 1.0 (the figures).
BUILDINGS = 300
ROOMS = 20_000
RESIDENTS = 30_000
FLOORS = 10
BEDS_PER_ROOM = 2
BATCH = 5000
UNUSABLE = "!bench"  # an unusable password hash: nobody signs in here


# --- the child: seed and measure ---------------------------------------------------------------


def seed(scale: float) -> dict:
    from django.db import connection
    from django.utils import timezone

    from apartments.models import (
        Bed,
        Building,
        BuildingAssignment,
        FireEquipment,
        LateReturn,
        Resident,
        Room,
        Stay,
        ZeroReport,
    )
    from logistics.models import Campus, Role, RoleGrant, User

    buildings_n = max(2, round(BUILDINGS * scale))
    rooms_n = round(ROOMS * scale)
    residents_n = round(RESIDENTS * scale)
    now = timezone.now()
    day = timezone.localdate()
    campuses = [
        Campus.objects.create(
            code="bench-north", name="北校区", name_en="North campus", position=1
        ),
        Campus.objects.create(
            code="bench-south", name="南校区", name_en="South campus", position=2
        ),
    ]
    buildings = Building.objects.bulk_create(
        [
            Building(campus=campuses[i % 2], code=f"B{i:03d}", name=f"{i}号公寓", floors=FLOORS)
            for i in range(buildings_n)
        ]
    )
    rooms = Room.objects.bulk_create(
        [
            Room(
                building=buildings[i % buildings_n],
                floor=1 + (i // buildings_n) % FLOORS,
                number=f"{1 + (i // buildings_n) % FLOORS}{i // buildings_n:03d}",
                capacity=BEDS_PER_ROOM,
            )
            for i in range(rooms_n)
        ],
        batch_size=BATCH,
    )
    if not Bed.objects.exists():  # (rooms do not create their beds in bulk)
        Bed.objects.bulk_create(
            [Bed(room=room, number=n) for room in rooms for n in range(1, BEDS_PER_ROOM + 1)],
            batch_size=BATCH,
        )
    beds = list(Bed.objects.order_by("room__building_id", "room_id", "number").only("pk"))
    residents = Resident.objects.bulk_create(
        [
            Resident(
                student_id=f"26{i:08d}",
                name=f"学生{i}",
                gender="M" if i % 2 else "F",
                category="undergraduate",
                campus=campuses[i % 2],
            )
            for i in range(residents_n)
        ],
        batch_size=BATCH,
    )
    checked_in = now - timedelta(days=30)
    Stay.objects.bulk_create(
        [
            Stay(
                resident=resident,
                bed=beds[i],
                status=Stay.Status.ACTIVE,
                reserved_at=checked_in,
                checked_in_at=checked_in,
            )
            for i, resident in enumerate(residents[: len(beds)])
        ],
        batch_size=BATCH,
    )
    managers = User.objects.bulk_create(
        [User(username=f"bench-manager-{i}", password=UNUSABLE) for i in range(buildings_n)]
    )
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role=Role.DORM_MANAGER) for u in managers])
    BuildingAssignment.objects.bulk_create(
        [
            BuildingAssignment(building=b, user=u, role=Role.DORM_MANAGER)
            for b, u in zip(buildings, managers, strict=True)
        ]
    )
    equipment = []
    for b_index, building in enumerate(buildings):
        for floor in range(1, FLOORS + 1):
            n = b_index * FLOORS + floor
            # A tenth needs attention: overdue, expiring, expired in turn.
            next_in, expires_in = {0: (-2, 400), 3: (20, 10), 7: (20, -3)}.get(n % 30, (20, 400))
            equipment.append(
                FireEquipment(
                    building=building,
                    floor=floor,
                    kind="extinguisher",
                    code=f"MH-{floor}",
                    next_inspection=day + timedelta(days=next_in),
                    expires_on=day + timedelta(days=expires_in),
                )
            )
    FireEquipment.objects.bulk_create(equipment, batch_size=BATCH)
    ZeroReport.objects.bulk_create(
        [
            ZeroReport(building=b, date=day, nothing_to_report=True, filed_at=now)
            for i, b in enumerate(buildings)
            if i % 3
        ]
    )
    stays = list(Stay.objects.select_related("bed__room").order_by("pk")[: residents_n // 100])
    LateReturn.objects.bulk_create(
        [
            LateReturn(
                resident_id=stay.resident_id,
                building_id=stay.bed.room.building_id,
                night=day,
                returned_at=now,
                recorded_at=now,
            )
            for stay in stays
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "buildings": buildings_n,
        "rooms": rooms_n,
        "residents": min(residents_n, len(beds)),
        "fire_equipment": len(equipment),
    }


def measure(scale: float) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from logistics.models import Alert
    from logistics.nightly import NIGHTLY_JOBS, run_job

    started = time.perf_counter()
    sizes = seed(scale)
    seeded = time.perf_counter() - started
    day = timezone.localdate()
    with CaptureQueriesContext(connection) as first_queries:
        started = time.perf_counter()
        outcome = run_job(JOB, day, trigger="bench")
        first = time.perf_counter() - started
    with CaptureQueriesContext(connection) as second_queries:
        started = time.perf_counter()
        NIGHTLY_JOBS[JOB](day)
        second = time.perf_counter() - started
    alerts = {
        kind: Alert.objects.filter(kind=kind, resolved_at__isnull=True).count()
        for kind in ("zero_report_missing", "fire_equipment_due")
    }
    return {
        "scale": scale,
        **sizes,
        "seed_s": round(seeded, 1),
        "outcome": str(outcome.state),
        "first_s": round(first, 3),
        "first_queries": len(first_queries),
        "second_s": round(second, 3),
        "second_queries": len(second_queries),
        "open_alerts": alerts,
    }


# --- the driver --------------------------------------------------------------------------------


def table(results: list[dict]) -> str:
    lines = [
        "| size | buildings | rooms | residents | fire equipment | first run | queries "
        "| second run | queries | open alerts (missing report / fire) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| ×{r['scale']:g} | {r['buildings']} | {r['rooms']:,} | {r['residents']:,} "
            f"| {r['fire_equipment']:,} | {r['first_s']:.2f} s | {r['first_queries']} "
            f"| {r['second_s']:.2f} s | {r['second_queries']} "
            f"| {r['open_alerts']['zero_report_missing']} / "
            f"{r['open_alerts']['fire_equipment_due']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--child", type=float)
    args = parser.parse_args()
    if args.child is not None:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings")
        print(json.dumps(measure(args.child)))
        return 0
    scales = args.scale or [0.1, 1.0]
    results = [BENCH.run_size(scale) for scale in scales]
    print(table(results))
    first = {r["first_queries"] for r in results}
    second = {r["second_queries"] for r in results}
    if len(first) != 1 or len(second) != 1:
        print("FAIL: the query counts differ between the sizes", file=sys.stderr)
        return 1
    print("OK: the same query counts at every size")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long the nightly preventive-maintenance job (`maintenance.preventive`) takes at a large
university's scale, and how many queries it makes: 300 buildings, 20,000 rooms, 2,000 schedules
(a third on single rooms, a third on public areas — pumps, lifts —, a sixth for an asset type
across a building — water heaters, every room holds one; fire extinguishers, every other room —
and a sixth on meters — lifts' running hours, half of them past their threshold), every dated
one due by the run's date, a tenth of them daily and three nights behind (caught up: three jobs
each, per room for an asset type); and the same at a tenth of that size. Every batch of the job
must make the same number of queries at both sizes (the bench fails otherwise); the run's total
grows only by that count per batch of PREVENTIVE_BATCH schedules.

    make bench-preventive                 # both sizes, about a minute
    .venv/bin/python bench/preventive.py [--scale 1.0 --scale 0.1]

It drops and recreates its own PostgreSQL database for each size (BENCH_PREVENTIVE_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/logistics_bench_preventive; the name must start with
logistics_bench) and uses Redis database 13 (BENCH_PREVENTIVE_REDIS_URL). Never point it at real
data. A second run of the job for the same date is measured too: it finds nothing due.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_PREVENTIVE_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/logistics_bench_preventive",
)
REDIS_URL = os.environ.get("BENCH_PREVENTIVE_REDIS_URL", "redis://127.0.0.1:6379/13")

sys.path.insert(0, str(ROOT))
from bench.sized import SizedBench  # noqa: E402

BENCH = SizedBench(__file__, DATABASE_URL, REDIS_URL)

JOB = "maintenance.preventive"

BUILDINGS = 300
ROOMS = 20_000
SCHEDULES = 2_000
FLOORS = 10
BATCH = 5000
UNUSABLE = "!bench"


def seed(scale: float) -> dict:
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from apartments.models import Asset, AssetType, Building, Room
    from logistics.models import Campus, User
    from maintenance.models import Meter, PublicArea, Schedule
    from maintenance.reference import preventive_category_ensure

    buildings_n = max(2, round(BUILDINGS * scale))
    rooms_n = round(ROOMS * scale)
    schedules_n = round(SCHEDULES * scale)
    day = timezone.localdate()
    campus = Campus.objects.create(code="bench", name="本部", name_en="Main campus", position=1)
    buildings = Building.objects.bulk_create(
        [
            Building(campus=campus, code=f"B{i:03d}", name=f"{i}号公寓", floors=FLOORS)
            for i in range(buildings_n)
        ]
    )
    rooms = Room.objects.bulk_create(
        [
            Room(
                building=buildings[i % buildings_n],
                floor=1 + (i // buildings_n) % FLOORS,
                number=f"{1 + (i // buildings_n) % FLOORS}{i // buildings_n:03d}",
                capacity=4,
            )
            for i in range(rooms_n)
        ],
        batch_size=BATCH,
    )
    areas = PublicArea.objects.bulk_create(
        [
            PublicArea(campus=campus, building=b, code=f"{b.code}-PUMP", name=f"{b.code}泵房")
            for b in buildings
        ]
    )
    heater, extinguisher = AssetType.objects.bulk_create(
        [
            AssetType(code="heater", name="热水器", repair_cost=50, replacement_cost=800),
            AssetType(code="extinguisher", name="灭火器", repair_cost=0, replacement_cost=120),
        ]
    )
    assets = [Asset(tag=f"H{i:06d}", asset_type=heater, room=r) for i, r in enumerate(rooms)]
    assets += [
        Asset(tag=f"E{i:06d}", asset_type=extinguisher, room=r)
        for i, r in enumerate(rooms)
        if i % 2 == 0
    ]
    Asset.objects.bulk_create(assets, batch_size=BATCH)
    lifts = Meter.objects.bulk_create(
        [
            Meter(
                campus=campus,
                name=f"{b.code}电梯",
                area=area,
                building=b,
                unit="hours",
                max_per_day=24,
                reading=Decimal(1000 + (i % 2) * 600),
                read_at=timezone.now(),
            )
            for i, (b, area) in enumerate(zip(buildings, areas, strict=True))
        ]
    )
    owner = User.objects.create(username="bench-planner", password=UNUSABLE)
    category = preventive_category_ensure()
    units = ["weeks", "months", "fixed"]
    schedules = []
    for i in range(schedules_n):
        daily = i % 10 == 0  # three nights behind: caught up with three jobs
        kind = i % 6  # 0, 1: a room; 2, 3: an area; 4: an asset type; 5: a meter
        if kind == 5:
            lift = lifts[i % len(lifts)]
            schedules.append(
                Schedule(
                    campus=campus,
                    name=f"电梯保养{i}",
                    area=lift.area,
                    building=lift.building,
                    meter=lift,
                    next_reading=Decimal(1500),
                    category=category,
                    tasks="润滑\n制动测试",
                    unit="meter",
                    every=500,
                    next_due=date.max,
                    owner=owner,
                )
            )
            continue
        unit = "days" if daily else units[i % 3]
        schedules.append(
            Schedule(
                campus=campus,
                name=f"计划{i}",
                room=rooms[(i * 7) % rooms_n] if kind in (0, 1) else None,
                area=areas[i % len(areas)] if kind in (2, 3) else None,
                asset_type=(heater if i % 12 == 4 else extinguisher) if kind == 4 else None,
                building=buildings[(i // 6) % buildings_n] if kind == 4 else None,
                category=category,
                tasks="检查\n保养",
                unit=unit,
                every=1,
                fixed_dates=["07-15"] if unit == "fixed" else [],
                next_due=day - timedelta(days=2 if daily else i % 2),
                owner=owner,
            )
        )
    Schedule.objects.bulk_create(schedules, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"buildings": buildings_n, "rooms": rooms_n, "schedules": schedules_n}


def measure(scale: float) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from logistics.nightly import run_job
    from maintenance import jobs, preventive
    from maintenance.models import Ticket

    started = time.perf_counter()
    sizes = seed(scale)
    seeded = time.perf_counter() - started
    day = timezone.localdate()

    per_batch: list[int] = []
    generate = preventive.generate

    def counted(ids, *, for_date):
        with CaptureQueriesContext(connection) as queries:
            done = generate(ids, for_date=for_date)
        per_batch.append(len(queries))
        return done

    preventive.generate = counted
    try:
        with CaptureQueriesContext(connection) as first_queries:
            started = time.perf_counter()
            outcome = run_job(JOB, day, trigger="bench")
            first = time.perf_counter() - started
        tickets = Ticket.objects.filter(schedule__isnull=False).count()
        with CaptureQueriesContext(connection) as second_queries:
            started = time.perf_counter()
            jobs.preventive_jobs(day)
            second = time.perf_counter() - started
    finally:
        preventive.generate = generate
    return {
        "scale": scale,
        **sizes,
        "seed_s": round(seeded, 1),
        "outcome": str(outcome.state),
        "tickets": tickets,
        "batches": len(per_batch),
        "expected_batches": math.ceil(sizes["schedules"] / jobs.PREVENTIVE_BATCH),
        "per_batch": sorted(set(per_batch)),
        "first_s": round(first, 3),
        "first_queries": len(first_queries),
        "second_s": round(second, 3),
        "second_queries": len(second_queries),
        "second_tickets": Ticket.objects.filter(schedule__isnull=False).count(),
    }


def table(results: list[dict]) -> str:
    lines = [
        "| size | rooms | schedules | jobs filed | first run | queries (batches × per batch) "
        "| second run | queries |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| ×{r['scale']:g} | {r['rooms']:,} | {r['schedules']:,} | {r['tickets']:,} "
            f"| {r['first_s']:.2f} s | {r['first_queries']} ({r['batches']} × "
            f"{'/'.join(str(n) for n in r['per_batch'])}) | {r['second_s']:.2f} s "
            f"| {r['second_queries']} |"
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
    failed = False
    per_batch = {n for r in results for n in r["per_batch"]}
    if len(per_batch) != 1:
        print(f"FAIL: batches made different numbers of queries: {per_batch}", file=sys.stderr)
        failed = True
    for r in results:
        if r["batches"] != r["expected_batches"]:
            print(
                f"FAIL: {r['batches']} batches, expected {r['expected_batches']}", file=sys.stderr
            )
            failed = True
        if (
            r["second_tickets"] != r["tickets"]
            or r["second_queries"] != results[0]["second_queries"]
        ):
            print("FAIL: the second run filed jobs or its queries differ", file=sys.stderr)
            failed = True
    if failed:
        return 1
    print(f"OK: {per_batch.pop()} queries a batch at every size; the second run files nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())

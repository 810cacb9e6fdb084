"""How long the nightly satisfaction-survey job (`quality.satisfaction_surveys`) takes to
invite a semester survey's population of 30,000 residents (with portal accounts, checked in
across 300 buildings) plus the reporters of 1,000 repairs closed that day, and how many queries
it makes; then a second run for the same date (nobody invited again). The same at a tenth of
that size: the queries a 500-person batch adds must be a small fixed number (at most 12).

    make bench-surveys                  # both sizes, about a minute
    .venv/bin/python bench/surveys.py [--scale 1.0 --scale 0.1]

It drops and recreates its own PostgreSQL database for each size (BENCH_SURVEYS_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/logistics_bench_surveys; the name must start with
logistics_bench) and uses Redis database 12 (BENCH_SURVEYS_REDIS_URL). Never point it at real
data.

Measured on the development machine (2 cores, shared), 2026-12-04:

| size | residents | repairs | invited | first run | queries | second run | queries |
|---|---|---|---|---|---|---|---|
| ×0.1 | 3,000 | 100 | 3,100 | 1.35 s | 111 | 0.12 s | 62 |
| ×1 | 30,000 | 1,000 | 31,000 | 12.25 s | 717 | 1.89 s | 342 |

(about 11 queries per batch of 500 invitations, whatever the size).
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
    "BENCH_SURVEYS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_surveys"
)
REDIS_URL = os.environ.get("BENCH_SURVEYS_REDIS_URL", "redis://127.0.0.1:6379/12")

sys.path.insert(0, str(ROOT))
from bench.sized import SizedBench  # noqa: E402

BENCH = SizedBench(__file__, DATABASE_URL, REDIS_URL)

JOB = "quality.satisfaction_surveys"

BUILDINGS = 300
RESIDENTS = 30_000
TICKETS = 1_000
BATCH = 5000
UNUSABLE = "!bench"
MAX_QUERIES_PER_BATCH = 12


def seed(scale: float) -> dict:
    from django.db import connection
    from django.utils import timezone

    from apartments.models import Bed, Building, Resident, Room, Stay
    from logistics.models import Campus, Department, User
    from logistics.reference import service_areas_ensure
    from maintenance.models import Category, Ticket
    from quality.models import SurveyWindow
    from quality.surveys import published_version

    buildings_n = max(2, round(BUILDINGS * scale))
    residents_n = round(RESIDENTS * scale)
    tickets_n = round(TICKETS * scale)
    now = timezone.now()
    day = timezone.localdate()
    areas = service_areas_ensure()
    maintenance = Department.objects.create(code="maintenance", name="维修中心")
    maintenance.service_areas.set([areas["maintenance_utilities"]])
    campus = Campus.objects.create(code="bench", name="校区")
    buildings = Building.objects.bulk_create(
        [Building(campus=campus, code=f"B{i:03d}", name=f"{i}号公寓") for i in range(buildings_n)]
    )
    rooms = Room.objects.bulk_create(
        [
            Room(building=buildings[i % buildings_n], floor=1, number=f"{i:05d}", capacity=1)
            for i in range(residents_n)
        ],
        batch_size=BATCH,
    )
    beds = Bed.objects.bulk_create([Bed(room=r, number=1) for r in rooms], batch_size=BATCH)
    users = User.objects.bulk_create(
        [
            User(username=f"26{i:08d}", password=UNUSABLE, email=f"s{i}@example.cn")
            for i in range(residents_n)
        ],
        batch_size=BATCH,
    )
    residents = Resident.objects.bulk_create(
        [
            Resident(
                student_id=u.username,
                name=f"学生{i}",
                gender="M",
                category="undergraduate",
                campus=campus,
                user=u,
            )
            for i, u in enumerate(users)
        ],
        batch_size=BATCH,
    )
    Stay.objects.bulk_create(
        [
            Stay(resident=r, bed=beds[i], status="active", reserved_at=now, checked_in_at=now)
            for i, r in enumerate(residents)
        ],
        batch_size=BATCH,
    )
    category = Category.objects.get(code="plumbing")
    Ticket.objects.bulk_create(
        [
            Ticket(
                campus=campus,
                building=rooms[i].building,
                room=rooms[i],
                category=category,
                description="漏水",
                reporter=users[i],
                respond_by=now,
                complete_by=now,
                status="closed",
                finished_at=now,
                closed_at=now,
            )
            for i in range(tickets_n)
        ],
        batch_size=BATCH,
    )
    SurveyWindow.objects.create(
        version=published_version("semester"),
        title="学期调查",
        start=day,
        end=day + timedelta(days=14),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"buildings": buildings_n, "residents": residents_n, "tickets": tickets_n}


def measure(scale: float) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from logistics.models import Notification
    from logistics.nightly import NIGHTLY_JOBS, run_job
    from quality.models import SurveyInvitation

    started = time.perf_counter()
    sizes = seed(scale)
    seeded = time.perf_counter() - started
    day = timezone.localdate()
    with CaptureQueriesContext(connection) as first_queries:
        started = time.perf_counter()
        outcome = run_job(JOB, day, trigger="bench")
        first = time.perf_counter() - started
    invitations = SurveyInvitation.objects.count()
    with CaptureQueriesContext(connection) as second_queries:
        started = time.perf_counter()
        NIGHTLY_JOBS[JOB](day)
        second = time.perf_counter() - started
    batches = -(-sizes["residents"] // 500) + -(-sizes["tickets"] // 500)
    return {
        "scale": scale,
        **sizes,
        "seed_s": round(seeded, 1),
        "outcome": str(outcome.state),
        "invitations": invitations,
        "after_second": SurveyInvitation.objects.count(),
        "notifications": Notification.objects.count(),
        "first_s": round(first, 3),
        "first_queries": len(first_queries),
        "second_s": round(second, 3),
        "second_queries": len(second_queries),
        "batches": batches,
    }


def table(results: list[dict]) -> str:
    lines = [
        "| size | residents | repairs | invited | first run | queries | second run | queries "
        "| invited after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| ×{r['scale']:g} | {r['residents']:,} | {r['tickets']:,} | {r['invitations']:,} "
            f"| {r['first_s']:.2f} s | {r['first_queries']} | {r['second_s']:.2f} s "
            f"| {r['second_queries']} | {r['after_second']:,} |"
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
    results = [BENCH.run_size(scale) for scale in args.scale or [0.1, 1.0]]
    print(table(results))
    failed = False
    for r in results:
        expected = r["residents"] + r["tickets"]
        if r["invitations"] != expected or r["after_second"] != expected:
            print(f"FAIL: {r['invitations']} invited, expected {expected}", file=sys.stderr)
            failed = True
    if len(results) > 1:
        # The queries a batch of 500 adds, from the difference between the sizes: a fixed
        # number (a query per person would add 500).
        small, large = results[0], results[-1]
        per_batch = (large["first_queries"] - small["first_queries"]) / max(
            1, large["batches"] - small["batches"]
        )
        print(f"queries per batch of 500: {per_batch:.1f}")
        if per_batch > MAX_QUERIES_PER_BATCH:
            print(f"FAIL: more than {MAX_QUERIES_PER_BATCH} queries per batch", file=sys.stderr)
            failed = True
    if not failed:
        print("OK: everyone invited once, a fixed number of queries per batch")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Two nightly runs for one date started together, over 60,000 due repairs: what two beats, a
redelivered task or an operator re-running by hand produce. Every repair must be confirmed
exactly once, and exactly one success recorded for the date; then a third run must skip it.

    .venv/bin/python bench/nightly_race.py [--tickets 60000] [--trials 3] [--starters 2]

Needs PostgreSQL. The database named by BENCH_DATABASE_URL (default logistics_bench_nightly on
127.0.0.1) is dropped and made anew: never point it at real data.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_nightly"
)
JOB = "maintenance.auto_confirm"
DAY = "2026-09-01"

SEED = """
import os
from datetime import datetime, timedelta, timezone as tz
from apartments.models import Building, Room
from logistics.models import Campus, JobRun, User
from maintenance.models import Ticket, TicketEvent
from maintenance.reference import categories_ensure

n = int(os.environ["BENCH_TICKETS"])
TicketEvent.objects.all().delete()
Ticket.objects.all().delete()
JobRun.objects.all().delete()
campus, _ = Campus.objects.get_or_create(code="bench", defaults={"name": "压测校区"})
building, _ = Building.objects.get_or_create(campus=campus, code="B1", defaults={"name": "压测楼"})
if not Room.objects.filter(building=building).exists():
    Room.objects.bulk_create(
        [Room(building=building, floor=1, number=str(i), capacity=4) for i in range(500)]
    )
rooms = list(Room.objects.filter(building=building))
reporter, _ = User.objects.get_or_create(username="bench-reporter")
categories = list(categories_ensure().values())
finished = datetime(2026, 8, 1, tzinfo=tz.utc)  # due long before the run's date
Ticket.objects.bulk_create(
    [
        Ticket(
            campus=campus,
            building=building,
            room=rooms[i % len(rooms)],
            category=categories[i % len(categories)],
            description="bench",
            reporter=reporter,
            status=Ticket.Status.DONE,
            finished_at=finished,
            respond_by=finished,
            complete_by=finished,
        )
        for i in range(n)
    ],
    batch_size=5000,
)
"""

VERIFY = """
from django.db.models import Count
from logistics.models import JobRun
from maintenance.models import Ticket, TicketEvent
events = TicketEvent.objects.filter(kind=TicketEvent.Kind.AUTO_CONFIRMED)
twice = events.values("ticket_id").annotate(n=Count("pk")).filter(n__gt=1).count()
runs = list(JobRun.objects.filter(job="maintenance.auto_confirm").values_list("status", "items"))
print(Ticket.objects.filter(status=Ticket.Status.DONE).count(), events.count(), twice, runs)
"""


def env(**extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(*args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env(**extra),
        check=True,
        text=True,
        capture_output=True,
    )


def recreate_database() -> None:
    import psycopg

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def trial(tickets: int, starters: int) -> dict:
    manage("shell", "-c", SEED, BENCH_TICKETS=str(tickets))
    manage(
        "shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')"
    )
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [PYTHON, "manage.py", "run_nightly_jobs", "--date", DAY, "--job", JOB],
            cwd=ROOT,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(starters)
    ]
    outputs = [p.communicate()[0].strip() for p in processes]
    elapsed = time.perf_counter() - started
    verdict = manage("shell", "-c", VERIFY).stdout.strip().splitlines()[-1]
    left, confirmed, twice, runs = verdict.split(" ", 3)
    third = manage("run_nightly_jobs", "--date", DAY, "--job", JOB).stdout.strip()
    return {
        "seconds": elapsed,
        "left": int(left),
        "confirmed": int(confirmed),
        "twice": int(twice),
        "runs": runs,
        "outputs": outputs,
        "third": third,
        "codes": [p.returncode for p in processes],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=60_000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--starters", type=int, default=2)
    args = parser.parse_args()
    recreate_database()
    manage("migrate", "--no-input")
    print(
        f"{args.starters} runs of {JOB} for {DAY} at once over {args.tickets:,} due repairs; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    ok = True
    for n in range(1, args.trials + 1):
        result = trial(args.tickets, args.starters)
        good = (
            result["left"] == 0
            and result["confirmed"] == args.tickets
            and result["twice"] == 0
            and result["runs"] == f"[('succeeded', {args.tickets})]"
            and "already done" in result["third"]
            and result["codes"] == [0] * args.starters
        )
        ok &= good
        print(
            f"trial {n}: {result['seconds']:.1f} s; left unconfirmed {result['left']}, "
            f"confirmed {result['confirmed']:,}, confirmed twice {result['twice']}, "
            f"runs {result['runs']}: {'OK' if good else 'FAILED'}"
        )
        for output in result["outputs"]:
            print("    " + output.replace("\n", "\n    "))
        print("    then: " + result["third"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""How long the repairs' nightly job takes at a large university's scale: N finished repairs
(default 30,000) waiting past REPAIR_CONFIRM_DAYS are confirmed automatically
(`maintenance.auto_confirm`), and how long the dispatch queue's at-risk and overdue counts take
over them plus N open tickets.

    createdb -h 127.0.0.1 -U postgres logistics_bench_repairs
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/logistics_bench_repairs \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/logistics_bench_repairs \\
        .venv/bin/python bench/repairs_nightly.py [--tickets 30000]

Run it on a database of its own: the job confirms every due repair in the database. The bench
owns the campus it creates (code bench-repairs) and everything in it: it removes its
tickets, rooms and accounts before it starts, and nothing else.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from apartments.models import Building, Room  # noqa: E402
from logistics.models import Campus, User  # noqa: E402
from maintenance.models import Ticket, TicketEvent  # noqa: E402
from maintenance.reference import categories_ensure  # noqa: E402
from maintenance.selectors import at_risk_q, overdue_q  # noqa: E402
from maintenance.services import auto_confirm_due  # noqa: E402

CAMPUS = "bench-repairs"


def clean() -> None:
    tickets = Ticket.objects.filter(campus__code=CAMPUS)
    TicketEvent.objects.filter(ticket__in=tickets).delete()
    tickets.delete()
    Room.objects.filter(building__campus__code=CAMPUS).delete()
    Building.objects.filter(campus__code=CAMPUS).delete()
    User.objects.filter(username__startswith="bench-repairs-").delete()
    Campus.objects.filter(code=CAMPUS).delete()


def build(n: int) -> None:
    campus = Campus.objects.create(code=CAMPUS, name="压测校区", name_en="Bench campus")
    building = Building.objects.create(campus=campus, code="B1", name="压测楼")
    rooms = Room.objects.bulk_create(
        [Room(building=building, floor=1, number=str(i), capacity=4) for i in range(500)]
    )
    reporter = User.objects.create(username="bench-repairs-reporter")
    categories = list(categories_ensure().values())
    now = timezone.now()
    finished = now - timedelta(days=10)
    rows = []
    for i in range(2 * n):
        category = categories[i % len(categories)]
        done = i < n
        created = (finished if done else now) - timedelta(minutes=i % 600)
        rows.append(
            Ticket(
                campus=campus,
                building=building,
                room=rooms[i % len(rooms)],
                category=category,
                description="bench",
                reporter=reporter,
                status=Ticket.Status.DONE if done else Ticket.Status.SUBMITTED,
                finished_at=finished if done else None,
                respond_by=created + timedelta(minutes=category.response_minutes),
                complete_by=created + timedelta(hours=category.completion_hours),
            )
        )
    Ticket.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=30_000)
    args = parser.parse_args()
    clean()
    started = time.perf_counter()
    build(args.tickets)
    print(f"set-up: {2 * args.tickets} tickets in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    counts = Ticket.objects.filter(campus__code=CAMPUS).aggregate(
        at_risk=Count("pk", filter=at_risk_q()), overdue=Count("pk", filter=overdue_q())
    )
    print(f"queue counts {counts} in {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    confirmed = auto_confirm_due()
    print(f"auto_confirm: {confirmed} repairs in {time.perf_counter() - started:.2f} s")
    assert confirmed >= args.tickets
    assert not Ticket.objects.filter(Q(campus__code=CAMPUS) & Q(status=Ticket.Status.DONE)).exists()
    started = time.perf_counter()
    again = auto_confirm_due()
    print(f"auto_confirm again: {again} repairs in {time.perf_counter() - started:.2f} s")
    clean()


if __name__ == "__main__":
    main()

"""The staff's search (logistics.search) at campus scale: 30,000 residents, 20,000 rooms, 100
buildings, 10,000 open tickets (the `make bench` seed), and the same at 3,000 residents, side by
side. For each kind of query, as an administrator (every campus) and as a dispatcher (one
campus): the median time of a search in-process and its number of queries, which must be equal
at both sizes (the bench fails when they are not).

    make bench-search                  # both sizes, about two minutes
    .venv/bin/python bench/search.py

It drops and recreates its own PostgreSQL database (BENCH_SEARCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/logistics_bench_search; the name must start with
logistics_bench). Never point it at real data. The times are absolute on a shared machine:
compare the two sizes of one run, not runs with each other.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault(
    "BENCH_DATABASE_URL",
    os.environ.get(
        "BENCH_SEARCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_search"
    ),
)
sys.path.insert(0, str(ROOT))

from bench.campus import run  # noqa: E402

QUERIES = [
    ("a student id's start", "2600001"),
    ("a whole student id", "2600001234"),
    ("a name's start", "学生12"),
    ("pinyin initials", "xs"),
    ("a room", "B001-0101"),
    ("a ticket number", "#5000"),
]
RUNS = 30


def child() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apartments.models import Room
    from logistics.access import user_with_grants_where
    from logistics.search import search

    room = Room.objects.select_related("building").order_by("pk").first()
    queries = [
        (label, f"{room.building.code}-{room.number}" if label == "a room" else text)
        for label, text in QUERIES
    ]
    results = {}
    for username in ("bench-admin", "bench-dispatcher"):
        user = user_with_grants_where(username=username)
        for label, text in queries:
            search(user, text)  # warm
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                hits = search(user, text)
                times.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as captured:
                search(user, text)
            results[f"{username} · {label}"] = {
                "ms": round(statistics.median(times), 2),
                "queries": len(captured),
                "hits": len(hits),
            }
    print(json.dumps(results))


def main() -> int:
    by_size = {}
    for size in ("full", "small"):
        run.seed(size)
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            cwd=ROOT,
            env=run.env(),
            check=True,
            text=True,
            capture_output=True,
        ).stdout
        by_size[size] = json.loads(out.strip().splitlines()[-1])
    full, small = by_size["full"], by_size["small"]
    print(f"\n{'search':<44} {'30,000: ms':>11} {'3,000: ms':>10} {'queries':>8} {'hits':>5}")
    failed = False
    for key in full:
        if key.startswith("_"):
            continue
        a, b = full[key], small[key]
        same = a["queries"] == b["queries"]
        failed |= not same
        queries = f"{a['queries']}" if same else f"{a['queries']}≠{b['queries']}"
        print(f"{key:<44} {a['ms']:>11} {b['ms']:>10} {queries:>8} {a['hits']:>5}")
    if failed:
        print("FAILED: a search's number of queries grows with the data")
        return 1
    return 0


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        sys.exit(main())

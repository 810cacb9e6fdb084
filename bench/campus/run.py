"""The portal at campus scale, beside a bare-Django ceiling, in one table.

    make bench                  # full: 30,000 residents, 20,000 rooms, 100 buildings, 10,000
                                # open tickets; then the small size (3,000 residents, 1,000 open)
    BENCH_QUICK=1 make bench    # small data, short runs, one round: to try it

What it does: drops and recreates its own PostgreSQL database (BENCH_DATABASE_URL, default
logistics_bench_campus on 127.0.0.1), migrates, seeds it in bulk (seed.py), runs ANALYZE,
counts the queries of one request of each scenario in-process (queries.py), starts gunicorn
(2 sync workers) for the portal and for the bare-Django ceiling (bench/conn_reuse: /ok answers
"ok", /insert does one INSERT), then for BENCH_ROUNDS rounds runs each scenario and both
ceiling views for BENCH_DURATION seconds each, alternately, with wrk when installed or a
bounded Python load generator (threads, keep-alive). Prints the medians of the rounds: req/s,
p50, p95, queries per request and the ratio to the ceiling (GET scenarios to /ok, POST ones to
/insert), measured in the same run.

Knobs: BENCH_QUICK, BENCH_ROUNDS, BENCH_DURATION (seconds), BENCH_SIZES ("full,small" by
default, "full" in quick mode: which sizes to seed and measure), BENCH_LOADGEN=python (use the
Python generator even where wrk is installed), BENCH_PORT (8771; the ceiling uses the next
one), BENCH_SCENARIOS (a comma-separated subset of the scenario keys listed in main(), as
"filing,checkin": measure only those).

Only 127.0.0.1 is contacted. The bench database is dropped and made anew: never point
BENCH_DATABASE_URL at real data.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.campus import load as loadgen  # noqa: E402
from bench.campus.scenarios import Scenario, build, load_seed  # noqa: E402

PYTHON = sys.executable
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false")
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_campus"
)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "3"))
DURATION = float(os.environ.get("BENCH_DURATION", "3" if QUICK else "10"))
SIZES = os.environ.get("BENCH_SIZES", "full" if QUICK else "full,small").split(",")
PORT = int(os.environ.get("BENCH_PORT", "8771"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
CEILING_PORT = PORT + 1
WORKERS = 2
STATIC_ROOT = Path(tempfile.gettempdir()) / "logistics-bench-campus-static"

# residents, rooms, buildings, open tickets, students who file in the bench
SIZE = {
    "full": (6000, 4000, 100, 2000, 400) if QUICK else (30000, 20000, 100, 10000, 2000),
    "small": (3000, 2000, 100, 1000, 400),
}
# Scenarios measured at the small size too: the ones whose cost must not grow with the data.
SIZE_SCENARIOS = ["queue", "ticket_api", "dashboard", "dashboard_desks", "summary"]


def env(settings: str = "logistics.settings") -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no TLS proxy in front
        "BEHIND_TLS_PROXY": "false",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(STATIC_ROOT),
        # Redis as in production: cache, sessions' neighbours, tasks queued (no worker runs
        # them here, so their cost is not in the figures, as in production).
        "REDIS_URL": REDIS_URL,
    }


SECRET_KEY = secrets.token_urlsafe(50)


def run(*args, capture=False, settings="logistics.settings"):
    return subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env=env(settings),
        check=True,
        text=True,
        capture_output=capture,
    )


def psql_admin():
    import psycopg

    url = urlparse(DATABASE_URL)
    return psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True)


def recreate_database():
    name = urlparse(DATABASE_URL).path.lstrip("/")
    if not name.startswith("logistics_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the bench database's name starts with logistics_bench"
        )
    with psql_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # the bench's own Redis database: queued tasks


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with psql_admin() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    gen = "wrk" if loadgen.have_wrk() else "Python load generator"
    return (
        f"{os.cpu_count()} cores, {model}, PostgreSQL {version}, Python "
        f"{platform.python_version()}, {gen}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def seed(size: str) -> dict:
    print(
        f"== seeding ({size}): {SIZE[size][0]:,} residents, {SIZE[size][1]:,} rooms, "
        f"{SIZE[size][2]} buildings, {SIZE[size][3]:,} open tickets",
        flush=True,
    )
    recreate_database()
    started = time.perf_counter()
    run("manage.py", "migrate", "--no-input", "-v0")
    out = Path(tempfile.gettempdir()) / f"bench-campus-seed-{size}.json"
    os.environ["BENCH_SEED_OUT"] = str(out)
    run("bench/campus/seed.py", *(str(n) for n in SIZE[size]))
    print(f"   migrate + seed + ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    data = load_seed(str(out))
    data["out"] = str(out)
    return data


def count_queries(data: dict, pool: list[str]) -> dict[str, int]:
    out = run("bench/campus/queries.py", data["out"], *pool[:2], capture=True).stdout
    return json.loads(out.strip().splitlines()[-1])


class Server:
    def __init__(self, port: int, settings: str):
        self.port = port
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "logistics.wsgi",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                # The portal's and the ceiling's gunicorn run side by side: without this both
                # claim gunicorn's one control socket and the second logs an error.
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env(settings),
        )

    def wait(self, path: str):
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn on {self.port} did not come up")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class Pool:
    """Values used up by their requests (residents without a bed, filings), handed out to the
    runs: none is used twice. A run is offered more than it can use; the pool then moves on
    by what the run used (a little more: each wrk thread walks its own stride)."""

    def __init__(self, ids: list[str]):
        self.ids = ids
        self.next = 0

    def offer(self, n: int) -> list[str]:
        return self.ids[self.next : self.next + n]

    def used(self, result, offered: int) -> None:
        self.next += min(offered, int(result.requests * 1.1) + 50)

    def take(self, n: int) -> list[str]:
        taken = self.offer(n)
        self.next += len(taken)
        return taken

    def run(self, load, seconds: float, per_run: int):
        load.values = self.offer(per_run)
        if not load.values:
            raise SystemExit("the pool ran out: seed more residents or run shorter")
        result = loadgen.run(load, PORT, seconds)
        self.used(result, len(load.values))
        return result


def measure(scenarios: dict[str, Scenario], keys: list[str], pools: dict[str, Pool]) -> dict:
    """ROUNDS rounds of every scenario in `keys` and the two ceiling views, alternately."""
    ceiling = {
        "ok": loadgen.Load("GET", "/ok"),
        "insert": loadgen.Load("POST", "/insert", headers={"Content-Type": "text/plain"}, body="x"),
    }
    # As many values (students to check in, filings) as a run could use at 250 per second.
    per_run = int(250 * DURATION) + 200
    results: dict[str, list] = {k: [] for k in [*keys, "ceiling_ok", "ceiling_insert"]}
    for r in range(ROUNDS):
        print(f"   round {r + 1} of {ROUNDS}", flush=True)
        for key in keys:
            if key == "dashboard_desks":
                results[key].append(dashboard_with_desks(scenarios, pools["checkin"], per_run))
                continue
            scenario = scenarios[key]
            if scenario.consumes:
                results[key].append(pools[key].run(scenario.load, DURATION, per_run))
            else:
                results[key].append(loadgen.run(scenario.load, PORT, DURATION))
        for kind, load in ceiling.items():
            results[f"ceiling_{kind}"].append(loadgen.run(load, CEILING_PORT, DURATION))
    return results


# The desks beside the dashboard: each checks a resident in, then waits a second (real desks
# take a few seconds a resident: docs/move-in.md), so up to 20 check-ins a second.
DESK_PACE = 1.0


def dashboard_with_desks(scenarios, pool: Pool, per_run: int):
    """The dashboard at 8 connections while 20 desks check residents in beside it."""
    desks = dataclasses.replace(scenarios["checkin"].load, pace=DESK_PACE)
    background = threading.Thread(target=pool.run, args=(desks, DURATION + 1, per_run))
    background.start()
    time.sleep(0.5)
    try:
        return loadgen.run(scenarios["dashboard"].load, PORT, DURATION)
    finally:
        background.join()


def median(results, attr):
    return statistics.median(getattr(x, attr) for x in results)


def table(label_of, keys, results, queries, *, title: str) -> str:
    ok_rate = median(results["ceiling_ok"], "rate")
    insert_rate = median(results["ceiling_insert"], "rate")
    lines = [
        f"{title}",
        "",
        "| work | req/s | p50 ms | p95 ms | queries | ceiling req/s | / ceiling | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in keys:
        rs = results[key]
        ceiling = insert_rate if label_of[key][1] == "insert" else ok_rate
        rate = median(rs, "rate")
        lines.append(
            f"| {label_of[key][0]} | {rate:,.1f} | {median(rs, 'p50_ms'):,.0f} | "
            f"{median(rs, 'p95_ms'):,.0f} | {queries.get(key, '–')} | {ceiling:,.0f} "
            f"({label_of[key][1]}) | {rate / ceiling:.3f} | {sum(x.errors for x in rs)} |"
        )
    for kind, queries_of in (("ok", 0), ("insert", 1)):
        rs = results[f"ceiling_{kind}"]
        lines.append(
            f"| ceiling: bare Django /{kind} | {median(rs, 'rate'):,.0f} | "
            f"{median(rs, 'p50_ms'):.0f} | {median(rs, 'p95_ms'):.0f} | {queries_of} | | | "
            f"{sum(x.errors for x in rs)} |"
        )
    return "\n".join(lines)


def bench_size(size: str, keys: list[str]):
    data = seed(size)
    scenarios = build(data)
    pools = {"checkin": Pool(data["checkin_pool"]), "filing": Pool(scenarios["filing"].load.values)}
    run("manage.py", "collectstatic", "--no-input", "-v0")  # as production does
    pools["filing"].take(2)  # queries.py files with the first two
    queries = count_queries(data, pools["checkin"].take(2))
    queries["dashboard_desks"] = queries.get("dashboard")
    portal = Server(PORT, "logistics.settings")
    ceiling = Server(CEILING_PORT, "bench.conn_reuse.settings")
    try:
        portal.wait("/healthz")
        ceiling.wait("/ok")
        # Warm-up, not measured: every worker loads its code and opens its connection.
        for key in keys:
            if key in scenarios and not scenarios[key].consumes:
                loadgen.run(scenarios[key].load, PORT, 1)
        loadgen.run(loadgen.Load("GET", "/ok"), CEILING_PORT, 1)
        results = measure(scenarios, keys, pools)
    finally:
        portal.stop()
        ceiling.stop()
    labels = {k: (s.label, s.ceiling) for k, s in scenarios.items()}
    labels["dashboard_desks"] = (
        f"move-in dashboard while 20 desks check in (each every {DESK_PACE:g} s)",
        "ok",
    )
    r, rooms, b, t, _ = SIZE[size]
    title = (
        f"### {size}: {r:,} residents, {rooms:,} rooms, {b} buildings, {t:,} open tickets "
        f"({ROUNDS} rounds of {DURATION:g} s, medians; 8 connections, 20 for check-in)"
    )
    return table(labels, keys, results, queries, title=title), results


def main():
    print(f"Machine: {machine()}")
    print(f"Database: {DATABASE_URL} (dropped and recreated); gunicorn {WORKERS} sync workers")
    all_keys = [
        "filing",
        "queue",
        "ticket_api",
        "my_repairs",
        "home",
        "dashboard",
        "dashboard_desks",
        "summary",
        "checkin",
    ]
    only = [k for k in os.environ.get("BENCH_SCENARIOS", "").split(",") if k]
    if unknown := set(only) - set(all_keys):
        sys.exit(f"BENCH_SCENARIOS: no scenario {', '.join(sorted(unknown))}")
    tables, by_size = [], {}
    for size in SIZES:
        keys = all_keys if size == "full" else SIZE_SCENARIOS
        keys = [k for k in keys if not only or k in only]
        if not keys:
            continue
        text, results = bench_size(size, keys)
        by_size[size] = results
        tables.append(text)
        print(text, flush=True)
    if len(by_size) == 2:
        print(two_sizes(by_size))
    print()
    print("\n\n".join(tables))


def two_sizes(by_size) -> str:
    big, small = by_size["full"], by_size["small"]
    lines = [
        "",
        "### cost at two sizes (p50 ms / p95 ms / req/s)",
        "",
        "| work | small | full | p50 full / small |",
        "|---|---:|---:|---:|",
    ]
    for key in SIZE_SCENARIOS:
        if key not in small or key not in big:
            continue
        s, b = small[key], big[key]
        growth = median(b, "p50_ms") / max(median(s, "p50_ms"), 0.001)
        lines.append(
            f"| {key} | {median(s, 'p50_ms'):.0f} / {median(s, 'p95_ms'):.0f} / "
            f"{median(s, 'rate'):.1f} | {median(b, 'p50_ms'):.0f} / {median(b, 'p95_ms'):.0f} / "
            f"{median(b, 'rate'):.1f} | {growth:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

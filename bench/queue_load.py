"""The dispatch queue and the dispatcher's ticket list API under load, at two backlogs: does
their cost grow with the number of open tickets? Seeds the demo university into a database of
its own (dropped and recreated: never point it at real data), adds open repair requests to
campus Songbei until 1,000 and then 10,000 are open, runs ANALYZE, serves the portal with
gunicorn (2 sync workers) and loads each page with wrk (8 connections) when it is installed,
else with a bounded load loop from the standard library.

    .venv/bin/python bench/queue_load.py [--seconds 10] [--sizes 1000,10000]

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/logistics_bench_queue) names
the database; BENCH_PORT (default 8765) the port.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_queue"
)
os.environ["DATABASE_URL"] = DB_URL
os.environ.pop("REDIS_URL", None)  # one process's cache: sessions live in the database
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings")
# Production settings, for this process (which signs the sessions) and gunicorn alike.
os.environ.update(
    DEBUG="false",
    SECRET_KEY="bench-only-" + "x" * 50,
    ALLOWED_HOSTS="127.0.0.1,localhost",
    SECURE_SSL_REDIRECT="false",  # plain HTTP on the loopback, as behind a TLS proxy
    STATIC_ROOT=os.environ.get("BENCH_STATIC_ROOT", "/tmp/logistics-bench-static"),
)
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CONNECTIONS = 8


def recreate_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    if not name.startswith("logistics_bench"):
        sys.exit(f"refusing to drop {name!r}: a bench database's name starts with logistics_bench")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    import django

    django.setup()


def add_open_tickets(target: int) -> None:
    """Open requests on campus Songbei until `target` are open there: every room, category
    and urgency, a fifth assigned, deadlines spread from two days overdue to two days ahead."""
    from django.utils import timezone

    from apartments.models import Room
    from logistics.models import Campus, User
    from maintenance.models import Category, Ticket

    campus = Campus.objects.get(code="songbei")
    have = Ticket.objects.filter(campus=campus, status__in=Ticket.OPEN).count()
    rooms = list(Room.objects.filter(building__campus=campus).select_related("building")[:2000])
    categories = list(Category.objects.all())
    reporters = list(User.objects.filter(username__startswith="25")[:500]) or [
        User.objects.get(username="admin")
    ]
    technician = User.objects.get(username="technician")
    rng = random.Random(12)
    now = timezone.now()
    batch = []
    for i in range(max(target - have, 0)):
        room = rooms[i % len(rooms)]
        category = categories[i % len(categories)]
        created = now - timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        started = rng.random() < 0.1
        batch.append(
            Ticket(
                campus=campus,
                building=room.building,
                room=room,
                category=category,
                description="bench",
                reporter=reporters[i % len(reporters)],
                urgency="urgent" if rng.random() < 0.1 else "normal",
                status="in_progress" if started else ("assigned" if i % 5 == 0 else "submitted"),
                technician=technician if started or i % 5 == 0 else None,
                respond_by=created + timedelta(minutes=category.response_minutes),
                complete_by=created + timedelta(hours=category.completion_hours),
                started_at=created + timedelta(minutes=10) if started else None,
            )
        )
    Ticket.objects.bulk_create(batch, batch_size=2000)
    # created_at is auto_now_add: spread it as the deadlines were computed
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE maintenance_ticket SET created_at = respond_by - "
            "(SELECT response_minutes FROM maintenance_category c WHERE c.id = category_id)"
            " * interval '1 minute' WHERE description = 'bench'"
        )
        cursor.execute("ANALYZE")


def session_cookie(username: str) -> str:
    from django.test import Client

    from logistics.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies["sessionid"].value


def api_token(username: str) -> str:
    from rest_framework.authtoken.models import Token

    from logistics.models import User

    token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
    return token.key


def start_gunicorn() -> subprocess.Popen:
    env = dict(os.environ)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "logistics.wsgi",
            "--workers=2",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{PORT}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_ok(url: str, header: str) -> None:
    """The page answers 200 to this user (not a redirect to the login page)."""
    name, value = header.split(": ", 1)
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={name: value})  # noqa: S310 - our own http URL
    with opener.open(request, timeout=30) as response:
        if response.status != 200:
            sys.exit(f"{url} answered {response.status}")


def load_wrk(url: str, header: str, seconds: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", header, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, unit = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out).groups()
    factor = {"us": 0.001, "ms": 1, "s": 1000}[unit]
    if re.search(r"Non-2xx", out):
        sys.exit(f"{url} answered errors under load:\n{out}")
    return rate, float(p50) * factor


def load_python(url: str, header: str, seconds: int) -> tuple[float, float]:
    name, value = header.split(": ", 1)
    times: list[float] = []
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            start = time.monotonic()
            request = urllib.request.Request(url, headers={name: value})  # noqa: S310 - ours
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
            times.append((time.monotonic() - start) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(times) / seconds, statistics.median(times)


def unloaded_median(path: str, header: str, rounds: int = 15) -> float:
    """The page's median time through the test client, one request at a time: what it costs
    on its own, whatever else the shared machine is doing."""
    from django.test import Client

    name, value = header.split(": ", 1)
    client = Client(HTTP_HOST="localhost")
    extra = {}
    if name == "Cookie":
        client.cookies.load(value)
    else:
        extra = {"HTTP_" + name.upper().replace("-", "_"): value}
    client.get(path, **extra)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path, **extra)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    recreate_database()
    setup_django()
    from django.core.management import call_command

    # DEBUG off needs the static files' manifest: collected first, before anything renders
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    load = load_wrk if shutil.which("wrk") else load_python
    cookie = f"Cookie: sessionid={session_cookie('dispatcher')}; django_language=en"
    token = f"Authorization: Token {api_token('dispatcher')}"
    pages = [
        ("dispatch queue", "/repairs/dispatch/", cookie),
        ("ticket list API", "/api/v1/tickets/", token),
    ]
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        add_open_tickets(size)
        server = start_gunicorn()
        try:
            for name, path, header in pages:
                url = f"http://127.0.0.1:{PORT}{path}"
                check_ok(url, header)
                alone = unloaded_median(path, header)
                load(url, header, 2)  # warm both workers
                rate, p50 = load(url, header, args.seconds)
                rows.append((name, size, alone, rate, p50))
                print(
                    f"{name:<18} {size:>6} open: alone {alone:6.1f} ms;"
                    f" loaded {rate:6.1f} req/s, p50 {p50:6.1f} ms",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()
    print()
    print(f"| page | open | alone, median ms | req/s ({CONNECTIONS} connections) | p50 ms |")
    print("|---|---|---|---|---|")
    for name, size, alone, rate, p50 in rows:
        print(f"| {name} | {size:,} | {alone:.1f} | {rate:.1f} | {p50:.0f} |")


if __name__ == "__main__":
    main()

"""Move-in day at full scale: gunicorn + PostgreSQL, the source's 6,450-resident intake
imported from the registrar's files, everyone checked in through the API from 20 concurrent
desks. Prints check-ins per second and latency, and checks the summary adds up.

    make bench-move-in          # BENCH_DATABASE_URL, BENCH_DESKS, BENCH_WORKERS to change

Only 127.0.0.1 is ever contacted. The database named by BENCH_DATABASE_URL is dropped and
made anew: never point it at real data.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import platform
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/logistics_bench_move_in"
)
DESKS = int(os.environ.get("BENCH_DESKS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
PORT = int(os.environ.get("BENCH_PORT", "8766"))
STATIC_ROOT = Path(tempfile.gettempdir()) / "logistics-bench-static"

# The intake of the source (DOMAIN.md): campus → category → residents.
INTAKE = {
    "songbei": {
        "undergraduate": 3626,
        "top_up": 444,
        "postgraduate": 310,
        "doctoral": 5,
        "adult_education": 22,
        "staff": 22,
    },
    "jiangnan": {"undergraduate": 1786, "top_up": 137, "postgraduate": 83, "staff": 15},
}
CAMPUS_NAMES = {
    "songbei": ("松北校区", "Songbei campus"),
    "jiangnan": ("江南校区", "Jiangnan campus"),
}
# Buildings per campus and gender: enough beds with some to spare.
BUILDINGS = {"songbei": 5, "jiangnan": 3}  # of each gender; 6 floors × 20 rooms × 4 beds


def env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "logistics.settings",
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no TLS proxy in front
        "BEHIND_TLS_PROXY": "false",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(STATIC_ROOT),
    }


def manage(*args, capture=False):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env(),
        check=True,
        text=True,
        capture_output=capture,
    )


def recreate_database():
    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def write_files(folder: Path) -> tuple[Path, Path, dict]:
    rooms = folder / "rooms.csv"
    with rooms.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["校区", "楼栋", "楼层", "房间", "床位数", "性别"])
        for campus, per_gender in BUILDINGS.items():
            name = CAMPUS_NAMES[campus][0]
            for g_index, gender in enumerate(["M", "F"]):
                for b in range(per_gender):
                    code = f"{campus[0].upper()}{g_index * per_gender + b + 1:02d}"
                    for floor in range(1, 7):
                        for r in range(1, 21):
                            out.writerow([name, code, floor, f"{floor}{r:02d}", 4, gender])
    residents = folder / "residents.csv"
    expected: dict[str, dict[str, int]] = {}
    serial = 0
    with residents.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["student_id", "name", "gender", "category", "campus", "college", "phone"])
        for campus, categories in INTAKE.items():
            for category, count in categories.items():
                expected.setdefault(campus, {})[category] = count
                for _ in range(count):
                    serial += 1
                    out.writerow(
                        [
                            f"26{serial:08d}",
                            f"新生{serial}",
                            "M" if serial % 2 else "F",
                            category,
                            CAMPUS_NAMES[campus][1],
                            "计算机学院",
                            f"138{serial:08d}",
                        ]
                    )
    return rooms, residents, expected


SETUP = """
import json, os
from rest_framework.authtoken.models import Token
from logistics.models import Campus, Role, RoleGrant, User
campuses = json.loads(os.environ["BENCH_CAMPUSES"])
for position, (code, (name, name_en)) in enumerate(campuses.items(), start=1):
    defaults = {"name": name, "name_en": name_en, "position": position}
    Campus.objects.get_or_create(code=code, defaults=defaults)
user, _ = User.objects.get_or_create(username="bench-desk", defaults={"full_name": "Desk"})
RoleGrant.objects.get_or_create(user=user, role=Role.ADMIN)
print(Token.objects.get_or_create(user=user)[0].key)
"""


def timed(label, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.1f} s")
    return result, elapsed


def check_everyone_in(token: str, student_ids: list[str]):
    work: queue.Queue[str] = queue.Queue()
    for sid in student_ids:
        work.put(sid)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def desk():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        while True:
            try:
                sid = work.get_nowait()
            except queue.Empty:
                break
            body = json.dumps({"student_id": sid})
            start = time.perf_counter()
            conn.request("POST", "/api/v1/check-ins/", body=body, headers=headers)
            response = conn.getresponse()
            response_body = response.read().decode("utf-8", "replace")
            elapsed = time.perf_counter() - start
            text = response_body
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status != 201 and len(failures) < 10:
                    failures.append(f"{sid}: {response.status} {text[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=desk) for _ in range(DESKS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for failure in failures:
        print("  refused:", failure)
    return time.perf_counter() - start, latencies, statuses


def get_json(path: str, token: str):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Token {token}"})
    response = conn.getresponse()
    return json.loads(response.read())


def wait_until_up():
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def main():
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"Database: {DATABASE_URL}; {WORKERS} gunicorn workers; {DESKS} desks")
    recreate_database()
    manage("migrate", "--no-input", "-v0")
    manage("collectstatic", "--no-input", "-v0")  # as production does
    os.environ["BENCH_CAMPUSES"] = json.dumps(CAMPUS_NAMES)
    token = manage("shell", "-c", SETUP, capture=True).stdout.strip().splitlines()[-1]

    with tempfile.TemporaryDirectory() as tmp:
        rooms, residents, expected = write_files(Path(tmp))
        timed(
            "import_rooms (1,920 rooms, 7,680 beds)",
            lambda: manage("import_rooms", str(rooms), capture=True),
        )
        timed(
            "import_residents (6,450 residents)",
            lambda: manage("import_residents", str(residents), capture=True),
        )
        with residents.open(encoding="utf-8") as f:
            student_ids = [row["student_id"] for row in csv.DictReader(f)]

    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "logistics.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
    )
    try:
        wait_until_up()
        elapsed, latencies, statuses = check_everyone_in(token, student_ids)
        summary = get_json("/api/v1/move-in/summary/", token)
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies.sort()
    ok = statuses.get(201, 0)
    print(
        f"check-ins: {ok} of {len(student_ids)} in {elapsed:.1f} s: {ok / elapsed:.0f} per second"
    )

    def percentile(p):
        return 1000 * latencies[max(0, int(p * len(latencies)) - 1)]

    print(
        f"latency: p50 {percentile(0.50):.0f} ms, p95 {percentile(0.95):.0f} ms, "
        f"p99 {percentile(0.99):.0f} ms, max {1000 * latencies[-1]:.0f} ms"
    )
    print(f"responses: {dict(sorted(statuses.items()))}")
    want = {c: {k: expected[c].get(k, 0) for k in summary["by_category"]} for c in expected}
    problems = []
    if ok != len(student_ids):
        problems.append(f"{len(student_ids) - ok} check-ins failed")
    if summary["checked_in"] != len(student_ids) or summary["remaining"] != 0:
        problems.append(f"summary says {summary['checked_in']} checked in")
    if summary["by_campus_and_category"] != want:
        problems.append(
            f"summary by campus and category differs: {summary['by_campus_and_category']}"
        )
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))
    print(f"summary matches the intake: {summary['checked_in']} checked in, 0 remaining")


if __name__ == "__main__":
    main()

"""`make run` on the default database: the development server on an SQLite file, an auditor
ticking answers quickly, each tick a background save of its own, several at once.

Django's default SQLite transactions start as readers and upgrade to writers at their first
write; two of them doing so at once get "database is locked" at once (SQLite does not wait
when waiting could deadlock), so saves answered 500. The settings make every transaction take
the write lock when it begins (`transaction_mode: IMMEDIATE`), wait for it (`timeout`), and let
readers read while one writes (WAL). This test starts the real server on a fresh SQLite file
in a subprocess: the suite itself may run on PostgreSQL, and the test must not share its
database either way.
"""

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
CSRF = "sqliteparallelsaves0123456789abc"  # any 32 letters and digits: cookie and header agree

# Run inside `manage.py shell` against the fresh SQLite file: an auditor's draft inspection of a
# checklist with many pass/fail items, and a signed-in session for the auditor.
SETUP = """
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from logistics.models import Role
from quality.models import Inspection
from tests import factories as f
from tests.quality.data import published_checklist

items = [(f"item {n}", "pass_fail", "1", "reliability", "safety") for n in range(1, 13)]
version = published_checklist("apartments", items=items)
department = f.DepartmentFactory(code="apartments", areas=["apartments"])
auditor = f.user_with_role(Role.AUDITOR, username="auditor1")
draft = Inspection.objects.create(
    version=version, area=version.checklist.area, department=department, place="1", auditor=auditor
)
session = SessionStore()
session[SESSION_KEY] = str(auditor.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
session[HASH_SESSION_KEY] = auditor.get_session_auth_hash()
session.create()
print(json.dumps({
    "inspection": draft.pk,
    "items": list(version.items.order_by("position").values_list("pk", flat=True)),
    "session": session.session_key,
}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sqlite_server(tmp_path):
    """The development server (threaded, as `make run` starts it) on a fresh SQLite file:
    (port, the setup's ids, the database file, the server's log)."""
    database = tmp_path / "db.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "REDIS_CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DATABASE_URL=f"sqlite:///{database}", DEBUG="true", MEDIA_ROOT=str(tmp_path))
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True
    )
    ids = json.loads(setup.stdout.decode().strip().splitlines()[-1])
    port = _free_port()
    log = tmp_path / "runserver.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        for _attempt in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(log.read_text())
                time.sleep(0.1)
        yield port, ids, database, log
    finally:
        server.terminate()
        server.wait(timeout=10)


def _save(port, ids, item, result):
    """One card's background save, as htmx sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            f"/quality/inspections/{ids['inspection']}/answers/{item}/",
            body=urlencode({f"i{item}-result": result, f"i{item}-comment": ""}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={ids['session']}; csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "HX-Request": "true",
                "Accept-Language": "en",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_parallel_saves_on_the_default_sqlite_database_all_succeed(sqlite_server):
    port, ids, database, log = sqlite_server
    # When the auditor ticks twelve items quickly, three rounds over (pass, fail, pass): every
    # tick a save of its own, twelve in flight at once
    statuses = []
    with ThreadPoolExecutor(max_workers=len(ids["items"])) as pool:
        for result in ("pass", "fail", "pass"):
            saves = [pool.submit(_save, port, ids, item, result) for item in ids["items"]]
            statuses += [save.result() for save in saves]
    # Then every save answered 200 (none "database is locked")
    assert statuses == [200] * len(statuses), log.read_text()[-3000:]
    # and every answer is in the database, as last ticked
    with sqlite3.connect(database) as db:
        saved = dict(
            db.execute(
                "SELECT item_id, result FROM quality_inspectionanswer WHERE inspection_id = ?",
                [ids["inspection"]],
            ).fetchall()
        )
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert saved == dict.fromkeys(ids["items"], "pass")
    # and the file is in write-ahead-log mode, which lets pages be read while a save writes
    assert journal == "wal"

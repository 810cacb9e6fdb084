"""What the campus bench measures: each scenario is a request a real user makes, built from
what seed.py printed (sessions, tokens, ids). Used by run.py (under load, against gunicorn)
and by queries.py (once, in-process, counting the queries)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.campus.load import Load

CSRF = "benchcsrfbenchcsrfbenchcsrfbench"  # a 32-character CSRF secret, sent as cookie and field


@dataclass
class Scenario:
    key: str
    label: str
    load: Load
    ceiling: str  # "ok" (a GET that touches nothing) or "insert" (one INSERT)
    # Each request uses up one of load.values (a student to check in, a filing).
    consumes: bool = False


def build(seed: dict, *, checkin_ids: list[str] | None = None) -> dict[str, Scenario]:
    def session(key: str) -> dict[str, str]:
        return {"Cookie": f"sessionid={key}"}

    def token(key: str) -> dict[str, str]:
        return {"Authorization": f"Token {key}"}

    filing = Load(
        "POST",
        "/repairs/new/",
        headers={
            "Cookie": f"sessionid={{value}}; csrftoken={CSRF}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://127.0.0.1",
            "Referer": "http://127.0.0.1/repairs/new/",
        },
        body=(
            f"csrfmiddlewaretoken={CSRF}&place=room&category={{value2}}"
            "&description=%E6%B0%B4%E9%BE%99%E5%A4%B4%E6%BC%8F%E6%B0%B4&available_times="
            "&contact_phone=13800000000"
        ),
        # Each filing by another student or of another category: a student's second report
        # of one fault in one room is refused as a duplicate.
        values=[f"{key}|{c}" for c in seed["categories"] for key in seed["filer_sessions"]],
    )
    checkin = Load(
        "POST",
        "/api/v1/check-ins/",
        headers={**token(seed["token"]), "Content-Type": "application/json"},
        body='{"student_id": "{value}"}',
        values=checkin_ids or [],
        connections=20,
    )
    scenarios = [
        Scenario("filing", "a student files a repair (browser POST, CSRF)", filing, "insert", True),
        Scenario(
            "queue",
            "dispatch queue page",
            Load("GET", "/repairs/dispatch/", headers=session(seed["dispatcher_session"])),
            "ok",
        ),
        Scenario(
            "ticket_api",
            "ticket list API (dispatcher)",
            Load("GET", "/api/v1/tickets/", headers=token(seed["dispatcher_token"])),
            "ok",
        ),
        Scenario(
            "my_repairs",
            "my repairs (a student)",
            Load("GET", "/repairs/", headers=session(seed["student_session"])),
            "ok",
        ),
        Scenario(
            "home",
            "home (a student)",
            Load("GET", "/", headers=session(seed["student_session"])),
            "ok",
        ),
        Scenario(
            "dashboard",
            "move-in dashboard, whole university",
            Load("GET", "/apartments/move-in/", headers=session(seed["admin_session"])),
            "ok",
        ),
        Scenario(
            "summary",
            "move-in summary API",
            Load("GET", "/api/v1/move-in/summary/", headers=token(seed["token"])),
            "ok",
        ),
        Scenario("checkin", "check-in API, 20 desks", checkin, "insert", consumes=True),
    ]
    return {s.key: s for s in scenarios}


def load_seed(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)

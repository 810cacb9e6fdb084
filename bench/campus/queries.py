"""Counts the queries of one request of each scenario, in-process against the seeded bench
database (Django's test client, the same settings as the gunicorn workers), after one request
to warm the process up. Prints one JSON object: scenario → queries.

    python bench/campus/queries.py SEED_JSON STUDENT_ID_TO_CHECK_IN...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.campus.load import fill  # noqa: E402
from bench.campus.scenarios import build, load_seed  # noqa: E402


def one(client: Client, load, value: str | None):
    headers = dict(load.headers)
    body = load.body
    if value is not None:
        headers = {k: fill(v, value) for k, v in headers.items()}
        body = fill(body, value)
    extra = {}
    for name, text in headers.items():
        if name == "Cookie":
            client.cookies.clear()
            for part in text.split("; "):
                k, v = part.split("=", 1)
                client.cookies[k] = v
        elif name == "Content-Type":
            continue
        else:
            extra["HTTP_" + name.upper().replace("-", "_")] = text
    content_type = headers.get("Content-Type", "application/octet-stream")
    if load.method == "GET":
        response = client.get(load.path, **extra)
    else:
        response = client.generic(load.method, load.path, body, content_type, **extra)
    if response.status_code >= 400 or (load.method == "GET" and response.status_code != 200):
        raise SystemExit(f"{load.method} {load.path}: {response.status_code}")
    return response


def main():
    seed = load_seed(sys.argv[1])
    ids = sys.argv[2:]
    scenarios = build(seed, checkin_ids=ids)
    counts = {}
    for key, scenario in scenarios.items():
        client = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
        values = scenario.load.values
        first = values[0] if values else None
        second = values[1] if len(values) > 1 else first
        one(client, scenario.load, first)  # warm-up: caches, URL resolver, templates
        with CaptureQueriesContext(connection) as queries:
            one(client, scenario.load, second)
        counts[key] = len(queries)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()

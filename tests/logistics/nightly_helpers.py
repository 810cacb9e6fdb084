"""A test job for the nightly engine: its items are AuditEvent rows marked "todo"; handling one
marks it "done" and writes one "handled" marker, so a test can count how often each item was
handled (exactly once, or the engine broke its promise)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from django.db.models import Count

from logistics.models import AuditEvent
from logistics.nightly import NIGHTLY_JOBS, JobContext, nightly_job

TODO, DONE, HANDLED = "test.todo", "test.done", "test.handled"
SLOW_JOB = "test.slow_items"  # declared in the worker process only (worker_jobs.py)


def make_items(count: int) -> list[int]:
    AuditEvent.objects.bulk_create(
        [AuditEvent(action=TODO, target_repr=f"item {n}") for n in range(count)]
    )
    return list(AuditEvent.objects.filter(action=TODO).order_by("pk").values_list("pk", flat=True))


def handle(keys, *, fail=(), pause: float = 0.0) -> int:
    """The batch handler: lock the items, handle those still to do."""
    if pause:
        time.sleep(pause)
    todo = list(
        AuditEvent.objects.select_for_update()
        .filter(pk__in=keys, action=TODO)
        .values_list("pk", flat=True)
    )
    for key in todo:
        if key in fail:
            raise ValueError(f"item {key} is broken")
    AuditEvent.objects.filter(pk__in=todo).update(action=DONE)
    AuditEvent.objects.bulk_create([AuditEvent(action=HANDLED, target_id=str(key)) for key in todo])
    return len(todo)


def register(name: str, *, size: int = 10, fail=(), pause: float = 0.0, minutes: int = 30):
    """Declare the test job `name` (remove it with unregister)."""

    def work(run: JobContext) -> None:
        run.each_batch(
            AuditEvent.objects.filter(action=TODO),
            lambda keys: handle(keys, fail=fail, pause=pause),
            size=size,
        )

    NIGHTLY_JOBS.pop(name, None)
    return nightly_job(name, time_limit=timedelta(minutes=minutes))(work)


def unregister(name: str) -> None:
    NIGHTLY_JOBS.pop(name, None)


def handled_counts() -> Counter:
    rows = (
        AuditEvent.objects.filter(action=HANDLED)
        .values("target_id")
        .annotate(n=Count("pk"))
        .values_list("target_id", "n")
    )
    return Counter({int(key): n for key, n in rows})

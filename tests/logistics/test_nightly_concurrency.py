"""The nightly engine under concurrency, on PostgreSQL: runs started together, and a run whose
database session dies halfway (as when its worker is killed). Threads each have their own
database connection, as separate worker processes would."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from logistics import nightly
from logistics.models import JobRun
from logistics.nightly import Outcome, run_job
from tests.conftest import requires_postgres
from tests.logistics import nightly_helpers as helpers
from tests.processes import wait_until
from tests.threads import race

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
JOB = "test.concurrent"


@pytest.fixture
def day():
    return timezone.localdate() - timedelta(days=1)


def test_runs_started_together_do_every_item_once_and_record_one_success(day):
    # Given 200 items and a job slow enough that the starters overlap
    items = helpers.make_items(200)
    helpers.register(JOB, size=20, pause=0.05)
    try:
        # When four starters (two beats, a redelivery, an operator) run it for one date at once
        outcomes = race(4, lambda i: run_job(JOB, day, trigger=f"starter-{i}"))
    finally:
        helpers.unregister(JOB)

    # Then one did the work and the others said "already running" (or, coming after, "done")
    states = sorted(o.state for o in outcomes)
    assert states.count("succeeded") == 1
    assert set(states) <= {"succeeded", Outcome.ALREADY_RUNNING, Outcome.ALREADY_DONE}
    assert all(o.done for o in outcomes)
    # every item was handled exactly once, and the only run recorded is the success
    assert helpers.handled_counts() == dict.fromkeys(items, 1)
    assert list(JobRun.objects.filter(job=JOB).values_list("status", "items")) == [
        ("succeeded", 200)
    ]


def test_a_run_whose_database_session_dies_halfway_stops_and_the_retry_finishes_it(day):
    # Given a run in another thread (a worker) that has committed some batches
    items = helpers.make_items(100)
    helpers.register(JOB, size=10, pause=0.5)
    backend = {}

    def worker():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend["pid"] = cursor.fetchone()[0]
            return run_job(JOB, day, trigger="worker")
        finally:
            connection.close()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(worker)
            first = wait_until(
                lambda: JobRun.objects.filter(job=JOB, status="running", items__gte=30).first(),
                timeout=30,
                what="the run to get halfway",
            )
            # While it holds the lock, nobody else may start, and the watchdog leaves it alone
            assert nightly.is_locked(JOB, day)
            assert run_job(JOB, day, trigger="second").state == Outcome.ALREADY_RUNNING
            assert nightly.watchdog(enqueue=lambda *k: True).abandoned == []

            # When its database session is killed (the database restarted, say)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend["pid"]])
            stopped = running.result(timeout=30)

        # Then it stops at once instead of going on, unprotected, on a new connection
        assert stopped.state == JobRun.Status.FAILED
        assert "LockLost" in stopped.detail
        first.refresh_from_db()
        assert first.status == JobRun.Status.FAILED and 30 <= first.items < 100
        # and the retry does only what is left
        retry = run_job(JOB, day, trigger="retry")
    finally:
        helpers.unregister(JOB)

    assert (retry.state, retry.run.attempt) == ("succeeded", 2)
    assert first.items + retry.run.items == 100
    assert helpers.handled_counts() == dict.fromkeys(items, 1)


def test_a_run_left_running_by_a_dead_process_is_abandoned_at_once_not_after_its_limit(day):
    """On PostgreSQL nobody waits for a heartbeat to go stale: the dead run's lock is free."""
    helpers.register(JOB)
    try:
        dead = JobRun.objects.create(
            job=JOB,
            for_date=day,
            status="running",
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),  # a sign of life a second ago
            worker="killed:9",
        )
        report = nightly.watchdog(enqueue=lambda *k: True)
    finally:
        helpers.unregister(JOB)
    assert report.abandoned == [dead]
    dead.refresh_from_db()
    assert dead.status == JobRun.Status.ABANDONED


def test_two_watchdogs_at_once_send_a_retry_once(day, settings):
    settings.NIGHTLY_RETRY_DELAY_SECONDS = 0
    helpers.register(JOB)
    try:
        JobRun.objects.create(
            job=JOB,
            for_date=day,
            status="failed",
            started_at=timezone.now() - timedelta(minutes=1),
            finished_at=timezone.now() - timedelta(minutes=1),
        )
        sent = []
        lock = threading.Lock()

        def enqueue(name, d):
            with lock:
                sent.append((name, d))
            return True

        race(2, lambda i: nightly.watchdog(enqueue=enqueue))
    finally:
        helpers.unregister(JOB)
    # The second watchdog found the first's lock taken, or came after it and found the retry
    # sent and still waiting in the queue.
    assert sent == [(JOB, day)]

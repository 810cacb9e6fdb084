"""The nightly engine with real processes: a Celery worker whose pool process is killed with
SIGKILL halfway through a job, on a Redis of the test's own."""

from __future__ import annotations

import os
import signal
from datetime import date

import pytest
from celery import Celery

from logistics.models import JobRun
from tests.conftest import requires_postgres
from tests.logistics import nightly_helpers as helpers
from tests.logistics.nightly_helpers import SLOW_JOB
from tests.processes import RedisServer, needs_processes, start_worker, wait_until

pytestmark = [requires_postgres, *needs_processes, pytest.mark.django_db(transaction=True)]
DAY = date(2026, 9, 1)


@pytest.fixture
def redis(tmp_path, transactional_db):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client_app(redis):
    """What beat or the portal would be: a sender of tasks to the test's broker."""
    app = Celery("test-sender", broker=redis.url, backend=redis.url)
    yield app
    app.close()


@pytest.fixture
def worker(redis, tmp_path, transactional_db):
    child = start_worker(redis, tmp_path / "worker.log", include="tests.logistics.worker_jobs")
    yield child
    child.stop()
    print(child.output()[-6000:])  # shown when the test fails


def test_a_job_whose_pool_process_is_killed_is_redelivered_and_finishes_each_item_once(
    worker, client_app
):
    # Given 60 items for a job that does 5 a batch, slowly
    items = helpers.make_items(60)

    # When the job's task is sent and its worker process is killed halfway
    client_app.send_task(
        "logistics.tasks.run_nightly_job", args=[SLOW_JOB, DAY.isoformat(), "test"]
    )
    first = wait_until(
        lambda: JobRun.objects.filter(job=SLOW_JOB, status="running", items__gte=15).first(),
        timeout=60,
        what="the job to get halfway",
    )
    pid = int(first.worker.rsplit(":", 1)[1])
    assert pid != worker.process.pid  # the pool's child, not the worker itself
    os.kill(pid, signal.SIGKILL)

    # Then the task comes back (late acknowledgement, rejected on worker loss) and the next
    # attempt does the rest: every item exactly once, one success for the date
    done = wait_until(
        lambda: JobRun.objects.filter(job=SLOW_JOB, status="succeeded").first(),
        timeout=90,
        what="the redelivered job to finish",
    )
    first.refresh_from_db()
    assert first.status == JobRun.Status.ABANDONED
    assert done.attempt == 2
    assert 0 < done.items < 60  # it did only what the killed run had not
    assert first.items + done.items >= 60
    assert helpers.handled_counts() == dict.fromkeys(items, 1)
    assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()


def test_the_nightly_run_fans_out_one_task_per_job_through_a_real_broker(worker, client_app):
    helpers.make_items(7)
    sent = client_app.send_task("logistics.tasks.nightly", kwargs={"for_date": "2026-09-01"})
    plan = sent.get(timeout=60)
    assert plan[SLOW_JOB] == ["2026-09-01"]
    wait_until(
        lambda: JobRun.objects.filter(for_date=DAY, status="succeeded").count() >= len(plan),
        timeout=60,
        what="every job's task to finish",
    )
    runs = {r.job: (r.status, r.items) for r in JobRun.objects.filter(for_date=DAY)}
    assert runs[SLOW_JOB] == ("succeeded", 7)
    assert set(runs) == set(plan)

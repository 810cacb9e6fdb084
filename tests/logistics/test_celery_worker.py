"""A real Celery worker takes a task from a real Redis and finishes it."""

import os
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from logistics import tasks
from logistics.celery import app
from logistics.models import JobRun

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs a Redis server: set REDIS_URL=redis://127.0.0.1:6379/0 (CI does)",
    ),
]


@pytest.mark.django_db(transaction=True)  # the worker thread reads what the test committed
def test_a_real_worker_runs_the_nightly_jobs_through_redis():
    app.conf.task_always_eager = False
    queue = f"test-{uuid.uuid4().hex[:8]}"  # not to steal work from anyone else's worker
    assert app.conf.broker_url.startswith("redis://")

    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
        result = tasks.run_nightly_jobs.apply_async(args=["2026-09-01", "worker"], queue=queue)
        outcome = result.get(timeout=30)

    assert outcome["kernel.clear_expired_sessions"] == "succeeded"
    assert set(outcome.values()) == {"succeeded"}
    run = JobRun.objects.get(job="kernel.clear_expired_sessions")
    assert (str(run.for_date), run.trigger, run.status) == ("2026-09-01", "worker", "succeeded")

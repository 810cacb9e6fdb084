"""Imported only by the Celery worker that test_nightly_worker.py starts (`--include`), never by
the test process (its jobs would run in every other test's `run_nightly_jobs`): a nightly job
slow enough to be killed halfway (5 items a batch, 0.3 s a batch)."""

from tests.logistics.nightly_helpers import SLOW_JOB, register

register(SLOW_JOB, size=5, pause=0.3)

"""Imported by the Celery worker that test_nightly_worker.py starts (`--include`): a nightly job
slow enough to be killed halfway (5 items a batch, 0.3 s a batch)."""

from tests.logistics.nightly_helpers import register

SLOW_JOB = "test.slow_items"

register(SLOW_JOB, size=5, pause=0.3)

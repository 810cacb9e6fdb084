"""Fixtures shared by every test. Tests run against whatever DATABASE_URL names (PostgreSQL in
CI, SQLite by default) and, where REDIS_URL is set, a real Redis."""

import uuid

import pytest
from django.conf import settings as django_settings

from logistics.celery import app as celery_app
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own cache key space (throttle counters must not leak between tests),
    on the real cache backend: Redis when REDIS_URL is set."""
    caches = {alias: dict(conf) for alias, conf in django_settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files go to a directory of the test's own, never to the developer's media/
    (and a test can see exactly what an upload wrote)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tasks run at once in the test's process, except in tests that start a real worker
    (those switch this off themselves)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def password():
    return PASSWORD


def is_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


requires_postgres = pytest.mark.skipif(
    not is_postgres(), reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)"
)

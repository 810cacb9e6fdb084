"""Fixtures shared by every test. Tests run against whatever DATABASE_URL names (PostgreSQL in
CI, SQLite by default) and, where REDIS_URL is set, a real Redis."""

import uuid

import pytest
from django.conf import settings as django_settings
from django.db.models.signals import post_migrate

from apartments.tallies import tally_recount
from logistics.celery import app as celery_app
from logistics.reference import service_areas_ensure
from maintenance.reference import categories_ensure, preventive_category_ensure
from quality.survey_reference import survey_templates_ensure
from tests.factories import PASSWORD


# --- Reference data survives every flush -------------------------------------------------------
#
# Data migrations create reference data every installation has. A transactional test (a browser
# test, a concurrency test: django_db(transaction=True), transactional_db, live_server) ends by
# flushing the database, which empties those tables too, and the test database is reused by the
# tests after it and by later runs (--reuse-db). So after every flush, and once when a session
# opens a database, the data is restored with the same idempotent functions the code uses
# (docs/decisions.md, "Tests pass in any order"). Every data migration has its entry here:
# tests/logistics/test_reference_data.py fails on one that has none.
def _nothing_to_keep() -> None:
    """For a data migration that fixes rows rather than creating reference data."""


REFERENCE_DATA = {
    ("logistics", "0002_service_areas"): service_areas_ensure,
    # Marks the earlier engine's stale "running" runs abandoned: nothing to restore.
    ("logistics", "0007_jobrun_abandon_stale"): _nothing_to_keep,
    ("maintenance", "0002_default_categories"): categories_ensure,
    ("maintenance", "0005_preventive_category"): preventive_category_ensure,
    # The move-in tallies' triggers and first count: after a flush, a recount (of nothing, on
    # PostgreSQL, whose flush truncates them; SQLite's flush fires the triggers).
    ("apartments", "0008_move_in_tally_triggers"): tally_recount,
    ("apartments", "0010_arrival_tallies"): tally_recount,
    # Fills the pinyin initials of the residents already there: nothing to restore.
    ("apartments", "0016_resident_search"): _nothing_to_keep,
    ("quality", "0005_shipped_surveys"): survey_templates_ensure,
    # A trigger, not data: TRUNCATE keeps it.
    ("quality", "0006_published_scorecards_frozen"): _nothing_to_keep,
    # Reinstalls the tallies' triggers around a column added to rooms (SQLite): nothing to keep.
    ("apartments", "0017_room_ready"): _nothing_to_keep,
    # A column, an index and a trigger kept from the stays (PostgreSQL): TRUNCATE empties both.
    ("apartments", "0021_bed_taken"): _nothing_to_keep,
}


def restore_reference_data(app_label: str | None = None) -> None:
    """Create what is missing of the reference data (of one app, or of all)."""
    for (label, _migration), ensure in REFERENCE_DATA.items():
        if app_label is None or label == app_label:
            ensure()


def _restore_after_flush(sender, **kwargs):
    # `flush` (and `migrate`) send post_migrate once per app, after the tables are emptied.
    restore_reference_data(sender.label)


post_migrate.connect(_restore_after_flush, dispatch_uid="tests.restore_reference_data")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, with its reference data: a reused database may have
    been flushed by a run from before this mechanism, or stopped halfway."""
    with django_db_blocker.unblock():
        restore_reference_data()


def pytest_terminal_summary(terminalreporter, config):
    """The order's seed again at the end (the header scrolls away, and -q hides it)."""
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(
            f"Test order shuffled by pytest-randomly: repeat it with --randomly-seed={seed} "
            "(-p no:randomly runs the files in order)."
        )


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own cache key space (throttle counters must not leak between tests),
    on the real cache backend: Redis when REDIS_URL is set."""
    caches = {alias: dict(conf) for alias, conf in django_settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _dashboard_computed_each_time(settings):
    """The move-in dashboard's live part is shared for two seconds in production; tests that
    check in and look again at once see the new numbers (tests/apartments/test_dashboard.py
    tests the sharing itself)."""
    settings.MOVE_IN_DASHBOARD_CACHE_SECONDS = 0


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


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` (declared in pyproject.toml) skips a test on SQLite with the
    same reason as `requires_postgres`."""
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture
def pdf_maker():
    """For tests of PDF downloads: WeasyPrint and the system's Pango must load
    (docs/printing.md). Where they do not, the test is skipped, saying so, unless
    E2E_REQUIRED=1 (CI sets it; .ci/run installs them): then it fails, like a missing browser."""
    import os

    from logistics.pdf import unavailable_reason

    error = unavailable_reason()
    if error is not None:
        reason = (
            f"WeasyPrint cannot load ({error}): apt-get install libpango-1.0-0 libpangoft2-1.0-0"
        )
        if os.environ.get("E2E_REQUIRED", "").strip().lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"{reason} (E2E_REQUIRED is set, so this fails instead of skipping)")
        pytest.skip(reason)

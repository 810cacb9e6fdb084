"""Reference data from the data migrations is there for every test, whatever ran before it:
a flush (what every transactional test ends with) restores it (tests/conftest.py)."""

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython

from logistics.models import ServiceArea
from logistics.reference import SERVICE_AREAS
from maintenance.models import Category
from maintenance.reference import DEFAULT_CATEGORIES, PREVENTIVE
from tests.conftest import REFERENCE_DATA

APPS = {"logistics", "apartments", "maintenance", "dining", "quality"}


def test_every_data_migration_has_its_restore_function():
    # Given the migrations on disk that run Python (data migrations)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    data_migrations = {
        key
        for key, migration in loader.disk_migrations.items()
        if key[0] in APPS and any(isinstance(op, RunPython) for op in migration.operations)
    }
    # Then each has an entry in REFERENCE_DATA: what it creates comes back after a flush
    # (a data migration that creates nothing to keep maps to a function that does nothing)
    assert data_migrations - set(REFERENCE_DATA) == set(), (
        "add these data migrations to REFERENCE_DATA in tests/conftest.py"
    )
    assert set(REFERENCE_DATA) - data_migrations == set(), "REFERENCE_DATA names a migration gone"


@pytest.mark.django_db(transaction=True)
def test_a_flush_restores_the_reference_data():
    # Given an installation's reference data (even when a test before flushed it)
    assert set(Category.objects.values_list("code", flat=True)) >= {
        c[0] for c in DEFAULT_CATEGORIES
    }
    # When the database is flushed, as at the end of every transactional test
    call_command("flush", interactive=False, verbosity=0)
    # Then the categories and the service areas are there again
    assert sorted(Category.objects.values_list("code", flat=True)) == sorted(
        [c[0] for c in DEFAULT_CATEGORIES] + [PREVENTIVE[0]]
    )
    assert sorted(ServiceArea.objects.values_list("code", flat=True)) == sorted(
        a[0] for a in SERVICE_AREAS
    )

"""The API against its own OpenAPI description, as schemathesis sees it (property-based: it
reads /api/schema/, generates requests, valid and invalid, for every operation and checks
every answer). Run for two roles over the demo university: a student and a dorm manager, whose
scope is three buildings.

Fails on any server error and on any disagreement with the description: an undocumented
status code or content type, a body that does not match its schema, a schema-violating request
accepted, or a schema-valid request refused (except where validity depends on the data, see
DATA_DEPENDENT). Marked `schemathesis`; runs in `make test`. The fuzzing examples are bounded
(SCHEMATHESIS_MAX_EXAMPLES, default 8 per operation) and the seed fixed (SCHEMATHESIS_SEED),
so a run is repeatable: about 3,100 cases (1,300 as the student, 1,800 as the manager), 4,400
requests, 90 s of CPU (1:40 on two busy cores with `-n 2`). Raise both to explore:

    SCHEMATHESIS_MAX_EXAMPLES=200 SCHEMATHESIS_SEED=$RANDOM pytest -m schemathesis -n 0
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from logistics.models import User

pytestmark = pytest.mark.schemathesis

STUDENT, MANAGER = "2501000001", "manager"  # demo accounts (README.md)

# Operations where a request the schema calls valid may still be refused with 400, because
# what makes it valid is data, not shape: a category, campus, department or area code that must
# exist, a room the caller may report for, a date relative to today (a move-out from today to
# a year ahead) or to the records' range. Each says so in its description. Everywhere else a
# schema-valid request must never answer 400.
DATA_DEPENDENT = [
    "tickets_create",
    "complaints_create",
    "move_out_requests_create",
    "zero_reports_create",
    # what a room's record needs depends on its state and kind; rectify needs a note or a
    # photo, reopen a note (each says so)
    "safety_rounds_rooms_record",
    "hazards_rectify",
    "hazards_reopen",
    "inspections_list",
    "nonconformities_list",
    "move_in_summary_retrieve",
    # a dish is rated, or its sample taken, only for a meal whose menu lists it (dining)
    "dish_ratings_create",
    "food_samples_create",
    # a fault's category must exist; a checklist's indexes must be within the campaign's list
    "room_tasks_fault",
    "room_tasks_checklist",
]

CONFIG = {
    "seed": int(os.environ.get("SCHEMATHESIS_SEED", "20261204")),
    "generation": {
        "mode": "all",  # valid and invalid requests
        "max-examples": int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8")),
        "database": "none",
        # Text never holds NUL (Django refuses it with 400; the description says so once,
        # at the top, rather than on every field).
        "allow-x00": False,
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},  # boundaries, missing and wrong-typed values
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "operations": [
        {
            "include-operation-id": DATA_DEPENDENT,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "400", "401", "403", "404", "409"]
                }
            },
        }
    ],
}


class InProcessWSGI(WSGIHandler):
    """The portal as gunicorn runs it (every middleware), called in the test's thread, so it
    sees the test's data. Like Django's test client, it leaves the test's database connection
    open between requests."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", InProcessWSGI(), config=SchemathesisConfig.from_dict(CONFIG)
)


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """The demo university, loaded once for this module inside a transaction rolled back at
    its end (each test then runs in a savepoint of its own), and the two callers' tokens."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", verbosity=0)
        yield {
            username: Token.objects.get_or_create(user=User.objects.get(username=username))[0].key
            for username in (STUDENT, MANAGER)
        }
        transaction.set_rollback(True)


# The database is the test's (pytest-django `db`), shared by every example of an operation.
EXAMPLES = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


# A student is refused these by role before any input is read (403, declared; tested in
# tests/apartments/); generating input for them as a student would only repeat that, at a
# quarter of the student's run.
STAFF_ONLY = [
    "beds_list",
    "buildings_list",
    "rooms_list",
    "residents_list",
    "move_in_summary_retrieve",
    "check_ins_create",
]


@schema.exclude(operation_id=STAFF_ONLY).parametrize()
@EXAMPLES
def test_as_a_student(case, tokens, db):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[STUDENT]}"})


@schema.parametrize()
@EXAMPLES
def test_as_a_dorm_manager(case, tokens, db):
    case.call_and_validate(headers={"Authorization": f"Token {tokens[MANAGER]}"})

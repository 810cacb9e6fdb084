"""logistics.db.insert_together: rows of different models inserted in one round trip on
PostgreSQL, exactly as `save` would have written them."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from logistics.db import insert_together
from logistics.models import AuditEvent, Campus, RoleGrant
from logistics.services import audit_event
from tests.factories import CampusFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_rows_of_two_models_are_written_as_save_writes_them():
    # Given an audit record and a role grant, not saved
    user = UserFactory()
    campus = CampusFactory()
    event = audit_event(actor=user, action="test.together", target=campus, changes={"a": [1]})
    grant = RoleGrant(user=user, role="dispatcher", campus=campus)
    # When they are inserted together
    with CaptureQueriesContext(connection) as queries:
        insert_together(event, grant)
    # Then both are stored, with their keys set on the objects
    assert event.pk and grant.pk and not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.action, stored.target_id, stored.changes) == (
        user.pk,
        "test.together",
        str(campus.pk),
        {"a": [1]},
    )
    assert stored.at is not None and stored.target_repr == str(campus)
    assert RoleGrant.objects.get(pk=grant.pk).campus_id == campus.pk
    # in one statement on PostgreSQL, one each elsewhere
    expected = 1 if connection.vendor == "postgresql" else 2
    assert len(queries) == expected


def test_a_refused_row_writes_none_of_them():
    # Given a campus whose code is taken (unique), after a good audit record
    user, campus = UserFactory(), CampusFactory()
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together(
            audit_event(actor=user, action="test.refused"),
            Campus(code=campus.code, name="重复"),
        )
    # Then nothing of either was written
    assert AuditEvent.objects.count() == before
    assert Campus.objects.filter(code=campus.code).count() == 1


def test_nothing_to_insert_is_no_query():
    with CaptureQueriesContext(connection) as queries:
        insert_together()
    assert len(queries) == 0

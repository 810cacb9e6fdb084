"""logistics.db.insert_together: rows of different models inserted in one round trip on
PostgreSQL, exactly as `save` would have written them. logistics.db.ModelTemplate: a queryset
compiled once gives the instances the queryset gives, for other values."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from logistics.db import ModelTemplate, insert_together
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


MARK = -911_999_001


def grants_of_user(user_id):
    return (
        RoleGrant.objects.select_related("user", "campus")
        .annotate(campus_code=F("campus__code"), grants=Count("user__role_grants"))
        .filter(user_id=user_id)
        .order_by("role")
    )


def test_a_model_template_builds_what_its_queryset_gives():
    # Given two users with grants on campuses, and a template compiled once from a queryset
    # with related objects and annotations
    first, second = UserFactory(), UserFactory()
    north, south = CampusFactory(), CampusFactory()
    RoleGrant.objects.create(user=first, role="dispatcher", campus=north)
    RoleGrant.objects.create(user=first, role="auditor", campus=south)
    RoleGrant.objects.create(user=second, role="dispatcher", campus=south)
    template = ModelTemplate.compile(grants_of_user(MARK), {"user": MARK})
    for user in (first, second):
        # When it runs for each user
        with CaptureQueriesContext(connection) as queries:
            built = template.all(user=user.pk)
            # Then it gives the queryset's instances, related objects loaded, in one query
            described = [
                (g.pk, g.role, g.user.username, g.campus.code, g.campus_code, g.grants)
                for g in built
            ]
        assert len(queries) == 1
        expected = [
            (g.pk, g.role, g.user.username, g.campus.code, g.campus_code, g.grants)
            for g in grants_of_user(user.pk)
        ]
        assert described == expected and described
        # and instances the ORM can save as its own
        assert all(not g._state.adding and g._state.db == "default" for g in built)
    built[0].role = "head"
    built[0].save(update_fields=["role"])
    assert RoleGrant.objects.get(pk=built[0].pk).role == "head"
    # Nothing found: none
    assert template.first(user=MARK + 1) is None
    assert template.first(user=first.pk).user_id == first.pk


def test_a_model_template_converts_values_as_the_orm_does():
    # Given an audit record with JSON changes and a timestamp
    user = UserFactory()
    event = audit_event(actor=user, action="test.template", changes={"bed": [1, 2]})
    event.save()
    template = ModelTemplate.compile(
        AuditEvent.objects.filter(pk=MARK).select_related("actor"), {"pk": MARK}
    )
    # When it is read through the template
    built = template.first(pk=event.pk)
    # Then the JSON is a dict and the timestamp a datetime, as the queryset gives them
    stored = AuditEvent.objects.get(pk=event.pk)
    assert built.changes == {"bed": [1, 2]} == stored.changes
    assert built.at == stored.at and built.actor.username == user.username


def test_a_shared_template_is_built_and_compiled_once_per_name():
    # Given a queryset builder that counts its calls
    built = []

    def build():
        built.append(1)
        return grants_of_user(MARK)

    user = UserFactory()
    RoleGrant.objects.create(user=user, role="dispatcher", campus=CampusFactory())
    # When the same name is asked for three times, and another name once
    first = ModelTemplate.shared("tests.grants", build, {"user": MARK}, using="default")
    again = [ModelTemplate.shared("tests.grants", build, {"user": MARK}, using="default")]
    again.append(ModelTemplate.shared("tests.grants", build, {"user": MARK}, using="default"))
    other = ModelTemplate.shared("tests.grants.other", build, {"user": MARK}, using="default")
    # Then the queryset was built once per name, and each gives the queryset's answer
    assert len(built) == 2 and all(t is first for t in again) and other is not first
    assert [g.user_id for g in first.all(user=user.pk)] == [user.pk]

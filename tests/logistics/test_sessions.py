"""logistics.sessions: Django's database sessions, the read compiled once. What it reads is
what Django's store reads: a live session's data, nothing for an expired or unknown key."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logistics.sessions import SessionStore

pytestmark = pytest.mark.django_db


def saved(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    return store.session_key


def test_the_portal_uses_it():
    assert settings.SESSION_ENGINE == "logistics.sessions"


def test_a_live_session_is_read_in_one_query_each_time():
    first, second = saved(colour="red"), saved(colour="blue")
    for key, colour in ((first, "red"), (second, "blue"), (first, "red")):
        with CaptureQueriesContext(connection) as queries:
            assert SessionStore(key)["colour"] == colour
        assert len(queries) == 1


def test_an_expired_or_unknown_session_reads_as_empty_and_drops_its_key():
    key = saved(colour="red")
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
    # and a new session started from an expired key gets a key of its own
    expired["colour"] = "green"
    expired.save()
    assert expired.session_key not in (None, key)

"""Notifications: the kernel that sends them (in-app, and e-mail where there is an address),
the page that lists them, and the bell in the top bar that counts the unread ones for free."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from logistics import notifications as kernel
from logistics.models import Notification
from logistics.notifications import (
    email_content,
    mark_read,
    notification_kind,
    notification_text,
    notify,
    unread_count,
)
from logistics.tasks import send_notification_emails
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A message whose translation is already in the catalogue, so the tests see real Chinese.
PAGE = notification_kind("tests.page", gettext_lazy("Page %(number)s of %(pages)s"))


@pytest.fixture(autouse=True)
def _kinds(monkeypatch):
    """The test kind is registered for each test and forgotten afterwards."""
    monkeypatch.setitem(kernel.KINDS, PAGE.key, PAGE)


def _notification(recipient, *, kind=PAGE, url="", read=False, **params):
    created = notify([recipient], kind, url=url, **(params or {"number": 1, "pages": 2}))
    if read:
        Notification.objects.filter(pk=created[0].pk).update(read_at=timezone.now())
    return created[0]


def _html(response):
    return response.content.decode()


# --- The kernel ------------------------------------------------------------------------------


def test_notify_skips_nobody_repeats_and_inactive_users():
    # Given an active user, the same user again, nobody, and a user whose account is closed
    active = UserFactory()
    closed = UserFactory(is_active=False)

    # When one step tells all of them
    created = notify([active, None, active, closed], PAGE, number=1, pages=2)

    # Then the active user is told once, and nobody else
    assert len(created) == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [active.pk]
    assert notify([None, closed], PAGE, number=1, pages=2) == []


def test_text_is_rendered_in_the_readers_language_with_its_params():
    note = _notification(UserFactory(), number=3, pages=7)
    with translation.override("zh-hans"):
        assert notification_text(note) == "第 3 页，共 7 页"
    with translation.override("en"):
        assert notification_text(note) == "Page 3 of 7"


def test_an_unknown_kind_renders_its_key():
    # A kind from an app that was removed, or a typo: shown as is rather than crashing.
    note = Notification.objects.create(recipient=UserFactory(), kind="gone.away", params={"a": 1})
    assert notification_text(note) == "gone.away"


@pytest.mark.parametrize("params", [{}, {"number": 1}, ["x"], "text", 5])
def test_bad_params_do_not_crash(params):
    # Params are JSON from the database: a missing key or a wrong shape shows the bare text.
    note = Notification.objects.create(recipient=UserFactory(), kind=PAGE.key, params=params)
    with translation.override("en"):
        assert notification_text(note) == "Page %(number)s of %(pages)s"


def test_unread_count_is_cached_and_invalidated_by_notify_and_mark_read(
    django_assert_num_queries,
):
    user = UserFactory()
    _notification(user)
    with django_assert_num_queries(1):  # the count, once
        assert unread_count(user) == 1
    with django_assert_num_queries(0):  # from the cache afterwards
        assert unread_count(user) == 1

    _notification(user)  # notify forgets the cached count
    assert unread_count(user) == 2
    assert mark_read(user) == 2  # and so does mark_read
    with django_assert_num_queries(1):
        assert unread_count(user) == 0


def test_mark_read_touches_only_the_users_own_and_only_the_given_ones():
    user, other = UserFactory(), UserFactory()
    first, second = _notification(user), _notification(user)
    theirs = _notification(other)

    assert mark_read(user, [first.pk, theirs.pk]) == 1

    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True))
    assert unread == {second.pk, theirs.pk}


def test_email_goes_once_to_everyone_with_an_address_in_chinese_and_english(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    # Given two users with an address and one without
    settings.PORTAL_BASE_URL = "https://portal.example.edu.cn"
    alice = UserFactory(email="alice@example.edu.cn")
    bob = UserFactory(email="bob@example.edu.cn")
    nobody = UserFactory(email="")

    # When a step tells all three, and its transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = notify([alice, bob, nobody], PAGE, url="/repairs/5/", number=3, pages=7)

    # Then one task sent exactly one mail to each address, none to the user without one
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mailoutbox) == [alice.email, bob.email]
    assert all(len(m.to) == 1 for m in mailoutbox)
    mail = mailoutbox[0]
    assert "第 3 页，共 7 页" in mail.subject
    assert "高校后勤服务门户" in mail.subject
    assert "第 3 页，共 7 页" in mail.body and "Page 3 of 7" in mail.body
    assert "https://portal.example.edu.cn/repairs/5/" in mail.body
    emailed = dict(Notification.objects.values_list("recipient_id", "emailed_at"))
    assert emailed[alice.pk] and emailed[bob.pk]
    assert emailed[nobody.pk] is None

    # When the task runs again for the same notifications, nothing more is sent
    assert send_notification_emails([n.pk for n in created]) == 0
    assert len(mailoutbox) == 2


def test_nobody_without_an_address_gets_mail(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify([UserFactory(email=""), UserFactory(email="")], PAGE, number=1, pages=1)
    assert callbacks == []  # no task is even enqueued
    assert mailoutbox == []
    assert Notification.objects.count() == 2


def test_a_rollback_after_notify_sends_nothing_and_leaves_no_rows(
    django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory(email="carol@example.edu.cn")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify([user], PAGE, number=1, pages=1)
        raise RuntimeError("the service failed after telling people")
    assert callbacks == []
    assert mailoutbox == []
    assert not Notification.objects.exists()
    assert unread_count(user) == 0


def test_email_content_without_a_base_url_has_no_link(settings):
    settings.PORTAL_BASE_URL = ""
    note = _notification(UserFactory(email="x@example.edu.cn"), url="/repairs/5/")
    subject, body = email_content(note)
    assert "/repairs/5/" not in body
    assert len(subject) <= 150


# --- The page --------------------------------------------------------------------------------


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def test_anonymous_visitor_is_sent_to_login(client):
    for name, method in [
        ("notifications", client.get),
        ("notifications_read", client.post),
    ]:
        response = method(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post(reverse("notification_open", args=[1]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_empty_state(client, english):
    client.force_login(UserFactory())
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    assert 'data-testid="notifications-empty"' in _html(response)
    assert 'data-testid="notifications-read-all"' not in _html(response)


def test_page_lists_only_my_notifications_newest_first_unread_marked(client, english):
    # Given a user with an old read notification and a newer unread one, and someone else's
    user = UserFactory()
    old = _notification(user, number=1, pages=9, read=True)
    new = _notification(user, number=2, pages=9)
    _notification(UserFactory(), number=8, pages=8)
    client.force_login(user)

    # When they open the page
    response = client.get(reverse("notifications"))

    # Then they see theirs, newest first, in their language, the unread one marked
    page = _html(response)
    assert [n.pk for n in response.context["page"]] == [new.pk, old.pk]
    assert page.index("Page 2 of 9") < page.index("Page 1 of 9")
    assert "Page 8 of 8" not in page
    assert page.count('data-unread="true"') == 1
    assert "fw-bold" in page
    assert 'data-testid="notifications-read-all"' in page
    assert "1 unread" in page


def test_page_is_in_chinese_by_default(client):
    user = UserFactory()
    _notification(user, number=2, pages=9)
    client.force_login(user)
    assert "第 2 页，共 9 页" in _html(client.get(reverse("notifications")))


def test_text_of_a_notification_is_escaped(client, english):
    user = UserFactory()
    _notification(user, number="<script>alert(1)</script>", pages=1)
    client.force_login(user)
    page = _html(client.get(reverse("notifications")))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_page_is_paginated_by_thirty(client, english):
    user = UserFactory()
    for n in range(35):
        _notification(user, number=n, pages=35)
    client.force_login(user)

    first = client.get(reverse("notifications"))
    second = client.get(reverse("notifications"), {"page": 2})
    junk = client.get(reverse("notifications"), {"page": "x"})

    assert len(first.context["page"].object_list) == 30
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in _html(second)
    assert junk.status_code == 200  # a bad page number shows the first page


def _page_queries(client, django_assert_num_queries):
    client.get(reverse("notifications"))  # warms the unread count in the cache
    # session, user with role grants (the menu), count of the user's notifications (paginator),
    # one page of them; the bell and the header read the unread count from the cache.
    with django_assert_num_queries(4):
        response = client.get(reverse("notifications"))
    assert response.status_code == 200


def test_page_query_count_is_pinned_and_does_not_grow_with_rows(client, django_assert_num_queries):
    user = UserFactory()
    client.force_login(user)
    for n in range(3):
        _notification(user, number=n, pages=3, url=f"/repairs/{n}/")
    _page_queries(client, django_assert_num_queries)
    for n in range(27):
        _notification(user, number=n, pages=30, read=n % 2 == 0)
    _page_queries(client, django_assert_num_queries)


def test_mark_all_read_is_a_post_of_my_own(client, english):
    user, other = UserFactory(), UserFactory()
    for _ in range(3):
        _notification(user)
    _notification(other)
    client.force_login(user)
    assert client.get(reverse("notifications_read")).status_code == 405

    response = client.post(reverse("notifications_read"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("notifications")
    assert "All notifications are marked read." in _html(response)
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1
    assert 'data-testid="notifications-count"' not in _html(response)


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client):
    user = UserFactory()
    note = _notification(user, url="/repairs/12/")
    other = _notification(user)
    client.force_login(user)
    assert unread_count(user) == 2

    assert client.get(reverse("notification_open", args=[note.pk])).status_code == 405
    response = client.post(reverse("notification_open", args=[note.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/repairs/12/"
    note.refresh_from_db()
    other.refresh_from_db()
    assert note.read_at is not None and other.read_at is None
    assert unread_count(user) == 1
    # Opening it again keeps the first reading time.
    read_at = note.read_at
    client.post(reverse("notification_open", args=[note.pk]))
    note.refresh_from_db()
    assert note.read_at == read_at


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "javascript:alert(1)",
        "repairs/12/",
        "http:/evil.example",
    ],
)
def test_opening_one_whose_link_is_not_a_local_path_goes_to_the_list(client, url):
    user = UserFactory()
    note = _notification(user, url=url)
    client.force_login(user)
    response = client.post(reverse("notification_open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_is_404_and_stays_unread(client):
    theirs = _notification(UserFactory(), url="/repairs/1/")
    client.force_login(UserFactory())
    assert client.post(reverse("notification_open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notification_open", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_state_changes_need_the_csrf_token():
    user = UserFactory()
    note = _notification(user, url="/repairs/1/")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("notification_open", args=[note.pk])).status_code == 403
    assert client.post(reverse("notifications_read")).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


# --- The bell --------------------------------------------------------------------------------


def test_bell_shows_the_unread_count_to_signed_in_users_only(client):
    assert "notifications-bell" not in _html(client.get(reverse("login")))

    user = UserFactory()
    client.force_login(user)
    page = _html(client.get(reverse("account")))
    assert 'data-testid="notifications-bell"' in page
    assert 'data-testid="notifications-count"' not in page  # nothing unread: no badge

    # notify() forgets the cached count, so the next page shows the new one
    for _ in range(3):
        _notification(user)
    page = _html(client.get(reverse("account")))
    assert 'data-testid="notifications-count">3<' in page


def test_bell_caps_a_large_count(client):
    user = UserFactory()
    Notification.objects.bulk_create(
        [Notification(recipient=user, kind=PAGE.key, params={}) for _ in range(120)]
    )
    client.force_login(user)
    assert 'data-testid="notifications-count">99+<' in _html(client.get(reverse("account")))


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries], _html(response)


def test_bell_costs_no_query_once_the_count_is_cached(client):
    # Given a signed-in user with an unread notification
    user = UserFactory()
    _notification(user)
    client.force_login(user)

    def counts(sqls):
        return [s for s in sqls if "logistics_notification" in s]

    # When they open the service hall twice
    first, _page = _queries(client, reverse("home"))
    second, page = _queries(client, reverse("home"))

    # Then the first page counted the unread notifications once (into the cache), the second
    # not at all: it costs what the hall cost before the bell (session, user with role grants)
    assert len(counts(first)) == 1
    assert counts(second) == []
    assert len(second) == 2
    assert len(first) == len(second) + 1
    assert 'data-testid="notifications-count">1<' in page


def test_notify_inserts_rows_given_together_in_the_same_statement():
    # Given an audit record to keep beside a message (as a check-in does)
    from logistics.models import AuditEvent
    from logistics.services import audit_event

    alice, inactive = UserFactory(), UserFactory(is_active=False)
    record = audit_event(actor=alice, action="tests.together")
    # When alice is told, with the record together
    with CaptureQueriesContext(connection) as queries:
        created = notify([alice], PAGE, together=[record], number=1, pages=2)
    # Then both are stored, in one insert on PostgreSQL
    inserts = [q for q in queries if "INSERT" in q["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2)
    assert Notification.objects.get(pk=created[0].pk).recipient_id == alice.pk
    assert AuditEvent.objects.get(pk=record.pk).action == "tests.together"
    # and a record given with nobody to tell is still kept
    second = audit_event(actor=alice, action="tests.nobody")
    assert notify([inactive], PAGE, together=[second], number=1, pages=2) == []
    assert AuditEvent.objects.filter(pk=second.pk, action="tests.nobody").exists()

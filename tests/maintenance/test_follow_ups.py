"""Follow-ups of low ratings (事后跟踪): a low rating flags the request, a supervisor of its
campus calls the reporter and records what they found."""

import pytest
from django.urls import reverse
from django.utils import timezone

from logistics.models import Role
from maintenance import services
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST = reverse("maintenance:follow_ups")


@pytest.fixture(autouse=True)
def _in_english(client):
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(campus, other_campus, student, plumber, dispatcher, other_dispatcher, admin):
    maintenance = f.DepartmentFactory(code="repair_center", areas=["maintenance_utilities"])
    apartments = f.DepartmentFactory(code="apartment_center", areas=["apartments"])
    return {
        "student": student,
        "technician": plumber,
        "other_dispatcher": other_dispatcher,
        "dispatcher": dispatcher,
        "maintenance_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=maintenance, username="head_m"
        ),
        "apartments_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=apartments, username="head_a"
        ),
        "admin": admin,
    }


def low_rated(room, reporter, technician, *, rating=1, comment="修了三次还漏"):
    """A repair done and rated low through the services: flagged for follow-up."""
    ticket = f.ticket(
        room=room,
        reporter=reporter,
        status="done",
        technician=technician,
        finished_at=timezone.now(),
        contact_phone="13800000000",
    )
    return services.ticket_confirm(actor=reporter, ticket=ticket, rating=rating, comment=comment)


def url(ticket):
    return reverse("maintenance:follow_up", args=[ticket.pk])


# --- Who -----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, room, student, plumber):
    ticket = low_rated(room, student, plumber)
    assert "login" in client.get(LIST)["Location"]
    assert "login" in client.post(url(ticket), {"note": "x"})["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "apartments_head"])
def test_people_who_do_not_dispatch_get_404(client, people, room, student, plumber, who):
    ticket = low_rated(room, student, plumber)
    client.force_login(people[who])
    assert client.get(LIST).status_code == 404
    assert client.get(url(ticket)).status_code == 404
    assert client.post(url(ticket), {"note": "called"}).status_code == 404


def test_a_dispatcher_of_another_campus_neither_sees_nor_records_it(
    client, people, room, student, plumber
):
    ticket = low_rated(room, student, plumber)
    client.force_login(people["other_dispatcher"])
    assert 'data-testid="follow-up-row"' not in client.get(LIST).content.decode()
    assert client.get(url(ticket)).status_code == 404
    assert client.post(url(ticket), {"note": "called"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.follow_up_needed


@pytest.mark.parametrize("who", ["dispatcher", "maintenance_head", "admin"])
def test_supervisors_of_the_campus_see_and_record_follow_ups(
    client, people, room, student, plumber, who
):
    ticket = low_rated(room, student, plumber)
    client.force_login(people[who])
    assert f'data-ticket="{ticket.pk}"' in client.get(LIST).content.decode()
    assert client.get(url(ticket)).status_code == 200
    assert client.post(url(ticket), {"note": "已回访"}).status_code == 302


# --- The list and the record ---------------------------------------------------------------------


def test_a_low_rating_is_listed_with_comment_technician_and_contact(
    client, dispatcher, room, student, plumber
):
    # Given a repair rated 1 and one rated 5
    ticket = low_rated(room, student, plumber)
    happy = low_rated(room, student, plumber, rating=5, comment="很好")
    client.force_login(dispatcher)
    html = client.get(LIST).content.decode()
    # Then only the low one waits, with what the supervisor needs to call
    assert f'data-ticket="{ticket.pk}"' in html and f'data-ticket="{happy.pk}"' not in html
    assert "修了三次还漏" in html and "王师傅" in html and "13800000000" in html
    assert "1/5" in html


def test_recording_the_follow_up_clears_the_flag_and_keeps_the_note(
    client, dispatcher, room, student, plumber
):
    ticket = low_rated(room, student, plumber)
    client.force_login(dispatcher)
    # When the supervisor records what the call found
    response = client.post(url(ticket), {"note": "已回访：垫片质量问题，已更换"})
    # Then the flag is cleared, the note is kept, and the list moves it to "followed up"
    assert response["Location"] == LIST
    ticket.refresh_from_db()
    assert not ticket.follow_up_needed
    assert ticket.follow_up_note == "已回访：垫片质量问题，已更换"
    assert ticket.followed_up_by == dispatcher
    assert ticket.events.filter(kind="followed_up").exists()
    assert f'data-ticket="{ticket.pk}"' not in client.get(LIST).content.decode()
    done = client.get(LIST, {"done": "1"}).content.decode()
    assert "已回访：垫片质量问题，已更换" in done
    # and its page shows the record instead of the form
    assert 'data-testid="followed-up"' in client.get(url(ticket)).content.decode()


@pytest.mark.parametrize("note", ["", "   ", "x" * 501])
def test_a_missing_or_too_long_note_is_refused_and_kept(
    client, dispatcher, room, student, plumber, note
):
    ticket = low_rated(room, student, plumber)
    client.force_login(dispatcher)
    response = client.post(url(ticket), {"note": note})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.follow_up_needed
    if note.strip():
        assert note in response.content.decode()


def test_html_in_the_note_is_escaped(client, dispatcher, room, student, plumber):
    ticket = low_rated(room, student, plumber, comment="<b>差</b>")
    client.force_login(dispatcher)
    client.post(url(ticket), {"note": "<script>alert(1)</script>"})
    html = client.get(LIST, {"done": "1"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;差&lt;/b&gt;" in html


def test_a_request_without_a_low_rating_has_no_follow_up_page(client, dispatcher, room, student):
    plain = f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    assert client.get(url(plain)).status_code == 404


def test_recording_twice_says_it_is_done(client, dispatcher, room, student, plumber):
    ticket = low_rated(room, student, plumber)
    client.force_login(dispatcher)
    client.post(url(ticket), {"note": "已回访"})
    response = client.post(url(ticket), {"note": "again"}, follow=True)
    assert "This request needs no follow-up." in response.content.decode()


# --- Query budget ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 9])
def test_the_list_query_count_does_not_grow(
    client, dispatcher, room, student, plumber, n, django_assert_num_queries
):
    tickets = [low_rated(room, student, plumber) for _ in range(n)]
    client.force_login(dispatcher)
    client.get(LIST)  # warms the caches (the notification bell)
    # session, user with role grants, the page's count, the page of rows (with place and people)
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert response.content.decode().count('data-testid="follow-up-row"') == n
    # and the "followed up" tab reads the same way (its rows with who followed up)
    for ticket in tickets:
        services.ticket_follow_up(actor=dispatcher, ticket=ticket, note="已回访")
    client.get(LIST, {"done": "1"})
    with django_assert_num_queries(4):
        response = client.get(LIST, {"done": "1"})
    assert response.content.decode().count('data-testid="follow-up-row"') == n

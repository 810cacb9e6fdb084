"""One request on the dispatcher's desk: the page, assigning and reassigning, urgency,
merging duplicates and cancelling; who may, and who is told."""

import pytest
from django.urls import reverse

from logistics.models import Notification, Role
from maintenance.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    """Pages and messages are asserted in English (Chinese is the default language)."""
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


@pytest.fixture
def ticket(room, student):
    return f.ticket(room=room, reporter=student)


def url(name, ticket):
    return reverse(f"maintenance:{name}", args=[ticket.pk])


def kinds_told(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


# --- Who -----------------------------------------------------------------------------------------

ACTIONS = {
    "dispatch_assign": {"technician": "0"},
    "dispatch_urgency": {"urgency": "urgent"},
    "dispatch_merge": {"duplicates": ["0"]},
    "dispatch_cancel": {"reason": "重复报修"},
}


def test_anonymous_users_are_sent_to_sign_in(client, ticket):
    assert "login" in client.get(url("dispatch_ticket", ticket))["Location"]
    for name, data in ACTIONS.items():
        response = client.post(url(name, ticket), data)
        assert response.status_code == 302 and "login" in response["Location"], name


@pytest.mark.parametrize("who", ["student", "technician", "apartments_head", "other_dispatcher"])
def test_everyone_else_gets_404_and_changes_nothing(client, people, ticket, who):
    # The reporter and the assigned technician see the request elsewhere, not here; the other
    # campus's dispatcher not at all.
    ticket.technician = people["technician"]
    ticket.status = "assigned"
    ticket.save()
    client.force_login(people[who])
    assert client.get(url("dispatch_ticket", ticket)).status_code == 404
    for name, data in ACTIONS.items():
        assert client.post(url(name, ticket), data).status_code == 404, name
    ticket.refresh_from_db()
    assert ticket.status == "assigned" and ticket.urgency == "normal"


@pytest.mark.parametrize("who", ["dispatcher", "maintenance_head", "admin"])
def test_dispatchers_heads_of_maintenance_and_admins_dispatch(client, people, ticket, who):
    client.force_login(people[who])
    assert client.get(url("dispatch_ticket", ticket)).status_code == 200
    response = client.post(url("dispatch_urgency", ticket), {"urgency": "urgent"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.urgency == "urgent"


def test_a_request_that_does_not_exist_is_404(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("maintenance:dispatch_ticket", args=[999999])).status_code == 404


def test_actions_are_post_only(client, dispatcher, ticket):
    client.force_login(dispatcher)
    for name in ACTIONS:
        assert client.get(url(name, ticket)).status_code == 405, name


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_request_and_links_to_its_public_page(client, dispatcher, ticket):
    client.force_login(dispatcher)
    html = client.get(url("dispatch_ticket", ticket)).content.decode()
    assert "水龙头漏水" in html
    assert reverse("maintenance:ticket_detail", args=[ticket.pk]) in html
    for form in ("assign-form", "urgency-form", "cancel-form"):
        assert f'data-testid="{form}"' in html


def test_technicians_with_the_skill_and_the_least_load_come_first(
    client, dispatcher, campus, room, student, plumber
):
    # Given a busy plumber, an idle plumber, and an idle electrician
    f.technician(campus, skills=["plumbing"], username="plumber2", full_name="李师傅")
    f.technician(campus, skills=["electrical"], username="electrician", full_name="张电工")
    f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    ticket = f.ticket(room=room, reporter=student, category_code="plumbing")
    client.force_login(dispatcher)
    html = client.get(url("dispatch_ticket", ticket)).content.decode()
    # Then the idle plumber is first, the busy plumber second, the electrician last
    assert html.index("李师傅") < html.index("王师傅") < html.index("张电工")
    assert "1 open job" in html and "has the skill" in html and "no such skill" in html


def test_a_request_no_longer_under_way_offers_nothing_to_do(client, dispatcher, room, student):
    closed = f.ticket(room=room, reporter=student, status="closed")
    client.force_login(dispatcher)
    html = client.get(url("dispatch_ticket", closed)).content.decode()
    assert 'data-testid="not-open"' in html and 'data-testid="assign-form"' not in html


@pytest.mark.parametrize("extra", [0, 8])
def test_the_page_query_count_does_not_grow(
    client, dispatcher, campus, room, student, plumber, extra, django_assert_num_queries
):
    # Given more or fewer technicians, duplicates and events
    ticket = f.ticket(room=room, reporter=student)
    for i in range(extra):
        f.technician(campus, skills=["plumbing"], username=f"tech{i}")
        f.ticket(room=room, reporter=student)
        ticket.events.create(kind="urgency", actor=dispatcher, note=str(i))
    client.force_login(dispatcher)
    client.get(url("dispatch_ticket", ticket))  # warms the caches (the notification bell)
    # session, user with role grants, the ticket (with place and people), merge candidates, the
    # technicians with their loads, their skills (prefetch), the timeline with its actors
    with django_assert_num_queries(7):
        response = client.get(url("dispatch_ticket", ticket))
    assert response.content.decode().count('data-testid="merge-candidate"') == extra


# --- Assign and reassign -------------------------------------------------------------------------


def test_assigning_tells_the_reporter_and_the_technician(
    client, dispatcher, ticket, student, plumber
):
    # When the dispatcher assigns the plumber
    client.force_login(dispatcher)
    response = client.post(url("dispatch_assign", ticket), {"technician": plumber.pk})
    # Then the request is theirs, and both are told
    assert response.status_code == 302 and response["Location"] == url("dispatch_ticket", ticket)
    ticket.refresh_from_db()
    assert ticket.status == "assigned" and ticket.technician == plumber
    assert kinds_told(student) == ["maintenance.assigned"]
    assert kinds_told(plumber) == ["maintenance.job_assigned"]
    page = client.get(response["Location"]).content.decode()
    assert "is assigned to 王师傅. The reporter is told." in page


def test_reassigning_tells_the_previous_technician(
    client, dispatcher, campus, ticket, student, plumber
):
    # Given a request assigned to the plumber
    other = f.technician(campus, skills=["plumbing"], username="plumber2", full_name="李师傅")
    client.force_login(dispatcher)
    client.post(url("dispatch_assign", ticket), {"technician": plumber.pk})
    # When it is handed to another technician
    client.post(url("dispatch_assign", ticket), {"technician": other.pk, "note": "王师傅休假"})
    # Then the previous technician is told it is no longer theirs, the new one has the job
    ticket.refresh_from_db()
    assert ticket.technician == other
    assert kinds_told(plumber) == ["maintenance.job_assigned", "maintenance.job_withdrawn"]
    assert kinds_told(other) == ["maintenance.job_assigned"]
    assert kinds_told(student) == ["maintenance.assigned", "maintenance.assigned"]
    assert ticket.events.filter(kind="reassigned", note="王师傅休假").exists()


@pytest.mark.parametrize("technician", ["", "abc", "-3", "999999"])
def test_a_bad_technician_is_a_form_error(client, dispatcher, ticket, technician):
    client.force_login(dispatcher)
    response = client.post(url("dispatch_assign", ticket), {"technician": technician})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.technician is None


def test_a_technician_of_another_campus_cannot_be_assigned(
    client, dispatcher, other_campus, ticket
):
    elsewhere = f.technician(other_campus, skills=["plumbing"], username="far")
    client.force_login(dispatcher)
    response = client.post(
        url("dispatch_assign", ticket), {"technician": elsewhere.pk, "note": "<b>keep</b>"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a technician on duty on this request&#x27;s campus." in html
    # what was typed is kept, escaped
    assert "&lt;b&gt;keep&lt;/b&gt;" in html
    assert not Notification.objects.exists()


def test_assigning_the_same_technician_twice_says_so(client, dispatcher, ticket, plumber):
    client.force_login(dispatcher)
    client.post(url("dispatch_assign", ticket), {"technician": plumber.pk})
    response = client.post(url("dispatch_assign", ticket), {"technician": plumber.pk})
    assert response.status_code == 400
    assert "already assigned to them" in response.content.decode()


def test_a_finished_request_cannot_be_assigned(client, dispatcher, room, student, plumber):
    done = f.ticket(room=room, reporter=student, status="done", technician=plumber)
    client.force_login(dispatcher)
    response = client.post(url("dispatch_assign", done), {"technician": plumber.pk}, follow=True)
    assert "Only a request under way can be assigned." in response.content.decode()


# --- Urgency -------------------------------------------------------------------------------------


def test_urgency_changes_and_goes_on_the_timeline(client, dispatcher, ticket):
    client.force_login(dispatcher)
    response = client.post(url("dispatch_urgency", ticket), {"urgency": "urgent"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.urgency == "urgent"
    assert ticket.events.filter(kind="urgency").exists()
    assert "is now: Urgent." in response.content.decode()


def test_an_unknown_urgency_is_a_form_error(client, dispatcher, ticket):
    client.force_login(dispatcher)
    assert client.post(url("dispatch_urgency", ticket), {"urgency": "panic"}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.urgency == "normal"


# --- Merge ---------------------------------------------------------------------------------------


def test_merge_candidates_are_the_same_place_first_then_building_and_category(
    client, dispatcher, campus, building, room, student, roommate, other_campus
):
    # Given the primary, a roommate's report of the same room, a report from another room of
    # the building in the same category, and others that do not qualify
    primary = f.ticket(room=room, reporter=student)
    same_room = f.ticket(room=room, reporter=roommate, category_code="electrical")
    next_door = f.ticket(room=f.RoomFactory(building=building, number="102"))
    f.ticket(room=f.RoomFactory(building=building, number="103"), category_code="electrical")
    f.ticket(room=room, reporter=roommate, status="closed")
    f.ticket(room=f.RoomFactory(building=f.BuildingFactory(campus=other_campus)))
    client.force_login(dispatcher)
    html = client.get(url("dispatch_ticket", primary)).content.decode()
    # Then only the two qualify, the same room first
    assert html.count('data-testid="merge-candidate"') == 2
    assert html.index(f'value="{same_room.pk}"') < html.index(f'value="{next_door.pk}"')


def test_merging_closes_the_duplicates_and_tells_their_reporters(
    client, dispatcher, room, ticket, student, roommate, plumber
):
    # Given the roommate reported the same leak, and the first report is assigned
    duplicate = f.ticket(room=room, reporter=roommate)
    client.force_login(dispatcher)
    client.post(url("dispatch_assign", ticket), {"technician": plumber.pk})
    # When the dispatcher merges the roommate's into the first
    response = client.post(url("dispatch_merge", ticket), {"duplicates": [duplicate.pk]})
    # Then it is closed as merged, and the roommate is told
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Ticket.Status.MERGED and duplicate.merged_into == ticket
    assert kinds_told(roommate) == ["maintenance.merged"]
    # and from then on the roommate hears of the primary's progress
    client.post(url("dispatch_cancel", ticket), {"reason": "已由物业处理"})
    assert kinds_told(roommate) == ["maintenance.merged", "maintenance.cancelled"]
    assert "maintenance.cancelled" in kinds_told(student)


def test_only_the_candidates_shown_can_be_merged(client, dispatcher, ticket, other_campus):
    # A request of another campus (or any id not offered) cannot be slipped in
    elsewhere = f.ticket(room=f.RoomFactory(building=f.BuildingFactory(campus=other_campus)))
    client.force_login(dispatcher)
    response = client.post(url("dispatch_merge", ticket), {"duplicates": [elsewhere.pk]})
    assert response.status_code == 400
    elsewhere.refresh_from_db()
    assert elsewhere.status == "submitted"


def test_merging_nothing_is_a_form_error(client, dispatcher, ticket):
    client.force_login(dispatcher)
    response = client.post(url("dispatch_merge", ticket), {})
    assert response.status_code == 400


def test_a_form_error_keeps_the_ticked_duplicates(client, dispatcher, room, ticket, roommate):
    duplicate = f.ticket(room=room, reporter=roommate)
    client.force_login(dispatcher)
    response = client.post(url("dispatch_merge", ticket), {"duplicates": [duplicate.pk, "x"]})
    assert response.status_code == 400
    assert f'value="{duplicate.pk}" checked' in response.content.decode()


# --- Cancel --------------------------------------------------------------------------------------


def test_cancelling_needs_a_reason(client, dispatcher, ticket):
    client.force_login(dispatcher)
    response = client.post(url("dispatch_cancel", ticket), {"reason": "   "})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "submitted"


def test_cancelling_tells_the_reporter_and_returns_to_the_queue(
    client, dispatcher, ticket, student
):
    client.force_login(dispatcher)
    response = client.post(url("dispatch_cancel", ticket), {"reason": "<i>重复</i>报修"})
    assert response["Location"] == reverse("maintenance:dispatch_queue")
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"
    assert kinds_told(student) == ["maintenance.cancelled"]
    # The reason is shown escaped on the timeline
    html = client.get(url("dispatch_ticket", ticket)).content.decode()
    assert "&lt;i&gt;重复&lt;/i&gt;报修" in html


def test_cancelling_twice_says_it_is_no_longer_under_way(client, dispatcher, ticket):
    client.force_login(dispatcher)
    client.post(url("dispatch_cancel", ticket), {"reason": "重复"})
    response = client.post(url("dispatch_cancel", ticket), {"reason": "重复"}, follow=True)
    assert "Only a request under way can be cancelled." in response.content.decode()

"""One repair request's page and the reporter's actions on it: who sees it, what it shows (the
promise, the timeline, the photos, the job ticket with its materials), confirm and rate,
reopen, cancel."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from logistics.models import Role
from logistics.uploads import photo_create
from maintenance import services, stores
from maintenance.models import Ticket, TicketEvent, TicketPhoto
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def neighbour(building):
    """A student of another room of the same building."""
    return f.resident_living_in(f.RoomFactory(building=building, number="102")).user


@pytest.fixture
def manager(building):
    user = f.user_with_role(Role.DORM_MANAGER, username="manager1")
    f.BuildingAssignmentFactory(user=user, building=building)
    return user


@pytest.fixture
def electrician(campus):
    return f.technician(campus, skills=["electrical"], username="electrician1")


@pytest.fixture
def ticket(room, student):
    return f.ticket(room=room, reporter=student, contact_phone="13800000001")


@pytest.fixture
def store(campus):
    return f.StoreroomFactory(campus=campus, name="松北维修库房", name_en="Songbei store")


@pytest.fixture
def finished(ticket, dispatcher, plumber, store):
    """The leaking tap repaired: two washers drawn, one returned, 75 minutes of labour."""
    washers = f.stock(
        store,
        f.MaterialFactory(code="washer", name="垫片", name_en="Washer", unit_cost="2.50"),
        balance=10,
    )
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    stores.stock_issue(actor=plumber, stock=washers, ticket=ticket, quantity=2)
    stores.stock_return(actor=plumber, stock=washers, ticket=ticket, quantity=1)
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=75, work_note="换垫片")
    ticket.refresh_from_db()
    return ticket


def url(name, ticket):
    return reverse(f"maintenance:{name}", args=[ticket.pk])


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(out, format="JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def add_photo(ticket, kind="fault"):
    photo = photo_create(uploaded_by=ticket.reporter, file=jpeg())
    return TicketPhoto.objects.create(ticket=ticket, photo=photo, kind=kind)


# --- Who sees the page -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, ticket):
    for name in ["ticket_detail", "ticket_confirm", "ticket_reopen", "ticket_cancel"]:
        response = (
            client.get(url(name, ticket))
            if name == "ticket_detail"
            else client.post(url(name, ticket))
        )
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_who_may_see_a_request(
    client,
    ticket,
    student,
    roommate,
    neighbour,
    electrician,
    dispatcher,
    other_dispatcher,
    manager,
    admin,
):
    # Given a request of room 101: those who may not see it get 404, as for no request at all
    for user in [neighbour, electrician, other_dispatcher, f.user_with_role(Role.STUDENT)]:
        client.force_login(user)
        assert client.get(url("ticket_detail", ticket)).status_code == 404, user
    # and the reporter, a roommate, the campus's dispatcher, the building's manager and an
    # administrator see it
    for user in [student, roommate, dispatcher, manager, admin]:
        client.force_login(user)
        assert client.get(url("ticket_detail", ticket)).status_code == 200, user
    client.force_login(student)
    assert (
        client.get(reverse("maintenance:ticket_detail", args=[ticket.pk + 999])).status_code == 404
    )


def test_staff_get_their_own_links(client, ticket, dispatcher, plumber, student):
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    client.force_login(dispatcher)
    page = client.get(url("ticket_detail", ticket)).content.decode()
    assert url("dispatch_ticket", ticket) in page and url("job", ticket) not in page
    client.force_login(plumber)
    page = client.get(url("ticket_detail", ticket)).content.decode()
    assert url("job", ticket) in page and url("dispatch_ticket", ticket) not in page
    client.force_login(student)
    page = client.get(url("ticket_detail", ticket)).content.decode()
    assert 'data-testid="staff-links"' not in page


# --- What the page shows -----------------------------------------------------------------------


def test_a_new_request_shows_its_promise_and_what_happens_next(client, ticket, student):
    client.force_login(student)
    response = client.get(url("ticket_detail", ticket))
    page = response.content.decode()
    assert response.context["deadline_state"] == "ok"
    assert 'data-state="ok"' in page and "On schedule" in page
    assert "A dispatcher will assign a technician" in page
    assert timezone.localtime(ticket.respond_by).strftime("%Y-%m-%d %H:%M") in page
    # the reporter may withdraw it while nobody has started
    assert 'data-testid="cancel-form"' in page
    assert 'data-testid="confirm-form"' not in page


def test_an_overdue_request_says_so(client, ticket, student):
    Ticket.objects.filter(pk=ticket.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
    client.force_login(student)
    page = client.get(url("ticket_detail", ticket)).content.decode()
    assert 'data-state="overdue"' in page and "Overdue" in page


def test_the_finished_job_is_transparent(client, finished, student):
    add_photo(finished, "fault")
    add_photo(finished, "result")
    client.force_login(student)
    response = client.get(url("ticket_detail", finished))
    page = response.content.decode()
    # Then the labour, the materials and their cost are there for the reporter to see
    assert "1 h 15 min" in page
    assert "Washer" in page and "Issued to a job" in page and "Returned unused" in page
    assert response.context["material_cost"] == Decimal("2.50")
    assert "¥2.50" in page
    # the photos of the fault and of the result, through the photo page
    fault, result = TicketPhoto.objects.filter(ticket=finished).order_by("kind")
    assert reverse("photo", args=[fault.photo_id]) in page
    assert reverse("photo", args=[result.photo_id]) in page
    # the timeline names who did each step
    kinds = [e.kind for e in response.context["events"]]
    assert kinds == ["assigned", "started", "finished"]  # (the factory files no "filed" event)
    assert "赵调度" in page and "王师傅" in page
    # and the promise was kept
    assert 'data-state="kept"' in page


def test_a_merged_request_points_to_the_one_it_was_merged_into(
    client, room, student, roommate, dispatcher
):
    primary = f.ticket(room=room, reporter=roommate)
    duplicate = f.ticket(room=room, reporter=student)
    services.ticket_merge(actor=dispatcher, primary=primary, duplicates=[duplicate])
    client.force_login(student)
    page = client.get(url("ticket_detail", duplicate)).content.decode()
    assert 'data-testid="merged-into"' in page
    assert f"merged into {primary.number}" in page
    assert url("ticket_detail", primary) in page


def test_the_reporters_phone_is_not_shown_to_roommates(client, ticket, student, roommate):
    client.force_login(roommate)
    assert "13800000001" not in client.get(url("ticket_detail", ticket)).content.decode()
    client.force_login(student)
    assert "13800000001" in client.get(url("ticket_detail", ticket)).content.decode()


@pytest.mark.parametrize("extra", [0, 6])
def test_the_page_query_count_does_not_grow(
    client, finished, student, store, extra, django_assert_num_queries
):
    # Given more photos, timeline events and material lines
    for n in range(extra):
        add_photo(finished, "fault" if n % 2 else "result")
        TicketEvent.objects.create(ticket=finished, kind="urgency", actor=student, note=f"{n}")
        stock = f.stock(store, f.MaterialFactory(code=f"part{n}"), balance=5)
        stores.StockMovement.objects.create(
            stock=stock, kind="issue", quantity=-1, unit_cost="1.00", ticket=finished, by=student
        )
    client.force_login(student)
    client.get(url("ticket_detail", finished))  # the bell's unread count is cached from here on
    # session, user with role grants, the student's room (visibility), the request with place,
    # people and merged-into, its photos, its timeline with actors, the material lines with
    # stock, material, storeroom and person, their cost
    with django_assert_num_queries(8):
        response = client.get(url("ticket_detail", finished))
    assert len(response.context["events"]) == 3 + extra
    assert len(response.context["lines"]) == 2 + extra


# --- Confirm and rate --------------------------------------------------------------------------


def test_the_reporter_confirms_and_rates(client, finished, student):
    client.force_login(student)
    page = client.get(url("ticket_detail", finished)).content.decode()
    assert 'data-testid="confirm-form"' in page and 'data-testid="reopen-form"' in page
    assert page.count('class="btn-check"') == 5
    response = client.post(url("ticket_confirm", finished), {"rating": "5", "comment": "很快"})
    assert response.status_code == 302
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.CLOSED and finished.rating == 5
    assert not finished.follow_up_needed
    page = client.get(response["Location"]).content.decode()
    assert "the repair is confirmed and rated" in page
    assert 'data-testid="rating"' in page and "很快" in page
    assert 'data-testid="confirm-form"' not in page


def test_a_low_rating_flags_a_follow_up_and_says_so(client, finished, student):
    client.force_login(student)
    response = client.post(url("ticket_confirm", finished), {"rating": "1"}, follow=True)
    finished.refresh_from_db()
    assert finished.follow_up_needed
    assert "a supervisor will contact you" in response.content.decode()


def test_no_star_chosen_keeps_the_comment(client, finished, student):
    client.force_login(student)
    response = client.post(url("ticket_confirm", finished), {"comment": "还行吧"})
    assert response.status_code == 400
    assert "Rate the repair from 1 to 5 stars." in response.content.decode()
    assert "还行吧" in response.content.decode()
    for bad in ["0", "6", "abc"]:
        response = client.post(url("ticket_confirm", finished), {"rating": bad})
        assert response.status_code == 400
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.DONE and finished.rating is None


def test_a_roommate_cannot_confirm_and_is_told_why(client, finished, roommate):
    # Given a roommate who may see the request
    client.force_login(roommate)
    page = client.get(url("ticket_detail", finished)).content.decode()
    assert 'data-testid="confirm-form"' not in page
    # When they post a confirmation anyway
    response = client.post(url("ticket_confirm", finished), {"rating": "5"}, follow=True)
    # Then the service's refusal is shown, not a 500
    assert response.status_code == 200
    assert "Only the person who reported the fault can confirm and rate it." in (
        response.content.decode()
    )
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.DONE


def test_those_who_may_not_see_it_cannot_act_on_it(client, finished, neighbour, other_dispatcher):
    for user in [neighbour, other_dispatcher, f.technician(finished.campus)]:
        client.force_login(user)
        for name in ["ticket_confirm", "ticket_reopen", "ticket_cancel"]:
            response = client.post(url(name, finished), {"rating": "5", "reason": "x"})
            assert response.status_code == 404, (user, name)
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.DONE


def test_staff_who_see_it_cannot_confirm_for_the_reporter(
    client, finished, dispatcher, manager, admin
):
    for user in [dispatcher, manager, admin, finished.technician]:
        client.force_login(user)
        page = client.get(url("ticket_detail", finished)).content.decode()
        assert 'data-testid="confirm-form"' not in page
        response = client.post(url("ticket_confirm", finished), {"rating": "5"}, follow=True)
        assert response.status_code == 200
        assert "Only the person who reported the fault" in response.content.decode()
        response = client.post(url("ticket_reopen", finished), {"reason": "x"}, follow=True)
        assert "Only the person who reported the fault can reopen it." in (
            response.content.decode()
        )
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.DONE and finished.rating is None


def test_confirming_twice_is_a_message(client, finished, student):
    client.force_login(student)
    client.post(url("ticket_confirm", finished), {"rating": "4"})
    response = client.post(url("ticket_confirm", finished), {"rating": "1"}, follow=True)
    assert "You have already rated this repair." in response.content.decode()
    finished.refresh_from_db()
    assert finished.rating == 4


def test_an_automatically_closed_repair_can_still_be_rated_once(client, finished, student):
    Ticket.objects.filter(pk=finished.pk).update(finished_at=timezone.now() - timedelta(days=10))
    services.auto_confirm_due()
    client.force_login(student)
    page = client.get(url("ticket_detail", finished)).content.decode()
    assert 'data-testid="confirm-form"' in page and "Send my rating" in page
    assert 'data-testid="reopen-form"' not in page
    client.post(url("ticket_confirm", finished), {"rating": "3"})
    finished.refresh_from_db()
    assert finished.rating == 3 and finished.auto_confirmed
    assert (
        'data-testid="confirm-form"'
        not in client.get(url("ticket_detail", finished)).content.decode()
    )


def test_the_actions_are_post_only(client, finished, student):
    client.force_login(student)
    for name in ["ticket_confirm", "ticket_reopen", "ticket_cancel"]:
        assert client.get(url(name, finished)).status_code == 405
    assert client.post(url("ticket_detail", finished)).status_code == 405


# --- Reopen ------------------------------------------------------------------------------------


def test_the_reporter_reopens_with_a_reason(client, finished, student):
    client.force_login(student)
    response = client.post(url("ticket_reopen", finished), {"reason": "还在漏"}, follow=True)
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.ASSIGNED and finished.reopened_count == 1
    page = response.content.decode()
    assert "The request is reopened" in page and "还在漏" in page


def test_reopen_without_a_reason_keeps_the_form_open(client, finished, student):
    client.force_login(student)
    response = client.post(url("ticket_reopen", finished), {"reason": "  "})
    assert response.status_code == 400
    assert "Say what is still wrong." in response.content.decode()
    finished.refresh_from_db()
    assert finished.status == Ticket.Status.DONE


def test_reopen_is_offered_only_within_the_confirmation_window(client, finished, student):
    Ticket.objects.filter(pk=finished.pk).update(finished_at=timezone.now() - timedelta(days=4))
    client.force_login(student)
    page = client.get(url("ticket_detail", finished)).content.decode()
    assert 'data-testid="reopen-form"' not in page
    response = client.post(url("ticket_reopen", finished), {"reason": "坏了"}, follow=True)
    assert "The time to reopen this repair has passed" in response.content.decode()


def test_a_roommate_cannot_reopen(client, finished, roommate):
    client.force_login(roommate)
    response = client.post(url("ticket_reopen", finished), {"reason": "坏了"}, follow=True)
    assert "Only the person who reported the fault can reopen it." in response.content.decode()


# --- Cancel ------------------------------------------------------------------------------------


def test_the_reporter_cancels_before_work_starts(client, ticket, student):
    client.force_login(student)
    response = client.post(url("ticket_cancel", ticket), {"reason": "自己修好了"}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    page = response.content.decode()
    assert "Your repair request is cancelled." in page and "This request was cancelled." in page
    assert 'data-testid="cancel-form"' not in page


def test_once_work_started_the_reporter_cannot_cancel(client, ticket, student, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    client.force_login(student)
    assert (
        'data-testid="cancel-form"' not in client.get(url("ticket_detail", ticket)).content.decode()
    )
    response = client.post(url("ticket_cancel", ticket), follow=True)
    assert "Work has started; ask the dispatcher to cancel it." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS


def test_a_roommate_cannot_cancel(client, ticket, roommate):
    client.force_login(roommate)
    response = client.post(url("ticket_cancel", ticket), follow=True)
    assert "Only the reporter or a dispatcher can cancel a request." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SUBMITTED

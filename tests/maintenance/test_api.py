"""The repairs API (CONTRACT.md "Residents themselves"): categories, filing, the caller's
scope, the reporter's steps, errors as JSON, and the list's query budget."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from PIL import Image
from rest_framework.test import APIClient

from apartments.models import Storeroom
from maintenance import services, stores
from maintenance.models import Category, Ticket, TicketPhoto
from tests import factories as f

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/ticket-categories/"
TICKETS = "/api/v1/tickets/"

TICKET_FIELDS = {
    "id",
    "number",
    "origin",
    "status",
    "status_display",
    "category",
    "category_name",
    "place",
    "campus",
    "description",
    "available_times",
    "urgency",
    "technician",
    "created_at",
    "respond_by",
    "complete_by",
    "started_at",
    "finished_at",
    "closed_at",
    "deadline_state",
    "rating",
    "rating_comment",
    "merged_into",
    "photos",
    "events",
    "material_cost",
    "labour_minutes",
    "labour_points",
}


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (Chinese is the default language)."""
    with translation.override("en"):
        yield


def api_for(user, language="en"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


def detail(ticket):
    return f"{TICKETS}{ticket.pk}/"


def png(name="fault.png", size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def other_room(building):
    return f.RoomFactory(building=building, number="102")


@pytest.fixture
def neighbour(other_room):
    """A student living in another room of the same building."""
    return f.resident_living_in(other_room, student_id="2024990009", name="孙丽").user


@pytest.fixture
def area(campus):
    return f.PublicAreaFactory(campus=campus, name="一食堂门口", name_en="Canteen 1 entrance")


def file_for(student, **fields):
    """A request filed through the service, as the student (their own room)."""
    values = {"category": f.category("plumbing"), "description": "水龙头漏水"}
    values.update(fields)
    return services.ticket_file(reporter=student, **values)


def finished(ticket, *, dispatcher, technician, minutes=45):
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=technician)
    services.ticket_start(actor=technician, ticket=ticket)
    return services.ticket_finish(actor=technician, ticket=ticket, labour_minutes=minutes)


# --- Categories ----------------------------------------------------------------------------------


def test_the_categories_come_from_the_cache_and_follow_an_edit(
    student, admin, django_assert_num_queries
):
    from maintenance import dispatching

    api = api_for(student)
    api.get(CATEGORIES)  # cached from here on
    # (force_authenticate: no token to read) nothing but the cache
    with django_assert_num_queries(0):
        assert api.get(CATEGORIES).json()["count"] == 8
    # When the center switches a category off, the list follows at once
    network = Category.objects.get(code="network")
    network.is_active = False
    dispatching.category_save(actor=admin, category=network)
    codes = [c["code"] for c in api.get(CATEGORIES).json()["results"]]
    assert "network" not in codes and len(codes) == 7


def test_categories_of_a_fresh_installation_in_the_callers_language(student):
    # Given only what the data migration created, and one category switched off
    Category.objects.filter(code="network").update(is_active=False)
    # When a student lists the categories in English, then in Chinese
    english = api_for(student, "en").get(CATEGORIES)
    with translation.override("zh-hans"):
        chinese = api_for(student, "zh-hans").get(CATEGORIES)
    # Then the active ones come paginated, in their order, named in the request's language
    assert english.status_code == 200
    body = english.json()
    assert set(body) == {"count", "next", "previous", "results"}
    codes = [c["code"] for c in body["results"]]
    assert codes == [
        "plumbing",
        "electrical",
        "doors_locks",
        "furniture",
        "air_conditioning",
        "water_heater",
        "other",
    ]
    assert body["results"][0] == {
        "code": "plumbing",
        "name": "Plumbing and drains",
        "name_zh": "水管/下水",
        "name_en": "Plumbing and drains",
        "response_minutes": 60,
        "completion_hours": 24,
    }
    assert chinese.json()["results"][0]["name"] == "水管/下水"


def test_categories_need_a_signed_in_caller():
    assert api_for(None).get(CATEGORIES).status_code == 401


# --- Token sign-in -------------------------------------------------------------------------------


def test_a_student_signs_in_with_a_token_and_files_and_lists(student, password):
    # Given a token obtained with the student id and password
    anonymous = APIClient()
    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "R0000001", "password": password}, format="json"
    )
    assert token.status_code == 200
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    # When they file a request without naming a room, then list their requests
    filed = client.post(
        TICKETS, {"category": "plumbing", "description": "Tap drips all night"}, format="json"
    )
    listed = client.get(TICKETS)
    # Then the request is for their own room and is listed
    assert filed.status_code == 201
    assert filed.json()["place"] == "S01-101"
    assert [t["id"] for t in listed.json()["results"]] == [filed.json()["id"]]
    assert APIClient(HTTP_AUTHORIZATION="Token wrong").get(TICKETS).status_code == 401


# --- Filing --------------------------------------------------------------------------------------


def test_filing_answers_201_with_the_ticket_in_the_contract_shape(student, room):
    response = api_for(student).post(
        TICKETS,
        {
            "category": "plumbing",
            "description": "  The tap in the washroom leaks  ",
            "available_times": "weekday evenings",
            "contact_phone": "13800000000",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get()
    assert set(body) == TICKET_FIELDS
    assert body["id"] == ticket.pk and body["number"] == f"#{ticket.pk}"
    assert (body["status"], body["status_display"]) == ("submitted", "Waiting for dispatch")
    assert (body["category"], body["category_name"]) == ("plumbing", "Plumbing and drains")
    assert (body["place"], body["campus"]) == ("S01-101", "songbei")
    assert body["description"] == "The tap in the washroom leaks"
    assert body["available_times"] == "weekday evenings"
    assert body["urgency"] == "normal" and body["technician"] is None
    assert body["deadline_state"] == "ok"
    for name in ("started_at", "finished_at", "closed_at", "rating", "merged_into"):
        assert body[name] is None
    assert body["rating_comment"] == "" and body["photos"] == []
    assert body["material_cost"] is None and body["labour_minutes"] is None
    assert body["respond_by"] and body["complete_by"] and body["created_at"]
    assert body["events"] == [
        {
            "kind": "filed",
            "display": "Filed",
            "at": body["events"][0]["at"],
            "actor": "王伟",
            "note": "",
        }
    ]
    assert ticket.room == room and ticket.contact_phone == "13800000000"


def test_filing_with_photos_by_multipart(student):
    response = api_for(student).post(
        TICKETS,
        {
            "category": "electrical",
            "description": "The lamp flickers",
            "photos": [png("a.png"), png("b.png")],
        },
        format="multipart",
    )
    assert response.status_code == 201
    photos = response.json()["photos"]
    stored = list(TicketPhoto.objects.order_by("id"))
    assert [p["kind"] for p in photos] == ["fault", "fault"]
    assert [p["url"].split("signed/")[0] for p in photos] == [
        f"http://testserver/photos/{s.photo_id}/" for s in stored
    ]
    # and the reporter may open them in the browser (more in test_api_photos.py)
    browser = Client()
    browser.force_login(student)
    assert browser.get(photos[0]["url"]).status_code == 200


def test_filing_for_a_public_area(student, area):
    response = api_for(student).post(
        TICKETS,
        {"category": "other", "description": "Broken bench", "area": area.pk},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["place"] == "Canteen 1 entrance"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"category": "teleporter", "description": "x"}, "category"),
        ({"description": "no category"}, "category"),
        ({"category": "plumbing"}, "description"),
        ({"category": "plumbing", "description": "   "}, "description"),
        ({"category": "plumbing", "description": "x" * 1001}, "description"),
        ({"category": "plumbing", "description": "x", "room": 999999}, "room"),
        ({"category": "plumbing", "description": "x", "room": "abc"}, "room"),
        ({"category": "plumbing", "description": "x", "contact_phone": "1" * 31}, "contact_phone"),
    ],
)
def test_bad_input_is_400_with_the_field(student, payload, field):
    response = api_for(student).post(TICKETS, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["detail"]
    assert not Ticket.objects.exists()


def test_an_inactive_category_is_400_on_category(student):
    Category.objects.filter(code="network").update(is_active=False)
    response = api_for(student).post(
        TICKETS, {"category": "network", "description": "No signal"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"category": ["This category takes no new requests."]}


def test_a_room_the_caller_may_not_report_for_is_400_on_room(student, other_room):
    response = api_for(student).post(
        TICKETS, {"category": "plumbing", "description": "x", "room": other_room.pk}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    message = "You can report faults only for the room you live in, or a public area."
    assert body == {"detail": message, "errors": {"room": [message]}}


def test_no_room_and_not_a_resident_is_400_on_room(dispatcher):
    response = api_for(dispatcher).post(
        TICKETS, {"category": "plumbing", "description": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "room" in response.json()["errors"]


def test_too_many_or_bad_photos_are_400_on_photos(student):
    api = api_for(student)
    four = api.post(
        TICKETS,
        {"category": "plumbing", "description": "x", "photos": [png(f"{n}.png") for n in range(4)]},
        format="multipart",
    )
    not_a_photo = api.post(
        TICKETS,
        {
            "category": "plumbing",
            "description": "x",
            "photos": [SimpleUploadedFile("a.jpg", b"<script>", content_type="image/jpeg")],
        },
        format="multipart",
    )
    assert four.status_code == not_a_photo.status_code == 400
    assert "photos" in four.json()["errors"] and "photos" in not_a_photo.json()["errors"]
    assert not Ticket.objects.exists()


def test_a_duplicate_is_409(student):
    api = api_for(student)
    payload = {"category": "plumbing", "description": "Leak"}
    first = api.post(TICKETS, payload, format="json")
    again = api.post(TICKETS, payload, format="json")
    assert first.status_code == 201 and again.status_code == 409
    body = again.json()
    assert body["detail"].startswith("You already reported a fault of this kind here")
    assert body["errors"] == {"category": [body["detail"]]}
    assert Ticket.objects.count() == 1


def test_html_in_a_description_comes_back_as_text(student):
    response = api_for(student).post(
        TICKETS, {"category": "plumbing", "description": "<b>leak</b>"}, format="json"
    )
    assert response.json()["description"] == "<b>leak</b>"
    assert response["Content-Type"].startswith("application/json")


# --- Scope ---------------------------------------------------------------------------------------


@pytest.fixture
def scoped(student, roommate, neighbour, dispatcher, plumber, other_dispatcher, other_campus):
    """The student's request, their roommate's (same room), a neighbour's (another room), one
    assigned to the plumber, and one on the other campus."""
    mine = file_for(student)
    roommates = file_for(roommate, category=f.category("electrical"))
    neighbours = file_for(neighbour)
    services.ticket_assign(actor=dispatcher, ticket=neighbours, technician=plumber)
    # (reporters made by UserFactory: ResidentFactory's student-id sequence can hit the fixed
    # ids of conftest's student and roommate)
    elsewhere = f.ticket(
        room=f.RoomFactory(building=f.BuildingFactory(campus=other_campus)),
        reporter=f.UserFactory(),
    )
    return {"mine": mine, "roommates": roommates, "neighbours": neighbours, "elsewhere": elsewhere}


def listed(user, query=""):
    response = api_for(user).get(f"{TICKETS}{query}")
    assert response.status_code == 200
    return {t["id"] for t in response.json()["results"]}


def ids(scoped, *names):
    return {scoped[name].pk for name in names}


def test_a_student_sees_their_own_and_their_rooms(scoped, student):
    assert listed(student) == ids(scoped, "mine", "roommates")
    assert api_for(student).get(detail(scoped["roommates"])).status_code == 200
    assert api_for(student).get(detail(scoped["neighbours"])).status_code == 404
    assert api_for(student).get(detail(scoped["elsewhere"])).status_code == 404


def test_a_roommate_sees_the_rooms_requests(scoped, roommate):
    assert listed(roommate) == ids(scoped, "mine", "roommates")
    assert api_for(roommate).get(detail(scoped["mine"])).status_code == 200


def test_another_student_gets_404(scoped, neighbour):
    assert listed(neighbour) == ids(scoped, "neighbours")
    response = api_for(neighbour).get(detail(scoped["mine"]))
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_a_technician_sees_their_jobs(scoped, plumber):
    assert listed(plumber) == ids(scoped, "neighbours")
    assert api_for(plumber).get(detail(scoped["mine"])).status_code == 404


def test_a_dispatcher_sees_their_campus(scoped, dispatcher, other_dispatcher, admin):
    assert listed(dispatcher) == ids(scoped, "mine", "roommates", "neighbours")
    assert api_for(dispatcher).get(detail(scoped["elsewhere"])).status_code == 404
    assert listed(other_dispatcher) == ids(scoped, "elsewhere")
    assert api_for(other_dispatcher).get(detail(scoped["mine"])).status_code == 404
    assert listed(admin) == ids(scoped, "mine", "roommates", "neighbours", "elsewhere")


def test_a_missing_ticket_is_404_like_a_hidden_one(student):
    assert api_for(student).get(f"{TICKETS}999999/").status_code == 404


def test_anonymous_callers_are_refused(scoped):
    assert api_for(None).get(TICKETS).status_code == 401
    assert api_for(None).get(detail(scoped["mine"])).status_code == 401
    assert api_for(None).post(TICKETS, {}, format="json").status_code == 401


def test_filters_status_open_and_mine(scoped, student, dispatcher):
    services.ticket_cancel(actor=student, ticket=scoped["mine"], reason="fixed it myself")
    assert listed(student, "?status=open") == ids(scoped, "roommates")
    assert listed(student, "?status=cancelled") == ids(scoped, "mine")
    assert listed(student, "?mine=true") == ids(scoped, "mine")
    assert listed(dispatcher, "?status=assigned") == ids(scoped, "neighbours")
    bad = api_for(student).get(f"{TICKETS}?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


# --- The reporter's steps ------------------------------------------------------------------------


def test_confirming_and_rating_a_finished_repair(student, roommate, dispatcher, plumber):
    # Given a repair the plumber finished, with material drawn and returned
    ticket = file_for(student)
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    store = Storeroom.objects.create(campus=ticket.campus, code="KF", name="库房")
    washers = f.stock(store, f.MaterialFactory(unit_cost="2.50"), balance=10)
    stores.stock_issue(actor=plumber, stock=washers, ticket=ticket, quantity="3")
    stores.stock_return(actor=plumber, stock=washers, ticket=ticket, quantity="1")
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=45)
    url = f"{detail(ticket)}confirm/"
    # When the roommate tries, then the reporter rates 7, then 4
    by_roommate = api_for(roommate).post(url, {"rating": 5}, format="json")
    too_high = api_for(student).post(url, {"rating": 7}, format="json")
    rated = api_for(student).post(url, {"rating": 4, "comment": "Quick"}, format="json")
    # Then only the reporter's valid rating closes it, and the job ticket shows
    assert by_roommate.status_code == 403
    assert by_roommate.json()["detail"] == (
        "Only the person who reported the fault can confirm and rate it."
    )
    assert too_high.status_code == 400 and "rating" in too_high.json()["errors"]
    assert rated.status_code == 200
    body = rated.json()
    assert (body["status"], body["rating"], body["rating_comment"]) == ("closed", 4, "Quick")
    assert body["technician"] == "王师傅"
    assert body["material_cost"] == "5.00" and body["labour_minutes"] == 45
    assert [e["kind"] for e in body["events"]] == [
        "filed",
        "assigned",
        "started",
        "finished",
        "confirmed",
        "rated",
    ]
    assert body["events"][2]["actor"] == "王师傅"
    # and rating twice is a conflict
    again = api_for(student).post(url, {"rating": 5}, format="json")
    assert again.status_code == 409
    assert again.json() == {
        "detail": "You have already rated this repair.",
        "errors": {"non_field_errors": ["You have already rated this repair."]},
    }


def test_material_all_returned_costs_zero(student, dispatcher, plumber):
    ticket = file_for(student)
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    store = Storeroom.objects.create(campus=ticket.campus, code="KF", name="库房")
    washers = f.stock(store, f.MaterialFactory(unit_cost="2.50"), balance=10)
    stores.stock_issue(actor=plumber, stock=washers, ticket=ticket, quantity="2")
    stores.stock_return(actor=plumber, stock=washers, ticket=ticket, quantity="2")
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=10)
    assert api_for(student).get(detail(ticket)).json()["material_cost"] == "0.00"


def test_confirming_an_unfinished_request_is_409(student):
    ticket = file_for(student)
    response = api_for(student).post(f"{detail(ticket)}confirm/", {"rating": 5}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "The repair is not finished yet."


def test_reopening_sends_the_job_back(student, dispatcher, plumber):
    ticket = finished(file_for(student), dispatcher=dispatcher, technician=plumber)
    url = f"{detail(ticket)}reopen/"
    no_reason = api_for(student).post(url, {"reason": "  "}, format="json")
    reopened = api_for(student).post(url, {"reason": "Still dripping"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    assert reopened.status_code == 200
    body = reopened.json()
    assert body["status"] == "assigned" and body["finished_at"] is None
    assert body["labour_minutes"] is None and body["material_cost"] is None
    assert body["events"][-1]["kind"] == "reopened"
    assert body["events"][-1]["note"] == "Still dripping"
    # Reopening again while not finished is a conflict
    assert api_for(student).post(url, {"reason": "x"}, format="json").status_code == 409


def test_reopening_after_the_confirmation_days_is_409(student, dispatcher, plumber, settings):
    ticket = finished(file_for(student), dispatcher=dispatcher, technician=plumber)
    days = settings.REPAIR_CONFIRM_DAYS
    Ticket.objects.filter(pk=ticket.pk).update(
        finished_at=timezone.now() - timedelta(days=days, minutes=1)
    )
    response = api_for(student).post(f"{detail(ticket)}reopen/", {"reason": "x"}, format="json")
    assert response.status_code == 409


def test_cancelling(student, neighbour, dispatcher, plumber):
    mine = file_for(student)
    # Another student cannot even see it
    assert api_for(neighbour).post(f"{detail(mine)}cancel/", {}, format="json").status_code == 404
    # The reporter cancels it while nobody has started
    response = api_for(student).post(f"{detail(mine)}cancel/", {"reason": "ok"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    # Once work has started, only the dispatcher can
    started = file_for(student, category=f.category("electrical"))
    services.ticket_assign(actor=dispatcher, ticket=started, technician=plumber)
    services.ticket_start(actor=plumber, ticket=started)
    late = api_for(student).post(f"{detail(started)}cancel/", {}, format="json")
    assert late.status_code == 409
    assert late.json()["detail"] == "Work has started; ask the dispatcher to cancel it."
    no_reason = api_for(dispatcher).post(f"{detail(started)}cancel/", {}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"] == {"reason": ["Give the reason for cancelling."]}
    done = api_for(dispatcher).post(
        f"{detail(started)}cancel/", {"reason": "Duplicate of a phone call"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_actions_answer_only_post(student):
    ticket = file_for(student)
    assert api_for(student).get(f"{detail(ticket)}confirm/").status_code == 405


# --- Query budget --------------------------------------------------------------------------------


def _busy_tickets(n, *, student, room, dispatcher, plumber, store):
    """`n` more tickets in the student's room: each assigned, started, with a photo, two
    material movements and a handful of events."""
    material = f.MaterialFactory(unit_cost="3.00")
    washers = f.stock(store, material, balance=1000)
    for i in range(n):
        ticket = f.ticket(room=room, reporter=f.UserFactory(), description=f"fault {i}")
        services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
        services.ticket_start(actor=plumber, ticket=ticket)
        stores.stock_issue(actor=plumber, stock=washers, ticket=ticket, quantity="2")
        stores.stock_return(actor=plumber, stock=washers, ticket=ticket, quantity="1")
        services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=30, photos=[png()])


@pytest.mark.parametrize("user_name", ["student", "dispatcher", "plumber"])
def test_the_list_query_count_does_not_grow(
    request, user_name, student, room, dispatcher, plumber, campus, django_assert_num_queries
):
    store = Storeroom.objects.create(campus=campus, code="KF", name="库房")
    user = request.getfixturevalue(user_name)
    # The caller's scope: a student's room (1 query); others need none beyond their grants.
    scope = 1 if user_name == "student" else 0
    counts = []
    for extra in (2, 6):
        _busy_tickets(
            extra, student=student, room=room, dispatcher=dispatcher, plumber=plumber, store=store
        )
        api = api_for(user)
        api.get(TICKETS)  # the fault categories are cached from here on
        user._grants_cache = None  # a new request reads the grants again
        # The caller's grants, the scope, the page's count, the page (tickets with place,
        # technician and material cost in one; categories from the cache), their photos, their
        # events with actors
        with django_assert_num_queries(1 + scope + 4) as captured:
            response = api.get(TICKETS)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert response.json()["count"] == 8
    row = response.json()["results"][0]
    assert row["material_cost"] == "3.00" and row["labour_minutes"] == 30
    # (created directly, without a "filed" event: assigned, started, finished)
    assert len(row["photos"]) == 1 and len(row["events"]) == 3


def test_the_detail_query_count(student, django_assert_num_queries):
    ticket = file_for(student, photos=[png()])
    api = api_for(student)
    student._grants_cache = None
    # grants, the student's room, the ticket, its photos, its events
    with django_assert_num_queries(5):
        response = api.get(detail(ticket))
    assert response.status_code == 200
    assert Decimal(0) == Decimal(response.json()["material_cost"] or 0)


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"category": "plumbing", "description": 12345}, "description", "Must be a string."),
        (
            {"category": "plumbing", "description": "Leak", "room": "1"},
            "room",
            "Must be an integer.",
        ),
        (
            {"category": "plumbing", "description": "Leak", "room": True},
            "room",
            "Must be an integer.",
        ),
        ({"category": "plumbing", "description": ["Leak"]}, "description", "Must be a string."),
    ],
)
def test_json_values_of_the_wrong_type_are_refused_not_coerced(student, payload, field, message):
    response = api_for(student).post(TICKETS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert Ticket.objects.count() == 0


def test_multipart_values_are_text_and_still_taken(student, room):
    response = api_for(student).post(
        TICKETS,
        {"category": "electrical", "description": "The lamp", "room": str(room.pk)},
        format="multipart",
    )
    assert response.status_code == 201
    assert Ticket.objects.get().room == room

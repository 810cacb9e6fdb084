"""The reporter's side: filing a repair request from the phone (the room filled in, a QR code's
place, photos checked by content) and "my repairs"."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from logistics.models import Photo, Role
from maintenance.models import Category, Ticket, TicketPhoto
from maintenance.services import MAX_OPEN_PER_REPORTER
from tests import factories as f

pytestmark = pytest.mark.django_db

NEW = reverse("maintenance:ticket_new")
MINE = reverse("maintenance:my_tickets")


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def plumbing():
    return f.category("plumbing")


@pytest.fixture
def other_room(building):
    return f.RoomFactory(building=building, number="102")


@pytest.fixture
def neighbour(other_room):
    """A student living in another room of the same building."""
    return f.resident_living_in(other_room, student_id="2025000009").user


@pytest.fixture
def washroom(campus, building):
    return f.PublicAreaFactory(
        campus=campus, building=building, code="S01-WC1", name="一楼卫生间", name_en="Washroom 1F"
    )


@pytest.fixture
def manager(building):
    user = f.user_with_role(Role.DORM_MANAGER, username="manager1", full_name="李宿管")
    f.BuildingAssignmentFactory(user=user, building=building)
    return user


def jpeg(name="fault.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def filing(category, **fields):
    data = {
        "place": "room",
        "category": category.pk,
        "description": "水龙头一直滴水",
        "available_times": "晚上7点以后",
        "contact_phone": "13800000001",
    }
    data.update(fields)
    return data


# --- Who may open the form -------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in_and_come_back_to_the_qr_place(client, room):
    # Given a student who scans their door's code before signing in
    address = f"{NEW}?room={room.pk}"
    response = client.get(address)
    # Then they sign in first, and return to the form with the place
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert "room%3D" in response["Location"] or "room=" in response["Location"]
    assert client.get(MINE).status_code == 302


def test_a_technician_who_files_nowhere_gets_404(client, plumber):
    client.force_login(plumber)
    assert client.get(NEW).status_code == 404


def test_the_resident_sees_their_room_filled_in_and_the_promises(client, student, room, plumbing):
    client.force_login(student)
    response = client.get(NEW)
    page = response.content.decode()
    assert response.status_code == 200
    # the room is shown and preselected, not a field they can type into
    assert 'data-testid="home-room"' in page and "Songbei 1 101" in page
    assert response.context["form"]["place"].value() == "room"
    assert 'name="room_number"' not in page
    # each category shows its promised times
    assert "Plumbing and drains — responds within 1 hour, fixed within 24 hours" in page
    assert "Doors, windows and locks — responds within 30 minutes, fixed within 8 hours" in page
    # the phone is prefilled from the account
    student.phone = "13900000000"
    student.save()
    assert client.get(NEW).context["form"]["contact_phone"].value() == "13900000000"


def test_photo_fields_open_the_camera_on_phones(client, student):
    client.force_login(student)
    page = client.get(NEW).content.decode()
    for name in ["photo_1", "photo_2", "photo_3"]:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'capture="environment"' in tag and 'accept="image/*"' in tag


def test_inactive_categories_are_not_offered(client, student):
    Category.objects.filter(code="network").update(is_active=False)
    client.force_login(student)
    assert "Network" not in client.get(NEW).content.decode()


def test_a_student_not_checked_in_without_areas_is_told_so(client, campus):
    resident = f.ResidentFactory(campus=campus)
    client.force_login(resident.user)
    response = client.get(NEW)
    assert response.status_code == 200
    assert 'data-testid="cannot-file"' in response.content.decode()


# --- Filing ------------------------------------------------------------------------------------


def test_the_student_files_a_request_with_photos_and_is_told_the_promise(
    client, student, room, plumbing
):
    client.force_login(student)
    # When they send the form with two photos
    data = filing(plumbing, photo_1=jpeg(), photo_2=jpeg("b.png"))
    response = client.post(NEW, data)
    # Then the request is filed for their room, with the details and the photos
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("maintenance:ticket_detail", args=[ticket.pk])
    assert ticket.room == room and ticket.reporter == student
    assert ticket.available_times == "晚上7点以后" and ticket.contact_phone == "13800000001"
    assert TicketPhoto.objects.filter(ticket=ticket, kind="fault").count() == 2
    # and the page tells them what was promised, in their local time
    page = client.get(response["Location"]).content.decode()
    respond_by = timezone.localtime(ticket.respond_by).strftime("%Y-%m-%d %H:%M")
    complete_by = timezone.localtime(ticket.complete_by).strftime("%Y-%m-%d %H:%M")
    assert f"Your repair request {ticket.number} is filed" in page
    assert f"starts work by {respond_by}" in page and f"finished by {complete_by}" in page


@pytest.mark.django_db(transaction=True)
def test_filing_takes_six_statements_in_one_transaction(
    client, student, room, django_assert_num_queries
):
    # (transaction=True: ticket_file's transaction is the outermost, as in production)
    client.force_login(student)
    client.post(NEW, filing(f.category("electrical")))  # the categories and content type cached
    data = filing(f.category("plumbing"))
    # When the student files a request for their room, with no readiness campaign open
    # Then: session, user with role grants; BEGIN, locking the student's row with the room they
    # live in, their requests under way (a duplicate? how many? one aggregate), the ticket,
    # its timeline's first line with its audit record (one statement on PostgreSQL), COMMIT.
    # Whether a campaign is open comes from the cache (maintenance.readiness.campaigns_open).
    together = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(7 + together):
        response = client.post(NEW, data)
    assert response.status_code == 302
    assert Ticket.objects.filter(room=room, category__code="plumbing").count() == 1


@pytest.mark.django_db(transaction=True)
def test_during_a_campaign_filing_also_holds_the_room_back(
    client, student, room, dispatcher, django_assert_num_queries
):
    from maintenance import campaigns

    admin = f.user_with_role(Role.ADMIN, username="root-camp")
    campaign = campaigns.campaign_start(
        actor=admin,
        campus=room.building.campus,
        name="暑期整修",
        buildings=[room.building],
        checklist=["打扫"],
        move_in_date=timezone.localdate() + timedelta(days=30),
    )
    task = campaign.tasks.get(room=room)
    campaigns.room_task_record(actor=admin, task=task, done_items=[0])
    room.refresh_from_db()
    assert room.ready is True  # its checklist done, no repair open
    client.force_login(student)
    client.post(NEW, filing(f.category("electrical")))
    data = filing(f.category("plumbing"))
    together = 1 if connection.vendor == "postgresql" else 2
    # …and one UPDATE of the room's readiness flag
    with django_assert_num_queries(8 + together):
        response = client.post(NEW, data)
    assert response.status_code == 302
    room.refresh_from_db()
    assert room.ready is False


def test_a_student_living_nowhere_who_sends_their_room_is_told_on_the_place(client, campus):
    # Given a resident of the campus who is not checked in (they may report public areas)
    f.PublicAreaFactory(campus=campus, code="LAUNDRY")
    resident = f.ResidentFactory(campus=campus)
    client.force_login(resident.user)
    # When a tampered form sends "my room"
    response = client.post(NEW, filing(f.category("plumbing")))
    # Then the place says why and nothing is filed
    assert response.status_code == 400
    assert "You do not live in a room here" in str(response.context["form"].errors["place"])
    assert not Ticket.objects.exists()


def test_a_category_edit_shows_on_the_form_at_once(client, student, admin):
    from maintenance import dispatching

    client.force_login(student)
    assert "responds within 1 hour" in client.get(NEW).content.decode()  # now cached
    # When the center changes the plumbing promise and closes the network category
    plumbing = f.category("plumbing")
    before = dispatching.category_snapshot(plumbing)
    plumbing.response_minutes = 30
    dispatching.category_save(actor=admin, category=plumbing, before=before)
    network = f.category("network")
    network.is_active = False
    dispatching.category_save(actor=admin, category=network)
    # Then the next form shows the new promise and no longer offers the closed category
    html = client.get(NEW).content.decode()
    assert (
        "responds within 30 minutes" in html
        and "responds within 1 hour" not in html.split("Plumbing")[1].split("</label>")[0]
    )
    assert "Network" not in html
    # and filing in the closed category is refused
    response = client.post(NEW, filing(network))
    assert response.status_code == 400 and "category" in response.context["form"].errors


def test_a_text_file_named_jpg_is_refused_and_nothing_is_filed(client, student, plumbing):
    # Given a "photo" that is really text
    fake = SimpleUploadedFile("leak.jpg", b"just some text, not a picture", "image/jpeg")
    client.force_login(student)
    # When it is sent with the request
    response = client.post(NEW, filing(plumbing, photo_1=fake))
    # Then the form comes back with a clear message next to the photo, and nothing is filed
    assert response.status_code == 400
    assert "This file is not a photo" in str(response.context["form"].errors["photo_1"])
    assert "水龙头一直滴水" in response.content.decode()  # what they typed is kept
    assert not Ticket.objects.exists() and not Photo.objects.exists()


def test_an_empty_description_is_shown_on_its_field(client, student, plumbing):
    client.force_login(student)
    response = client.post(NEW, filing(plumbing, description="   "))
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_hostile_text_is_escaped(client, student, plumbing):
    client.force_login(student)
    client.post(NEW, filing(plumbing, description="<script>alert(1)</script>漏水"))
    ticket = Ticket.objects.get()
    page = client.get(reverse("maintenance:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_tampered_place_is_refused(client, student, other_room, plumbing):
    client.force_login(student)
    for place in ["area-999999", "room-1", ""]:
        response = client.post(NEW, filing(plumbing, place=place))
        assert response.status_code == 400
        assert "place" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_second_tap_does_not_file_twice(client, student, plumbing):
    # Given a request just filed
    client.force_login(student)
    client.post(NEW, filing(plumbing))
    # When the button is tapped again with the same fault
    response = client.post(NEW, filing(plumbing))
    # Then the service's message is shown on the category and nothing new is filed
    assert response.status_code == 409
    assert "You already reported a fault of this kind here" in str(
        response.context["form"].errors["category"]
    )
    assert Ticket.objects.count() == 1


def test_too_many_open_requests_is_a_form_error_not_a_500(client, student, room):
    # Given a student with the most requests under way one may have
    for n in range(MAX_OPEN_PER_REPORTER):
        f.ticket(room=room, reporter=student, description=f"fault {n}")
    client.force_login(student)
    # When they file another kind of fault
    response = client.post(NEW, filing(f.category("electrical")))
    # Then they are told to wait
    assert response.status_code == 409
    assert "repair requests under way" in " ".join(response.context["form"].non_field_errors())
    assert Ticket.objects.count() == MAX_OPEN_PER_REPORTER


def test_a_resident_reports_a_public_area_of_their_campus(client, student, washroom, plumbing):
    client.force_login(student)
    response = client.post(NEW, filing(plumbing, place=f"area-{washroom.pk}"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.area == washroom and ticket.room is None and ticket.building == washroom.building


# --- QR codes ----------------------------------------------------------------------------------


def test_the_qr_code_of_their_own_room_fills_it_in(client, student, room):
    client.force_login(student)
    response = client.get(f"{NEW}?room={room.pk}")
    assert response.context["form"]["place"].value() == "room"
    assert 'data-testid="qr-place"' in response.content.decode()


def test_a_public_areas_code_fills_in_the_area(client, student, washroom):
    client.force_login(student)
    response = client.get(f"{NEW}?area={washroom.pk}")
    assert response.context["form"]["place"].value() == f"area-{washroom.pk}"
    assert "Washroom 1F" in response.content.decode()


def test_another_rooms_code_is_refused_kindly_and_their_own_room_offered(
    client, student, other_room
):
    # Given a student who scans the code on their neighbour's door
    client.force_login(student)
    response = client.get(f"{NEW}?room={other_room.pk}")
    page = response.content.decode()
    # Then they are told kindly, and their own room is filled in instead
    assert response.status_code == 200
    assert 'data-testid="qr-notice"' in page
    assert "You can report a fault in the room you live in, or in a public area" in page
    assert response.context["form"]["place"].value() == "room"
    # and the neighbour's room number is not revealed (in the text: ids in attributes may
    # contain 102 by chance)
    text = re.sub(r"<[^>]*>", " ", page)
    assert not re.search(r"\b102\b", text)


def test_a_code_of_another_campus_or_rubbish_is_refused_kindly(client, student, other_campus):
    elsewhere = f.PublicAreaFactory(campus=other_campus)
    client.force_login(student)
    for query in [f"area={elsewhere.pk}", "room=abc", "area=99999999"]:
        response = client.get(f"{NEW}?{query}")
        assert response.status_code == 200
        assert 'data-testid="qr-notice"' in response.content.decode()


def test_a_dorm_manager_files_for_a_room_of_their_building(client, manager, building, room):
    # Given a dorm manager who scans a room's code
    client.force_login(manager)
    response = client.get(f"{NEW}?room={room.pk}")
    form = response.context["form"]
    assert form["building"].value() == building.pk and form["room_number"].value() == "101"
    # When they file for it
    data = filing(f.category("electrical"), building=building.pk, room_number="101")
    del data["place"]
    response = client.post(NEW, data)
    # Then it is filed for that room, with them as the reporter
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.room == room and ticket.reporter == manager


def test_staff_see_only_their_buildings_and_a_wrong_room_number_is_explained(
    client, manager, building, campus
):
    other = f.BuildingFactory(campus=campus, code="S09")
    client.force_login(manager)
    response = client.get(NEW)
    assert list(response.context["form"].fields["building"].queryset) == [building]
    data = filing(f.category("electrical"), building=building.pk, room_number="999")
    del data["place"]
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert "There is no room 999 in Songbei 1." in response.context["form"].errors["room_number"]
    # a building outside their scope is not a valid choice
    data["building"] = other.pk
    response = client.post(NEW, data)
    assert "building" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_a_dispatcher_files_for_a_public_area_of_their_campus(client, dispatcher, campus):
    lobby = f.PublicAreaFactory(campus=campus, code="LOBBY", name="大厅", name_en="Lobby")
    client.force_login(dispatcher)
    response = client.get(f"{NEW}?area={lobby.pk}")
    assert response.context["form"]["area"].value() == lobby.pk
    data = filing(f.category("electrical"), area=lobby.pk)
    del data["place"]
    assert client.post(NEW, data).status_code == 302
    assert Ticket.objects.get().area == lobby


def test_staff_choose_a_room_or_an_area_not_both(client, dispatcher, building, room, campus):
    lobby = f.PublicAreaFactory(campus=campus)
    client.force_login(dispatcher)
    data = filing(f.category("electrical"), area=lobby.pk, building=building.pk, room_number="101")
    del data["place"]
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert "Choose a room or a public area, not both." in response.context["form"].errors["area"]


def test_a_dispatcher_of_another_campus_cannot_file_here(client, other_dispatcher, building, room):
    # Given a dispatcher of Jiangnan who scans a Songbei room's code
    client.force_login(other_dispatcher)
    response = client.get(f"{NEW}?room={room.pk}")
    # Then the place is not filled in, they are told why, and Songbei is not offered
    assert 'data-testid="qr-notice"' in response.content.decode()
    assert building not in response.context["form"].fields["building"].queryset
    data = filing(f.category("electrical"), building=building.pk, room_number="101")
    del data["place"]
    assert client.post(NEW, data).status_code == 400
    assert not Ticket.objects.exists()


def test_an_administrator_files_anywhere(client, admin, building, room):
    client.force_login(admin)
    response = client.get(f"{NEW}?room={room.pk}")
    assert response.context["form"]["room_number"].value() == "101"
    data = filing(f.category("electrical"), building=building.pk, room_number="101")
    del data["place"]
    assert client.post(NEW, data).status_code == 302
    assert Ticket.objects.get().reporter == admin


def test_get_never_files(client, student, plumbing):
    client.force_login(student)
    client.get(NEW, filing(plumbing))
    assert not Ticket.objects.exists()


# --- My repairs --------------------------------------------------------------------------------


def test_my_repairs_lists_mine_and_my_rooms_but_not_my_neighbours(
    client, student, roommate, neighbour, room, other_room
):
    mine = f.ticket(room=room, reporter=student)
    roommates = f.ticket(room=room, reporter=roommate, category_code="electrical")
    f.ticket(room=other_room, reporter=neighbour)
    client.force_login(student)
    response = client.get(MINE)
    assert [t.pk for t in response.context["tickets"]] == [roommates.pk, mine.pk]
    page = response.content.decode()
    assert f"reported by {roommate.display_name}" in page


def test_the_filter_separates_what_is_under_way_from_what_is_finished(client, student, room):
    waiting = f.ticket(room=room, reporter=student, status="done", finished_at=timezone.now())
    f.ticket(room=room, reporter=student, status="closed", category_code="electrical")
    underway = f.ticket(room=room, reporter=student, status="assigned", category_code="network")
    client.force_login(student)
    opened = [t.pk for t in client.get(MINE, {"show": "open"}).context["tickets"]]
    finished = [t.pk for t in client.get(MINE, {"show": "finished"}).context["tickets"]]
    everything = client.get(MINE, {"show": "bogus"}).context["tickets"]
    assert opened == [underway.pk, waiting.pk]
    assert len(finished) == 1 and len(everything) == 3
    assert 'data-testid="please-confirm"' in client.get(MINE).content.decode()


def test_overdue_requests_say_so(client, student, room):
    f.ticket(
        room=room,
        reporter=student,
        respond_by=timezone.now() - timedelta(minutes=5),
        complete_by=timezone.now() + timedelta(hours=5),
    )
    client.force_login(student)
    page = client.get(MINE).content.decode()
    assert 'data-state="overdue"' in page and "Response overdue by" in page


def test_nothing_yet_shows_a_big_report_button(client, student):
    client.force_login(student)
    page = client.get(MINE).content.decode()
    assert 'data-testid="empty"' in page and 'data-testid="report-repair"' in page


def test_my_repairs_is_paginated_by_twenty(client, student, room):
    for n in range(23):
        f.ticket(room=room, reporter=student, description=f"fault {n}")
    client.force_login(student)
    first = client.get(MINE)
    assert len(first.context["tickets"]) == 20 and first.context["page"].has_next()
    assert len(client.get(MINE, {"page": 2}).context["tickets"]) == 3
    assert len(client.get(MINE, {"page": "x"}).context["tickets"]) == 20


@pytest.mark.parametrize("count", [1, 20])
def test_my_repairs_query_count_does_not_grow(
    client, student, room, count, django_assert_num_queries
):
    for n in range(count):
        f.ticket(room=room, reporter=student, description=f"fault {n}")
    client.force_login(student)
    client.get(MINE)  # the bell's unread count is cached from here on
    # session, user with role grants, the student's room (read once, for what they may see and
    # for their room's requests), the count for the pages, the page of requests with place,
    # category, reporter and technician
    with django_assert_num_queries(5):
        response = client.get(MINE)
    assert len(response.context["tickets"]) == count


def test_staff_see_only_what_they_reported_themselves(client, manager, student, room):
    # Given a request of a student in the manager's building, and one the manager filed
    f.ticket(room=room, reporter=student)
    own = f.ticket(room=room, reporter=manager, category_code="electrical")
    # Then "my repairs" lists only the manager's own (the building's are on their own pages)
    client.force_login(manager)
    assert [t.pk for t in client.get(MINE).context["tickets"]] == [own.pk]


@pytest.mark.parametrize("count", [1, 12])
def test_a_students_home_query_count_does_not_grow(
    client, student, room, count, django_assert_num_queries
):
    # Given a student with requests under way and finished
    for n in range(count):
        f.ticket(room=room, reporter=student, description=f"fault {n}")
        f.ticket(room=room, reporter=student, description=f"done {n}", status="closed")
    client.force_login(student)
    client.get("/")  # the bell's unread count is cached from here on
    # session, user with role grants, then the home page's panels: the safety findings in their
    # room (none here, so no panel), the student's resident record with their room, the move-out
    # notice for their year; what waits for them (logistics.waiting): their repairs to
    # confirm, a condition report, charges to dispute, surveys: four, however many requests
    with django_assert_num_queries(9):
        response = client.get("/")
    assert response.status_code == 200

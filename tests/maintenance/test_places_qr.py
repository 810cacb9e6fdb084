"""Places and their QR codes: the list of buildings and public areas, new public areas, the
printable sheets (a building's rooms and areas, a campus's areas outside the buildings) and
single codes. Every code opens the repair form with its place filled in."""

import pytest
import segno
from django.urls import reverse
from django.utils import translation

from logistics.models import AuditEvent, Role
from maintenance.models import PublicArea
from tests import factories as f

pytestmark = pytest.mark.django_db

PLACES = reverse("maintenance:place_list")
AREA_NEW = reverse("maintenance:area_new")


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def manager(building):
    user = f.user_with_role(Role.DORM_MANAGER, username="manager1")
    f.BuildingAssignmentFactory(user=user, building=building)
    return user


@pytest.fixture
def other_manager(campus):
    user = f.user_with_role(Role.SHIFT_LEAD, username="lead2")
    f.BuildingAssignmentFactory(user=user, building=f.BuildingFactory(campus=campus, code="S02"))
    return user


@pytest.fixture
def washroom(campus, building):
    return f.PublicAreaFactory(
        campus=campus, building=building, code="S01-WC1", name="一楼卫生间", name_en="Washroom 1F"
    )


@pytest.fixture
def laundry(campus):
    """A public area outside the buildings."""
    return f.PublicAreaFactory(campus=campus, code="LAUNDRY", name="洗衣房", name_en="Laundry")


def sheet(building):
    return reverse("maintenance:qr_sheet", args=[building.pk])


def campus_sheet(campus):
    return reverse("maintenance:campus_qr_sheet", args=[campus.pk])


def code(kind, pk):
    return reverse("maintenance:qr_code", args=[kind, pk])


def expected_image(url):
    return segno.make_qr(url, error="m").svg_data_uri(omitsize=True, border=2)


# --- Who ---------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, building, room, campus):
    for address in [PLACES, AREA_NEW, sheet(building), campus_sheet(campus), code("room", room.pk)]:
        response = client.get(address)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_residents_and_technicians_see_no_places(
    client, student, roommate, plumber, building, room
):
    for user in [student, roommate, plumber]:
        client.force_login(user)
        for address in [PLACES, AREA_NEW, sheet(building), code("room", room.pk)]:
            assert client.get(address).status_code == 404, (user, address)


def test_who_prints_which_sheet(
    client,
    building,
    room,
    campus,
    laundry,
    dispatcher,
    other_dispatcher,
    manager,
    other_manager,
    admin,
):
    # The campus's dispatcher, the building's manager and an administrator print the building
    for user in [dispatcher, manager, admin]:
        client.force_login(user)
        assert client.get(sheet(building)).status_code == 200, user
        assert client.get(code("room", room.pk)).status_code == 200, user
    # a dispatcher of another campus and the manager of another building do not
    for user in [other_dispatcher, other_manager]:
        client.force_login(user)
        assert client.get(PLACES).status_code == 200
        assert client.get(sheet(building)).status_code == 404, user
        assert client.get(code("room", room.pk)).status_code == 404, user
    # the campus sheet (areas outside the buildings) is for its dispatchers and administrators
    for user, status in [(dispatcher, 200), (admin, 200), (manager, 404), (other_dispatcher, 404)]:
        client.force_login(user)
        assert client.get(campus_sheet(campus)).status_code == status, user
        assert client.get(code("area", laundry.pk)).status_code == status, user


def test_the_place_list_shows_what_is_in_scope(
    client, building, campus, other_campus, washroom, laundry, dispatcher, manager
):
    f.BuildingFactory(campus=other_campus, code="J01")
    f.PublicAreaFactory(campus=other_campus, code="J-GYM")
    client.force_login(dispatcher)
    response = client.get(PLACES)
    assert [b.code for b in response.context["buildings"]] == ["S01"]
    assert {a.code for a in response.context["areas"]} == {"S01-WC1", "LAUNDRY"}
    page = response.content.decode()
    assert sheet(building) in page and campus_sheet(campus) in page and AREA_NEW in page
    # a dorm manager sees their building and its areas, without the campus sheet
    client.force_login(manager)
    response = client.get(PLACES)
    assert [b.code for b in response.context["buildings"]] == ["S01"]
    assert [a.code for a in response.context["areas"]] == ["S01-WC1"]
    assert campus_sheet(campus) not in response.content.decode()
    assert AREA_NEW not in response.content.decode()


@pytest.mark.parametrize("buildings", [1, 8])
def test_the_place_list_query_count_does_not_grow(
    client, campus, dispatcher, buildings, django_assert_num_queries
):
    for n in range(buildings):
        b = f.BuildingFactory(campus=campus, code=f"X{n:02d}")
        f.RoomFactory(building=b)
        f.PublicAreaFactory(campus=campus, building=b, code=f"X{n:02d}-WC")
    client.force_login(dispatcher)
    client.get(PLACES)
    # session, user with role grants, buildings with campus and room counts, areas with campus
    # and building, the campuses with sheets
    with django_assert_num_queries(5):
        response = client.get(PLACES)
    assert len(response.context["buildings"]) == buildings


# --- The sheets --------------------------------------------------------------------------------


def test_a_buildings_sheet_has_a_card_per_room_and_area(
    client, building, room, washroom, laundry, dispatcher, settings
):
    settings.PORTAL_BASE_URL = "https://hq.example.edu.cn/"
    second = f.RoomFactory(building=building, number="102")
    client.force_login(dispatcher)
    response = client.get(sheet(building))
    page = response.content.decode()
    cards = response.context["cards"]
    # Then each room and the building's area has a card; the laundry outside does not
    assert [c.title for c in cards] == ["101", "102", "Washroom 1F"]
    new = "https://hq.example.edu.cn" + reverse("maintenance:ticket_new")
    assert [c.url for c in cards] == [
        f"{new}?room={room.pk}",
        f"{new}?room={second.pk}",
        f"{new}?area={washroom.pk}",
    ]
    # each card's image is the QR code of its address, embedded as an SVG data URI
    assert all(c.image == expected_image(c.url) for c in cards)
    assert cards[0].image.startswith("data:image/svg+xml")
    assert f'data-testid="qr-room-{room.pk}"' in page
    assert "扫码报修" in page and "Scan to report a repair" in page
    # printable: the sheet's own print styles, no inline <style>
    assert "css/qr-sheet.css" in page and "<style" not in page


def test_without_a_base_url_the_codes_use_the_address_asked(
    client, building, room, dispatcher, settings
):
    settings.PORTAL_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["portal.test"]
    client.force_login(dispatcher)
    response = client.get(sheet(building), HTTP_HOST="portal.test")
    assert response.context["cards"][0].url == (
        f"http://portal.test{reverse('maintenance:ticket_new')}?room={room.pk}"
    )


def test_the_campus_sheet_has_the_areas_outside_the_buildings(
    client, campus, washroom, laundry, dispatcher
):
    client.force_login(dispatcher)
    cards = client.get(campus_sheet(campus)).context["cards"]
    assert [c.title for c in cards] == ["Laundry"]
    assert cards[0].url.endswith(f"?area={laundry.pk}")


def test_an_empty_sheet_says_so(client, campus, dispatcher):
    client.force_login(dispatcher)
    assert 'data-testid="qr-empty"' in client.get(campus_sheet(campus)).content.decode()


@pytest.mark.parametrize("rooms", [2, 30])
def test_the_sheet_query_count_does_not_grow_with_rooms(
    client, building, campus, dispatcher, rooms, django_assert_num_queries
):
    for n in range(rooms):
        f.RoomFactory(building=building, number=f"{200 + n}", with_beds=False)
    f.PublicAreaFactory(campus=campus, building=building)
    client.force_login(dispatcher)
    client.get(sheet(building))
    # session, user with role grants, the building with its campus, its rooms, its areas
    with django_assert_num_queries(5):
        response = client.get(sheet(building))
    assert len(response.context["cards"]) == rooms + 1


def test_a_code_opens_the_form_with_the_place(client, building, room, student, dispatcher):
    # Given the address in a room's code
    client.force_login(dispatcher)
    card = client.get(sheet(building)).context["cards"][0]
    # When the student who lives there opens it
    client.force_login(student)
    response = client.get(card.url)
    # Then the form has their room filled in
    assert response.status_code == 200
    assert response.context["form"]["place"].value() == "room"
    assert 'data-testid="qr-place"' in response.content.decode()


# --- One code ----------------------------------------------------------------------------------


def test_one_code_is_an_svg_file(client, room, washroom, dispatcher):
    client.force_login(dispatcher)
    response = client.get(code("room", room.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.startswith("<?xml") and "<svg" in body and "http://www.w3.org/2000/svg" in body
    assert client.get(code("area", washroom.pk)).status_code == 200


def test_unknown_kinds_and_places_answer_404(client, room, dispatcher):
    client.force_login(dispatcher)
    assert client.get(code("bed", room.pk)).status_code == 404
    assert client.get(code("room", room.pk + 999)).status_code == 404
    assert client.get(code("area", 999)).status_code == 404


# --- New public areas --------------------------------------------------------------------------


def test_a_dispatcher_adds_a_public_area(client, campus, building, dispatcher):
    client.force_login(dispatcher)
    assert client.get(AREA_NEW).status_code == 200
    data = {
        "campus": campus.pk,
        "building": building.pk,
        "code": " S01-WC2 ",
        "name": "二楼卫生间",
        "name_en": "Washroom 2F",
    }
    response = client.post(AREA_NEW, data, follow=True)
    area = PublicArea.objects.get()
    assert area.code == "S01-WC2" and area.building == building and area.campus == campus
    assert "Public area Washroom 2F added" in response.content.decode()
    assert AuditEvent.objects.filter(action="repair.area_create", actor=dispatcher).exists()


def test_area_codes_are_unique_per_campus(client, campus, other_campus, dispatcher, admin):
    f.PublicAreaFactory(campus=campus, code="GYM")
    client.force_login(dispatcher)
    response = client.post(AREA_NEW, {"campus": campus.pk, "code": "gym", "name": "体育馆"})
    assert response.status_code == 400
    assert (
        "This campus already has a public area with this code."
        in (response.context["form"].errors["code"])
    )
    # the same code on another campus is fine (for someone who dispatches it)
    client.force_login(admin)
    client.post(AREA_NEW, {"campus": other_campus.pk, "code": "GYM", "name": "体育馆"})
    assert PublicArea.objects.filter(code="GYM").count() == 2


def test_areas_only_on_the_dispatchers_campus_and_its_buildings(
    client, campus, other_campus, dispatcher
):
    elsewhere = f.BuildingFactory(campus=other_campus, code="J01")
    client.force_login(dispatcher)
    response = client.post(AREA_NEW, {"campus": other_campus.pk, "code": "X", "name": "某处"})
    assert response.status_code == 400 and "campus" in response.context["form"].errors
    response = client.post(
        AREA_NEW, {"campus": campus.pk, "building": elsewhere.pk, "code": "X", "name": "某处"}
    )
    assert response.status_code == 400 and "building" in response.context["form"].errors
    assert not PublicArea.objects.exists()


def test_only_dispatchers_and_administrators_add_areas(client, manager, campus, admin):
    client.force_login(manager)
    assert client.get(AREA_NEW).status_code == 404
    assert client.post(AREA_NEW, {"campus": campus.pk, "code": "X", "name": "x"}).status_code == 404
    client.force_login(admin)
    assert client.get(AREA_NEW).status_code == 200
    assert not PublicArea.objects.exists()


def test_an_empty_area_form_shows_its_errors(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(AREA_NEW, {})
    assert response.status_code == 400
    assert {"code", "name"} <= set(response.context["form"].errors)

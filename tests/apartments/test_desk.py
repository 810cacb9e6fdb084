"""The check-in desk of a building: who may use it, the look-up, the confirmation, the counts."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apartments.models import BedKit, Gender, GenderPolicy, KitType, Stay
from logistics.models import AuditEvent, Role
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def campus():
    return CampusFactory(code="songbei")


@pytest.fixture
def building(campus):
    return BuildingFactory(
        campus=campus, code="S01", name="松北1号公寓", name_en="Songbei Apartment 1"
    )


@pytest.fixture
def beds(building):
    return list(RoomFactory(building=building, number="101", capacity=4).beds.order_by("number"))


@pytest.fixture
def desk(client, manager):
    client.force_login(manager)
    return client


def reserve(resident, bed) -> Stay:
    return Stay.objects.create(
        resident=resident, bed=bed, status=Stay.Status.RESERVED, reserved_at=timezone.now()
    )


def desk_url(building, name="desk"):
    return reverse(f"apartments:{name}", args=[building.pk])


def lookup(client, building, student_id, **extra):
    return client.get(
        desk_url(building, "desk_lookup"), {"student_id": student_id}, **ENGLISH, **extra
    )


def confirm(client, building, student_id, bed=None, *, key=True, kit=True, **extra):
    data = {"student_id": student_id}
    if bed is not None:
        data["bed"] = bed.pk
    if key:
        data["key_issued"] = "on"
    if kit:
        data["kit_issued"] = "on"
    return client.post(desk_url(building, "desk_checkin"), data, **ENGLISH, **extra)


# --- Who may use the desk ---------------------------------------------------------------------


def test_access_story(client, building, beds, manager):
    other_building = BuildingFactory(campus=building.campus, code="S02")
    urls = [desk_url(building), desk_url(building, "desk_lookup") + "?student_id=1"]

    # Anonymous: to the login page
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    # A student, an auditor (may see buildings, does not work desks): as if it did not exist
    for role in (Role.STUDENT, Role.AUDITOR):
        client.force_login(user_with_role(role))
        assert [client.get(url).status_code for url in urls] == [404, 404]

    # The manager of another building
    stranger = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=stranger, building=other_building)
    client.force_login(stranger)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    assert confirm(client, building, "x").status_code == 404

    # The building's manager and shift lead, and an administrator
    shift_lead = user_with_role(Role.SHIFT_LEAD)
    BuildingAssignmentFactory(user=shift_lead, building=building, role=Role.SHIFT_LEAD)
    for user in (manager, shift_lead, user_with_role(Role.ADMIN)):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [200, 200]

    # A building that does not exist
    client.force_login(manager)
    assert client.get(reverse("apartments:desk", args=[999999])).status_code == 404


def test_choosing_the_desk(client, building, manager):
    desk_list = reverse("apartments:desk_choose")
    client.force_login(manager)
    # Only one building: straight to its desk
    response = client.get(desk_list)
    assert response.status_code == 302
    assert response["Location"] == desk_url(building)

    BuildingAssignmentFactory(user=manager, building=BuildingFactory(campus=building.campus))
    response = client.get(desk_list)
    assert response.status_code == 200
    assert len(response.context["buildings"]) == 2

    client.force_login(user_with_role(Role.DORM_MANAGER))
    response = client.get(desk_list, **ENGLISH)
    assert "No building is assigned to you yet" in response.content.decode()


def test_the_desk_is_in_the_service_hall(client, manager):
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert reverse("apartments:desk_choose") in response.content.decode()
    client.force_login(user_with_role(Role.STUDENT))
    assert reverse("apartments:desk_choose") not in client.get(reverse("home")).content.decode()


def test_the_desk_page_has_the_field_counts_and_script(desk, building, beds, campus):
    reserve(ResidentFactory(campus=campus), beds[0])
    response = desk.get(desk_url(building), **ENGLISH)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="student_id"' in page
    assert "autofocus" in page
    assert "js/desk.js" in page
    assert response.context["counts"] == {"checked_in_today": 0, "reserved": 1}
    assert "<script>" not in page  # the CSP forbids inline script


# --- Look-up ------------------------------------------------------------------------------------


def test_lookup_shows_the_resident_and_their_reserved_bed(desk, building, beds, campus):
    resident = ResidentFactory(campus=campus, name="王伟", college="计算机学院", gender=Gender.MALE)
    reserve(resident, beds[1])

    response = lookup(desk, building, resident.student_id, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "王伟" in page and resident.student_id in page
    assert "计算机学院" in page and "Undergraduate" in page and "Male" in page
    assert "Reserved bed" in page and "S01-101-2" in page
    assert response.context["plan"].bed == beds[1]
    # The confirmation form: POST, CSRF, both boxes ticked, the bed shown
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert page.count("checked") >= 2
    assert f'name="bed" value="{beds[1].pk}"' in page
    # htmx gets the fragment only
    assert "<html" not in page


def test_lookup_proposes_a_free_bed_without_a_reservation(desk, building, beds, campus):
    reserve(ResidentFactory(campus=campus), beds[0])
    resident = ResidentFactory(campus=campus)
    response = lookup(desk, building, resident.student_id, **HTMX)
    assert response.context["plan"].bed == beds[1]
    assert "proposed free bed" in response.content.decode()


def test_lookup_without_javascript_renders_the_whole_page(desk, building, beds, campus):
    resident = ResidentFactory(campus=campus)
    response = lookup(desk, building, f"  {resident.student_id} ")  # a scanner's spaces
    page = response.content.decode()
    assert "<html" in page and "S01-101-1" in page
    assert response.context["counts"] == {"checked_in_today": 0, "reserved": 0}


@pytest.mark.parametrize("htmx", [True, False])
def test_lookup_errors_are_clear_messages(desk, building, beds, campus, htmx):
    extra = HTMX if htmx else {}
    other = BuildingFactory(campus=campus, code="S02", name_en="Songbei Apartment 2")
    elsewhere = ResidentFactory(campus=campus)
    reserve(elsewhere, RoomFactory(building=other).beds.first())
    arrived = ResidentFactory(campus=campus, name="李娜")
    Stay.objects.create(
        resident=arrived, bed=beds[3], status=Stay.Status.ACTIVE, checked_in_at=timezone.now()
    )
    woman = ResidentFactory(campus=campus, gender=Gender.FEMALE)
    building.gender_policy = GenderPolicy.MALE
    building.save()

    cases = {
        "0000000000": "No resident has the student id 0000000000.",
        elsewhere.student_id: "S02 Songbei Apartment 2",
        arrived.student_id: "is already checked in: bed S01-101-4, since",
        woman.student_id: "No free bed in S01 Songbei Apartment 1 fits",
        "": "Enter or scan a student id.",
    }
    for student_id, message in cases.items():
        response = lookup(desk, building, student_id, **extra)
        assert response.status_code == 200
        assert message in response.content.decode(), student_id
        assert "plan" not in response.context


@pytest.mark.parametrize("typed", ["王", "ww", "WW", "2509"])
def test_a_name_initials_or_the_start_of_an_id_offers_the_campus_residents(
    desk, building, beds, campus, typed
):
    wang = ResidentFactory(campus=campus, student_id="2509001", name="王伟")
    reserve(wang, beds[0])
    ResidentFactory(campus=CampusFactory(code="jiangnan"), student_id="2509002", name="王五")
    ResidentFactory(campus=campus, student_id="2608003", name="李明")

    response = lookup(desk, building, typed, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    # Only this campus's 王伟, with where they are expected; a click looks them up by id.
    assert html.count('data-testid="desk-candidate"') == 1
    assert "王伟" in html and "S01-101-1" in html and "王五" not in html
    assert f"student_id={wang.student_id}" in html
    assert "plan" not in response.context

    picked = lookup(desk, building, wang.student_id, **HTMX)
    assert picked.context["plan"].resident == wang


def test_hostile_text_at_the_desk_is_escaped_and_offers_nobody(desk, building, beds, campus):
    ResidentFactory(campus=campus, name="<b>王</b>")
    html = lookup(desk, building, "<b>", **HTMX).content.decode()
    assert "<b>王</b>" not in html and "&lt;b&gt;王&lt;/b&gt;" in html
    html = lookup(desk, building, "%", **HTMX).content.decode()
    assert 'data-testid="desk-candidate"' not in html
    assert "No resident has the student id %." in html


def test_get_never_changes_anything(desk, building, beds, campus):
    resident = ResidentFactory(campus=campus)
    reserve(resident, beds[0])
    before = list(Stay.objects.values_list("pk", "status", "bed_id"))
    lookup(desk, building, resident.student_id, **HTMX)
    lookup(desk, building, resident.student_id)
    desk.get(desk_url(building))
    # The check-in itself refuses GET
    response = desk.get(
        desk_url(building, "desk_checkin"), {"student_id": resident.student_id, "bed": beds[0].pk}
    )
    assert response.status_code == 405
    assert list(Stay.objects.values_list("pk", "status", "bed_id")) == before
    assert not AuditEvent.objects.exists()


# --- Confirmation -------------------------------------------------------------------------------


def test_confirming_with_htmx_checks_in_and_says_so(desk, building, beds, campus, manager):
    kit_type = KitType.objects.create(code="standard", name="标准行李")
    BedKit.objects.create(bed=beds[1], kit_type=kit_type, status=BedKit.Status.PLACED)
    resident = ResidentFactory(campus=campus, name="王伟")
    reservation = reserve(resident, beds[1])

    response = confirm(desk, building, resident.student_id, beds[1], key=True, kit=True, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "data-desk-done" in page  # desk.js clears and refocuses the field on this
    assert "王伟 is checked in" in page and "S01-101-2" in page
    # The counts are refreshed out of band
    assert 'id="desk-counts"' in page and 'hx-swap-oob="true"' in page
    assert response.context["counts"] == {"checked_in_today": 1, "reserved": 0}
    reservation.refresh_from_db()
    assert reservation.status == Stay.Status.ACTIVE
    assert reservation.checked_in_by == manager
    assert (reservation.key_issued, reservation.kit_issued) == (True, True)
    assert BedKit.objects.get(bed=beds[1]).status == BedKit.Status.ISSUED


def test_confirming_without_javascript_redirects_with_a_message(desk, building, beds, campus):
    resident = ResidentFactory(campus=campus, name="王伟")

    response = confirm(desk, building, resident.student_id, beds[0], kit=False)

    assert response.status_code == 302
    assert response["Location"] == desk_url(building)
    stay = Stay.objects.get(resident=resident)
    assert (stay.status, stay.key_issued, stay.kit_issued) == ("active", True, False)
    page = desk.get(response["Location"], **ENGLISH).content.decode()
    assert "王伟" in page and "is checked in: bed S01-101-1." in page


def test_confirming_twice_does_not_check_in_twice(desk, building, beds, campus):
    resident = ResidentFactory(campus=campus)
    confirm(desk, building, resident.student_id, beds[0], **HTMX)
    response = confirm(desk, building, resident.student_id, beds[0], **HTMX)
    assert "already checked in" in response.content.decode()
    assert Stay.objects.filter(resident=resident).count() == 1


def test_a_bed_taken_meanwhile_shows_the_next_one_to_confirm(desk, building, beds, campus):
    # Given a look-up proposed bed 1, then another desk gave bed 1 away
    resident = ResidentFactory(campus=campus)
    reserve(ResidentFactory(campus=campus), beds[0])

    response = confirm(desk, building, resident.student_id, beds[0], **HTMX)

    page = response.content.decode()
    assert "Bed S01-101-1 is already taken" in page
    assert response.context["plan"].bed == beds[1]  # confirm again, with the new key
    assert not Stay.objects.filter(resident=resident).exists()


def test_a_bed_of_another_building_cannot_be_posted(desk, building, beds, campus):
    other_bed = RoomFactory(building=BuildingFactory(campus=campus)).beds.first()
    resident = ResidentFactory(campus=campus)
    response = confirm(desk, building, resident.student_id, other_bed)
    assert response.status_code == 404
    assert "No such bed here." in response.content.decode()
    assert not Stay.objects.exists()


def test_a_malformed_confirmation_is_refused(desk, building, beds):
    response = desk.post(desk_url(building, "desk_checkin"), {"bed": "x"}, **ENGLISH, **HTMX)
    assert "Look the resident up again" in response.content.decode()
    assert not Stay.objects.exists()


# --- Query budgets ----------------------------------------------------------------------------


def _fill(building, campus, count):
    """`count` more residents and beds: the numbers must not change the query count."""
    rooms = count // 4
    for i in range(rooms):
        RoomFactory(building=building, floor=2, number=f"2{i:02d}", capacity=4)
    for _ in range(count):
        ResidentFactory(campus=campus)


@pytest.fixture
def warm_content_types():
    ContentType.objects.get_for_model(Stay)  # cached for the process, as in production


@pytest.mark.parametrize("size", [10, 200])
def test_lookup_query_count(desk, building, beds, campus, size, django_assert_num_queries):
    _fill(building, campus, size)
    reserved = ResidentFactory(campus=campus)
    reserve(reserved, beds[0])
    newcomer = ResidentFactory(campus=campus)

    # session, user with role grants, the building; the resident with campus, their current stay
    # with bed, room, building, campus and kit
    with django_assert_num_queries(5):
        response = lookup(desk, building, reserved.student_id, **HTMX)
    assert response.context["plan"].source == "reserved"
    # ... and without a reservation, the first free bed that fits instead
    with django_assert_num_queries(6):
        response = lookup(desk, building, newcomer.student_id, **HTMX)
    assert response.context["plan"].source == "proposed"


@pytest.mark.parametrize("size", [10, 200])
def test_confirm_query_count(
    desk, building, beds, campus, size, warm_content_types, django_assert_num_queries
):
    _fill(building, campus, size)
    reserved = ResidentFactory(campus=campus)
    reserve(reserved, beds[0])
    newcomer = ResidentFactory(campus=campus)

    # session, user with role grants, the building;
    # the attempt's savepoint (a transaction of its own outside tests); resident (locked),
    # current stay (locked), bed (locked); update the stay, mark the kit handed over; open the
    # condition report (insert-or-nothing), tell the resident it is due with the audit record
    # (one insert on PostgreSQL); release; the desk's counts
    together = 0 if connection.vendor == "postgresql" else 1  # logistics.db.insert_together
    with django_assert_num_queries(13 + together):
        response = confirm(desk, building, reserved.student_id, beds[0], **HTMX)
    assert "data-desk-done" in response.content.decode()
    # a proposed bed posted back: the same, with an insert instead of the update
    with django_assert_num_queries(13 + together):
        response = confirm(desk, building, newcomer.student_id, beds[1], **HTMX)
    assert "data-desk-done" in response.content.decode()

"""Move-in condition reports: opened by the check-in, answered by the resident (confirm, or
dispute with notes and photos) before the due date, resolved by the building's staff."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apartments import condition_reports as cr
from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    ConditionItem,
    ConditionReport,
)
from apartments.services import checkin_create
from logistics.models import AuditEvent, Photo, Role
from tests.apartments.move_in_data import building_with_beds, free_beds
from tests.factories import (
    BuildingAssignmentFactory,
    CampusFactory,
    ResidentFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language): services through
    the active language, pages through the browser's Accept-Language."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


MY_ROOM = reverse("apartments:my_room")
DISPUTES = reverse("apartments:condition_disputes")


def jpeg(size=(32, 24)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("broken.jpg", out.getvalue(), content_type="image/jpeg")


def confirm_url(report):
    return reverse("apartments:condition_report_confirm", args=[report.pk])


def dispute_url(report):
    return reverse("apartments:condition_report_dispute", args=[report.pk])


def resolve_url(report):
    return reverse("apartments:condition_report_resolve", args=[report.pk])


@pytest.fixture
def campus():
    return CampusFactory()


@pytest.fixture
def building(campus):
    return building_with_beds(campus, "C01", rooms=2, capacity=2)


@pytest.fixture
def chair_type():
    return AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost=30, replacement_cost=120
    )


@pytest.fixture
def desk_type():
    return AssetType.objects.create(
        code="desk", name="书桌", name_en="Desk", repair_cost=50, replacement_cost=300
    )


def add_assets(room, asset_type, n, prefix=""):
    return [
        Asset.objects.create(
            tag=f"{room.building.code}-{room.number}-{prefix}{asset_type.code}{i}",
            asset_type=asset_type,
            room=room,
        )
        for i in range(n)
    ]


@pytest.fixture
def manager(building):
    user = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=user, building=building)
    return user


@pytest.fixture
def beds(building):
    return free_beds(building)


@pytest.fixture
def room(beds):
    return beds[0].room


@pytest.fixture
def room_assets(room, chair_type, desk_type):
    return add_assets(room, chair_type, 2) + add_assets(room, desk_type, 1)


def check_in(campus, bed, actor):
    resident = ResidentFactory(campus=campus)
    stay = checkin_create(actor=actor, student_id=resident.student_id, bed_id=bed.pk)
    return resident, stay


@pytest.fixture
def checked_in(campus, beds, room_assets, manager):
    """A resident checked in at the desk into a room with two chairs and a desk."""
    resident, stay = check_in(campus, beds[0], manager)
    return resident, stay, stay.condition_report


@pytest.fixture
def resident_client(client, checked_in):
    client.force_login(checked_in[0].user)
    return client


# --- Opening ----------------------------------------------------------------------------------


def test_a_check_in_opens_a_pending_report_due_after_the_set_days(campus, beds, manager, settings):
    # Given residents have 5 days to answer
    settings.CONDITION_REPORT_DAYS = 5
    # When a resident checks in at the desk
    _resident, stay = check_in(campus, beds[0], manager)
    # Then a pending report is open, due 5 days after the check-in date
    report = ConditionReport.objects.get(stay=stay)
    assert report.status == ConditionReport.Status.PENDING
    assert report.due_by == timezone.localdate(stay.checked_in_at) + dt.timedelta(days=5)
    # ... and opening it again changes nothing
    assert cr.condition_report_open(stay=stay).pk == report.pk
    assert ConditionReport.objects.count() == 1


# --- The resident answers --------------------------------------------------------------------


def test_my_room_shows_the_asset_list_and_both_answers(resident_client, checked_in, room_assets):
    response = resident_client.get(MY_ROOM)
    html = response.content.decode()
    assert response.status_code == 200
    for asset in room_assets:
        assert asset.tag in html
    assert "Everything is as listed" in html
    assert "Something is wrong" in html


def test_the_resident_confirms_the_list(resident_client, checked_in):
    resident, _stay, report = checked_in
    # When they press "Everything is as listed"
    response = resident_client.post(confirm_url(report))
    # Then the report is confirmed, with the time, and audited
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ConditionReport.Status.CONFIRMED
    assert report.answered_at is not None
    assert AuditEvent.objects.filter(
        action="apartments.condition_report_confirm", actor=resident.user
    ).exists()
    # ... and My room no longer offers the answers
    html = resident_client.get(MY_ROOM).content.decode()
    assert "Everything is as listed" not in html


def test_the_resident_disputes_a_chair_with_a_photo(resident_client, checked_in, room_assets):
    resident, _stay, report = checked_in
    chair = room_assets[0]
    # Given the form, one row per asset, with a camera field
    page = resident_client.get(dispute_url(report)).content.decode()
    assert 'capture="environment"' in page
    # When they tick the chair, say what is wrong and add a photo
    response = resident_client.post(
        dispute_url(report),
        {
            f"pick_{chair.pk}": "on",
            f"note_{chair.pk}": " leg cracked ",
            f"photo_{chair.pk}": jpeg(),
        },
    )
    # Then the report is disputed with that one item, its note and a re-encoded photo
    assert response.status_code == 302, response.content.decode()[:2000]
    report.refresh_from_db()
    assert report.status == ConditionReport.Status.DISPUTED
    (item,) = report.items.all()
    assert (item.asset, item.note) == (chair, "leg cracked")
    assert item.photo.uploaded_by == resident.user
    assert AuditEvent.objects.filter(action="apartments.condition_report_dispute").exists()
    # ... and the resident may see their own photo
    assert resident_client.get(reverse("photo", args=[item.photo.pk])).status_code == 200


def test_a_dispute_needs_an_item_and_a_note(resident_client, checked_in, room_assets):
    _resident, _stay, report = checked_in
    chair = room_assets[0]
    # Nothing ticked
    response = resident_client.post(dispute_url(report), {})
    assert response.status_code == 400
    assert "Choose at least one item" in response.content.decode()
    # A ticked item without a note
    response = resident_client.post(dispute_url(report), {f"pick_{chair.pk}": "on"})
    assert response.status_code == 400
    assert "Say what is wrong" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ConditionReport.Status.PENDING
    assert not ConditionItem.objects.exists()


def test_the_service_refuses_no_items_and_another_rooms_asset(checked_in, beds, chair_type):
    resident, _stay, report = checked_in
    other_room = next(b.room for b in beds if b.room != report.stay.bed.room)
    (elsewhere,) = add_assets(other_room, chair_type, 1, prefix="x")
    with pytest.raises(cr.ConditionReportError):
        cr.condition_report_dispute(actor=resident.user, report=report, items=[])
    with pytest.raises(cr.ConditionReportError, match="not in your room"):
        cr.condition_report_dispute(
            actor=resident.user, report=report, items=[(elsewhere, "broken", None)]
        )
    report.refresh_from_db()
    assert report.status == ConditionReport.Status.PENDING


def test_after_the_due_date_answers_are_refused_and_the_list_counts_as_accepted(
    resident_client, checked_in, room_assets
):
    resident, _stay, report = checked_in
    ConditionReport.objects.filter(pk=report.pk).update(
        due_by=timezone.localdate() - dt.timedelta(days=1)
    )
    # My room says it was not answered in time, and offers no answer
    html = resident_client.get(MY_ROOM).content.decode()
    assert "Not answered in time" in html
    assert "Everything is as listed" not in html
    # Posting anyway is refused with a clear message
    response = resident_client.post(confirm_url(report), follow=True)
    assert "The time to answer ended" in response.content.decode()
    report.refresh_from_db()
    with pytest.raises(cr.ConditionReportError, match="The time to answer ended"):
        cr.condition_report_dispute(
            actor=resident.user, report=report, items=[(room_assets[0], "broken", None)]
        )
    report.refresh_from_db()
    assert report.status == ConditionReport.Status.PENDING


def test_a_report_is_answered_once(checked_in, room_assets):
    resident, _stay, report = checked_in
    cr.condition_report_confirm(actor=resident.user, report=report)
    with pytest.raises(cr.ConditionReportError, match="already been answered"):
        cr.condition_report_dispute(
            actor=resident.user, report=report, items=[(room_assets[0], "broken", None)]
        )


# --- The manager resolves -----------------------------------------------------------------------


@pytest.fixture
def disputed(checked_in, room_assets):
    resident, _stay, report = checked_in
    cr.condition_report_dispute(
        actor=resident.user,
        report=report,
        items=[(room_assets[0], "leg cracked", jpeg()), (room_assets[2], "scratched", None)],
    )
    report.refresh_from_db()
    return report


def test_the_manager_sees_disputes_with_notes_and_photos(client, manager, disputed):
    client.force_login(manager)
    response = client.get(DISPUTES)
    html = response.content.decode()
    assert response.status_code == 200
    assert "leg cracked" in html and "scratched" in html
    photo = disputed.items.get(note="leg cracked").photo
    assert reverse("photo", args=[photo.pk]) in html
    # ... and may open the photo
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 200
    # ... and the home page counts the dispute
    assert "1 condition report is disputed" in client.get("/").content.decode()


def test_the_manager_resolves_and_corrects_the_books(client, manager, disputed, room_assets):
    client.force_login(manager)
    chair, _other_chair, desk = room_assets
    response = client.post(
        resolve_url(disputed),
        {
            "resolution": "Chair leg was cracked before move-in.",
            f"condition_{chair.pk}": AssetCondition.DAMAGED,
            f"condition_{desk.pk}": "",
        },
    )
    assert response.status_code == 302
    disputed.refresh_from_db()
    assert disputed.status == ConditionReport.Status.RESOLVED
    assert disputed.resolved_by == manager and disputed.resolved_at is not None
    chair.refresh_from_db()
    desk.refresh_from_db()
    assert chair.condition == AssetCondition.DAMAGED  # move-out is judged against this
    assert desk.condition == AssetCondition.GOOD
    assert AuditEvent.objects.filter(action="apartments.condition_report_resolve").exists()
    # ... and it leaves the list
    assert "leg cracked" not in client.get(DISPUTES).content.decode()


def test_only_disputed_items_can_be_corrected(manager, disputed, room_assets):
    other_chair = room_assets[1]
    with pytest.raises(cr.ConditionReportError):
        cr.condition_report_resolve(
            actor=manager,
            report=disputed,
            resolution="ok",
            conditions={other_chair.pk: AssetCondition.MISSING},
        )
    with pytest.raises(cr.ConditionReportError):
        cr.condition_report_resolve(actor=manager, report=disputed, resolution="  ")


# --- Access -------------------------------------------------------------------------------------


def test_another_resident_gets_404(client, campus, disputed, checked_in):
    other = ResidentFactory(campus=campus)
    client.force_login(other.user)
    _r, _s, report = checked_in
    assert client.get(dispute_url(report)).status_code == 404
    assert client.post(confirm_url(report)).status_code == 404
    photo = disputed.items.exclude(photo=None).get().photo
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 404


def test_access_to_the_dispute_list_and_resolving(client, campus, disputed):
    # Anonymous: to the login page
    assert client.get(DISPUTES).status_code == 302
    # A student: not found (role_required)
    client.force_login(ResidentFactory(campus=campus).user)
    assert client.get(DISPUTES).status_code == 404
    # The manager of another building: an empty list, 404 on the report and its photo
    stranger = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=stranger, building=building_with_beds(campus, "C99"))
    client.force_login(stranger)
    assert "leg cracked" not in client.get(DISPUTES).content.decode()
    assert client.post(resolve_url(disputed), {"resolution": "x"}).status_code == 404
    photo = disputed.items.exclude(photo=None).get().photo
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 404
    # An administrator sees it
    client.force_login(user_with_role(Role.ADMIN))
    assert "leg cracked" in client.get(DISPUTES).content.decode()
    disputed.refresh_from_db()
    assert disputed.status == ConditionReport.Status.DISPUTED


def test_get_never_changes_anything(client, manager, checked_in):
    resident, _stay, report = checked_in
    client.force_login(resident.user)
    before = (ConditionReport.objects.get().status, ConditionItem.objects.count())
    assert client.get(confirm_url(report)).status_code == 405
    client.get(dispute_url(report))
    client.get(MY_ROOM)
    client.force_login(manager)
    client.get(DISPUTES)
    assert client.get(resolve_url(report)).status_code == 405
    assert (ConditionReport.objects.get().status, ConditionItem.objects.count()) == before
    assert not Photo.objects.exists()


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("n_assets", [2, 20])
def test_my_room_query_count(
    client, campus, beds, manager, chair_type, n_assets, django_assert_num_queries
):
    room = beds[0].room
    assets = add_assets(room, chair_type, n_assets)
    resident, stay = check_in(campus, beds[0], manager)
    cr.condition_report_dispute(
        actor=resident.user,
        report=stay.condition_report,
        items=[(a, "broken", None) for a in assets],
    )
    client.force_login(resident.user)
    # A first visit puts the bell's unread count into the cache.
    client.get(MY_ROOM)
    # session, user with role grants; the resident, their stay with room, building and campus;
    # the report, its items with assets and types; the room's assets with types; this year's
    # student safety agreement (none published here; with one, the resident's signature too);
    # the roommates; the resident's charges; maintenance's panel: the room, its repairs
    with django_assert_num_queries(12):
        response = client.get(MY_ROOM)
    assert response.status_code == 200


@pytest.mark.parametrize("n_reports", [1, 4])
def test_dispute_list_query_count(
    client, campus, building, manager, chair_type, n_reports, django_assert_num_queries
):
    for bed in free_beds(building)[:n_reports]:
        (asset,) = add_assets(bed.room, chair_type, 1, prefix=f"b{bed.pk}")
        resident, stay = check_in(campus, bed, manager)
        cr.condition_report_dispute(
            actor=resident.user, report=stay.condition_report, items=[(asset, "broken", jpeg())]
        )
    client.force_login(manager)
    # A first visit puts the bell's unread count into the cache.
    client.get(DISPUTES)
    # session, user with role grants; the reports with resident, room and building (scoped by
    # the manager's assignments); their items with assets and types
    with django_assert_num_queries(4):
        response = client.get(DISPUTES)
    assert len(response.context["reports"]) == n_reports

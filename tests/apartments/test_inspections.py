"""Move-out room inspections, charges, keys and clearance: the services and the pages."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from apartments import inspections, move_out
from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    Charge,
    InspectionItem,
    MoveOutRequest,
    RoomInspection,
    Stay,
)
from logistics.models import AuditEvent, Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language): services through
    the active language, pages through the browser's Accept-Language."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    """Room S01-101 with two graduates (the mover and a roommate staying on) and a chair, a
    desk and a lamp; room S01-102 with another student; S02 with its own manager."""
    songbei, _jiangnan = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=2)
    s2 = building_with_beds(songbei, "S02", rooms=1)
    beds = free_beds(s1)
    mover = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(mover, beds[0])
    roommate = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(roommate, beds[1])
    next_door = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(next_door, beds[4])  # room 102
    room = beds[0].room
    chair = AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost=30, replacement_cost=120
    )
    desk = AssetType.objects.create(
        code="desk", name="书桌", name_en="Desk", repair_cost=80, replacement_cost=400
    )
    lamp = AssetType.objects.create(
        code="lamp", name="台灯", name_en="Lamp", repair_cost=10, replacement_cost=45
    )
    for tag, kind in (("CH1", chair), ("DK1", desk), ("LP1", lamp)):
        Asset.objects.create(tag=tag, asset_type=kind, room=room)
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s1)
    other_manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=other_manager, building=s2)
    request = move_out.move_out_file(
        actor=mover.user,
        resident=mover,
        planned_date=timezone.localdate() + dt.timedelta(days=3),
        reason="graduation",
    )
    return {
        "S01": s1,
        "room": room,
        "mover": mover,
        "roommate": roommate,
        "next_door": next_door,
        "manager": manager,
        "other_manager": other_manager,
        "admin": user_with_role(Role.ADMIN),
        "request": request,
        "chair": chair,
    }


def asset(tag):
    return Asset.objects.get(tag=tag)


def start(world):
    return inspections.inspection_start(actor=world["manager"], move_out_request=world["request"])


def complete(world, inspection, **by_tag):
    items = [inspections.ItemInput(asset_id=asset(tag).pk, **v) for tag, v in by_tag.items()]
    return inspections.inspection_complete(
        actor=world["manager"], inspection=inspection, items=items
    )


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 10, 10)).save(out, format="JPEG")
    return SimpleUploadedFile("chair.jpg", out.getvalue(), content_type="image/jpeg")


def tablet_post(world, *, payers, result="damaged", amount="", reason="", shares=None, photo=True):
    """The tablet's form: CH1 `result` charged to `payers`, the rest ok."""
    data = {}
    for tag in ("CH1", "DK1", "LP1"):
        data[f"a{asset(tag).pk}-result"] = "ok"
    prefix = f"a{asset('CH1').pk}"
    data[f"{prefix}-result"] = result
    data[f"{prefix}-amount"] = amount
    data[f"{prefix}-price_reason"] = reason
    data[f"{prefix}-note"] = "leg broken"
    data[f"{prefix}-residents"] = [r.pk for r in payers]
    for resident, share in (shares or {}).items():
        data[f"{prefix}-share_{resident.pk}"] = share
    if photo:
        data[f"{prefix}-photo"] = jpeg()
    return data


# --- The whole story ---------------------------------------------------------------------------


def test_broken_chair_charged_to_one_roommate_disputed_waived_and_cleared(client, world):
    mover, roommate, manager = world["mover"], world["roommate"], world["manager"]
    request = world["request"]

    # Given the manager starts the inspection from the request
    client.force_login(manager)
    response = client.post(reverse("apartments:inspection_start", args=[request.pk]))
    inspection = RoomInspection.objects.get()
    assert response.url == reverse("apartments:inspection", args=[inspection.pk])
    page = client.get(response.url).content.decode()
    for testid in ("inspect-asset-CH1", "result-CH1-damaged", "amount-CH1", "inspection-complete"):
        assert f'data-testid="{testid}' in page
    assert f'data-testid="payer-CH1-{roommate.student_id}"' in page

    # When the broken chair is charged to the roommate only, with a photo
    response = client.post(
        reverse("apartments:inspection_complete", args=[inspection.pk]),
        tablet_post(world, payers=[roommate]),
    )
    assert response.status_code == 302

    # Then the charge is the price list's repair cost, the chair is damaged, the mover inspected
    charge = Charge.objects.get()
    assert (charge.resident, charge.amount, charge.list_price) == (roommate, Decimal("30"), 30)
    assert asset("CH1").condition == AssetCondition.DAMAGED
    assert asset("DK1").condition == AssetCondition.GOOD
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.INSPECTED
    inspection.refresh_from_db()
    assert inspection.status == RoomInspection.Status.COMPLETED
    assert inspection.dispute_until > timezone.now() + dt.timedelta(days=6)
    assert InspectionItem.objects.count() == 3
    assert AuditEvent.objects.filter(action="inspection.complete").exists()

    # The roommate sees the charge; the mover sees no charge
    client.force_login(roommate.user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert 'data-testid="my-charges"' in page and "¥30.00" in page
    client.force_login(mover.user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert "¥30.00" not in page
    page = client.get(reverse("apartments:move_out_request", args=[request.pk])).content.decode()
    assert "No charges." in page

    # The roommate disputes, the manager waives with a reason
    client.force_login(roommate.user)
    client.post(reverse("apartments:charge_dispute", args=[charge.pk]), {"text": "It was old"})
    charge.refresh_from_db()
    assert charge.status == Charge.Status.DISPUTED
    client.force_login(manager)
    client.post(reverse("apartments:charge_waive", args=[charge.pk]), {"reason": ""})
    charge.refresh_from_db()
    assert charge.status == Charge.Status.DISPUTED  # no reason, no waiver
    client.post(reverse("apartments:charge_waive", args=[charge.pk]), {"reason": "Worn out"})
    charge.refresh_from_db()
    assert (charge.status, charge.resolution, charge.settled_by) == ("waived", "Worn out", manager)

    # Keys back: the stay ends, the bed is free, the mover is cleared, then leaves
    client.post(reverse("apartments:keys_return", args=[request.pk]))
    request.refresh_from_db()
    assert request.keys_returned_at is not None
    assert request.status == MoveOutRequest.Status.CLEARED and request.cleared_at is not None
    assert Stay.objects.get(pk=request.stay_id).status == Stay.Status.ENDED
    assert Stay.objects.get(resident=roommate).status == Stay.Status.ACTIVE
    client.post(reverse("apartments:move_out_leave", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.LEFT and request.left_at is not None


def test_a_charged_mover_is_cleared_only_once_the_charge_is_paid(world):
    inspection = start(world)
    complete(world, inspection, CH1={"result": "missing", "resident_ids": [world["mover"].pk]})
    request = world["request"]
    inspections.keys_return(actor=world["manager"], move_out_request=request)
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.INSPECTED  # a charge of 120 is open
    charge = Charge.objects.get()
    assert charge.amount == 120  # missing: the replacement cost
    inspections.charge_pay(actor=world["manager"], charge=charge)
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.CLEARED


def test_other_open_requests_of_the_room_join_the_inspection(world):
    roommate_request = move_out.move_out_file(
        actor=world["roommate"].user,
        resident=world["roommate"],
        planned_date=timezone.localdate() + dt.timedelta(days=3),
        reason="graduation",
    )
    inspection = start(world)
    assert set(inspection.requests.all()) == {world["request"], roommate_request}
    complete(world, inspection)
    roommate_request.refresh_from_db()
    assert roommate_request.status == MoveOutRequest.Status.INSPECTED


# --- Amounts and splits -------------------------------------------------------------------------


def test_a_changed_amount_needs_a_reason(world):
    inspection = start(world)
    with pytest.raises(move_out.MoveOutInvalid):
        complete(
            world,
            inspection,
            CH1={"result": "damaged", "amount": Decimal("20"), "resident_ids": [world["mover"].pk]},
        )
    assert not InspectionItem.objects.exists() and not Charge.objects.exists()
    complete(
        world,
        inspection,
        CH1={
            "result": "damaged",
            "amount": Decimal("20"),
            "price_reason": "Only a screw",
            "resident_ids": [world["mover"].pk],
        },
    )
    charge = Charge.objects.get()
    assert (charge.amount, charge.list_price, charge.price_reason) == (20, 30, "Only a screw")


def test_the_tablet_shows_the_missing_reason_and_saves_nothing(client, world):
    inspection = start(world)
    client.force_login(world["manager"])
    response = client.post(
        reverse("apartments:inspection_complete", args=[inspection.pk]),
        tablet_post(world, payers=[world["mover"]], amount="10", photo=False),
    )
    assert response.status_code == 400
    assert "Give a reason when the amount differs" in response.content.decode()
    assert not InspectionItem.objects.exists()
    inspection.refresh_from_db()
    assert inspection.status == RoomInspection.Status.OPEN


def test_an_amount_of_zero_charges_nobody(world):
    inspection = start(world)
    complete(
        world,
        inspection,
        CH1={"result": "damaged", "amount": Decimal("0"), "price_reason": "Goodwill"},
    )
    assert InspectionItem.objects.filter(result="damaged").count() == 1
    assert not Charge.objects.exists()


def test_an_equal_split_adds_up_to_the_cent_with_the_remainder_on_the_first():
    assert inspections.split_equally(Decimal("100.00"), 3) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert sum(inspections.split_equally(Decimal("0.05"), 2)) == Decimal("0.05")


def test_a_split_charges_each_roommate_their_share(world):
    mover, roommate = world["mover"], world["roommate"]
    inspection = start(world)
    complete(world, inspection, DK1={"result": "damaged", "resident_ids": [mover.pk, roommate.pk]})
    # 80.00 in two: 40 each
    assert sorted(Charge.objects.values_list("amount", flat=True)) == [40, 40]


def test_explicit_shares_must_add_up(client, world):
    mover, roommate = world["mover"], world["roommate"]
    inspection = start(world)
    client.force_login(world["manager"])
    url = reverse("apartments:inspection_complete", args=[inspection.pk])
    wrong = tablet_post(world, payers=[mover, roommate], shares={mover: "10", roommate: "10"})
    response = client.post(url, wrong)
    assert response.status_code == 400
    assert "The shares add up to 20.00, not 30.00." in response.content.decode()
    right = tablet_post(world, payers=[mover, roommate], shares={mover: "25", roommate: "5"})
    assert client.post(url, right).status_code == 302
    assert dict(Charge.objects.values_list("resident_id", "amount")) == {
        mover.pk: Decimal("25.00"),
        roommate.pk: Decimal("5.00"),
    }


def test_only_residents_of_the_room_can_be_charged(world):
    inspection = start(world)
    with pytest.raises(move_out.MoveOutInvalid):
        complete(
            world, inspection, CH1={"result": "damaged", "resident_ids": [world["next_door"].pk]}
        )


# --- Frozen, GET, disputes ----------------------------------------------------------------------


def test_a_completed_inspection_is_frozen(client, world):
    inspection = start(world)
    complete(world, inspection)
    with pytest.raises(inspections.InspectionFrozen):
        complete(world, inspection, CH1={"result": "missing", "resident_ids": [world["mover"].pk]})
    client.force_login(world["manager"])
    client.post(
        reverse("apartments:inspection_complete", args=[inspection.pk]),
        tablet_post(world, payers=[world["mover"]]),
    )
    assert InspectionItem.objects.filter(result="ok").count() == 3
    assert not Charge.objects.exists()
    page = client.get(reverse("apartments:inspection", args=[inspection.pk])).content.decode()
    assert 'data-testid="inspection-complete"' not in page


def test_get_never_changes_anything(client, world):
    client.force_login(world["manager"])
    request = world["request"]
    for name in ("inspection_start", "keys_return", "move_out_leave"):
        assert client.get(reverse(f"apartments:{name}", args=[request.pk])).status_code == 405
    assert not RoomInspection.objects.exists()
    inspection = start(world)
    complete(world, inspection, CH1={"result": "damaged", "resident_ids": [world["mover"].pk]})
    charge = Charge.objects.get()
    before = AuditEvent.objects.count()
    assert (
        client.get(reverse("apartments:inspection_complete", args=[inspection.pk])).status_code
        == 405
    )
    for name in ("charge_pay", "charge_waive", "charge_answer", "charge_dispute"):
        assert client.get(reverse(f"apartments:{name}", args=[charge.pk])).status_code == 405
    client.get(reverse("apartments:inspection", args=[inspection.pk]))
    client.get(reverse("apartments:move_out_request", args=[request.pk]))
    assert AuditEvent.objects.count() == before
    charge.refresh_from_db()
    assert charge.status == Charge.Status.OPEN


def test_an_overdue_dispute_is_refused_with_a_clear_message(client, world):
    inspection = start(world)
    complete(world, inspection, CH1={"result": "damaged", "resident_ids": [world["mover"].pk]})
    RoomInspection.objects.update(dispute_until=timezone.now() - dt.timedelta(minutes=1))
    charge = Charge.objects.get()
    client.force_login(world["mover"].user)
    response = client.post(
        reverse("apartments:charge_dispute", args=[charge.pk]), {"text": "not me"}, follow=True
    )
    assert "The time to dispute this charge is over" in response.content.decode()
    charge.refresh_from_db()
    assert charge.status == Charge.Status.OPEN


def test_a_dispute_needs_a_text_and_the_answer_may_change_the_amount_with_a_reason(world):
    mover = world["mover"]
    inspection = start(world)
    complete(world, inspection, CH1={"result": "damaged", "resident_ids": [mover.pk]})
    charge = Charge.objects.get()
    with pytest.raises(move_out.MoveOutInvalid):
        inspections.charge_dispute(actor=mover.user, charge=charge, text="  ")
    inspections.charge_dispute(actor=mover.user, charge=charge, text="Already broken")
    with pytest.raises(move_out.MoveOutInvalid):
        inspections.charge_answer(
            actor=world["manager"], charge=charge, resolution="Half", amount=Decimal("15")
        )
    inspections.charge_answer(
        actor=world["manager"],
        charge=charge,
        resolution="Half, it was loose before",
        amount=Decimal("15"),
        price_reason="Shared fault",
    )
    charge.refresh_from_db()
    assert (charge.status, charge.amount) == (Charge.Status.OPEN, Decimal("15.00"))
    with pytest.raises(move_out.WrongStatus):  # one dispute per charge
        inspections.charge_dispute(actor=mover.user, charge=charge, text="Again")


# --- Who may do what ----------------------------------------------------------------------------


def test_access_other_building_and_other_room_get_404(client, world):
    request = world["request"]
    inspection = start(world)
    complete(world, inspection, CH1={"result": "damaged", "resident_ids": [world["mover"].pk]})
    charge = Charge.objects.get()
    # A manager of another building
    client.force_login(world["other_manager"])
    assert client.get(reverse("apartments:inspection", args=[inspection.pk])).status_code == 404
    for name in ("keys_return", "inspection_start"):
        assert client.post(reverse(f"apartments:{name}", args=[request.pk])).status_code == 404
    for name in ("charge_pay", "charge_waive"):
        response = client.post(reverse(f"apartments:{name}", args=[charge.pk]), {"reason": "x"})
        assert response.status_code == 404
    # A student of another room, and the uncharged roommate
    for resident in (world["next_door"], world["roommate"]):
        client.force_login(resident.user)
        assert client.get(reverse("apartments:inspection", args=[inspection.pk])).status_code == 404
        response = client.post(
            reverse("apartments:charge_dispute", args=[charge.pk]), {"text": "x"}
        )
        assert response.status_code == 404
        assert client.post(reverse("apartments:charge_pay", args=[charge.pk])).status_code == 404
    # Anonymous
    client.logout()
    response = client.get(reverse("apartments:inspection", args=[inspection.pk]))
    assert response.status_code == 302 and "login" in response.url
    charge.refresh_from_db()
    assert charge.status == Charge.Status.OPEN


def test_a_resident_cannot_inspect_their_own_room(client, world):
    client.force_login(world["mover"].user)
    response = client.post(reverse("apartments:inspection_start", args=[world["request"].pk]))
    assert response.status_code == 404
    assert not RoomInspection.objects.exists()


def test_photo_is_seen_by_building_staff_admins_and_the_charged_resident_only(client, world):
    inspection = start(world)
    client.force_login(world["manager"])
    client.post(
        reverse("apartments:inspection_complete", args=[inspection.pk]),
        tablet_post(world, payers=[world["roommate"]]),
    )
    photo_id = InspectionItem.objects.get(result="damaged").photo_id
    url = reverse("photo", args=[photo_id])
    other_staff = user_with_role(Role.SHIFT_LEAD)
    BuildingAssignmentFactory(user=other_staff, building=world["S01"])
    for user, status in (
        (world["manager"], 200),
        (other_staff, 200),
        (world["admin"], 200),
        (world["roommate"].user, 200),
        (world["mover"].user, 404),
        (world["next_door"].user, 404),
        (world["other_manager"], 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_clearance_export_for_administrators_filtered_by_year(client, world):
    other_year = ResidentFactory(campus=world["mover"].campus, graduation_year=2025)
    stay(other_year, free_beds(world["S01"])[0])
    move_out.move_out_file(
        actor=other_year.user,
        resident=other_year,
        planned_date=timezone.localdate(),
        reason="graduation",
    )
    inspection = start(world)
    complete(world, inspection, CH1={"result": "damaged", "resident_ids": [world["mover"].pk]})
    client.force_login(world["manager"])
    assert client.get(reverse("apartments:clearance_export")).status_code == 404
    client.force_login(world["admin"])
    assert client.get(reverse("apartments:clearance")).status_code == 200
    response = client.get(
        reverse("apartments:clearance_export"), {"year": 2026}, HTTP_ACCEPT_LANGUAGE="en"
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "Student id"
    assert len(rows) == 2
    mover = world["mover"]
    assert rows[1][0] == mover.student_id
    assert rows[1][2] == "S01-101-1"
    assert rows[1][5:7] == (30, 30)


# --- Query budgets ------------------------------------------------------------------------------


def test_the_tablet_page_queries_do_not_grow_with_the_assets(
    client, world, django_assert_num_queries
):
    inspection = start(world)
    client.force_login(world["manager"])
    url = reverse("apartments:inspection", args=[inspection.pk])
    # A first visit puts the bell's unread count into the cache.
    client.get(url)
    # session, user with role grants, the inspection (room, building, inspector), may_inspect,
    # the room's assets with their types, the residents who may be charged
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.content.decode().count('data-testid="inspect-asset-') == 3
    for i in range(6):
        Asset.objects.create(tag=f"X{i}", asset_type=world["chair"], room=world["room"])
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.content.decode().count('data-testid="inspect-asset-') == 9
    complete(world, inspection)
    # completed (read-only, so no may_inspect): session, user, role grants, the inspection,
    # the items with assets, types and photos, their charges with residents
    with django_assert_num_queries(5):
        client.get(url)


def test_the_resident_page_queries_do_not_grow_with_the_charges(
    client, world, django_assert_num_queries
):
    mover = world["mover"]
    inspection = start(world)
    complete(world, inspection, CH1={"result": "damaged", "resident_ids": [mover.pk]})
    client.force_login(mover.user)
    url = reverse("apartments:my_move_out")
    # A first visit puts the bell's unread count into the cache.
    client.get(url)
    # session, user with role grants, the resident, the current stay, the requests, the notices,
    # the charges with items, assets, photos and inspections
    with django_assert_num_queries(7):
        client.get(url)
    more = RoomInspection.objects.create(room=world["room"], inspector=world["manager"])
    for i in range(4):
        a = Asset.objects.create(tag=f"Y{i}", asset_type=world["chair"], room=world["room"])
        item = InspectionItem.objects.create(inspection=more, asset=a, result="damaged")
        Charge.objects.create(item=item, resident=mover, amount=5, list_price=30, price_reason="x")
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.content.decode().count('data-testid="charge-status"') == 5


def test_the_manager_answers_a_dispute_on_the_request_page(client, world):
    # Given the roommate disputes a 30.00 charge for the broken chair
    roommate, manager = world["roommate"], world["manager"]
    inspection = start(world)
    client.force_login(manager)
    complete_url = reverse("apartments:inspection_complete", args=[inspection.pk])
    client.post(complete_url, tablet_post(world, payers=[roommate]))
    charge = Charge.objects.get()
    client.force_login(roommate.user)
    client.post(reverse("apartments:charge_dispute", args=[charge.pk]), {"text": "It was old"})

    # When the manager answers with a lower amount but no reason, nothing changes
    client.force_login(manager)
    answer = reverse("apartments:charge_answer", args=[charge.pk])
    client.post(answer, {"resolution": "Half, it was old", "amount": "15.00", "price_reason": ""})
    charge.refresh_from_db()
    assert (charge.status, charge.amount) == (Charge.Status.DISPUTED, Decimal("30.00"))

    # Then with a reason the answer is recorded and the charge is to be paid again
    client.post(
        answer,
        {"resolution": "Half, it was old", "amount": "15.00", "price_reason": "Worn before"},
    )
    charge.refresh_from_db()
    assert (charge.status, charge.amount, charge.resolution) == (
        Charge.Status.OPEN,
        Decimal("15.00"),
        "Half, it was old",
    )
    # and the resident sees the answer on their page
    client.force_login(roommate.user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert "¥15.00" in page and "Half, it was old" in page
    # A student may not answer (not theirs to answer: 404); GET changes nothing (405)
    assert client.post(answer, {"resolution": "x", "amount": "1"}).status_code == 404
    client.force_login(manager)
    assert client.get(answer).status_code == 405

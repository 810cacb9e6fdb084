"""Move-out in a real browser: a graduate files a move-out request on a phone; the dorm
manager inspects the room on a tablet and charges a broken chair to that one roommate; the
graduate sees the charge, and the roommate who stays does not."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apartments.models import Asset, AssetType, Charge, MoveOutRequest, Stay
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import PASSWORD, BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_graduate_moves_out_and_sees_the_charge_for_a_broken_chair(open_page, screenshot):
    # Given room S01-101 with a graduate and a roommate living there, and its chairs on the books
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1, capacity=2, gender_policy="M")
    graduate = ResidentFactory(student_id="2022000001", name="王伟", campus=songbei)
    roommate = ResidentFactory(student_id="2024000002", name="赵强", campus=songbei)
    bed_1, bed_2 = free_beds(s01)
    stay(graduate, bed_1)
    stay(roommate, bed_2)
    chair = AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost="30.00", replacement_cost="120.00"
    )
    room = bed_1.room
    Asset.objects.create(tag="CH-0001", asset_type=chair, room=room)
    Asset.objects.create(tag="CH-0002", asset_type=chair, room=room)
    manager = user_with_role(Role.DORM_MANAGER, username="manager3")
    BuildingAssignmentFactory(user=manager, building=s01)

    # When the graduate files a move-out request on their phone
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto("/accounts/login/?next=/apartments/move-out/mine/")
    sign_in(phone, "2022000001", PASSWORD)
    form = phone.get_by_test_id("move-out-form")
    planned = (timezone.localdate() + timedelta(days=7)).isoformat()
    form.locator("input[name=planned_date]").fill(planned)
    form.locator("select[name=reason]").select_option("graduation")
    form.locator("button[type=submit]").click()
    # (it lands on the request's own page, which says it is filed)
    expect(phone.locator("h1")).to_contain_text("已申请")
    screenshot(phone, "move-out-filed-zh-phone")
    request = MoveOutRequest.objects.get(resident=graduate)

    # and the dorm manager inspects the room on a tablet: chair CH-0001 is broken, charged to
    # the graduate alone
    tablet = open_page(screen="laptop", locale="en-US")
    tablet.goto(f"/accounts/login/?next=/apartments/move-out/requests/{request.pk}/")
    sign_in(tablet, "manager3", PASSWORD)
    tablet.get_by_test_id("inspection-start").click()
    expect(tablet.get_by_test_id("inspect-asset-CH-0001")).to_be_visible()
    # The result is a row of button-like labels over hidden radios: tap "damaged"
    damaged = tablet.get_by_test_id("result-CH-0001-damaged")
    tablet.locator(f"label[for='{damaged.get_attribute('id')}']").click()
    expect(damaged).to_be_checked()
    graduate_box = tablet.get_by_test_id("payer-CH-0001-2022000001")
    roommate_box = tablet.get_by_test_id("payer-CH-0001-2024000002")
    graduate_box.check()
    roommate_box.uncheck()
    screenshot(tablet, "inspection-en-tablet")
    tablet.get_by_test_id("inspection-complete").click()
    expect(tablet.get_by_text("30.00").first).to_be_visible()

    # Then the graduate sees the charge on their phone, and the roommate has none
    phone.goto("/apartments/move-out/mine/")
    charges = phone.get_by_test_id("my-charges")
    expect(charges).to_contain_text("30.00")
    screenshot(phone, "move-out-charge-zh-phone")
    charge = Charge.objects.get()
    assert (charge.resident, charge.amount) == (graduate, Decimal("30.00"))
    assert not Charge.objects.filter(resident=roommate).exists()
    assert Stay.objects.get(resident=roommate).status == Stay.Status.ACTIVE
    assert_no_js_errors(phone)
    assert_no_js_errors(tablet)

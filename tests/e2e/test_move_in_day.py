"""Move-in day in a real browser (issue 18): the dashboard's report of a chosen day, a
building's room grid of beds in, reserved and free, and a bedding kit checked item by item:
on a phone, a tablet and a laptop, in Chinese and in English, never wider than the screen."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apartments.models import BedKit, Category, KitType, Stay
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, local, stay
from tests.apartments.move_in_data import residents as make_residents
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import PASSWORD, BuildingAssignmentFactory, user_with_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(page, screen):
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, screen


@pytest.mark.parametrize("screen", ["phone", "tablet", "laptop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_days_report_and_the_room_grid(open_page, screenshot, screen, locale):
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=6, capacity=4)
    beds = free_beds(s01)
    yesterday = timezone.localdate() - timedelta(days=1)
    for person in make_residents(songbei, Category.UNDERGRADUATE, 3):
        stay(person, beds.pop(0), at=local(9, day=yesterday))
    for person in make_residents(songbei, Category.POSTGRADUATE, 2):
        stay(person, beds.pop(0), at=local(1))
    for person in make_residents(songbei, Category.UNDERGRADUATE, 2):
        stay(person, beds.pop(0), status=Stay.Status.RESERVED)
    manager = user_with_role(Role.DORM_MANAGER, username="grid-manager")
    BuildingAssignmentFactory(user=manager, building=s01)

    page = open_page(screen=screen, locale=locale)
    page.goto(f"/accounts/login/?next=/apartments/move-in/?day={yesterday.isoformat()}")
    sign_in(page, "grid-manager", PASSWORD)
    report = page.get_by_test_id("report")
    expect(report).to_contain_text("3")
    expect(report).not_to_contain_text("5")  # not everything so far: yesterday's 3
    expect(page.get_by_test_id("report-title")).to_be_visible()
    _fits(page, screen)
    screenshot(page, f"move-in-day-report-{locale}-{screen}")

    page.goto(f"/apartments/buildings/{s01.pk}/")
    page.get_by_test_id("building-beds-link").click()
    expect(page.get_by_test_id("count-in")).to_have_text("5")
    expect(page.get_by_test_id("count-reserved")).to_have_text("2")
    expect(page.get_by_test_id("count-free")).to_have_text("17")
    expect(page.get_by_test_id("bed-101-1")).to_have_attribute("data-state", "in")
    expect(page.get_by_test_id("bed-102-3")).to_have_attribute("data-state", "reserved")
    expect(page.get_by_test_id("bed-106-4")).to_have_attribute("data-state", "free")
    _fits(page, screen)
    screenshot(page, f"room-grid-{locale}-{screen}")
    assert_no_js_errors(page)


@pytest.mark.parametrize("screen", ["phone", "tablet", "laptop"])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_bedding_kit_checked_item_by_item(open_page, screenshot, screen, locale):
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1, capacity=2)
    kit = KitType.objects.create(code="standard", name="标准被褥", name_en="Standard kit")
    kit.items.create(name="被子", name_en="Quilt", quantity=1)
    pillow = kit.items.create(name="枕头", name_en="Pillow", quantity=2)
    manager = user_with_role(Role.DORM_MANAGER, username="kit-manager")
    BuildingAssignmentFactory(user=manager, building=s01)
    bed = free_beds(s01)[0]

    page = open_page(screen=screen, locale=locale)
    page.goto(f"/accounts/login/?next=/apartments/buildings/{s01.pk}/kits/")
    sign_in(page, "kit-manager", PASSWORD)
    page.get_by_test_id(f"kit-bed-{bed.pk}").get_by_test_id("kit-items").click()
    form = page.get_by_test_id("kit-items-form")
    expect(form.get_by_test_id(f"found-{pillow.pk}")).to_have_value("2")
    _fits(page, screen)
    screenshot(page, f"kit-items-{locale}-{screen}")

    # One pillow is missing: the kit fails, with that as its reason, on the bed's line
    form.get_by_test_id(f"found-{pillow.pk}").fill("1")
    form.get_by_test_id("kit-items-record").click()
    line = page.get_by_test_id(f"kit-bed-{bed.pk}")
    expect(line.locator("[data-status]")).to_have_attribute("data-status", "failed")
    expect(line).to_contain_text("1")
    _fits(page, screen)
    assert BedKit.objects.get(bed=bed).status == BedKit.Status.FAILED
    assert_no_js_errors(page)

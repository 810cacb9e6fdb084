"""A resident's day in a real browser (issue 18): the home page says what waits for them (a
condition report to answer, a charge they may still dispute, a repair to confirm), the bell's
unread count shows without opening the menu, and "My room" shows the roommates, the fittings,
the room's repairs with "report a repair here", and the charges: on a phone, a tablet and a
laptop, in Chinese and in English, never wider than the screen."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apartments import condition_reports as cr
from apartments import inspections, move_out
from apartments.models import Asset, AssetType, Stay
from logistics.models import Role
from maintenance.models import Ticket
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import (
    PASSWORD,
    BuildingAssignmentFactory,
    ResidentFactory,
    ticket,
    user_with_role,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(page, screen):
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, screen


def resident_world():
    """王伟 in S01-101 with 赵强 as roommate; a chair charged to 王伟 after an inspection; his
    condition report pending; a tap repaired and waiting for his confirmation."""
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1, capacity=2, gender_policy="M")
    wang = ResidentFactory(student_id="2022000001", name="王伟", campus=songbei)
    zhao = ResidentFactory(student_id="2024000002", name="赵强", campus=songbei)
    bed_1, bed_2 = free_beds(s01)
    stay(wang, bed_1)
    stay(zhao, bed_2)
    room = bed_1.room
    chair = AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost="30.00", replacement_cost="120.00"
    )
    Asset.objects.create(tag="CH-0001", asset_type=chair, room=room)
    Asset.objects.create(tag="CH-0002", asset_type=chair, room=room)
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s01)
    request = move_out.move_out_file(
        actor=wang.user,
        resident=wang,
        planned_date=timezone.localdate() + dt.timedelta(days=3),
        reason="graduation",
    )
    inspection = inspections.inspection_start(actor=manager, move_out_request=request)
    ch1 = Asset.objects.get(tag="CH-0001")
    inspections.inspection_complete(
        actor=manager,
        inspection=inspection,
        items=[inspections.ItemInput(asset_id=ch1.pk, result="damaged", resident_ids=[wang.pk])],
    )
    cr.condition_report_open(stay=Stay.objects.get(resident=wang))
    done = ticket(room=room, reporter=wang.user, status=Ticket.Status.DONE)
    return {"wang": wang, "zhao": zhao, "ticket": done}


@pytest.mark.parametrize(
    ("screen", "locale", "lang"),
    [
        ("phone", "zh-CN", "zh-hans"),
        ("phone", "en-US", "en"),
        ("tablet", "zh-CN", "zh-hans"),
        ("tablet", "en-US", "en"),
        ("laptop", "zh-CN", "zh-hans"),
        ("laptop", "en-US", "en"),
    ],
)
def test_a_resident_sees_what_waits_and_their_room(open_page, screenshot, screen, locale, lang):
    world = resident_world()
    page = open_page(screen=screen, locale=locale)
    page.goto("/accounts/login/?next=/")
    sign_in(page, "2022000001", PASSWORD)

    # The home page: a condition report, the chair's charge, the repair to confirm
    expect(page.locator("html")).to_have_attribute("lang", lang)
    panel = page.get_by_test_id("waiting-panel")
    expect(panel.get_by_test_id("waiting-item")).to_have_count(3)
    expect(panel).to_contain_text("30.00")
    expect(panel).to_contain_text(world["ticket"].number)
    # The unread count shows without opening the menu: beside the toggler on a phone and a
    # tablet (the menu collapses below 992 px), in the menu bar on a laptop. Two unread: the
    # inspection's charges, the keys due back.
    compact = screen in ("phone", "tablet")
    count = page.get_by_test_id("notifications-count-compact" if compact else "notifications-count")
    expect(count).to_be_visible()
    expect(count).to_have_text("2")
    if compact:
        expect(page.locator(".navbar-toggler")).to_be_visible()
        expect(page.get_by_test_id("notifications-bell")).to_be_hidden()
    _fits(page, screen)
    screenshot(page, f"resident-home-{locale}-{screen}")

    # The charge's line opens My room at the charges, with the room's parts
    panel.get_by_test_id("waiting-item").filter(has_text="30.00").click()
    expect(page).to_have_url(re.compile(r"/apartments/my-room/#charges$"))
    expect(page.get_by_test_id("roommates")).to_contain_text("赵强")
    expect(page.get_by_test_id("condition-assets")).to_contain_text("CH-0001")
    repairs = page.get_by_test_id("room-repairs")
    expect(repairs.get_by_test_id("room-repair")).to_have_count(1)
    expect(repairs.get_by_test_id("report-repair-here")).to_be_visible()
    expect(page.get_by_test_id("my-charges")).to_contain_text("30.00")
    expect(page.get_by_test_id("dispute-form")).to_be_visible()
    _fits(page, screen)
    screenshot(page, f"resident-my-room-{locale}-{screen}")

    # The bell opens the notifications: the charge with its dispute period, the keys due
    page.get_by_test_id("notifications-bell-compact" if compact else "notifications-bell").click()
    expect(page).to_have_url(re.compile(r"/notifications/"))
    expect(page.locator("main")).to_contain_text("30.00")
    expect(page.locator("main")).to_contain_text("S01-101")
    _fits(page, screen)
    screenshot(page, f"resident-notifications-{locale}-{screen}")
    assert_no_js_errors(page)

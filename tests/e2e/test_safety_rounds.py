"""Tonight's safety round in the browser: a shift lead walks it on a phone in Chinese and
records a kettle in room 101 with a photo and files the night's zero report with that
incident; the resident sees the finding on their home page and marks it rectified; the manager
verifies it, in English; the night's job raises the alarm of a building that did not report.
The round page and the hazard list read at phone, tablet and laptop widths, in Chinese and
English, nothing wider than the screen."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from apartments.jobs import safety_inspection
from apartments.models import Hazard, ZeroReport
from logistics.models import Alert
from tests.apartments.rounds_data import plan_today, rounds_world, today
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _can_sign_in(user, username):
    user.username = username
    user.set_password(PASSWORD)
    user.save()
    return username


def _fits(page, screen):
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, screen


def _jpeg() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (220, 40, 40)).save(buffer, format="JPEG")
    return {"name": "kettle.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_kettle_found_on_the_night_round_is_rectified_by_the_resident_and_verified(
    open_page, screenshot
):
    world = rounds_world()
    plan_today()
    lead = _can_sign_in(world["shift_lead"], "lead-e2e")
    manager = _can_sign_in(world["manager"], "manager-e2e")
    student = _can_sign_in(world["student_user"], "student-e2e")
    admin = _can_sign_in(world["admin"], "admin-e2e")

    # The shift lead opens tonight's round on a phone, in Chinese
    page = open_page(screen="phone", locale="zh-CN")
    page.goto("/apartments/safety/rounds/")
    sign_in(page, lead, PASSWORD)
    expect(page).to_have_url(re.compile(r"/apartments/safety/rounds/\d+/"))
    # (tonight's: the page opens the round being walked now, yesterday's night check after
    # midnight; this test planned today's)
    page.goto(f"/apartments/safety/rounds/{world['S01'].pk}/?date={today()}&kind=night")
    room = page.locator("[data-testid=round-room][data-room='101']")
    expect(room).to_have_attribute("data-state", "pending")
    _fits(page, "phone")
    screenshot(page, "safety-round-zh-phone")

    # Room 101: a kettle on the desk, with a photo, two residents in
    room.locator("input[name=residents_present]").fill("1")
    room.locator("summary").click()
    room.locator("select[name=kind]").select_option("banned_appliance")
    room.locator("select[name=appliance]").select_option("kettle")
    room.locator("textarea[name=note]").fill("书桌上的热水壶")
    room.locator("input[name=photo]").set_input_files(_jpeg())
    room.locator("button[value=findings]").click()
    room = page.locator("[data-testid=round-room][data-room='101']")
    expect(room).to_have_attribute("data-state", "findings")
    hazard = Hazard.objects.get()
    assert (hazard.kind, hazard.appliance, hazard.state) == ("banned_appliance", "kettle", "open")
    assert hazard.photo_id is not None
    _fits(page, "phone")
    screenshot(page, "safety-round-recorded-zh-phone")
    assert_no_js_errors(page)

    # and files tonight's zero report with that incident: the report counts the hazard found
    page.goto(f"/apartments/safety/zero-report/{world['S01'].pk}/")
    page.locator("input[name=nothing_to_report][value=false]").check()
    page.locator("textarea[name=note]").fill("101室查出热水壶1个，已登记待整改。")
    page.get_by_test_id("zero-report-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("zero-report-hazards")).to_contain_text("1")
    assert ZeroReport.objects.get(building=world["S01"], date=today()).hazards_found == 1
    _fits(page, "phone")
    screenshot(page, "safety-zero-report-with-hazard-zh-phone")

    # The resident sees the finding on their home page and marks it rectified
    home = open_page(screen="phone", locale="zh-CN")
    home.goto("/")
    sign_in(home, student, PASSWORD)
    panel = home.get_by_test_id("my-hazards-panel")
    expect(panel).to_be_visible()
    _fits(home, "phone")
    screenshot(home, "safety-hazard-home-zh-phone")
    panel.locator("a").first.click()
    expect(home.get_by_test_id("hazard-photo")).to_be_visible()
    home.locator("#rectify-note").fill("已把热水壶带回家")
    home.get_by_test_id("hazard-rectify").locator("button[type=submit]").click()
    expect(home.get_by_test_id("hazard-state")).to_have_text(re.compile(r"\S"))
    expect(home.get_by_test_id("hazard-rectify")).to_have_count(0)
    hazard.refresh_from_db()
    assert hazard.state == Hazard.State.RECTIFIED
    _fits(home, "phone")
    screenshot(home, "safety-hazard-rectified-zh-phone")
    assert_no_js_errors(home)

    # The manager verifies it on the next round, in English
    check = open_page(screen="phone", locale="en")
    check.goto(f"/apartments/safety/hazards/{hazard.pk}/")
    sign_in(check, manager, PASSWORD)
    expect(check.get_by_test_id("hazard-recheck")).to_be_visible()
    check.locator("#recheck-note").fill("Checked: no kettle.")
    check.get_by_role("button", name="Verified: fixed").click()
    expect(check.get_by_test_id("hazard-state")).to_have_text("Verified")
    hazard.refresh_from_db()
    assert hazard.state == Hazard.State.VERIFIED and hazard.verified_by == world["manager"]
    _fits(check, "phone")
    screenshot(check, "safety-hazard-verified-en-phone")
    assert_no_js_errors(check)

    # The night's job: S02, whose residents have no report tonight, raises its alarm
    safety_inspection(today())
    alerts = open_page(screen="phone", locale="en")
    alerts.goto("/alerts/")
    sign_in(alerts, admin, PASSWORD)
    missing = alerts.get_by_test_id("alert-kind").filter(has_text="Zero report missing")
    expect(missing.first).to_be_visible()
    assert not Alert.objects.filter(
        kind="zero_report_missing", subject_id=world["S01"].pk, resolved_at__isnull=True
    ).exists()
    _fits(alerts, "phone")
    assert_no_js_errors(alerts)

    # The round and the hazard list at every width, in both languages
    for locale in ("zh-CN", "en"):
        for screen in ("phone", "tablet", "laptop"):
            view = open_page(screen=screen, locale=locale)
            view.goto(f"/apartments/safety/rounds/{world['S01'].pk}/?date={today()}&kind=night")
            sign_in(view, admin, PASSWORD)
            expect(view.get_by_test_id("round-counts")).to_be_visible()
            _fits(view, screen)
            screenshot(view, f"safety-round-{locale}-{screen}")
            view.goto("/apartments/safety/hazards/")
            expect(view.get_by_test_id("hazard-list")).to_be_visible()
            _fits(view, screen)
            screenshot(view, f"safety-hazards-{locale}-{screen}")
            assert_no_js_errors(view)

"""The night's zero report in the browser: a shift lead files it on a phone in Chinese (a
report with incidents needs a note, and says so), the missing buildings show on the board and
as alerts; the filing page, the board and the alerts page read at phone,
tablet and laptop widths, in Chinese and in English, with nothing wider than the screen."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apartments.jobs import safety_inspection
from apartments.models import ZeroReport
from logistics.models import Alert
from tests.apartments.safety_data import safety_world
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


def test_a_shift_lead_files_the_nights_report_on_a_phone_and_the_head_sees_the_board(
    open_page, screenshot
):
    world = safety_world()
    lead = _can_sign_in(world["shift_lead"], "lead-e2e")
    admin = _can_sign_in(world["admin"], "admin-e2e")
    today = timezone.localdate()

    # The shift lead of S01 opens the zero report on a phone, in Chinese
    page = open_page(screen="phone", locale="zh-CN")
    page.goto("/apartments/safety/zero-report/")
    sign_in(page, lead, PASSWORD)
    expect(page.get_by_test_id("zero-report-form")).to_be_visible()
    expect(page.get_by_test_id("zero-report-deadline")).to_contain_text("23:00")
    _fits(page, "phone")
    screenshot(page, "zero-report-file-zh-phone")

    # Incidents without a note: told what is missing, nothing filed
    page.locator("input[name=nothing_to_report][value=false]").check()
    page.get_by_test_id("zero-report-form").locator("button[type=submit]").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("有情况的报告需要填写说明")
    assert not ZeroReport.objects.exists()
    # (the refused form answers 400, which the browser's console reports: expected here)
    assert page.js_errors == [
        "console error: Failed to load resource: the server responded with a status of 400 "
        "(Bad Request)"
    ]
    page.js_errors.clear()

    # With the note, the report is filed and the page shows it
    page.locator("textarea[name=note]").fill("101室查出热得快1件，已暂扣。")
    page.get_by_test_id("zero-report-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("zero-report-filed")).to_contain_text("101室查出热得快")
    report = ZeroReport.objects.get()
    assert (report.building_id, report.date, report.nothing_to_report) == (
        world["S01"].pk,
        today,
        False,
    )
    assert_no_js_errors(page)

    # The night's job: S02 and J01 have residents and no report; S01 reported
    safety_inspection(today)
    missing = Alert.objects.filter(kind="zero_report_missing", resolved_at__isnull=True)
    assert set(missing.values_list("subject_id", flat=True)) == {
        world["S02"].pk,
        world["J01"].pk,
    }

    # An administrator reads the board and the alerts at every width, in both languages
    for locale, missing_word in (("zh-CN", "缺报"), ("en", "Missing")):
        for screen in ("phone", "tablet", "laptop"):
            board = open_page(screen=screen, locale=locale)
            board.goto("/apartments/safety/zero-reports/")
            sign_in(board, admin, PASSWORD)
            expect(board).to_have_url(re.compile(r"/apartments/safety/zero-reports/"))
            rows = board.get_by_test_id("zero-board").locator("tbody tr")
            expect(rows.filter(has_text="S01")).to_have_attribute("data-state", "incidents")
            expect(rows.filter(has_text="S02")).to_have_attribute("data-state", "missing")
            expect(rows.filter(has_text="S02")).to_contain_text(missing_word)
            _fits(board, screen)
            screenshot(board, f"zero-report-board-{locale}-{screen}")
            # S01's month, from its row: tonight's report with incidents, listed first
            board.get_by_test_id("zero-board-month").filter(has_text="S01").click()
            nights = board.get_by_test_id("zero-month").locator("tbody tr")
            expect(nights.first).to_have_attribute("data-state", "incidents")
            _fits(board, screen)
            screenshot(board, f"zero-report-month-{locale}-{screen}")
            board.goto("/alerts/")
            expect(board.get_by_test_id("alert-kind").first).to_be_visible()
            _fits(board, screen)
            screenshot(board, f"alerts-{locale}-{screen}")
            assert_no_js_errors(board)

"""A dorm manager on a phone hears of an alert about their building (the bell), opens the
alerts page and resolves it; in Chinese, as the working language."""

import re

import pytest
from playwright.sync_api import expect

from logistics.alerts import alert_kind, alert_raise
from logistics.models import Alert, Role
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import (
    PASSWORD,
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    user_with_role,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LATE = alert_kind("test_e2e_late", "Building %(building)s: check the late returns.")


def test_a_dorm_manager_resolves_an_alert_about_their_building_on_a_phone(open_page, screenshot):
    # Given a dorm manager of building S01, and an open alert about it
    building = BuildingFactory(campus=CampusFactory(), code="S01")
    manager = user_with_role(Role.DORM_MANAGER, campus=building.campus, username="mgr-e2e")
    manager.set_password(PASSWORD)
    manager.save()
    BuildingAssignmentFactory(building=building, user=manager, role=Role.DORM_MANAGER)
    alert, _ = alert_raise(
        LATE, key="e2e-late", role=Role.DORM_MANAGER, subject=building, params={"building": "S01"}
    )

    # When they sign in on a phone, the bell says there is something new
    page = open_page(screen="phone", locale="zh-CN")
    page.goto("/alerts/")
    sign_in(page, "mgr-e2e", PASSWORD)
    expect(page).to_have_url(re.compile(r"/alerts/$"))
    expect(page.get_by_test_id("notifications-count")).to_have_text("1")

    # Then the alerts page shows it, in Chinese, with room to write what was done
    row = page.get_by_test_id("alert-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("S01")
    expect(page.get_by_test_id("alerts-open")).to_have_text("未处理")
    screenshot(page, "alerts-zh-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # When they resolve it with a note
    row.locator("textarea[name=note]").fill("已核实晚归名单并上报")
    row.get_by_role("button").click()

    # Then it is gone from the open alerts, and the resolved tab shows who did what
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()
    page.get_by_test_id("alerts-resolved").click()
    expect(page.get_by_test_id("alert-resolution")).to_contain_text("已核实晚归名单并上报")
    alert.refresh_from_db()
    assert (alert.resolved_by_id, alert.resolution_note) == (manager.pk, "已核实晚归名单并上报")
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 0
    assert_no_js_errors(page)

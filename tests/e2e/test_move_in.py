"""Move-in day in a real browser: a desk checks a resident in by typing the student id (as a
barcode scanner does, ending with Enter), and the dashboard, open on another screen, shows the
count go up without being reloaded."""

import pytest
from playwright.sync_api import expect

from apartments.models import Stay
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import PASSWORD, BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_desk_checks_a_resident_in_and_the_dashboard_counts_up(open_page, screenshot, settings):
    settings.MOVE_IN_DASHBOARD_REFRESH_SECONDS = 1
    # Given a dorm manager of S01 and a new student with a bed reserved there
    songbei, _jiangnan = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=2, gender_policy="M")
    manager = user_with_role(Role.DORM_MANAGER, username="manager1")
    BuildingAssignmentFactory(user=manager, building=s01)
    student = ResidentFactory(student_id="2026000001", name="李明", campus=songbei, gender="M")
    bed = free_beds(s01)[0]
    stay(student, bed, status=Stay.Status.RESERVED)

    # and the dashboard open on a laptop, showing nobody checked in yet
    board = open_page(screen="laptop", locale="en-US")
    board.goto("/accounts/login/?next=/apartments/move-in/")
    sign_in(board, "manager1", PASSWORD)
    expect(board.get_by_test_id("checked-in")).to_have_text("0")
    expect(board.get_by_test_id("remaining")).to_have_text("1")
    screenshot(board, "move-in-dashboard-before-en-laptop")

    # When the desk, on a phone in Chinese, types the student id and presses Enter
    desk = open_page(screen="phone", locale="zh-CN")
    desk.goto(f"/accounts/login/?next=/apartments/desk/{s01.pk}/")
    sign_in(desk, "manager1", PASSWORD)
    field = desk.locator("#desk-student-id")
    expect(field).to_be_focused()
    field.type("2026000001")
    field.press("Enter")

    # then it shows the resident and their reserved bed, and one tap confirms
    expect(desk.get_by_test_id("desk-resident")).to_have_text("李明")
    expect(desk.get_by_test_id("desk-bed")).to_contain_text(bed.room.number)
    screenshot(desk, "desk-lookup-zh-phone")
    desk.get_by_test_id("desk-confirm").locator("button[type=submit]").click()
    expect(desk.get_by_test_id("desk-done")).to_contain_text("李明")
    expect(field).to_have_value("")  # ready for the next scan
    expect(field).to_be_focused()
    screenshot(desk, "desk-done-zh-phone")

    # Then the dashboard counts the arrival by itself
    expect(board.get_by_test_id("checked-in")).to_have_text("1")
    expect(board.get_by_test_id("remaining")).to_have_text("0")
    expect(board.get_by_test_id("report")).to_contain_text("1 undergraduate")
    screenshot(board, "move-in-dashboard-after-en-laptop")
    assert Stay.objects.get(resident=student).status == Stay.Status.ACTIVE
    assert_no_js_errors(board)
    assert_no_js_errors(desk)


def test_the_desk_refuses_an_unknown_id_clearly(open_page, screenshot):
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1)
    manager = user_with_role(Role.DORM_MANAGER, username="manager2")
    BuildingAssignmentFactory(user=manager, building=s01)

    desk = open_page(screen="phone", locale="en-US")
    desk.goto(f"/accounts/login/?next=/apartments/desk/{s01.pk}/")
    sign_in(desk, "manager2", PASSWORD)
    field = desk.locator("#desk-student-id")
    field.type("9999999999")
    field.press("Enter")
    expect(desk.get_by_test_id("desk-error")).to_contain_text("9999999999")
    expect(field).to_be_focused()
    screenshot(desk, "desk-unknown-id-en-phone")
    assert not Stay.objects.exists()
    assert_no_js_errors(desk)

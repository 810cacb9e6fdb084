"""Signing in and out in a real browser: a student on a phone in Chinese, a dorm manager on a
laptop in English, and a mistyped password."""

import re

import pytest
from playwright.sync_api import expect

from logistics.models import Role
from tests.e2e.conftest import assert_no_js_errors
from tests.factories import (
    PASSWORD,
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOGIN_PATH = re.compile(r"/accounts/login/(\?.*)?$")
HOME_PATH = re.compile(r"/$")


def open_menu(page) -> None:
    """On a narrow screen the navigation bar (language switch, sign-out) folds into the
    hamburger menu: open it the way a user would. On a wide screen it is already open."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))


def sign_in(page, username: str, password: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#submit-id-submit").click()


def test_student_signs_in_on_a_phone_in_chinese_switches_to_english_and_signs_out(
    open_page, screenshot
):
    # Given a student with a portal account, on a phone whose browser asks for Chinese
    resident = ResidentFactory()
    page = open_page(screen="phone", locale="zh-CN")

    # When they open the portal
    page.goto("/")

    # Then they are sent to the sign-in page, in Chinese
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("登录")
    screenshot(page, "login-zh-phone")

    # When they sign in with their student id
    sign_in(page, resident.student_id, PASSWORD)

    # Then they see the service hall, greeted by name, still in Chinese
    expect(page).to_have_url(HOME_PATH)
    expect(page.locator('[data-testid="hall"], [data-testid="hall-empty"]')).to_be_visible()
    expect(page.locator("h1")).to_contain_text(resident.name)
    open_menu(page)
    expect(page.get_by_test_id("logout")).to_contain_text("退出")
    english = page.get_by_test_id("language-switch").locator('button[value="en"]')
    expect(english).to_contain_text("English")
    screenshot(page, "hall-zh-phone")

    # When they switch to English
    english.click()

    # Then the hall is in English
    expect(page).to_have_url(HOME_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(re.compile(r"^\s*Hello"))
    expect(page.locator('[data-testid="hall"], [data-testid="hall-empty"]')).to_be_visible()
    screenshot(page, "hall-en-phone")

    # When they sign out
    open_menu(page)
    page.get_by_test_id("logout").click()

    # Then they are back on the sign-in page, which stays in English
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.get_by_test_id("logout")).to_have_count(0)
    screenshot(page, "logged-out-en-phone")
    assert_no_js_errors(page)


def test_dorm_manager_on_a_laptop_sees_only_their_buildings(open_page, screenshot):
    # Given a dorm manager assigned to one building of their campus, and a building next door
    # that is someone else's
    campus = CampusFactory()
    manager = user_with_role(Role.DORM_MANAGER, campus=campus)
    theirs = BuildingFactory(campus=campus, code="N7")
    RoomFactory(building=theirs)
    BuildingAssignmentFactory(building=theirs, user=manager)
    BuildingFactory(campus=campus, code="S9")
    page = open_page(screen="laptop", locale="en-US")

    # When they sign in and open "My buildings" from the service hall
    page.goto("/")
    sign_in(page, manager.username, PASSWORD)
    expect(page.locator("h1")).to_have_text(re.compile(r"^\s*Hello"))
    page.get_by_test_id("hall-apartments.buildings").click()

    # Then the table lists their building and not the other one
    expect(page).to_have_url(re.compile(r"/apartments/buildings/$"))
    buildings = page.get_by_test_id("buildings")
    expect(buildings).to_be_visible()
    expect(buildings).to_contain_text("N7")
    expect(buildings).not_to_contain_text("S9")
    expect(buildings.locator("tbody tr")).to_have_count(1)
    screenshot(page, "buildings-en-laptop")
    assert_no_js_errors(page)


def test_wrong_password_shows_an_error_and_stays_on_the_sign_in_page(open_page, screenshot):
    # Given a student with a portal account, at the sign-in page
    resident = ResidentFactory()
    page = open_page(screen="phone", locale="en-US")
    page.goto("/accounts/login/")

    # When they mistype their password
    with page.expect_response(
        lambda response: response.request.method == "POST" and "/accounts/login/" in response.url
    ) as posted:
        sign_in(page, resident.student_id, "not-" + PASSWORD)

    # Then the page answers normally, says what is wrong and keeps them there, signed out
    assert posted.value.status == 200
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator(".alert-danger")).to_contain_text(
        "The student id or work id and password do not match"
    )
    expect(page.locator("#id_username")).to_have_value(resident.student_id)
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.get_by_test_id("logout")).to_have_count(0)
    screenshot(page, "login-wrong-password-en-phone")
    assert_no_js_errors(page)

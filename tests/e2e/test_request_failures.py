"""When a background request fails, the page says so where it happened and offers to try
again; nothing looks saved that is not (static/js/portal.js). The failures are made by the
browser itself (Playwright's page.route): the server answers 500 for one save, the network goes
away for another, a dashboard refresh is lost, a session ends."""

import pytest
from playwright.sync_api import expect

from apartments.models import Stay
from logistics.models import Role
from quality import inspections
from quality.models import InspectionAnswer
from tests import factories as f
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.quality.data import published_checklist

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft():
    """An auditor's draft inspection of the apartments checklist (score, pass/fail, score)."""
    department = f.DepartmentFactory(
        code="apartments", name="公寓中心", name_en="Apartment Center", areas=["apartments"]
    )
    auditor = f.user_with_role(Role.AUDITOR, username="auditor1", full_name="刘审核")
    version = published_checklist("apartments")
    record = inspections.inspection_start(
        actor=auditor, area=version.checklist.area, department=department, place="1号楼"
    )
    return record, list(version.items.order_by("position"))


def open_fill_page(open_page, record, *, locale="en-US"):
    page = open_page(screen="tablet", locale=locale)
    page.goto(f"/accounts/login/?next=/quality/inspections/{record.pk}/fill/")
    sign_in(page, "auditor1", f.PASSWORD)
    expect(page.get_by_test_id("fill-form")).to_be_visible()
    return page


def fail_once(page, url_glob, how):
    """The first request to `url_glob` fails (`how`: "500" or "abort"); later ones go through."""
    failed = []

    def handle(route):
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            if how == "500":
                route.fulfill(status=500, content_type="text/html", body="<h1>Server Error</h1>")
            else:
                route.abort("connectionreset")

    page.route(url_glob, handle)
    return failed


@pytest.mark.parametrize(
    ("how", "reason"),
    [("500", "The server had a problem. (HTTP 500)"), ("abort", "connection to the portal")],
    ids=["server-error", "network-gone"],
)
def test_a_failed_save_on_the_inspection_form_says_so_and_the_retry_saves_it(
    open_page, draft, how, reason, screenshot
):
    record, (_floor, duty, _manner) = draft
    page = open_fill_page(open_page, record)
    card = page.locator(f"#item-{duty.pk}")
    # Given the server answers the first save of the duty item with a failure
    failed = fail_once(page, f"**/quality/inspections/{record.pk}/answers/{duty.pk}/", how)
    # When the auditor ticks "fail" (a background save)
    card.locator(f"input[name='i{duty.pk}-result'][value=fail]").check()
    # Then the card says it is not saved, why, and that the tick is still there
    notice = card.get_by_test_id("request-failed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Not saved.")
    expect(notice).to_contain_text(reason)
    expect(notice).to_contain_text("What you entered is still here.")
    expect(card).to_have_attribute("data-request-failed", "save")
    expect(card.get_by_test_id("saved")).to_have_count(0)
    expect(card.locator(f"input[name='i{duty.pk}-result'][value=fail]")).to_be_checked()
    assert len(failed) == 1
    assert not InspectionAnswer.objects.filter(inspection=record, item=duty).exists()
    screenshot(page, f"inspection-save-failed-{how}-en-tablet")
    # When they tap "Try again"
    notice.get_by_test_id("retry").click()
    # Then the card is saved, says so, and the notice is gone
    expect(card.get_by_test_id("saved")).to_be_visible()
    expect(card.get_by_test_id("request-failed")).to_have_count(0)
    expect(card).not_to_have_attribute("data-request-failed", "save")
    expect(card.get_by_test_id("answered")).to_contain_text("Fail")
    answer = InspectionAnswer.objects.get(inspection=record, item=duty)
    assert answer.result == "fail"
    # (htmx logs the failures it reports to the console itself; no script broke)
    assert not [error for error in page.js_errors if error.startswith("page error")]


def test_a_later_save_of_the_same_card_saves_what_failed_before(open_page, draft):
    # The auditor need not tap "Try again": the next change of the card sends all of it.
    record, (floor, duty, _manner) = draft
    page = open_fill_page(open_page, record)
    card = page.locator(f"#item-{duty.pk}")
    fail_once(page, f"**/quality/inspections/{record.pk}/answers/{duty.pk}/", "500")
    card.locator(f"input[name='i{duty.pk}-result'][value=fail]").check()
    expect(card.get_by_test_id("request-failed")).to_be_visible()
    card.locator(f"textarea[name='i{duty.pk}-comment']").fill("值班室无人")
    card.locator(f"textarea[name='i{duty.pk}-comment']").blur()
    expect(card.get_by_test_id("saved")).to_be_visible()
    expect(card.get_by_test_id("request-failed")).to_have_count(0)
    answer = InspectionAnswer.objects.get(inspection=record, item=duty)
    assert (answer.result, answer.comment) == ("fail", "值班室无人")
    # and a card whose save went through never showed a notice
    assert not page.locator(f"#item-{floor.pk}").get_by_test_id("request-failed").count()


def test_a_save_after_the_session_ended_is_not_shown_as_saved(open_page, draft):
    record, (_floor, duty, _manner) = draft
    page = open_fill_page(open_page, record)
    # Given the auditor's session ended (it expired, or they signed out in another tab)
    page.context.clear_cookies(name="sessionid")
    # When they tick an item, the save is sent to the login page
    card = page.locator(f"#item-{duty.pk}")
    card.locator(f"input[name='i{duty.pk}-result'][value=pass]").check()
    # Then the card says it is not saved and why, and no login form lands in the card
    notice = card.get_by_test_id("request-failed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Not saved. You are no longer signed in")
    expect(card.locator("#id_username")).to_have_count(0)
    expect(card.get_by_test_id("saved")).to_have_count(0)
    assert not InspectionAnswer.objects.filter(inspection=record, item=duty).exists()


def test_a_failed_refresh_of_the_move_in_dashboard_says_so_until_the_next_one(open_page, settings):
    settings.MOVE_IN_DASHBOARD_REFRESH_SECONDS = 1
    songbei, _jiangnan = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1, gender_policy="M")
    manager = f.user_with_role(Role.DORM_MANAGER, username="manager1")
    f.BuildingAssignmentFactory(user=manager, building=s01)
    student = f.ResidentFactory(student_id="2026000001", campus=songbei, gender="M")
    stay(student, free_beds(s01)[0], status=Stay.Status.RESERVED)
    board = open_page(screen="laptop", locale="en-US")
    board.goto("/accounts/login/?next=/apartments/move-in/")
    sign_in(board, "manager1", f.PASSWORD)
    expect(board.get_by_test_id("remaining")).to_have_text("1")
    # When one refresh is lost on the way
    lost = fail_once(board, "**/apartments/move-in/live/**", "abort")
    live = board.locator("#live")
    # Then the dashboard says that part may be out of date …
    expect(live.get_by_test_id("request-failed")).to_contain_text("may be out of date")
    assert lost
    # … until the next refresh, a second later, goes through and replaces the notice
    expect(live.get_by_test_id("request-failed")).to_have_count(0)
    expect(board.get_by_test_id("remaining")).to_have_text("1")


def test_every_page_carries_the_failure_words_and_no_script_error(open_page, draft):
    record, _items = draft
    page = open_fill_page(open_page, record)
    words = page.locator("#request-failure-words")
    assert words.get_attribute("data-retry") == "Try again"
    assert words.get_attribute("data-login-url") == "/accounts/login/"
    assert_no_js_errors(page)

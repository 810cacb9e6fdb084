"""Each role's day in a real browser (issue 18), on the demo university (`seed_demo`):

- **Words:** bedding kits read 床上用品 (never 行李, luggage); a thing's name reads 名称 (the
  materials, complaint categories and maintenance schedules), never 姓名; where a person looks
  for a name they find it, not a code (`angle_valve`) or a username (`technician2`): the
  materials list, the technicians' roster, the people offered as owners and auditors, the
  parties to the safety agreements.
- **Layout:** at 1366 px no button of the move-in dashboard or the move-out board wraps onto
  a second line; at 820 px no table or filter of the quality dashboard and the
  nonconformities list is cut off or scrolls sideways; at 390 px no job status badge of a
  technician's jobs wraps.
- **Reminders:** the night's reminder (apartments.resident_reminders) shows on a phone as
  the bell's unread count, without opening the menu, and in the notifications.

In Chinese and in English. Screenshots go where the other e2e tests put theirs."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from apartments.models import Building, ConditionReport, Stay
from logistics.models import User
from logistics.nightly import run_job
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.factories import ResidentFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("zh-hans", "en")

# Every visible button (or badge) in the page's main part whose text takes more than one
# line: its content box taller than one and a half of its line height.
WRAPPED = """(selector) => {
  const wrapped = [];
  for (const el of document.querySelectorAll(`main ${selector}`)) {
    if (el.offsetParent === null) continue;
    const s = getComputedStyle(el);
    let line = parseFloat(s.lineHeight);
    if (isNaN(line)) line = parseFloat(s.fontSize) * 1.2;
    const content = el.getBoundingClientRect().height
      - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)
      - parseFloat(s.borderTopWidth) - parseFloat(s.borderBottomWidth);
    if (content > line * 1.5) wrapped.push(el.textContent.trim().replace(/\\s+/g, ' '));
  }
  return wrapped;
}"""

# Every element of the main part that cuts off or scrolls its content sideways (a table in
# .table-responsive wider than the page, a select too narrow for its text), and the page's
# own width.
CLIPPED = """() => {
  const clipped = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.offsetParent === null || el.closest('.visually-hidden')) continue;
    const s = getComputedStyle(el);
    const cuts = s.overflowX !== 'visible' || el.tagName === 'SELECT';
    if (cuts && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1) {
      clipped.push(`${el.tagName.toLowerCase()}.${String(el.className).split(' ').slice(0, 2)
        .join('.')} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  return {clipped, width: document.documentElement.scrollWidth};
}"""

# A select cuts its chosen option's text without scrolling: measure the text against it.
SELECTS_CUT = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  const cut = [];
  for (const el of document.querySelectorAll('main select:not([multiple])')) {
    if (el.offsetParent === null) continue;
    const s = getComputedStyle(el);
    canvas.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const text = el.options[el.selectedIndex]?.text || '';
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (canvas.measureText(text).width > room + 1) cut.push(`${el.name}: ${text}`);
  }
  return cut;
}"""


def browser_page(browser, live_server, username, language, width, *, mobile=False):
    """A page of a fresh context signed in as `username` (its session cookie), asking for
    `language`, `width` px wide."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    screen = dict(SCREENS["phone"]) if mobile else {}
    screen["viewport"] = {"width": width, "height": 900}
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN" if language == "zh-hans" else "en-US",
        **screen,
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(f"page error: {error}"))
    return page


def visit(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)


def test_things_and_people_go_by_their_names(browser, live_server, screenshot):
    call_command("seed_demo", verbosity=0)
    s01 = Building.objects.get(code="S01")
    demo_usernames = set(
        User.objects.exclude(username__regex=r"^\d+$").values_list("username", flat=True)
    )
    for language in LANGUAGES:
        zh = language == "zh-hans"
        name = "名称" if zh else "Name"

        # Bedding kits: 床上用品, not 行李 (luggage)
        page = browser_page(browser, live_server, "manager", language, 1366)
        visit(page, f"/apartments/buildings/{s01.pk}/kits/")
        expect(page.locator("h1")).to_contain_text("床上用品" if zh else "Bedding kits")
        assert "行李" not in page.locator("body").inner_text()
        # The agreements' parties by name, their username or student id beside it
        visit(page, f"/apartments/safety/agreements/coverage/{s01.pk}/")
        parties = page.locator("[data-testid^=agreements-] li strong").all_inner_texts()
        assert parties and not set(parties) & demo_usernames, parties
        assert not any(re.fullmatch(r"\d{10}", party) for party in parties), parties
        page.context.close()

        page = browser_page(browser, live_server, "dispatcher", language, 1366)
        # The materials: a thing's name (名称), each listed and linked by its name, the code
        # beside it
        visit(page, "/repairs/materials/")
        expect(page.get_by_test_id("materials").locator("th").first).to_have_text(name)
        row = page.get_by_test_id("material-angle_valve")
        expect(row.get_by_test_id("material-name")).to_have_text("角阀")
        screenshot(page, f"role-day-materials-{language}")
        # The technicians' roster: 李师傅, not technician2
        visit(page, "/repairs/technicians/")
        heads = page.locator("[data-testid=roster-row] .fw-semibold").all_inner_texts()
        assert heads and all(h.split()[0] not in demo_usernames for h in heads), heads
        page.context.close()

        # Complaint categories and maintenance schedules name things: 名称, never 姓名
        page = browser_page(browser, live_server, "admin", language, 1366)
        for url in ("/quality/complaint-categories/", "/repairs/schedules/", "/repairs/meters/"):
            visit(page, url)
            headings = page.locator("main thead th").all_inner_texts()
            assert name in headings, (url, headings)
            assert "姓名" not in page.locator("main").inner_text(), url
        for url in ("/repairs/schedules/new/", "/repairs/campaigns/new/", "/repairs/meters/new/"):
            visit(page, url)
            expect(page.locator("label[for=id_name]")).to_contain_text(name)
        # People offered as owners go by name, the username in brackets
        for url, field in (
            ("/quality/objectives/new/", "owner"),
            ("/quality/documents/new/", "owner"),
            ("/quality/audits/new/", "auditors"),
        ):
            visit(page, url)
            options = page.locator(f"select[name={field}] option").all_inner_texts()
            people = [o for o in options if o.strip("-")]
            assert people, (url, options)
            for option in people:
                shown, _, username = option.rpartition(" (")
                assert shown and username.rstrip(")") in demo_usernames, (url, option)
                assert shown not in demo_usernames or shown == "admin", (url, option)
        assert_no_js_errors(page)
        page.context.close()


def test_buttons_tables_and_badges_fit_their_screens(browser, live_server, screenshot):
    call_command("seed_demo", verbosity=0)
    for language in LANGUAGES:
        # A laptop at the desk: no button on two lines
        page = browser_page(browser, live_server, "manager", language, 1366)
        for url in ("/apartments/move-in/", "/apartments/move-out/board/"):
            visit(page, url)
            assert page.locator("main .btn").count() >= 1, url
            assert page.evaluate(WRAPPED, ".btn") == [], (language, url)
            screenshot(page, f"role-day-1366-{language}-{url.strip('/').replace('/', '-')}")
        page.context.close()

        # A tablet on patrol: nothing cut off, nothing scrolling sideways
        page = browser_page(browser, live_server, "auditor", language, 820)
        for url in ("/quality/", "/quality/nonconformities/"):
            visit(page, url)
            assert page.locator("main table").count() >= 1, url
            found = page.evaluate(CLIPPED)
            assert found == {"clipped": [], "width": 820}, (language, url, found)
            assert page.evaluate(SELECTS_CUT) == [], (language, url)
            screenshot(page, f"role-day-820-{language}-{url.strip('/').replace('/', '-')}")
        page.context.close()

        # A phone in a technician's hand: every job's status badge on one line
        page = browser_page(browser, live_server, "technician", language, 390, mobile=True)
        visit(page, "/repairs/jobs/")
        jobs = page.locator("main a[href^='/repairs/jobs/']")
        links = sorted({jobs.nth(i).get_attribute("href") for i in range(jobs.count())})
        assert links, "the demo technician has jobs"
        assert page.locator("main .badge").count() > 0
        assert page.evaluate(WRAPPED, ".badge") == [], language
        screenshot(page, f"role-day-390-{language}-jobs")
        for link in links[:3]:
            visit(page, link)
            assert page.evaluate(WRAPPED, ".badge") == [], (language, link)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.context.close()


def test_the_nights_reminder_shows_on_a_phone_without_opening_the_menu(
    browser, live_server, screenshot
):
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1, capacity=2, gender_policy="M")
    wang = ResidentFactory(student_id="2022000001", name="王伟", campus=songbei)
    checked_in = stay(wang, free_beds(s01)[0], at=timezone.now() - dt.timedelta(days=6))
    night = timezone.localdate() - dt.timedelta(days=1)
    ConditionReport.objects.create(stay=checked_in, due_by=night + dt.timedelta(days=1))
    assert Stay.objects.get(pk=checked_in.pk).status == Stay.Status.ACTIVE
    assert run_job("apartments.resident_reminders", night, trigger="test").done

    for language in LANGUAGES:
        page = browser_page(browser, live_server, "2022000001", language, 390, mobile=True)
        visit(page, "/")
        count = page.get_by_test_id("notifications-count-compact")
        expect(count).to_be_visible()
        expect(count).to_have_text("1")
        expect(page.get_by_test_id("notifications-bell")).to_be_hidden()  # the menu's, closed
        page.get_by_test_id("notifications-bell-compact").click()
        expect(page).to_have_url(re.compile(r"/notifications/"))
        main = page.locator("main")
        expect(main).to_contain_text("S01-101")
        expect(main).to_contain_text((night + dt.timedelta(days=1)).isoformat())
        if language == "en":
            expect(main).to_contain_text("A reminder: room S01-101's condition report is due")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, f"role-day-reminder-{language}-390")
        assert_no_js_errors(page)
        page.context.close()

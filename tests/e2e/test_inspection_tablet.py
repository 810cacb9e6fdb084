"""The room inspection on a tablet (issue 18): an asset marked OK is one line, the fields of
a damaged or missing one open under it, "All OK" puts everything back, and each payer's
share is labelled. The page's height is measured with every field shown (the old form) and
as it is now: a room of 12 fittings and 4 residents was a long scroll."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apartments import inspections, move_out
from apartments.models import Asset, AssetType
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import PASSWORD, BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEIGHT = "document.documentElement.scrollHeight"
# Each fitting's card: its height, its tallest visible control, and its border and its
# body's vertical padding (a card whose controls wrapped onto a second line is taller than that).
ROW_HEIGHTS = """() => [...document.querySelectorAll('.inspect-asset')].map(card => {
  const box = getComputedStyle(card), body = getComputedStyle(card.querySelector('.card-body'));
  const padding = parseFloat(box.borderTopWidth) + parseFloat(box.borderBottomWidth)
    + parseFloat(body.paddingTop) + parseFloat(body.paddingBottom);
  let tallest = 0;
  for (const el of card.querySelectorAll('label, .btn, .btn-group, input, select')) {
    if (el.offsetParent === null) continue;
    tallest = Math.max(tallest, el.getBoundingClientRect().height);
  }
  return {tag: card.dataset.testid, height: card.getBoundingClientRect().height, tallest, padding};
})"""


def room_to_inspect():
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1, capacity=4)
    people = [
        ResidentFactory(campus=songbei, student_id=f"20220000{i}", name=n)
        for i, n in enumerate(["王伟", "赵强", "李明", "陈亮"], start=1)
    ]
    for person, bed in zip(people, free_beds(s01), strict=True):
        stay(person, bed)
    room = s01.rooms.get()
    kinds = [
        AssetType.objects.create(code=c, name=n, name_en=e, repair_cost=30, replacement_cost=120)
        for c, n, e in [
            ("chair", "椅子", "Chair"),
            ("desk", "书桌", "Desk"),
            ("lamp", "台灯", "Lamp"),
        ]
    ]
    for i in range(12):
        Asset.objects.create(tag=f"A-{i:02d}", asset_type=kinds[i % 3], room=room)
    manager = user_with_role(Role.DORM_MANAGER, username="inspector")
    BuildingAssignmentFactory(user=manager, building=s01)
    request = move_out.move_out_file(
        actor=people[0].user,
        resident=people[0],
        planned_date=timezone.localdate() + dt.timedelta(days=3),
        reason="graduation",
    )
    return inspections.inspection_start(actor=manager, move_out_request=request)


@pytest.mark.parametrize(
    ("screen", "locale"),
    [("tablet", "zh-CN"), ("tablet", "en-US"), ("phone", "zh-CN"), ("laptop", "en-US")],
)
def test_the_inspection_form_shows_only_what_matters(open_page, screenshot, screen, locale):
    inspection = room_to_inspect()
    page = open_page(screen=screen, locale=locale)
    page.goto(f"/accounts/login/?next=/apartments/inspections/{inspection.pk}/")
    sign_in(page, "inspector", PASSWORD)
    expect(page.get_by_test_id("inspect-asset-A-00")).to_be_visible()

    # Every asset OK: one line each, the details hidden
    expect(page.get_by_test_id("details-A-00")).to_be_hidden()
    compact = page.evaluate(HEIGHT)
    screenshot(page, f"inspection-compact-{locale}-{screen}")
    # the old form: every asset's fields shown
    cards = "document.querySelectorAll('.inspect-asset')"
    page.evaluate(cards + ".forEach(e => e.classList.add('inspect-open'))")
    full = page.evaluate(HEIGHT)
    page.evaluate(cards + ".forEach(e => e.classList.remove('inspect-open'))")
    print(f"inspection page height at {screen}: {full}px with every field, {compact}px now")
    assert compact * 3 < full
    # A bound of its own: 12 fittings and 4 residents fit in about two screens of a tablet
    # (the form was 12,228 px tall), and each fitting marked OK is a single row: no taller
    # than its tallest control (the OK / damaged / missing buttons) plus the card's padding.
    assert compact < 2 * SCREENS["tablet"]["viewport"]["height"], compact
    rows = page.evaluate(ROW_HEIGHTS)
    assert len(rows) == 12
    for row in rows:
        assert row["height"] <= row["tallest"] + row["padding"] + 2, row

    # Damaged: that asset's fields open, with each payer's share labelled
    damaged = page.get_by_test_id("result-A-03-damaged")
    page.locator(f"label[for='{damaged.get_attribute('id')}']").click()
    details = page.get_by_test_id("details-A-03")
    expect(details).to_be_visible()
    expect(page.get_by_test_id("details-A-04")).to_be_hidden()
    share = details.get_by_test_id("share-A-03-202200002")
    share_id = share.get_attribute("id")
    expect(details.locator(f"label[for='{share_id}']")).to_contain_text("赵强")
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"inspection-damaged-{locale}-{screen}")

    # All OK: back to one line each
    page.get_by_test_id("inspection-all-ok").click()
    expect(page.get_by_test_id("result-A-03-ok")).to_be_checked()
    expect(details).to_be_hidden()
    assert page.evaluate(HEIGHT) == compact
    assert_no_js_errors(page)

"""Dining in the browser: a student on a phone in Chinese hides the dishes with peanuts and
rates a dish; canteen staff on a tablet record the lunch samples and a morning check; the
dining manager, in English on a laptop, approves a price rise and reads the price-stability
report. Each page fits its screen."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dining import prices
from dining.models import DishRating, FoodSample, MorningCheck, PriceRequest
from tests.dining.data import dining_world
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(page, screen):
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, screen


def test_a_students_staffs_and_managers_day_in_the_canteen(open_page, screenshot):
    world = dining_world()
    today = timezone.localdate()
    prices.price_set(
        actor=world["manager"],
        dish=world["kungpao"],
        price=Decimal("15.00"),
        valid_from=today + dt.timedelta(days=1),
        reason="鸡肉进价上涨",
    )
    request = PriceRequest.objects.get()

    # A student on a phone, in Chinese, hides the dishes with peanuts and rates one
    page = open_page(screen="phone", locale="zh-CN")
    page.goto("/dining/")
    sign_in(page, world["student"].username, PASSWORD)
    expect(page.get_by_test_id("dish-name").filter(has_text="宫保鸡丁")).to_be_visible()
    page.get_by_test_id("hide-peanuts").click()
    page.get_by_test_id("menu-apply").click()
    expect(page.get_by_test_id("menu-hidden-count")).to_be_visible()
    expect(page.get_by_test_id("dish-name").filter(has_text="宫保鸡丁")).to_have_count(0)
    tomato = page.get_by_test_id("menu-item").filter(has_text="番茄炒蛋")
    expect(tomato).to_be_visible()
    _fits(page, "phone")
    screenshot(page, "dining-menu-zh-phone")
    tomato.get_by_test_id("rate-open").click()
    tomato.get_by_test_id("star-4").click()
    tomato.locator("textarea[name=comment]").fill("酸甜可口")
    tomato.get_by_test_id("rate-submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    rating = DishRating.objects.get()
    assert (rating.dish, rating.stars, rating.comment) == (world["tomato"], 4, "酸甜可口")
    # the filter is kept after rating
    expect(page.get_by_test_id("dish-name").filter(has_text="宫保鸡丁")).to_have_count(0)
    assert_no_js_errors(page)

    # Canteen staff on a tablet record the lunch samples and the morning checks
    page = open_page(screen="tablet", locale="zh-CN")
    page.goto("/dining/canteens/")
    sign_in(page, world["staff_a"].username, PASSWORD)
    expect(page.get_by_test_id("sample-board")).to_be_visible()
    lunch = page.locator('[data-testid=sample-meal][data-meal="lunch"]')
    for _ in range(3):
        form = lunch.get_by_test_id("sample-form").first
        form.get_by_test_id("sample-grams").fill("150")
        form.get_by_test_id("sample-submit").click()
        expect(page.locator(".alert-success")).to_be_visible()
    expect(lunch.locator('[data-state="kept"]')).to_have_count(3)
    assert FoodSample.objects.filter(meal="lunch", grams=150).count() == 3
    first = page.locator(f'[data-testid=check-row][data-worker="{world["worker1"].pk}"]')
    first.get_by_test_id("check-submit").click()
    second = page.locator(f'[data-testid=check-row][data-worker="{world["worker2"].pk}"]')
    second.get_by_test_id("symptom-fever").check()
    second.get_by_test_id("check-submit").click()
    expect(second).to_have_attribute("data-state", "off_duty")
    assert dict(MorningCheck.objects.values_list("worker__name", "cleared")) == {
        "王师傅": True,
        "李阿姨": False,
    }
    _fits(page, "tablet")
    screenshot(page, "dining-board-zh-tablet")
    assert_no_js_errors(page)

    # The dining manager, in English on a laptop, approves the rise and opens the report
    page = open_page(screen="laptop", locale="en-US")
    page.goto("/dining/prices/")
    sign_in(page, world["manager"].username, PASSWORD)
    card = page.get_by_test_id("price-request").filter(has_text="Kung pao chicken")
    expect(card).to_contain_text("15.00")
    card.get_by_test_id("price-reason").fill("Chicken costs more since the autumn")
    card.get_by_test_id("price-approve").click()
    expect(page.get_by_test_id("no-price-requests")).to_be_visible()
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == world["manager"]
    page.get_by_test_id("report-link").click()
    expect(page.get_by_test_id("report-chart")).to_be_visible()
    expect(page.get_by_test_id("report-bands")).to_contain_text("Middle")
    _fits(page, "laptop")
    screenshot(page, "dining-report-en-laptop")
    assert_no_js_errors(page)


def test_the_dining_pages_fit_every_width_in_both_languages(open_page):
    world = dining_world()
    canteen = world["A"].pk
    pages = {
        "student": ["/dining/", "/dining/?view=week", f"/dining/dishes/{world['kungpao'].pk}/"],
        "staff_a": [f"/dining/canteens/{canteen}/day/", "/dining/suppliers/"],
        "manager": [
            "/dining/prices/",
            "/dining/report/",
            "/dining/import/",
            f"/dining/menus/{canteen}/",
        ],
    }
    for who, urls in pages.items():
        for locale in ("zh-CN", "en-US"):
            for screen in ("phone", "tablet", "laptop"):
                page = open_page(screen=screen, locale=locale)
                page.goto(urls[0])
                sign_in(page, world[who].username, PASSWORD)
                for url in urls:
                    page.goto(url)
                    expect(page.locator("main h1")).to_be_visible()
                    _fits(page, screen)
                assert_no_js_errors(page)
                page.context.close()

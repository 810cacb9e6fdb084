"""The dorm-safety record pages a building's staff and residents use every day (late returns,
fire equipment, shift hand-over, responsibility agreements) read at phone, tablet and laptop
widths, in Chinese and English, nothing wider than the screen, with their data on the page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apartments import handovers, late_returns
from apartments.models import AgreementText, FireEquipment
from tests.apartments.safety_data import safety_world, staff_of
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


def test_the_safety_record_pages_fit_every_width_in_both_languages(open_page, screenshot):
    # Given S01 with a late return tonight, an extinguisher about to expire, a hand-over
    # waiting for the manager, and this year's student agreement
    world = safety_world()
    building = world["S01"]
    today = timezone.localdate()
    late_returns.late_return_record(
        actor=world["shift_lead"],
        student_id=world["student"].student_id,
        building=building,
        reason="实验室加班",
    )
    FireEquipment.objects.create(
        building=building,
        floor=1,
        kind="extinguisher",
        code="MH-101",
        location="一楼楼梯口",
        next_inspection=today + dt.timedelta(days=3),
        expires_on=today + dt.timedelta(days=10),
    )
    handover = handovers.handover_write(
        actor=world["shift_lead"],
        building=building,
        incoming=world["manager"],
        keys_counted=212,
        equipment_counted=6,
        open_items="305室热得快待复查",
    )
    AgreementText.objects.create(
        level="manager_student",
        year=today.year,
        version=1,
        title="学生公寓安全责任书",
        title_en="Student apartment safety agreement",
        text="一、不得使用违禁电器……",
        text_en="1. No banned appliances…",
        published_at=timezone.now(),
    )
    staff_of(building)  # a second manager, who has not signed either
    manager = _can_sign_in(world["manager"], "manager-e2e")
    student = _can_sign_in(world["student"].user, "student-e2e")
    staff_pages = [
        (reverse("apartments:late_returns", args=[building.pk]), "实验室加班"),
        (reverse("apartments:fire_equipment", args=[building.pk]), "MH-101"),
        (reverse("apartments:handovers", args=[building.pk]), None),
        (reverse("apartments:handover_detail", args=[handover.pk]), "305室热得快待复查"),
        (reverse("apartments:agreements_board"), "S01"),
    ]
    student_pages = [
        (reverse("apartments:my_late_returns"), "实验室加班"),
        (reverse("apartments:agreements_mine"), None),
    ]
    # When each is opened at every width in both languages, then it shows its data and fits
    for locale in ("zh-CN", "en"):
        for screen in ("phone", "tablet", "laptop"):
            for who, pages in ((manager, staff_pages), (student, student_pages)):
                page = open_page(screen=screen, locale=locale)
                page.goto(pages[0][0])
                sign_in(page, who, PASSWORD)
                for url, shown in pages:
                    page.goto(url)
                    if shown:
                        expect(page.locator("main")).to_contain_text(shown)
                    _fits(page, screen)
                    name = url.strip("/").replace("/", "-")
                    screenshot(page, f"{name}-{locale}-{screen}")
                assert_no_js_errors(page)

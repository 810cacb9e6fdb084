"""Meter readings and the jobs they trigger, in a real browser: a technician on a phone, in
Chinese, mistypes a lift's running hours (refused, the figure kept), then records the right
one; the nightly job files the lift's service and the water heaters' jobs, one per room; the
dispatcher on a laptop, in English, sees in the queue which schedule each job came from and
follows the link to the schedule's history. No page is wider than the screen."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apartments.models import Asset, AssetType
from logistics.nightly import run_job
from maintenance.models import Meter, Schedule, Ticket
from maintenance.reference import preventive_category_ensure
from tests import factories as f
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 820, 1366)


def assert_fits(page, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, f"{name} is {wide}px wider than the screen at {width}px"


def test_a_reading_triggers_the_lift_service_and_the_queue_names_its_schedule(
    open_page, screenshot
):
    campus = f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")
    building = f.BuildingFactory(campus=campus, code="S01", name="松北1号楼", name_en="Songbei 1")
    heater = AssetType.objects.create(
        code="water-heater",
        name="热水器",
        name_en="Water heater",
        repair_cost=50,
        replacement_cost=800,
    )
    for number in ("101", "102"):
        room = f.RoomFactory(building=building, number=number)
        Asset.objects.create(tag=f"H-{number}", asset_type=heater, room=room)
    planner = f.dispatcher(campus, username="dispatcher1", full_name="Zhao Dispatch")
    f.technician(campus, username="tech1", full_name="王师傅")
    area = f.PublicAreaFactory(campus=campus, building=building, code="S01-LIFT", name="电梯机房")
    lift = Meter.objects.create(
        campus=campus,
        name="S01电梯运行小时",
        area=area,
        building=building,
        unit=Meter.Unit.HOURS,
        max_per_day=Decimal("24"),
        reading=Decimal("1490"),
        read_at=timezone.now(),
    )
    common = {
        "campus": campus,
        "category": preventive_category_ensure(),
        "owner": planner,
        "tasks": "检查\n保养",
    }
    lift_service = Schedule.objects.create(
        name="Lift service",
        area=area,
        building=building,
        meter=lift,
        next_reading=Decimal("1500"),
        unit="meter",
        every=500,
        next_due=date.max,
        **common,
    )
    heaters = Schedule.objects.create(
        name="Heaters of S01",
        asset_type=heater,
        building=building,
        unit="months",
        every=3,
        next_due=timezone.localdate(),
        **common,
    )

    # A technician on a phone mistypes the reading (an extra digit), then corrects it
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto(f"/accounts/login/?next=/repairs/meters/{lift.pk}/")
    sign_in(phone, "tech1", f.PASSWORD)
    form = phone.get_by_test_id("reading-form")
    form.locator("input[name=value]").fill("15020")
    form.get_by_test_id("reading-save").click()
    expect(phone.locator(".invalid-feedback, .alert-danger").first).to_be_visible()
    expect(phone.locator("input[name=value]")).to_have_value("15020")
    lift.refresh_from_db()
    assert lift.reading == Decimal("1490")
    phone.locator("input[name=value]").fill("1502")
    phone.get_by_test_id("reading-save").click()
    expect(phone.get_by_test_id("meter-reading")).to_contain_text("1502")
    screenshot(phone, "meter-zh-phone")
    assert_fits(phone, "the meter page")
    assert_no_js_errors(phone)

    # The nightly job files the lift's 1,500-hour service and a job per heater room
    run_job("maintenance.preventive", timezone.localdate(), trigger="test", automatic=False)
    assert Ticket.objects.filter(schedule=lift_service, due_reading=1500).count() == 1
    assert Ticket.objects.filter(schedule=heaters).count() == 2

    # The dispatcher's queue names each job's schedule and links to it
    laptop = open_page(screen="laptop", locale="en-US")
    laptop.goto("/accounts/login/?next=/repairs/dispatch/")
    sign_in(laptop, "dispatcher1", f.PASSWORD)
    queue = laptop.get_by_test_id("queue")
    expect(queue.get_by_test_id("origin-schedule")).to_have_count(3)
    expect(queue).to_contain_text("Lift service · 1500.0")
    screenshot(laptop, "queue-origins-en-laptop")
    assert_fits(laptop, "the queue")
    laptop.set_viewport_size({"width": 1366, "height": 900})
    queue.get_by_test_id("origin-schedule").filter(has_text="Heaters of S01").first.click()
    expect(laptop.get_by_test_id("schedule-history")).to_contain_text("S01-101")
    expect(laptop.get_by_test_id("schedule-asset-type")).to_contain_text("Water heater")
    assert_fits(laptop, "the schedule page")
    laptop.goto("/repairs/meters/")
    expect(laptop.get_by_test_id(f"meter-{lift.pk}")).to_contain_text("1502.0")
    assert_fits(laptop, "the meters list")
    assert_no_js_errors(laptop)

"""A repair in a real browser: a student files a request with a photo on a phone, in Chinese;
the dispatcher assigns it on a laptop, in English; the plumber starts the job on a phone, draws
a washer from the storeroom and finishes; the student confirms and rates it."""

from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from apartments.models import Storeroom
from logistics.models import Notification
from maintenance.models import StockMovement, Ticket, TicketPhoto
from maintenance.stores import ledger_balance
from tests import factories as f
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_leaking_tap_from_the_students_phone_to_a_rated_repair(open_page, screenshot, tmp_path):
    # Given a student living in S01-101, the campus's dispatcher and plumber, and a storeroom
    # with ten tap washers
    campus = f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")
    building = f.BuildingFactory(campus=campus, code="S01", name="松北1号楼", name_en="Songbei 1")
    room = f.RoomFactory(building=building, number="101", capacity=4)
    student = f.resident_living_in(room, student_id="2025000001", name="王伟").user
    f.dispatcher(campus, username="dispatcher1", full_name="Zhao Dispatch")
    plumber = f.technician(campus, skills=["plumbing"], username="plumber1", full_name="王师傅")
    store = Storeroom.objects.create(campus=campus, code="WX01", name="维修库房")
    washer = f.MaterialFactory(
        code="washer", name="水龙头垫片", name_en="Tap washer", unit_cost="2.50"
    )
    washers = f.stock(store, washer, balance=10)
    plumbing = f.category("plumbing")
    photo = tmp_path / "tap.png"
    Image.new("RGB", (64, 48), (30, 120, 200)).save(photo)

    # When the student files the request on their phone, in Chinese, with a photo
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto("/accounts/login/?next=/repairs/new/")
    sign_in(phone, "2025000001", f.PASSWORD)
    form = phone.get_by_test_id("request-form")
    expect(phone.get_by_test_id("home-room")).to_contain_text("101")
    form.locator(f"input[name=category][value='{plumbing.pk}']").check()
    form.locator("textarea[name=description]").fill("卫生间水龙头一直滴水")
    form.locator("input[name=available_times]").fill("工作日晚上7点后")
    form.locator("input[name=photo_1]").set_input_files(str(photo))
    screenshot(phone, "repair-new-zh-phone")
    form.get_by_test_id("submit").click()
    expect(phone.get_by_test_id("description")).to_contain_text("卫生间水龙头一直滴水")
    expect(phone.get_by_test_id("fault-photos").locator("img")).to_have_count(1)
    screenshot(phone, "repair-filed-zh-phone")
    ticket = Ticket.objects.get(reporter=student)
    assert ticket.room == room and ticket.status == Ticket.Status.SUBMITTED
    assert TicketPhoto.objects.filter(ticket=ticket, kind="fault").count() == 1

    # and the dispatcher assigns it to the plumber on a laptop, in English
    laptop = open_page(screen="laptop", locale="en-US")
    laptop.goto("/accounts/login/?next=/repairs/dispatch/")
    sign_in(laptop, "dispatcher1", f.PASSWORD)
    expect(laptop.get_by_text("S01").first).to_be_visible()
    screenshot(laptop, "repair-queue-en-laptop")
    laptop.goto(f"/repairs/dispatch/{ticket.pk}/")
    assign = laptop.get_by_test_id("assign-form")
    assign.locator(f"input[name=technician][value='{plumber.pk}']").check()
    assign.get_by_test_id("assign").click()
    expect(laptop.get_by_test_id("timeline")).to_contain_text("王师傅")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ASSIGNED and ticket.technician == plumber

    # and the plumber starts on site, draws three washers, returns one and finishes
    job_phone = open_page(screen="phone", locale="zh-CN")
    job_phone.goto("/accounts/login/?next=/repairs/jobs/")
    sign_in(job_phone, "plumber1", f.PASSWORD)
    job_phone.get_by_test_id(f"open-job-{ticket.pk}").click()
    job_phone.get_by_test_id("start").click()
    issue = job_phone.get_by_test_id("issue-form")
    issue.locator("select[name=stock]").select_option(str(washers.pk))
    issue.locator("input[name=quantity]").fill("3")
    issue.get_by_test_id("issue").click()
    expect(job_phone.get_by_test_id("material-lines")).to_contain_text("水龙头垫片")
    returned = job_phone.get_by_test_id("return-form")
    returned.locator("select[name=stock]").select_option(str(washers.pk))
    returned.locator("input[name=quantity]").fill("1")
    returned.locator("input[name=kind][value=unused]").check()
    returned.get_by_test_id("return").click()
    expect(job_phone.get_by_test_id("material-cost")).to_contain_text("5.00")
    finish = job_phone.get_by_test_id("finish-form")
    finish.locator("input[name=minutes]").fill("40")
    finish.locator("textarea[name=work_note]").fill("更换水龙头垫片")
    screenshot(job_phone, "repair-job-zh-phone")
    finish.get_by_test_id("finish").click()
    expect(job_phone.get_by_test_id("labour")).to_contain_text("40")

    # Then the student confirms and rates the repair on their phone
    phone.goto(f"/repairs/{ticket.pk}/")
    confirm = phone.get_by_test_id("confirm-form")
    expect(phone.get_by_test_id("material-cost")).to_contain_text("5.00")
    confirm.locator("label[for$='rating_5'], label[for$='rating_4']").last.click()
    confirm.locator("textarea[name=comment]").fill("师傅来得很快")
    screenshot(phone, "repair-confirm-zh-phone")
    confirm.get_by_test_id("confirm-submit").click()
    expect(phone.get_by_test_id("rating")).to_be_visible()
    screenshot(phone, "repair-rated-zh-phone")

    ticket.refresh_from_db()
    washers.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.rating == 5 and not ticket.follow_up_needed
    assert ticket.labour_minutes == 40
    assert washers.balance == Decimal("8") == ledger_balance(washers)
    assert list(
        StockMovement.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True)
    ) == ["issue", "return"]
    told = set(Notification.objects.filter(recipient=student).values_list("kind", flat=True))
    assert {"maintenance.assigned", "maintenance.started", "maintenance.finished"} <= told
    for page in (phone, laptop, job_phone):
        assert_no_js_errors(page)

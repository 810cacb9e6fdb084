"""The summer campaign in a real browser: a manager starts it for a building on a laptop, in
English; a service worker on a phone, in Chinese, marks rooms done, one with a broken lamp that
becomes a repair ticket; the board shows that room blocked until the technician finishes, and
the desk does not propose it meanwhile."""

import pytest
from playwright.sync_api import expect

from apartments import services as apartments_services
from apartments.models import BuildingAssignment, GenderPolicy, Room
from logistics.models import Role, User
from maintenance import services
from maintenance.models import Campaign, RoomTask, Ticket
from tests import factories as f
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_summer_campaign_from_start_to_a_ready_building(open_page, screenshot):
    # Given building S01 with rooms 101 and 102, its shift lead (the service worker), the
    # campus's dispatcher and an electrician
    campus = f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")
    building = f.BuildingFactory(
        campus=campus,
        code="S01",
        name="松北1号楼",
        name_en="Songbei 1",
        gender_policy=GenderPolicy.MALE,
    )
    for number in ("101", "102"):
        f.RoomFactory(building=building, number=number, capacity=2, gender=GenderPolicy.MALE)
    f.dispatcher(campus, username="dispatcher1", full_name="Zhao Dispatch")
    worker = f.user_with_role(Role.SHIFT_LEAD, username="cleaner1", full_name="李阿姨")
    BuildingAssignment.objects.create(building=building, user=worker, role=Role.SHIFT_LEAD)
    electrician = f.technician(
        campus, skills=["electrical"], username="electrician1", full_name="张师傅"
    )
    electrical = f.category("electrical")

    # When the manager starts the summer campaign for S01 on a laptop, in English
    laptop = open_page(screen="laptop", locale="en-US")
    laptop.goto("/accounts/login/?next=/repairs/campaigns/new/")
    sign_in(laptop, "dispatcher1", f.PASSWORD)
    form = laptop.get_by_test_id("campaign-form")
    form.locator("input[name=name]").fill("Summer 2026")
    form.locator(f"input[name=buildings][value='{building.pk}']").check()
    form.locator("input[name=move_in_date]").fill("2026-09-01")
    screenshot(laptop, "campaign-new-en-laptop")
    form.get_by_test_id("campaign-start").click()
    row = laptop.get_by_test_id("board-S01")
    expect(row.get_by_test_id("not-started")).to_have_text("2")
    campaign = Campaign.objects.get()
    assert not Room.objects.filter(building=building, ready=True).exists()

    # and a service worker works the rooms on a phone, in Chinese: 101 done; 102 done with a
    # broken lamp reported
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto(f"/accounts/login/?next=/repairs/campaigns/{campaign.pk}/buildings/{building.pk}/")
    sign_in(phone, "cleaner1", f.PASSWORD)
    for number in ("101", "102"):
        phone.get_by_test_id(f"open-room-{number}").click()
        checklist = phone.get_by_test_id("checklist")
        for n in range(4):
            checklist.get_by_test_id(f"item-{n}").check()
        if number == "102":
            fault = phone.get_by_test_id("fault-form")
            fault.locator("select[name=category]").select_option(str(electrical.pk))
            fault.locator("textarea[name=description]").fill("台灯不亮")
            screenshot(phone, "campaign-room-zh-phone")
            fault.get_by_test_id("fault-report").click()
            expect(phone.get_by_test_id("room-tickets")).to_contain_text("台灯不亮")
            # (the page came back after the report: tick the list again, then save)
            for n in range(4):
                phone.get_by_test_id("checklist").get_by_test_id(f"item-{n}").check()
        phone.get_by_test_id("checklist-save").click()
    expect(phone.get_by_test_id("room-101")).to_have_attribute("data-state", "ready")
    expect(phone.get_by_test_id("room-102")).to_have_attribute("data-state", "blocked")
    screenshot(phone, "campaign-rooms-zh-phone")
    assert_no_js_errors(phone)
    ticket = Ticket.objects.get(campaign=campaign)
    assert ticket.room.number == "102"
    assert RoomTask.objects.get(room=ticket.room).status == RoomTask.Status.DONE

    # Then the board shows one room ready and one blocked, and drills down to the lamp
    laptop.reload()
    row = laptop.get_by_test_id("board-S01")
    expect(row.get_by_test_id("ready")).to_have_text("1")
    expect(row.get_by_test_id("blocked")).to_have_text("1")
    screenshot(laptop, "campaign-board-en-laptop")
    row.get_by_test_id("blocked").locator("a").click()
    expect(laptop.get_by_test_id(f"blocking-{ticket.pk}")).to_contain_text("台灯不亮")
    # and the desk proposes only the ready room meanwhile
    resident = f.ResidentFactory(campus=campus)
    plan = apartments_services.checkin_preview(student_id=resident.student_id)
    assert plan.bed.room.number == "101"

    # When the dispatcher assigns the lamp and the electrician finishes it on a phone
    services.ticket_assign(
        actor=User.objects.get(username="dispatcher1"), ticket=ticket, technician=electrician
    )
    job = open_page(screen="phone", locale="zh-CN")
    job.goto("/accounts/login/?next=/repairs/jobs/")
    sign_in(job, "electrician1", f.PASSWORD)
    job.get_by_test_id(f"open-job-{ticket.pk}").click()
    job.get_by_test_id("start").click()
    finish = job.get_by_test_id("finish-form")
    finish.locator("input[name=minutes]").fill("15")
    finish.locator("textarea[name=work_note]").fill("更换台灯灯座")
    finish.get_by_test_id("finish").click()
    expect(job.get_by_test_id("labour")).to_contain_text("15")

    # Then the board shows the building ready
    laptop.goto(f"/repairs/campaigns/{campaign.pk}/")
    row = laptop.get_by_test_id("board-S01")
    expect(row.get_by_test_id("ready")).to_have_text("2")
    expect(row.get_by_test_id("blocked")).to_have_text("0")
    assert Room.objects.filter(building=building, ready=True).count() == 2
    assert_no_js_errors(laptop)

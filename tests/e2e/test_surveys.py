"""A follow-up survey in a real browser: a student confirms a repair on their phone; the
nightly job invites them; the invitation is in their inbox; they answer it on the phone, in
Chinese, at /s/<token>/; the head of the maintenance center sees the result on a laptop, in
English."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from logistics.models import JobRun, Role
from logistics.nightly import run_job
from maintenance.models import Ticket
from quality.models import SurveyInvitation, SurveyResponse
from tests import factories as f
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_confirmed_repair_is_followed_up_answered_anonymously_and_seen_by_the_head(
    open_page, screenshot, settings
):
    settings.SURVEY_MIN_RESPONSES = 1
    # Given a student whose tap the plumber has fixed, and the maintenance center's head
    campus = f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")
    building = f.BuildingFactory(campus=campus, code="S01", name="松北1号楼", name_en="Songbei 1")
    room = f.RoomFactory(building=building, number="101", capacity=4)
    student = f.resident_living_in(room, student_id="2025000001", name="王伟").user
    plumber = f.technician(campus, skills=["plumbing"], username="plumber1", full_name="王师傅")
    maintenance = f.DepartmentFactory(
        code="maintenance",
        name="维修中心",
        name_en="Maintenance Center",
        areas=["maintenance_utilities"],
    )
    f.user_with_role(
        Role.DEPARTMENT_HEAD, department=maintenance, username="mhead", full_name="Head Li"
    )
    now = timezone.now()
    ticket = f.ticket(
        room=room,
        reporter=student,
        status="done",
        technician=plumber,
        started_at=now - dt.timedelta(hours=1),
        finished_at=now,
        work_note="更换水龙头垫片",
    )

    # When the student confirms the repair on their phone
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto(f"/accounts/login/?next=/repairs/{ticket.pk}/")
    sign_in(phone, "2025000001", f.PASSWORD)
    confirm = phone.get_by_test_id("confirm-form")
    confirm.locator("label[for$='rating_5'], label[for$='rating_4']").last.click()
    confirm.get_by_test_id("confirm-submit").click()
    expect(phone.get_by_test_id("rating")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED

    # and the night's job runs for that day
    day = timezone.localtime(ticket.closed_at).date()
    assert run_job("quality.satisfaction_surveys", day, trigger="test").state == "succeeded"
    assert JobRun.objects.get(job="quality.satisfaction_surveys").status == "succeeded"
    invitation = SurveyInvitation.objects.get(user=student)
    assert invitation.service == f"ticket:{ticket.pk}"

    # Then the invitation is in the student's inbox; they open it and answer on the phone
    phone.goto("/notifications/")
    rows = phone.get_by_test_id("notification-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"{ticket.pk}")
    rows.first.get_by_test_id("notification-open").click()
    expect(phone).to_have_url(re.compile(rf"/s/{invitation.token}/$"))
    expect(phone.get_by_test_id("question-on_time")).to_contain_text("维修人员是否按约定时间上门？")
    for key, stars in (("on_time", 5), ("fixed", 4), ("courtesy", 5)):
        phone.get_by_test_id(f"star-{key}-{stars}").click()
    phone.get_by_test_id("question-tidy").get_by_text("是", exact=True).click()
    phone.get_by_test_id("question-comment").locator("textarea").fill("师傅很耐心，谢谢")
    screenshot(phone, "survey-answer-zh-phone")
    phone.get_by_test_id("survey-submit").click()
    expect(phone.get_by_test_id("survey-state")).to_have_attribute("data-state", "thanks")
    screenshot(phone, "survey-thanks-zh-phone")
    assert SurveyResponse.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.status == "answered"

    # and the head of the maintenance center sees the result on a laptop, in English
    laptop = open_page(screen="laptop", locale="en-US")
    laptop.goto("/accounts/login/?next=/quality/surveys/repair/")
    sign_in(laptop, "mhead", f.PASSWORD)
    expect(laptop.get_by_test_id("responses")).to_have_text("1")
    expect(laptop.get_by_test_id("response-rate")).to_have_text("100.0%")
    expect(laptop.get_by_test_id("result-on_time")).to_contain_text(
        "Did the technician come when promised?"
    )
    expect(laptop.get_by_test_id("result-on_time")).to_contain_text("5")
    expect(laptop.get_by_test_id("free-texts")).to_contain_text("师傅很耐心，谢谢")
    screenshot(laptop, "survey-results-en-laptop")
    for page in (phone, laptop):
        assert_no_js_errors(page)


def test_the_auditors_semester_window_invites_a_building(open_page, screenshot):
    # Given two buildings with residents, and an auditor
    campus = f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")
    asked = f.BuildingFactory(campus=campus, code="S01", name="松北1号楼", name_en="Songbei 1")
    other = f.BuildingFactory(campus=campus, code="S02", name="松北2号楼", name_en="Songbei 2")
    room = f.RoomFactory(building=asked, number="101", capacity=4)
    residents = [f.resident_living_in(room) for _ in range(3)]
    f.resident_living_in(f.RoomFactory(building=other, number="201", capacity=4))
    f.user_with_role(Role.AUDITOR, username="auditor1", full_name="刘审核")
    today = timezone.localdate()

    # When the auditor opens a window for S01 only, on a tablet, in Chinese
    tablet = open_page(screen="tablet", locale="zh-CN")
    tablet.goto("/accounts/login/?next=/quality/surveys/windows/")
    sign_in(tablet, "auditor1", f.PASSWORD)
    form = tablet.get_by_test_id("window-form")
    form.locator("input[name=title]").fill("2026秋季学期服务质量调查")
    form.locator("input[name=start]").fill(today.isoformat())
    form.locator("input[name=end]").fill((today + dt.timedelta(days=14)).isoformat())
    form.locator("input[name=default_share]").fill("0")
    form.locator("summary").click()
    form.locator(f"input[name=share_{asked.pk}]").fill("100")
    screenshot(tablet, "survey-window-zh-tablet")
    form.get_by_test_id("window-save").click()
    expect(tablet.get_by_test_id("window-row")).to_have_count(1)

    # and the night's job runs
    assert run_job("quality.satisfaction_surveys", today, trigger="test").state == "succeeded"

    # Then S01's residents, and only they, are invited once
    invited = set(SurveyInvitation.objects.values_list("user_id", flat=True))
    assert invited == {r.user_id for r in residents}
    tablet.reload()
    expect(tablet.get_by_test_id("window-invited")).to_have_text("3")
    # and a resident finds the semester survey (44 SERVQUAL questions) on their phone
    phone = open_page(screen="phone", locale="en-US")
    phone.goto("/accounts/login/?next=/quality/surveys/mine/")
    sign_in(phone, residents[0].student_id, f.PASSWORD)
    phone.get_by_test_id("survey-row").click()
    expect(phone.locator("fieldset")).to_have_count(45)
    expect(phone.get_by_test_id("question-e01")).to_contain_text(
        "An excellent service has modern-looking equipment"
    )
    screenshot(phone, "survey-semester-en-phone")
    for page in (tablet, phone):
        assert_no_js_errors(page)

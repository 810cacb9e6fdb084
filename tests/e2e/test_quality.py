"""An inspection in a real browser: an auditor on patrol with a tablet files an inspection of
an apartment building with a failed item and raises a nonconformity from it; the head of the
apartment center answers it with a corrective action on a laptop; the auditor verifies that it
worked and closes it. The sealed record verifies in the chain all along."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from logistics.models import Role
from quality import seals
from quality.models import Inspection, Nonconformity
from tests import factories as f
from tests.e2e.conftest import assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.quality.data import published_checklist

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_failed_inspection_item_becomes_a_verified_corrective_action(open_page, screenshot):
    # Given the apartment center with its head, an auditor, and the apartments checklist
    apartments = f.DepartmentFactory(
        code="apartments", name="公寓中心", name_en="Apartment Center", areas=["apartments"]
    )
    f.user_with_role(Role.AUDITOR, username="auditor1", full_name="刘审核")
    head = f.user_with_role(
        Role.DEPARTMENT_HEAD, department=apartments, username="head1", full_name="公寓主任"
    )
    version = published_checklist("apartments")
    floor, duty, manner = version.items.order_by("position")

    # When the auditor files an inspection on a tablet, in Chinese: the duty desk is empty
    tablet = open_page(screen="tablet", locale="zh-CN")
    tablet.goto("/accounts/login/?next=/quality/inspections/new/")
    sign_in(tablet, "auditor1", f.PASSWORD)
    start = tablet.get_by_test_id("start-form")
    start.locator("select[name=area]").select_option(str(version.checklist.area_id))
    # (choosing the area reloads the department choices, those serving it, with htmx)
    tablet.wait_for_load_state("networkidle")
    start.locator("select[name=department]").select_option(str(apartments.pk))
    start.locator("input[name=place]").fill("松北1号楼 值班室")
    start.get_by_test_id("start").click()
    expect(tablet.get_by_test_id("fill-form")).to_be_visible()
    fill = tablet.get_by_test_id("fill-form")
    fill.locator(f"input[name='i{floor.pk}-score']").fill("9")
    # (the comment first: ticking "fail" saves the item at once, and a save still in flight
    # when "Save all" posts the whole form may land after it, with the comment as it was)
    fill.locator(f"textarea[name='i{duty.pk}-comment']").fill("22:10 值班室无人在岗")
    fill.locator(f"input[name='i{duty.pk}-result'][value=fail]").check()
    fill.locator(f"input[name='i{manner.pk}-score']").fill("8")
    fill.get_by_test_id("save-all").click()
    expect(tablet.get_by_test_id("failed").first).to_be_visible()
    screenshot(tablet, "inspection-fill-zh-tablet")
    tablet.get_by_test_id("submit-confirm").locator("summary").click()
    tablet.get_by_test_id("submit").click()
    expect(tablet.get_by_test_id("seal")).to_be_visible()
    screenshot(tablet, "inspection-sealed-zh-tablet")
    record = Inspection.objects.get()
    assert record.is_sealed and record.sequence == 1
    assert seals.verify_chain().ok

    # and raises a nonconformity from the failed item
    tablet.get_by_test_id("raise-nc").click()
    form = tablet.get_by_test_id("nc-form")
    form.locator("select[name=severity]").select_option("major")
    form.get_by_test_id("nc-submit").click()
    expect(tablet.get_by_test_id("nc-facts")).to_contain_text("22:10")
    nc = Nonconformity.objects.get()
    assert (nc.source, nc.inspection, nc.department) == ("inspection", record, apartments)

    # and the head of the apartment center answers it on a laptop, in English
    laptop = open_page(screen="laptop", locale="en-US")
    laptop.goto(f"/accounts/login/?next=/quality/nonconformities/{nc.pk}/")
    sign_in(laptop, "head1", f.PASSWORD)
    answer = laptop.get_by_test_id("answer-form")
    answer.locator("textarea[name=root_cause]").fill("Night duty roster had a gap at 22:00.")
    answer.locator("textarea[name=correction]").fill("Duty officer called back to the desk.")
    answer.locator("textarea[name=corrective_action]").fill("Roster overlaps shifts by 15 min.")
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    answer.locator("input[name=due_date]").fill(due)
    screenshot(laptop, "nonconformity-answer-en-laptop")
    answer.get_by_test_id("answer-submit").click()
    expect(laptop.get_by_test_id("nc-answer")).to_contain_text("Roster overlaps shifts")
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.ANSWERED and nc.answered_by == head

    # Then the auditor verifies that the action worked and closes it
    tablet.goto(f"/quality/nonconformities/{nc.pk}/")
    verify = tablet.get_by_test_id("verify-form")
    verify.locator("textarea[name=note]").fill("复查三个晚上，值班室均有人在岗")
    verify.get_by_test_id("verify-effective").click()
    expect(tablet.get_by_test_id("nc-verification")).to_contain_text("复查三个晚上")
    screenshot(tablet, "nonconformity-closed-zh-tablet")
    nc.refresh_from_db()
    assert nc.status == Nonconformity.Status.CLOSED and nc.verified_at is not None
    assert seals.verify_chain().ok
    for page in (tablet, laptop):
        assert_no_js_errors(page)

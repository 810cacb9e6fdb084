"""The quality system in a real browser: the head of the apartment center drafts a procedure in
Chinese; the quality department approves it in English; a dorm manager acknowledges it on a
phone; the coverage board shows who has not; an internal audit finding becomes a
nonconformity with one click."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from logistics.models import Role
from quality import audits
from quality.models import DocumentVersion, Nonconformity
from tests import factories as f
from tests.e2e.conftest import SCREENS, assert_no_js_errors
from tests.e2e.test_login import sign_in
from tests.quality.iso_data import qualified_auditor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(page, screen):
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, screen


def test_a_procedure_is_drafted_approved_acknowledged_and_an_audit_finding_becomes_an_nc(
    open_page, screenshot
):
    # Given the apartment center, its head, two dorm managers, and the quality department
    apartments = f.DepartmentFactory(
        code="apartments", name="公寓中心", name_en="Apartment Center", areas=["apartments"]
    )
    head = f.user_with_role(
        Role.DEPARTMENT_HEAD, department=apartments, username="head1", full_name="公寓主任"
    )
    f.user_with_role(Role.DORM_MANAGER, department=apartments, username="dm1", full_name="张楼长")
    f.user_with_role(Role.DORM_MANAGER, department=apartments, username="dm2", full_name="李楼长")
    lead = f.user_with_role(Role.AUDITOR, username="auditor1", full_name="刘审核")

    # When the head drafts the procedure in Chinese on a laptop and sends it for review
    laptop = open_page(screen="laptop", locale="zh-CN")
    laptop.goto("/accounts/login/?next=/quality/documents/new/")
    sign_in(laptop, "head1", f.PASSWORD)
    laptop.locator("select[name=kind]").select_option("PR")
    laptop.locator("select[name=department]").select_option(str(apartments.pk))
    laptop.locator("input[name=title]").fill("管理员工作流程")
    laptop.locator("select[name=owner]").select_option(str(head.pk))
    laptop.locator("input[name=applies_to][value=dorm_manager]").check()
    laptop.locator("textarea[name=text]").fill("# 目的\n\n规范管理员工作。\n\n1. 早班交接\n2. 巡查")
    laptop.get_by_test_id("save").click()
    expect(laptop.get_by_test_id("document-text")).to_contain_text("规范管理员工作")
    laptop.get_by_test_id("submit").click()
    version = DocumentVersion.objects.get()
    # (Chinese once the lead merges the catalogue: 审核中)
    expect(laptop.get_by_test_id(f"status-{version.pk}").first).to_have_text(
        re.compile("审核中|In review")
    )
    screenshot(laptop, "document-in-review-zh-laptop")

    # Then the quality department approves it, in English
    english = open_page(screen="laptop", locale="en-US")
    english.goto(f"/accounts/login/?next=/quality/document-versions/{version.pk}/")
    sign_in(english, "auditor1", f.PASSWORD)
    english.get_by_test_id("approve").click()
    expect(english.get_by_test_id(f"status-{version.pk}").first).to_have_text("Effective")
    assert_no_js_errors(english)

    # A dorm manager sees it waiting on their phone and acknowledges it
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto("/accounts/login/?next=/quality/documents/")
    sign_in(phone, "dm1", f.PASSWORD)
    expect(phone.get_by_test_id("pending")).to_contain_text("管理员工作流程")
    _fits(phone, "phone")
    phone.get_by_test_id("pending").get_by_role("link").click()
    phone.get_by_test_id("acknowledge").click()
    expect(phone.get_by_test_id("acknowledged")).to_be_visible()
    _fits(phone, "phone")
    screenshot(phone, "document-acknowledged-zh-phone")

    # The coverage board shows the head who has not
    laptop.goto("/quality/documents/coverage/")
    missing = laptop.get_by_test_id(f"missing-{version.pk}")
    expect(missing).to_contain_text("李楼长")
    expect(missing).not_to_contain_text("张楼长")
    screenshot(laptop, "document-coverage-zh-laptop")

    # An internal audit of the center by a qualified auditor from elsewhere raises a finding
    ia = qualified_auditor(lead, username="ia1")
    audit = audits.audit_plan(
        actor=lead,
        year=timezone.localdate().year,
        department=apartments,
        planned_date=dt.date(timezone.localdate().year, 12, 31),
        scope="公寓服务",
        clauses="7.5, 8.5",
        auditors=[ia],
    )
    tablet = open_page(screen="tablet", locale="zh-CN")
    tablet.goto(f"/accounts/login/?next=/quality/audits/{audit.pk}/")
    sign_in(tablet, "ia1", f.PASSWORD)
    tablet.locator("select[name=clause]").select_option("8.5")
    tablet.locator("select[name=kind]").select_option("minor")
    tablet.locator("textarea[name=text]").fill("2号楼晚归登记缺少3天记录")
    tablet.get_by_test_id("add-finding").click()
    expect(tablet.get_by_test_id("findings")).to_contain_text("2号楼晚归登记缺少3天记录")
    _fits(tablet, "tablet")

    # and the quality department turns it into a nonconformity with one click
    english.goto(f"/quality/audits/{audit.pk}/")
    english.get_by_test_id("to-nc").click()
    nc = Nonconformity.objects.get()
    expect(english).to_have_url(
        f"{english.url.split('/quality/')[0]}/quality/nonconformities/{nc.pk}/"
    )
    assert nc.audit_finding.audit == audit and nc.department == apartments
    english.goto(f"/quality/audits/{audit.pk}/")
    expect(english.get_by_test_id("nc-link")).to_have_text(nc.number)
    assert_no_js_errors(tablet)


def test_the_quality_system_pages_fit_every_width_in_both_languages(open_page):
    # Given the demo's quality system (documents, audits, objectives, training)
    from logistics.demo import seed_kernel
    from quality.iso_demo import seed_quality_system
    from quality.models import (
        Audit,
        AuditQuestion,
        ControlledDocument,
        ManagementReview,
        ManagementReviewAction,
        TrainingSession,
    )

    seed_kernel(lambda line: None)
    seed_quality_system(lambda line: None)
    from logistics.models import User

    for username in ("auditor", "head"):
        user = User.objects.get(username=username)
        user.set_password(f.PASSWORD)
        user.save()
    procedure = ControlledDocument.objects.get(title="管理员工作流程")
    audit = Audit.objects.get(status="issued")
    review = ManagementReview.objects.create(
        date=timezone.localdate(),
        period_start=dt.date(timezone.localdate().year, 1, 1),
        period_end=timezone.localdate(),
        attendees="主任、各中心负责人",
        created_by=User.objects.get(username="auditor"),
    )
    pages = [
        ("/quality/documents/", procedure.number),
        (f"/quality/documents/{procedure.pk}/", procedure.number),
        ("/quality/documents/coverage/", "李领班"),
        (f"/quality/audits/?year={audit.planned_date.year}", None),
        (f"/quality/audits/{audit.pk}/report/", "晚归登记"),
        ("/quality/objectives/", "公寓中心主任"),
        (f"/quality/training/{TrainingSession.objects.filter(kind='contest').get().pk}/", None),
        (f"/quality/management-reviews/{review.pk}/", "主任、各中心负责人"),
        ("/quality/audits/questions/", None),
        (f"/quality/audits/questions/{AuditQuestion.objects.first().pk}/", None),
        ("/quality/training/plan/", "消防疏散预案演练"),
        ("/quality/training/mine/", None),
        (
            f"/quality/management-reviews/{ManagementReviewAction.objects.first().review_id}/",
            "晚归登记改为电子化",
        ),
    ]
    for screen in ("phone", "tablet", "laptop"):
        for locale in ("zh-CN", "en-US"):
            page = open_page(screen=screen, locale=locale)
            page.goto("/accounts/login/?next=/quality/documents/")
            sign_in(page, "auditor", f.PASSWORD)
            for url, text in pages:
                response = page.goto(url)
                assert response.status == 200, url
                if text:
                    expect(page.locator("main")).to_contain_text(text)
                _fits(page, screen)
            assert_no_js_errors(page)


def test_a_review_decision_becomes_an_nc_and_an_objective_and_a_question_is_versioned(open_page):
    from quality import audits
    from quality.models import (
        AuditQuestion,
        ManagementReview,
        ManagementReviewAction,
        QualityObjective,
    )

    # Given the apartment center, its head, and the quality department with a review held
    apartments = f.DepartmentFactory(
        code="apartments", name="公寓中心", name_en="Apartment Center", areas=["apartments"]
    )
    f.user_with_role(Role.DEPARTMENT_HEAD, department=apartments, username="head1")
    lead = f.user_with_role(Role.AUDITOR, username="auditor1", full_name="刘审核")
    review = ManagementReview.objects.create(
        date=timezone.localdate(),
        period_start=dt.date(timezone.localdate().year, 1, 1),
        period_end=timezone.localdate(),
        attendees="主任、各中心负责人",
        created_by=lead,
    )

    # When the quality department records an action and raises a nonconformity from it
    page = open_page(screen="laptop", locale="en-US")
    page.goto(f"/accounts/login/?next=/quality/management-reviews/{review.pk}/")
    sign_in(page, "auditor1", f.PASSWORD)
    page.locator("summary", has_text="Record a decision or action").click()
    page.locator("select[name=action-kind]").select_option("action")
    page.locator("input[name=action-text]").fill("晚归登记改为电子化")
    page.locator("select[name=action-department]").select_option(str(apartments.pk))
    page.get_by_test_id("add-item").click()
    expect(page.get_by_test_id("review-items")).to_contain_text("晚归登记改为电子化")
    item = ManagementReviewAction.objects.get()
    page.get_by_test_id(f"to-nc-{item.pk}").click()
    expect(page.get_by_test_id("nc-review")).to_be_visible()
    nc = Nonconformity.objects.get()
    # back on the review: the NC is linked, no second button
    page.goto(f"/quality/management-reviews/{review.pk}/")
    expect(page.get_by_test_id(f"item-nc-{item.pk}")).to_have_text(nc.number)
    expect(page.get_by_test_id(f"to-nc-{item.pk}")).to_have_count(0)

    # and a decision with a target becomes an objective
    page.locator("summary", has_text="Record a decision or action").click()
    page.locator("select[name=action-kind]").select_option("decision")
    page.locator("input[name=action-text]").fill("投诉48小时内答复率 ≥ 95%")
    page.locator("select[name=action-department]").select_option(str(apartments.pk))
    page.locator("input[name=action-target]").fill("95")
    page.get_by_test_id("add-item").click()
    expect(page.get_by_test_id("review-items")).to_contain_text("投诉48小时内答复率")
    decision = ManagementReviewAction.objects.get(kind="decision")
    page.get_by_test_id(f"to-objective-{decision.pk}").click()
    expect(page.get_by_test_id(f"item-objective-{decision.pk}")).to_be_visible()
    objective = QualityObjective.objects.get()
    page.goto("/quality/objectives/")
    expect(page.get_by_test_id(f"objective-review-{objective.pk}")).to_be_visible()
    assert_no_js_errors(page)

    # A checklist question an audit used gets a new version when edited, on a phone
    question = AuditQuestion.objects.create(clause="7.5", text="文件是否受控？")
    ia = qualified_auditor(lead, username="ia1")
    audit = audits.audit_plan(
        actor=lead,
        year=timezone.localdate().year,
        department=apartments,
        planned_date=dt.date(timezone.localdate().year, 12, 31),
        scope="公寓服务",
        clauses="7.5",
        auditors=[ia],
    )
    audits.finding_add(
        actor=ia, audit=audit, clause="7.5", kind="conformity", text="符合", question=question
    )
    phone = open_page(screen="phone", locale="zh-CN")
    phone.goto("/accounts/login/?next=/quality/audits/questions/")
    sign_in(phone, "auditor1", f.PASSWORD)
    phone.get_by_test_id(f"edit-{question.pk}").click()
    expect(phone.get_by_test_id("used-note")).to_be_visible()
    phone.locator("input[name=text]").fill("现场文件是否为现行版本？")
    phone.get_by_test_id("save").click()
    expect(
        phone.get_by_test_id(f"question-{question.pk}").get_by_test_id("retired")
    ).to_be_visible()
    successor = AuditQuestion.objects.get(active=True)
    expect(phone.get_by_test_id(f"question-{successor.pk}")).to_contain_text(
        "现场文件是否为现行版本？"
    )
    _fits(phone, "phone")
    assert_no_js_errors(phone)

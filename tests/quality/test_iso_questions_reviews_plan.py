"""The audit checklist questions kept on their own page (a used question is versioned or
retired, never rewritten or deleted; auditors only), management review decisions that become a
nonconformity or an objective with one click (linked both ways, once however often clicked), the
year's training plan (planned / done, linked to the sessions held) and a staff member's own
record."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from quality import audit_questions, audits, management_reviews, training
from quality.models import (
    AuditFinding,
    AuditQuestion,
    ManagementReviewAction,
    Nonconformity,
    QualityObjective,
    TrainingPlanItem,
    TrainingSession,
)
from tests.quality.iso_data import qualified_auditor

pytestmark = pytest.mark.django_db


# --- The audit checklist questions ------------------------------------------------------------


def _used(question, auditor, department):
    """An audit whose finding answered `question`."""
    ia = qualified_auditor(auditor, username=f"ia{question.pk}")
    audit = audits.audit_plan(
        actor=auditor,
        year=2026,
        department=department,
        planned_date=dt.date(2026, 5, 20),
        scope="公寓服务",
        clauses=question.clause,
        auditors=[ia],
    )
    return audits.finding_add(
        actor=ia,
        audit=audit,
        clause=question.clause,
        kind="conformity",
        text="符合",
        question=question,
    )


def test_an_unused_question_is_edited_in_place_and_deleted(auditor):
    question = audit_questions.question_add(
        actor=auditor, clause="7.5", text="文件是否受控？", text_en="Are documents controlled?"
    )
    edited = audit_questions.question_edit(
        actor=auditor, question=question, clause="7.5", text="文件是否现行有效？", text_en=""
    )
    assert edited.pk == question.pk and edited.version == 1
    assert AuditQuestion.objects.get().text == "文件是否现行有效？"
    assert audit_questions.question_retire(actor=auditor, question=question) is None
    assert not AuditQuestion.objects.exists()


def test_a_used_question_gets_a_new_version_and_is_retired_not_deleted(auditor, apartments_dept):
    question = audit_questions.question_add(actor=auditor, clause="7.5", text="文件是否受控？")
    finding = _used(question, auditor, apartments_dept)
    successor = audit_questions.question_edit(
        actor=auditor,
        question=question,
        clause="7.5",
        text="现场文件是否为现行版本？",
        text_en="Are the documents on site the current versions?",
    )
    question.refresh_from_db()
    # the finding still points at the words it answered
    assert AuditFinding.objects.get(pk=finding.pk).question.text == "文件是否受控？"
    assert (question.active, successor.active, successor.version) == (False, True, 2)
    assert successor.replaces == question
    # the checklist of a new audit offers the new words only
    audit = finding.audit
    assert [q.text for q in audits.checklist(audit)["7.5"]] == ["现场文件是否为现行版本？"]
    # the old words cannot come back while the new version is in use
    with translation.override("en"), pytest.raises(audits.AuditInvalid, match="newer version"):
        audit_questions.question_restore(actor=auditor, question=question)
    # retiring a used question keeps it
    assert audit_questions.question_retire(actor=auditor, question=question) == question
    assert AuditQuestion.objects.filter(pk=question.pk).exists()
    # the new version, unused, is simply deleted; then the old one may be put back
    assert audit_questions.question_retire(actor=auditor, question=successor) is None
    assert audit_questions.question_restore(actor=auditor, question=question).active


def test_only_quality_auditors_keep_the_questions(head, staff_member):
    for who in (head, staff_member):
        with pytest.raises(audits.AuditNotAllowed):
            audit_questions.question_add(actor=who, clause="7.5", text="?")


def test_the_questions_page(client, auditor, head, staff_member, apartments_dept):
    url = reverse("quality:audit_questions")
    for who in (head, staff_member):
        client.force_login(who)
        assert client.get(url).status_code == 404
        assert client.post(url, {"new-clause": "7.5", "new-text": "x"}).status_code == 404
    assert not AuditQuestion.objects.exists()

    client.force_login(auditor)
    response = client.post(
        url,
        {"new-clause": "8.5", "new-text": "服务是否按流程提供？", "new-text_en": "Per procedure?"},
    )
    assert response.status_code == 302
    question = AuditQuestion.objects.get()
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "服务是否按流程提供？" in html and "Per procedure?" in html
    # an unknown clause is refused with the form kept
    response = client.post(url, {"new-clause": "99", "new-text": "坏"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and AuditQuestion.objects.count() == 1

    _used(question, auditor, apartments_dept)
    edit = reverse("quality:audit_question_edit", args=[question.pk])
    assert 'data-testid="used-note"' in client.get(edit).content.decode()
    client.post(edit, {"clause": "8.5", "text": "服务是否按现行流程提供？", "position": 0})
    assert AuditQuestion.objects.count() == 2
    assert AuditQuestion.objects.get(active=True).version == 2
    # retire/restore only on POST
    retire = reverse("quality:audit_question_retire", args=[question.pk])
    assert client.get(retire).status_code == 405
    assert client.post(retire).status_code == 302
    assert AuditQuestion.objects.get(pk=question.pk).active is False  # used: kept, retired


# --- Management review decisions become nonconformities or objectives ---------------------------


@pytest.fixture
def review(auditor):
    return management_reviews.review_create(
        actor=auditor,
        date=dt.date(2026, 12, 20),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        attendees="主任、各中心负责人",
    )


def test_an_action_becomes_one_nonconformity_linked_both_ways(
    client, auditor, review, apartments_dept, head
):
    item = management_reviews.action_add(
        actor=auditor,
        review=review,
        kind="action",
        text="晚归登记改为电子化",
        department=apartments_dept,
        owner=head,
        due_date=dt.date(2027, 3, 1),
    )
    client.force_login(auditor)
    url = reverse("quality:review_action_to_nc", args=[item.pk])
    first = client.post(url)
    second = client.post(url)
    nc = Nonconformity.objects.get()
    assert first.url == second.url == reverse("quality:nc_detail", args=[nc.pk])
    assert (nc.source, nc.department, nc.owner) == ("review", apartments_dept, head)
    item.refresh_from_db()
    assert item.nonconformity == nc
    page = client.get(reverse("quality:management_review", args=[review.pk])).content.decode()
    assert nc.number in page and f"to-nc-{item.pk}" not in page
    nc_page = client.get(reverse("quality:nc_detail", args=[nc.pk])).content.decode()
    assert reverse("quality:management_review", args=[review.pk]) in nc_page


def test_a_decision_becomes_one_objective_linked_both_ways(client, auditor, review, dining_dept):
    item = management_reviews.action_add(
        actor=auditor,
        review=review,
        kind="decision",
        text="留样合格率100%",
        department=dining_dept,
    )
    with (
        translation.override("en"),
        pytest.raises(management_reviews.ReviewInvalid, match="target"),
    ):
        management_reviews.action_to_objective(actor=auditor, item=item)
    ManagementReviewAction.objects.filter(pk=item.pk).update(target=100)
    client.force_login(auditor)
    url = reverse("quality:review_action_to_objective", args=[item.pk])
    client.post(url)
    client.post(url)
    objective = QualityObjective.objects.get()
    assert (objective.department, objective.target, objective.title) == (
        dining_dept,
        100,
        "留样合格率100%",
    )
    assert objective.review_action.review == review
    page = client.get(reverse("quality:objective_list")).content.decode()
    assert reverse("quality:management_review", args=[review.pk]) in page


def test_only_the_quality_department_records_and_converts(
    client, auditor, review, head, apartments_dept
):
    item = management_reviews.action_add(
        actor=auditor, review=review, kind="action", text="x", department=apartments_dept
    )
    client.force_login(head)
    # the head reads the review but changes nothing
    assert client.get(reverse("quality:management_review", args=[review.pk])).status_code == 200
    assert client.post(reverse("quality:review_action_to_nc", args=[item.pk])).status_code == 404
    response = client.post(
        reverse("quality:management_review", args=[review.pk]),
        {"action-kind": "action", "action-text": "y", "action-department": apartments_dept.pk},
    )
    assert response.status_code == 404
    assert not Nonconformity.objects.exists() and ManagementReviewAction.objects.count() == 1
    # the quality department records one through the page
    client.force_login(auditor)
    response = client.post(
        reverse("quality:management_review", args=[review.pk]),
        {
            "action-kind": "action",
            "action-text": "更新预案",
            "action-department": apartments_dept.pk,
        },
    )
    assert response.status_code == 302 and ManagementReviewAction.objects.count() == 2
    page = client.get(reverse("quality:management_review", args=[review.pk])).content.decode()
    assert "更新预案" in page and "data-print" in page


# --- The training plan and a staff member's own record --------------------------------------


def test_the_plan_shows_planned_and_done_linked_to_the_sessions(
    client, auditor, head, apartments_dept, dining_dept, staff_member, django_assert_num_queries
):
    year = timezone.localdate().year
    fire = training.plan_item_add(
        actor=auditor, year=year, month=1, topic="消防疏散预案", department=apartments_dept
    )
    food = training.plan_item_add(
        actor=auditor, year=year, month=12, topic="食品留样", department=dining_dept
    )
    session = training.session_create(
        actor=auditor,
        topic="消防疏散预案培训",
        trainer="保卫处",
        date=dt.date(year, 1, 15),
        plan_item=fire,
    )
    items = {i.pk: i for i in training.plan_of(auditor, year, today=dt.date(year, 2, 1))}
    assert items[fire.pk].status == "done" and items[fire.pk].held == [session]
    assert items[food.pk].status == "planned" and not items[food.pk].late
    later = {i.pk: i for i in training.plan_of(auditor, year, today=dt.date(year + 1, 1, 2))}
    assert later[food.pk].late and not later[fire.pk].late
    # the head of the apartment center sees their department's entries only
    assert [i.pk for i in training.plan_of(head, year)] == [fire.pk]

    client.force_login(auditor)
    url = f"{reverse('quality:training_plan')}?year={year}"
    client.get(url)
    # the same five queries whatever the numbers: session, user, grants, entries, sessions held
    with django_assert_num_queries(5):
        client.get(url)
    for n in range(3):
        TrainingPlanItem.objects.create(
            year=year, month=n + 2, topic=f"t{n}", created_by=auditor, department=dining_dept
        )
        TrainingSession.objects.create(
            topic=f"s{n}",
            trainer="x",
            date=dt.date(year, n + 2, 1),
            created_by=auditor,
            plan_item=TrainingPlanItem.objects.last(),
        )
    with django_assert_num_queries(5):
        html = client.get(url).content.decode()
    assert "消防疏散预案" in html and "食品留样" in html

    client.force_login(staff_member)
    assert client.get(url).status_code == 404


def test_the_plan_page_adds_an_entry_and_links_a_session(client, auditor, apartments_dept, head):
    year = timezone.localdate().year
    client.force_login(head)
    url = f"{reverse('quality:training_plan')}?year={year}"
    assert client.post(url, {"month": 3, "topic": "x", "kind": "training"}).status_code == 404
    client.force_login(auditor)
    response = client.post(
        url,
        {
            "month": 3,
            "topic": "服务员工作流程",
            "kind": "training",
            "department": apartments_dept.pk,
        },
    )
    assert response.status_code == 302
    item = TrainingPlanItem.objects.get()
    assert (item.year, item.month, item.department) == (year, 3, apartments_dept)
    session = training.session_create(
        actor=auditor, topic="服务员工作流程", trainer="公寓主任", date=dt.date(year, 3, 5)
    )
    client.post(reverse("quality:training_session", args=[session.pk]), {"plan_item": item.pk})
    session.refresh_from_db()
    assert session.plan_item == item and session.planned
    html = client.get(url).content.decode()
    assert reverse("quality:training_session", args=[session.pk]) in html


def test_a_staff_member_sees_their_own_record(client, auditor, staff_member):
    today = timezone.localdate()
    training.qualification_grant(
        actor=auditor,
        user=staff_member,
        kind="first_aid",
        valid_from=today - dt.timedelta(days=400),
        valid_until=today - dt.timedelta(days=1),
    )
    client.force_login(staff_member)
    html = client.get(reverse("quality:my_training"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "First aid" in html and "Not valid today" in html


def test_an_expired_qualification_is_refused_for_an_audit_on_the_page(
    client, auditor, apartments_dept
):
    expired = qualified_auditor(auditor, username="old_ia", until=dt.date(2026, 1, 31))
    client.force_login(auditor)
    response = client.post(
        reverse("quality:audit_new"),
        {
            "department": apartments_dept.pk,
            "planned_date": "2026-05-20",
            "scope": "公寓服务",
            "clauses": "7.5",
            "auditors": [expired.pk],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "qualification" in response.content.decode()
    assert not audits.audits_for(auditor).exists()


def test_the_review_gathers_the_documents_changed_in_its_period(
    client, auditor, review, head, apartments_dept
):
    from tests.quality.iso_data import effective_document

    document = effective_document(head, auditor, apartments_dept)  # effective 2026-03-10
    version = document.versions.get()
    assert management_reviews.inputs(review)["changes"] == [version]
    client.force_login(auditor)
    html = client.get(reverse("quality:management_review", args=[review.pk])).content.decode()
    assert document.number in html

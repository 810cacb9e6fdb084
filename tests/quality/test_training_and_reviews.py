"""Training (sessions, quiz scores, contest ranking, qualifications, a person's record) and the
management review page gathering its inputs."""

import datetime as dt

import pytest
from django.urls import reverse

from logistics.models import Role
from quality import audits, management_reviews, training
from quality.models import Qualification, TrainingSession
from tests import factories as f
from tests.quality.iso_data import qualified_auditor

pytestmark = pytest.mark.django_db


def test_a_contest_ranks_its_results_and_a_record_shows_them(auditor, apartments_dept):
    a, b, c = (
        f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username=n)
        for n in ("a", "b", "c")
    )
    contest = training.session_create(
        actor=auditor,
        kind=TrainingSession.Kind.CONTEST,
        topic="岗位知识竞赛",
        trainer="质量办",
        date=dt.date(2026, 4, 1),
    )
    training.attendance_record(actor=auditor, session=contest, user=a, score=80)
    training.attendance_record(actor=auditor, session=contest, user=b, score=95)
    training.attendance_record(actor=auditor, session=contest, user=c, score=80)
    training.attendance_record(actor=auditor, session=contest, user=a, score=55)  # corrected
    ranked = training.ranking(contest)
    assert [(r.user.username, r.rank, r.passed) for r in ranked] == [
        ("b", 1, True),
        ("c", 2, True),
        ("a", 3, False),
    ]
    with pytest.raises(training.TrainingInvalid):
        training.attendance_record(actor=auditor, session=contest, user=a, score=101)
    with pytest.raises(training.TrainingNotAllowed):
        training.attendance_record(actor=a, session=contest, user=a, score=100)
    record = training.record_of(b)
    assert [t.session for t in record["trainings"]] == [contest]


def test_the_training_pages(client, auditor, apartments_dept, student):
    person = f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="p")
    session = training.session_create(
        actor=auditor, topic="服务员工作流程", trainer="王老师", date=dt.date(2026, 4, 1)
    )
    client.force_login(auditor)
    client.post(
        reverse("quality:training_session", args=[session.pk]), {"username": "p", "score": "90"}
    )
    client.post(
        reverse("quality:qualification_grant", args=[person.pk]),
        {"kind": "internal_auditor", "valid_from": "2026-01-01", "valid_until": "2028-12-31"},
    )
    assert Qualification.objects.get(user=person).valid_until == dt.date(2028, 12, 31)
    client.force_login(person)
    html = client.get(reverse("quality:training_record", args=[person.pk])).content.decode()
    assert "服务员工作流程" in html and "2028-12-31" in html
    assert client.get(reverse("quality:training_list")).status_code == 200
    assert client.get(reverse("quality:training_record", args=[auditor.pk])).status_code == 404
    client.force_login(student)
    assert client.get(reverse("quality:training_list")).status_code == 404


def test_the_management_review_gathers_its_inputs(
    client, auditor, apartments_dept, head, staff_member
):
    ia = qualified_auditor(auditor, username="ia")
    audit = audits.audit_plan(
        actor=auditor,
        year=2026,
        department=apartments_dept,
        planned_date=dt.date(2026, 5, 20),
        scope="公寓",
        clauses="7.5",
        auditors=[ia],
    )
    finding = audits.finding_add(actor=ia, audit=audit, clause="7.5", kind="minor", text="x")
    audits.finding_to_nc(actor=auditor, finding=finding)
    review = management_reviews.review_create(
        actor=auditor,
        date=dt.date(2026, 12, 20),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        attendees="主任、各中心负责人",
        decisions="加强文件控制",
    )
    inputs = management_reviews.inputs(review)
    assert inputs["audits"] == [audit] and inputs["audits"][0].ncs == 1
    client.force_login(head)
    html = client.get(reverse("quality:management_review", args=[review.pk])).content.decode()
    assert "加强文件控制" in html and apartments_dept.name in html
    client.force_login(staff_member)
    assert client.get(reverse("quality:management_review", args=[review.pk])).status_code == 404

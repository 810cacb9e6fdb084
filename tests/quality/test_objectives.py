"""Quality objectives: the measured value of a review matches one computed by hand; the nightly
job creates each period's review once; missed twice in a row raises a nonconformity (once);
the objectives page at a fixed number of queries and who sees it."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from logistics.models import Role
from quality import objectives
from quality.models import (
    Complaint,
    ComplaintCategory,
    Nonconformity,
    ObjectiveReview,
    QualityObjective,
)
from tests import factories as f
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db
JOB = "quality.documents_and_objectives"


def at(day, hour=9):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def complaint(department, received, answered_after=None):
    category, _ = ComplaintCategory.objects.get_or_create(
        code="c", defaults={"name": "公寓", "department": department}
    )
    return Complaint.objects.create(
        channel="hotline",
        category=category,
        department=department,
        subject="热水",
        text="没有热水",
        received_at=received,
        respond_by=received + dt.timedelta(hours=48),
        first_answered_at=received + answered_after if answered_after is not None else None,
    )


def objective(department, owner, **fields):
    values = {
        "title": "投诉48小时内答复率",
        "measure": QualityObjective.Measure.COMPLAINTS_48H,
        "target": 90,
        "unit": "%",
        "frequency": QualityObjective.Frequency.MONTHLY,
    }
    values.update(fields)
    created = QualityObjective.objects.create(department=department, owner=owner, **values)
    QualityObjective.objects.filter(pk=created.pk).update(created_at=at(dt.date(2025, 1, 1)))
    created.refresh_from_db()
    return created


def test_the_measured_value_matches_a_hand_computed_one(apartments_dept, dining_dept, head):
    # March 2026: 7 complaints for the apartments. Answered after 1 h, 47 h, exactly 48 h
    # (in time), 49 h, 72 h (late), and one never answered (late); one of another department
    # and one received in April do not count. By hand: 3 of 6 in time = 50.00 %.
    for hours in (1, 47, 48, 49, 72):
        complaint(apartments_dept, at(dt.date(2026, 3, 5)), dt.timedelta(hours=hours))
    complaint(apartments_dept, at(dt.date(2026, 3, 31), 23))
    complaint(dining_dept, at(dt.date(2026, 3, 5)), dt.timedelta(hours=1))
    complaint(apartments_dept, at(dt.date(2026, 4, 1), 0), dt.timedelta(hours=1))
    goal = objective(apartments_dept, head)

    call_command("run_nightly_jobs", "--date", "2026-03-31", "--job", JOB)

    review = ObjectiveReview.objects.get()
    assert (review.period_start, review.period_end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert review.measured == 100 * 3 / 6 and review.sample == 6
    assert review.met is False
    # the same job again (or the next days of April) adds nothing
    call_command("run_nightly_jobs", "--date", "2026-03-31", "--job", JOB)
    call_command("run_nightly_jobs", "--date", "2026-04-15", "--job", JOB)
    assert ObjectiveReview.objects.filter(objective=goal).count() == 1


def test_the_period_arithmetic():
    yearly, quarterly, monthly = "yearly", "quarterly", "monthly"
    assert objectives.last_completed_period(monthly, dt.date(2026, 3, 31)) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
    )
    assert objectives.last_completed_period(monthly, dt.date(2026, 1, 15)) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
    )
    assert objectives.last_completed_period(quarterly, dt.date(2026, 5, 2)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
    assert objectives.last_completed_period(yearly, dt.date(2026, 6, 1)) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )


def test_missed_twice_in_a_row_raises_a_nonconformity_once(apartments_dept, head):
    goal = objective(apartments_dept, head)
    for month in (1, 2, 3, 4):
        complaint(apartments_dept, at(dt.date(2026, month, 10)))  # never answered: 0 %
    objectives.review_create(goal, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert not Nonconformity.objects.exists()  # once is not yet a pattern
    second = objectives.review_create(goal, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    nc = Nonconformity.objects.get()
    assert second.nonconformity == nc
    assert (nc.source, nc.department, nc.raised_by) == ("objective", apartments_dept, head)
    # a third miss in the same run does not raise another
    objectives.review_create(goal, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert Nonconformity.objects.count() == 1


def test_a_met_review_breaks_the_run(apartments_dept, head):
    goal = objective(apartments_dept, head, target=0)  # 0 % is met
    complaint(apartments_dept, at(dt.date(2026, 1, 10)))
    review = objectives.review_create(goal, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert review.met is True


def test_satisfaction_and_hand_entered_measures(apartments_dept, head):
    manual = objective(apartments_dept, head, measure="manual", title="培训覆盖率", target=95)
    review = objectives.review_create(manual, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert review.measured is None and review.met is None
    objectives.review_comment(actor=head, review=review, comment="培训已全部完成", value="97.5")
    review.refresh_from_db()
    assert review.measured == 97.5 and review.met is True and review.comment == "培训已全部完成"
    other = f.user_with_role(Role.DORM_MANAGER, username="x")
    with pytest.raises(objectives.ObjectiveNotAllowed):
        objectives.review_comment(actor=other, review=review, comment="x")


def test_the_page_and_its_query_count(
    client, apartments_dept, head, auditor, student, django_assert_num_queries
):
    goal = objective(apartments_dept, head)
    objectives.review_create(goal, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    client.force_login(student)
    assert client.get(reverse("quality:objective_list")).status_code == 404
    client.force_login(auditor)
    url = reverse("quality:objective_list")
    client.get(url)
    # session, user with grants, the objectives (with department and owner), their reviews
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["rows"]) == 1
    for n in range(5):
        more = objective(apartments_dept, head, title=f"目标{n}")
        for month in (1, 2, 3):
            objectives.review_create(more, dt.date(2026, month, 1), dt.date(2026, month, 28))
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["rows"]) == 6


# --- The nightly job through the engine: concurrent runs, and a run that dies halfway --------

JOB_DAY = dt.date(2027, 4, 1)  # March 2027 has ended; the document below is overdue


def _missed_february_and_march(apartments_dept, head, auditor):
    """An objective missed in February (reviewed already) and in March (to be reviewed on
    JOB_DAY: the second miss in a row), and a document whose review was due on 2027-03-10."""
    from tests.quality.iso_data import effective_document

    goal = objective(apartments_dept, head)
    for month in (2, 3):
        complaint(apartments_dept, at(dt.date(2027, month, 10)))  # never answered: 0 %
    objectives.review_create(goal, dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    document = effective_document(head, auditor, apartments_dept)
    return goal, document


def _exactly_once(goal, head):
    from logistics.models import Alert, Notification

    assert ObjectiveReview.objects.filter(objective=goal).count() == 2
    assert (
        ObjectiveReview.objects.filter(objective=goal, period_start=dt.date(2027, 3, 1)).count()
        == 1
    )
    assert Nonconformity.objects.filter(source="objective").count() == 1
    alerts = list(Alert.objects.filter(kind="document_review_due").values_list("role", flat=True))
    assert sorted(alerts) == sorted([Role.DEPARTMENT_HEAD, Role.AUDITOR])
    assert (
        Notification.objects.filter(kind="quality.document_review_due", recipient=head).count() == 1
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_three_concurrent_runs_of_one_date_leave_each_review_exactly_once(
    apartments_dept, head, auditor
):
    from logistics.nightly import run_job
    from quality import documents
    from tests.threads import race

    goal, _document = _missed_february_and_march(apartments_dept, head, auditor)
    # Through the engine: one works, the others find it running or done.
    outcomes = race(3, lambda i: run_job(JOB, JOB_DAY, trigger=f"starter-{i}"))
    assert [o.state for o in outcomes].count("succeeded") == 1
    # And the work itself three times at once, without the engine's lock.
    race(
        3,
        lambda i: (documents.review_due_alerts(JOB_DAY), objectives.reviews_due(JOB_DAY)),
    )
    _exactly_once(goal, head)


def test_a_run_that_dies_halfway_is_completed_by_the_next_with_nothing_twice(
    apartments_dept, head, auditor
):
    from unittest import mock

    from logistics.models import JobRun
    from logistics.nightly import run_job

    goal, _document = _missed_february_and_march(apartments_dept, head, auditor)
    # The documents' steps commit; then the worker dies while measuring the objectives.
    with (
        mock.patch.object(objectives, "measure", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        run_job(JOB, JOB_DAY, trigger="test")
    assert JobRun.objects.get(job=JOB, for_date=JOB_DAY).status == JobRun.Status.FAILED
    assert ObjectiveReview.objects.filter(objective=goal).count() == 1  # February only
    assert not Nonconformity.objects.exists()

    assert run_job(JOB, JOB_DAY, trigger="test").state == JobRun.Status.SUCCEEDED
    _exactly_once(goal, head)
    # and once more changes nothing
    run_job(JOB, JOB_DAY, trigger="again")
    _exactly_once(goal, head)

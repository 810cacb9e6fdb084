"""The nightly residents' reminders (apartments.reminders, job `apartments.resident_reminders`):
a condition report whose last day is near and keys not back after the move-out inspection
are each reminded exactly once per resident, in the portal and by e-mail, whatever the number
of runs: one after another, three at the same moment, or one that dies halfway and the next
that finishes it."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from apartments import reminders
from apartments.jobs import resident_reminders
from apartments.models import ConditionReport, MoveOutRequest, Stay
from logistics.models import JobRun, Notification
from logistics.nightly import NIGHTLY_JOBS, Outcome, run_job
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.conftest import requires_postgres
from tests.factories import ResidentFactory
from tests.threads import race

JOB = "apartments.resident_reminders"
CONDITION = "apartments.condition_report_reminder"
KEYS = "apartments.keys_reminder"
NIGHT = dt.date(2026, 9, 3)  # the reminders are read on the 4th


def reminders_world():
    """Six residents of S01 (rooms 101, 102), each with a current stay and a condition report:
    - r0, r1, r2: reports pending, due on the 4th, the 5th, the 6th (the 6th is too far);
    - r3: due on the 4th but already confirmed; r4: due on the 3rd (past: it counts as
      accepted, nobody is reminded);
    - r5: pending and due on the 4th, but the stay has ended;
    and move-outs inspected with keys not back: r0 planned for the 5th, r1 for the 1st
    (overdue), r2 for the 9th (too far); r3's keys are back."""
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=2, capacity=4, gender_policy="M")
    beds = free_beds(s01)
    residents, stays = [], []
    for i in range(6):
        resident = ResidentFactory(student_id=f"250100000{i}", campus=songbei)
        resident.user.email = f"{resident.student_id}@stu.example.edu.cn"
        resident.user.save(update_fields=["email"])
        residents.append(resident)
        stays.append(stay(resident, beds[i]))
    due = [4, 5, 6, 4, 3, 4]
    for i, day in enumerate(due):
        ConditionReport.objects.create(stay=stays[i], due_by=dt.date(2026, 9, day))
    ConditionReport.objects.filter(stay=stays[3]).update(status=ConditionReport.Status.CONFIRMED)
    Stay.objects.filter(pk=stays[5].pk).update(status=Stay.Status.ENDED, ended_at=timezone.now())
    for i, (day, keys_back) in enumerate([(5, False), (1, False), (9, False), (4, True)]):
        MoveOutRequest.objects.create(
            resident=residents[i],
            stay=stays[i],
            planned_date=dt.date(2026, 9, day),
            reason="graduation",
            status=MoveOutRequest.Status.INSPECTED,
            keys_returned_at=timezone.now() if keys_back else None,
        )
    return residents


def reminded(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def users(residents, *indexes):
    return sorted(residents[i].user.username for i in indexes)


def assert_each_reminded_once(residents):
    assert reminded(CONDITION) == users(residents, 0, 1)
    assert reminded(KEYS) == users(residents, 0, 1)


def test_the_job_is_registered_with_a_description():
    assert str(NIGHTLY_JOBS[JOB].description)


@pytest.mark.django_db
def test_each_due_item_is_reminded_once_however_often_the_job_runs():
    residents = reminders_world()

    resident_reminders(NIGHT)
    resident_reminders(NIGHT)
    # the next night finds them reminded too
    resident_reminders(NIGHT + dt.timedelta(days=1))

    assert reminded(CONDITION) == users(residents, 0, 1, 2)  # r2's turn came the next night
    assert reminded(KEYS) == users(residents, 0, 1)
    first = Notification.objects.filter(kind=CONDITION, recipient=residents[0].user).get()
    assert first.url == "/apartments/my-room/#condition-report"
    assert first.params == {"room": "S01-101", "date": "2026-09-04"}
    assert first.email_due_at is not None  # and by e-mail, through the outbox
    keys = Notification.objects.filter(kind=KEYS, recipient=residents[1].user).get()
    assert keys.params == {"room": "S01-101", "date": "2026-09-01"}
    request = MoveOutRequest.objects.get(resident=residents[1])
    assert keys.url == f"/apartments/move-out/requests/{request.pk}/"
    assert request.keys_reminded_on == NIGHT
    assert ConditionReport.objects.get(stay__resident=residents[0]).reminded_on == NIGHT


@pytest.mark.django_db
def test_the_reminders_read_in_both_languages():
    from django.utils import translation

    from logistics.notifications import notification_text

    reminders_world()
    resident_reminders(NIGHT)
    note = Notification.objects.filter(kind=KEYS).first()
    with translation.override("en"):
        assert "keys of room S01-101 are due back" in notification_text(note)


@pytest.mark.django_db
def test_a_batch_reads_and_writes_a_fixed_number_of_statements(django_assert_num_queries):
    reminders_world()
    keys = list(reminders.condition_reports_to_remind(NIGHT).values_list("pk", flat=True))
    # the reports re-read under a lock with their residents and rooms; marked; one insert
    with django_assert_num_queries(3):
        assert reminders.condition_reports_remind(NIGHT, keys) == 2
    keys = list(reminders.keys_to_remind(NIGHT).values_list("pk", flat=True))
    with django_assert_num_queries(3):
        assert reminders.keys_remind(NIGHT, keys) == 2


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_three_runs_at_the_same_moment_remind_each_once():
    residents = reminders_world()
    # Through the engine: one works, the others find it running or done.
    outcomes = race(3, lambda i: run_job(JOB, NIGHT, trigger=f"starter-{i}"))
    assert [o.state for o in outcomes].count(JobRun.Status.SUCCEEDED) == 1
    assert all(o.done for o in outcomes)
    # And the work itself three times at once, without the engine's lock: the row locks and
    # the reminded marks keep each reminder single.
    race(3, lambda i: resident_reminders(NIGHT))
    assert_each_reminded_once(residents)


@pytest.mark.django_db
def test_a_run_that_dies_halfway_is_finished_by_the_next_with_nothing_twice():
    residents = reminders_world()
    real_notify_many = reminders.notify_many
    calls = []

    def die_on_the_second_batch(messages):
        calls.append(messages)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker is killed in the second batch
        return real_notify_many(messages)

    # One item a batch: the first reminder is committed, then the worker dies.
    with (
        mock.patch.object(reminders, "BATCH", 1),
        mock.patch.object(reminders, "notify_many", die_on_the_second_batch),
        pytest.raises(KeyboardInterrupt),
    ):
        run_job(JOB, NIGHT, trigger="test")
    assert JobRun.objects.get(job=JOB, for_date=NIGHT).status == JobRun.Status.FAILED
    assert reminded(CONDITION) == users(residents, 0)  # the first batch kept, the second not
    assert reminded(KEYS) == []

    assert run_job(JOB, NIGHT, trigger="test").state == JobRun.Status.SUCCEEDED
    assert_each_reminded_once(residents)
    assert run_job(JOB, NIGHT, trigger="test").state == Outcome.ALREADY_DONE
    assert_each_reminded_once(residents)

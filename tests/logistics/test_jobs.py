"""Background jobs: recorded, idempotent per date, enqueued only after commit."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from logistics import jobs, tasks
from logistics.models import JobRun
from logistics.services import job_run

pytestmark = pytest.mark.django_db
DAY = date(2026, 9, 1)


def test_a_job_runs_once_per_date_and_is_recorded():
    calls = []

    def work(for_date):
        calls.append(for_date)
        return 7

    first = job_run(job="test.count", for_date=DAY, work=work, trigger="test")
    second = job_run(job="test.count", for_date=DAY, work=work, trigger="test")

    assert calls == [DAY]
    assert second is None
    assert first.status == JobRun.Status.SUCCEEDED
    assert first.items == 7
    assert first.finished_at >= first.started_at
    # Another date is another run.
    assert job_run(job="test.count", for_date=DAY + timedelta(days=1), work=work).items == 7


def test_a_failing_job_is_recorded_with_its_error_and_its_changes_undone():
    def work(for_date):
        Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now())
        raise RuntimeError("storeroom unreachable")

    run = job_run(job="test.fail", for_date=DAY, work=work)

    assert run.status == JobRun.Status.FAILED
    assert "storeroom unreachable" in run.error
    assert not Session.objects.exists()  # rolled back
    # A failed run does not count as done: the next attempt runs again.
    again = job_run(job="test.fail", for_date=DAY, work=lambda d: 1)
    assert again.status == JobRun.Status.SUCCEEDED


def test_the_database_refuses_a_second_success_for_one_date():
    from django.db import IntegrityError, transaction

    now = timezone.now()
    JobRun.objects.create(job="j", for_date=DAY, status="succeeded", started_at=now)
    JobRun.objects.create(job="j", for_date=DAY, status="failed", started_at=now)  # fine
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job="j", for_date=DAY, status="succeeded", started_at=now)


def test_run_nightly_jobs_command_twice_changes_nothing_the_second_time(capsys):
    Session.objects.create(
        session_key="a" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    call_command("run_nightly_jobs", "--date", "2026-09-01")
    runs = list(JobRun.objects.values_list("job", "for_date", "status", "items"))
    assert ("kernel.clear_expired_sessions", DAY, "succeeded", 1) in runs
    assert not Session.objects.exists()

    call_command("run_nightly_jobs", "--date", "2026-09-01")
    assert list(JobRun.objects.values_list("job", "for_date", "status", "items")) == runs
    assert "already done" in capsys.readouterr().out


def test_run_nightly_jobs_rejects_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_nightly_jobs", "--date", "01/09/2026")


def test_run_nightly_jobs_fails_loudly_when_a_job_fails(monkeypatch):
    def broken(for_date):
        raise ValueError("boom")

    monkeypatch.setitem(jobs.NIGHTLY_JOBS, "test.broken", broken)
    with pytest.raises(CommandError, match=r"test\.broken"):
        call_command("run_nightly_jobs", "--date", "2026-09-01")
    assert JobRun.objects.get(job="test.broken").status == "failed"
    # The other jobs still ran.
    assert JobRun.objects.get(job="kernel.clear_expired_sessions").status == "succeeded"


def test_nightly_task_at_its_scheduled_time_works_for_today(monkeypatch):
    from datetime import datetime

    scheduled = timezone.make_aware(datetime(2026, 9, 1, 23, 30), timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: scheduled)
    result = tasks.run_nightly_jobs.delay()
    outcome = result.get()
    assert outcome["kernel.clear_expired_sessions"] == "succeeded"
    assert set(outcome.values()) == {"succeeded"}
    assert set(JobRun.objects.values_list("for_date", flat=True)) == {DAY}


def test_tasks_enqueued_in_a_transaction_wait_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.run_nightly_jobs.delay_on_commit("2026-09-01", "test")
        assert not JobRun.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert JobRun.objects.filter(for_date=DAY, trigger="test").exists()


def test_the_beat_schedule_is_declared_in_code():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-jobs"]
    assert entry["task"] == tasks.run_nightly_jobs.name
    from logistics.celery import app

    assert tasks.run_nightly_jobs.name in app.tasks


def test_a_jobs_own_integrity_error_is_recorded_as_its_own():
    """Only the once-per-date guard may be reported as 'another run succeeded first'."""
    from django.db import IntegrityError

    def work(for_date):
        raise IntegrityError('duplicate key value violates unique constraint "bed_unique"')

    run = job_run(job="test.own_integrity_error", for_date=DAY, work=work)
    assert run.status == JobRun.Status.FAILED
    assert "bed_unique" in run.error
    assert "succeeded first" not in run.error


def test_the_scheduled_task_works_for_the_day_that_is_ending(monkeypatch):
    """Run late, just after midnight, the nightly task still takes the day that ended."""
    from datetime import datetime

    just_after_midnight = timezone.make_aware(
        datetime(2026, 9, 2, 0, 40), timezone.get_current_timezone()
    )
    monkeypatch.setattr(timezone, "now", lambda: just_after_midnight)
    tasks.run_nightly_jobs.delay()
    assert set(JobRun.objects.values_list("for_date", flat=True)) == {DAY}

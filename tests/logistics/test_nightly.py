"""The nightly-job engine in one process: runs recorded once per job and date, committed
batches, failed items set aside, retries with backoff, catch-up, alerts when it gives up, the
command an operator runs, and the schedule. (Concurrent runs and dead processes:
test_nightly_concurrency.py and test_nightly_worker.py.)"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
from celery.beat import Scheduler
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone

from logistics import nightly, tasks
from logistics.alerts import alerts_for
from logistics.celery import app
from logistics.models import Alert, AuditEvent, JobItemFailure, JobRun, Notification, Role
from logistics.nightly import NIGHTLY_JOBS, Outcome, run_job, run_nightly_jobs
from tests.factories import user_with_role
from tests.logistics import nightly_helpers as helpers

pytestmark = pytest.mark.django_db
DAY = date(2026, 9, 1)
JOB = "test.items"


@pytest.fixture
def job():
    helpers.register(JOB, size=10)
    yield JOB
    helpers.unregister(JOB)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, datetime.min.time()), timezone.get_current_timezone()
    ) + timedelta(hours=hour, minutes=minute)


# --- One run per job and date ----------------------------------------------------------------


def test_a_job_works_in_batches_and_its_run_is_recorded(job):
    # Given 35 items to do, in batches of 10
    items = helpers.make_items(35)

    # When the job runs for a date
    outcome = run_job(job, DAY, trigger="test")

    # Then every item was handled once, and the run says so
    assert outcome.state == JobRun.Status.SUCCEEDED
    assert helpers.handled_counts() == dict.fromkeys(items, 1)
    run = JobRun.objects.get(job=job, for_date=DAY)
    assert (run.status, run.items, run.failures, run.attempt, run.trigger) == (
        "succeeded",
        35,
        0,
        1,
        "test",
    )
    assert run.started_at <= run.heartbeat_at <= run.finished_at
    assert run.worker  # host:pid, for an operator looking for it


def test_a_second_run_for_a_date_that_succeeded_does_nothing_and_records_nothing(job):
    helpers.make_items(5)
    run_job(job, DAY, trigger="test")
    later = helpers.make_items(3)[-3:]  # due after the run (a late correction, say)

    again = run_job(job, DAY, trigger="test")

    assert again.state == Outcome.ALREADY_DONE and again.done
    assert JobRun.objects.filter(job=job).count() == 1
    assert not any(pk in helpers.handled_counts() for pk in later)
    # Another date is another run, and it does what is due by then.
    assert run_job(job, DAY + timedelta(days=1), trigger="test").run.items == 3


def test_a_run_that_found_nothing_to_do_is_a_success_with_no_items(job):
    outcome = run_job(job, DAY, trigger="test")
    assert outcome.state == JobRun.Status.SUCCEEDED
    assert outcome.run.items == 0


def test_the_database_refuses_a_second_success_and_a_second_running_run_for_a_date():
    from django.db import IntegrityError, transaction

    now = timezone.now()
    JobRun.objects.create(job="j", for_date=DAY, status="succeeded", started_at=now)
    JobRun.objects.create(job="j", for_date=DAY, status="failed", started_at=now)  # fine
    JobRun.objects.create(job="j", for_date=DAY, status="running", started_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job="j", for_date=DAY, status="succeeded", started_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job="j", for_date=DAY, status="running", started_at=now)


def test_a_live_run_elsewhere_makes_a_second_starter_report_already_running(job, settings):
    """Without PostgreSQL's advisory locks (SQLite) a run with a recent heartbeat is alive."""
    helpers.make_items(3)
    live = JobRun.objects.create(
        job=job,
        for_date=DAY,
        status="running",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        worker="other-host:42",
    )
    if nightly._advisory_locks():
        # On PostgreSQL the lock decides: nobody holds it, so that run is dead.
        outcome = run_job(job, DAY, trigger="test")
        live.refresh_from_db()
        assert live.status == JobRun.Status.ABANDONED
        assert outcome.state == JobRun.Status.SUCCEEDED
    else:
        outcome = run_job(job, DAY, trigger="test")
        assert outcome.state == Outcome.ALREADY_RUNNING and outcome.run == live
        assert not JobRun.objects.filter(status="succeeded").exists()
        assert helpers.handled_counts() == {}


# --- Failures --------------------------------------------------------------------------------


def test_one_failing_item_is_set_aside_and_the_rest_are_done(caplog):
    # Given 25 items, one of which cannot be handled
    items = helpers.make_items(25)
    broken = items[13]
    helpers.register("test.broken_item", size=10, fail={broken})
    try:
        # When the job runs
        with caplog.at_level(logging.ERROR, logger="logistics.nightly"):
            outcome = run_job("test.broken_item", DAY, trigger="test")
    finally:
        helpers.unregister("test.broken_item")

    # Then the other 24 are done, once each; the broken one is listed with its error
    assert helpers.handled_counts() == {pk: 1 for pk in items if pk != broken}
    run = outcome.run
    assert outcome.state == JobRun.Status.PARTIAL and not outcome.done
    assert (run.status, run.items, run.failures) == ("partial", 24, 1)
    failure = JobItemFailure.objects.get(run=run)
    assert failure.item == str(broken)
    assert f"item {broken} is broken" in failure.error
    # and it is logged at ERROR, for the worker's log
    assert any(str(broken) in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    # The date is not done: a run that did not do everything is no success.
    assert not JobRun.objects.filter(status="succeeded").exists()


def test_a_retry_after_a_partial_run_does_only_what_is_left(job):
    items = helpers.make_items(12)
    helpers.register("test.flaky", size=5, fail={items[2]})
    first = run_job("test.flaky", DAY, trigger="test")
    helpers.unregister("test.flaky")
    assert first.state == JobRun.Status.PARTIAL

    # The item is repaired; the retry does it, and nothing else again.
    helpers.register("test.flaky", size=5)
    try:
        second = run_job("test.flaky", DAY, trigger="retry")
    finally:
        helpers.unregister("test.flaky")
    assert (second.state, second.run.items, second.run.attempt) == ("succeeded", 1, 2)
    assert helpers.handled_counts() == dict.fromkeys(items, 1)


def test_a_job_that_raises_is_recorded_as_failed_with_its_error_and_keeps_its_batches():
    items = helpers.make_items(30)

    def failing_work(run):
        run.each_batch(AuditEvent.objects.filter(action=helpers.TODO), helpers.handle, size=10)
        # A failure outside any item (the next source of work is gone): the run fails.
        raise ConnectionRefusedError("storeroom service unreachable")

    NIGHTLY_JOBS.pop("test.raises", None)
    nightly.nightly_job("test.raises")(failing_work)
    try:
        outcome = run_job("test.raises", DAY, trigger="test")
    finally:
        helpers.unregister("test.raises")

    assert outcome.state == JobRun.Status.FAILED and not outcome.done
    assert "storeroom service unreachable" in outcome.run.error
    assert outcome.run.finished_at is not None
    # The batches that committed stay done: a retry does not do them again.
    assert helpers.handled_counts() == dict.fromkeys(items, 1)


def test_the_soft_time_limit_ends_the_run_as_failed_not_item_by_item(job):
    from celery.exceptions import SoftTimeLimitExceeded

    helpers.make_items(30)
    seen = []

    def handler(keys):
        seen.append(list(keys))
        if len(seen) == 2:
            raise SoftTimeLimitExceeded()
        return helpers.handle(keys)

    NIGHTLY_JOBS.pop("test.slow", None)
    nightly.nightly_job("test.slow")(
        lambda run: run.each_batch(AuditEvent.objects.filter(action=helpers.TODO), handler, size=10)
    )
    try:
        outcome = run_job("test.slow", DAY, trigger="test")
    finally:
        helpers.unregister("test.slow")

    assert outcome.state == JobRun.Status.FAILED
    assert "SoftTimeLimitExceeded" in outcome.run.error
    assert len(seen) == 2  # it stopped; it did not go on item by item
    assert outcome.run.items == 10  # the first batch stays done


@pytest.mark.parametrize("batches", [2, 5])
def test_each_batch_costs_the_same_fixed_number_of_statements(
    batches, job, django_assert_num_queries
):
    helpers.make_items(10 * batches)
    context = nightly.JobContext(job=NIGHTLY_JOBS[job], for_date=DAY, run=None)
    # Per batch: the keys, a savepoint, the locked re-read, the UPDATE, the markers' INSERT,
    # the release; and the final empty page of keys.
    with django_assert_num_queries(6 * batches + 1):
        context.job.work(context)
    assert context.items == 10 * batches


# --- The task, the command -------------------------------------------------------------------


def test_the_task_fails_when_its_date_is_not_done_so_celery_logs_and_records_it():
    items = helpers.make_items(4)
    helpers.register("test.task_partial", size=2, fail={items[0]})
    try:
        with pytest.raises(nightly.JobIncomplete, match="partial"):
            tasks.run_nightly_job.apply(
                args=["test.task_partial", "2026-09-01", "test"], throw=True
            )
    finally:
        helpers.unregister("test.task_partial")
    assert JobRun.objects.get(job="test.task_partial").status == "partial"


def test_the_task_reports_a_success(job):
    helpers.make_items(3)
    result = tasks.run_nightly_job.delay(job, "2026-09-01", "test").get()
    assert result == {
        "job": job,
        "date": "2026-09-01",
        "state": "succeeded",
        "items": 3,
        "failures": 0,
    }


def test_run_nightly_jobs_command_twice_changes_nothing_the_second_time(capsys):
    Session.objects.create(
        session_key="a" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    call_command("run_nightly_jobs", "--date", "2026-09-01")
    runs = list(JobRun.objects.values_list("job", "for_date", "status", "items"))
    assert ("kernel.clear_expired_sessions", DAY, "succeeded", 1) in runs
    assert not Session.objects.exists()
    assert "kernel.clear_expired_sessions 2026-09-01: 1 items" in capsys.readouterr().out

    call_command("run_nightly_jobs", "--date", "2026-09-01")
    assert list(JobRun.objects.values_list("job", "for_date", "status", "items")) == runs
    assert "already done, skipped" in capsys.readouterr().out


def test_run_nightly_jobs_runs_only_the_jobs_named(job, capsys):
    helpers.make_items(2)
    call_command("run_nightly_jobs", "--date", "2026-09-01", "--job", job)
    assert list(JobRun.objects.values_list("job", flat=True)) == [job]


def test_run_nightly_jobs_rejects_a_bad_date_and_an_unknown_job():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_nightly_jobs", "--date", "01/09/2026")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("run_nightly_jobs", "--job", "no.such.job")


def test_run_nightly_jobs_fails_loudly_and_lists_the_failed_items(capsys):
    items = helpers.make_items(3)
    helpers.register("test.cmd_partial", size=10, fail={items[1]})
    try:
        with pytest.raises(CommandError, match=r"test\.cmd_partial"):
            call_command("run_nightly_jobs", "--date", "2026-09-01")
    finally:
        helpers.unregister("test.cmd_partial")
    err = capsys.readouterr().err
    assert "FINISHED WITH FAILURES: 2 items done, 1 failed" in err
    assert f"{items[1]}: ValueError: item {items[1]} is broken" in err
    # The other jobs still ran, and succeeded.
    assert JobRun.objects.get(job="kernel.clear_expired_sessions").status == "succeeded"


# --- Retries, giving up, alerts --------------------------------------------------------------


def _unfinished(job, day, status="failed", attempt=1, finished=None):
    finished = finished or timezone.now()
    return JobRun.objects.create(
        job=job,
        for_date=day,
        status=status,
        attempt=attempt,
        started_at=finished - timedelta(seconds=5),
        finished_at=finished,
        error="Traceback …\nValueError: the source was empty",
    )


def test_the_watchdog_retries_an_unfinished_date_after_its_backoff(job, settings):
    settings.NIGHTLY_RETRY_DELAY_SECONDS = 300
    today = timezone.localdate()
    failed = _unfinished(job, today - timedelta(days=1), finished=timezone.now())
    sent = []

    def enqueue(name, day):
        sent.append((name, day))
        return True

    # Within its backoff nothing is sent,
    nightly.watchdog(timezone.now() + timedelta(minutes=4), enqueue=enqueue)
    assert sent == []
    # after it, the date is sent again
    report = nightly.watchdog(timezone.now() + timedelta(minutes=6), enqueue=enqueue)
    assert sent == report.retries == [(job, failed.for_date)]
    # once: while the retry may still wait in the queue, it is not sent again,
    nightly.watchdog(timezone.now() + timedelta(minutes=8), enqueue=enqueue)
    assert len(sent) == 1
    # unless it never started (the broker lost it): then it is sent again
    lost = timezone.now() + timedelta(minutes=6) + NIGHTLY_JOBS[job].stale_after
    nightly.watchdog(lost + timedelta(seconds=1), enqueue=enqueue)
    assert len(sent) == 2
    # and the second attempt's backoff is twice as long.
    assert nightly.retry_delay(2) == timedelta(minutes=10)
    assert nightly.retry_delay(20) == timedelta(hours=1)


def test_the_watchdog_leaves_done_and_old_dates_alone(job, settings):
    today = timezone.localdate()
    done_day = today - timedelta(days=1)
    _unfinished(job, done_day)
    JobRun.objects.create(job=job, for_date=done_day, status="succeeded", started_at=timezone.now())
    _unfinished(job, today - timedelta(days=settings.NIGHTLY_CATCH_UP_DAYS + 1))
    sent = []
    nightly.watchdog(timezone.now() + timedelta(days=1), enqueue=lambda *k: sent.append(k) or True)
    assert sent == []


def test_after_its_last_attempt_a_date_raises_one_alert_for_the_administrators(job, settings):
    # Given an administrator and a student, and a date that failed every attempt
    settings.NIGHTLY_JOB_MAX_ATTEMPTS = 3
    admin = user_with_role(Role.ADMIN, email="admin@example.edu.cn")
    student = user_with_role(Role.STUDENT)
    day = timezone.localdate() - timedelta(days=1)
    for attempt in (1, 2):
        _unfinished(job, day, attempt=attempt)
    helpers.register(job, size=10, fail=set(helpers.make_items(1)))

    # When the last attempt fails too
    outcome = run_job(job, day, trigger="retry")
    assert outcome.run.attempt == 3 and outcome.state == JobRun.Status.FAILED

    # Then one critical alert says so, to the administrators, with a notification
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.role, alert.for_date) == (
        "job_failed",
        "critical",
        Role.ADMIN,
        day,
    )
    assert list(alerts_for(admin)) == [alert]
    assert list(alerts_for(student)) == []
    assert Notification.objects.filter(recipient=admin, kind="kernel.alert").count() == 1
    # The automatic starters stop; the watchdog raises no second alert however often it runs.
    assert run_job(job, day, trigger="retry").state == Outcome.GAVE_UP
    for _ in range(3):
        report = nightly.watchdog(timezone.now() + timedelta(hours=2), enqueue=lambda *k: True)
        assert report.retries == []
    assert Alert.objects.count() == 1
    assert Alert.objects.get().times_seen > 1

    # When an operator fixes the cause and runs the date by hand, it succeeds and the alert
    # resolves itself.
    helpers.register(job, size=10)
    call_command("run_nightly_jobs", "--date", day.isoformat(), "--job", job)
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolved_by is None


def test_a_date_abandoned_on_every_attempt_raises_a_job_abandoned_alert(job, settings):
    settings.NIGHTLY_JOB_MAX_ATTEMPTS = 2
    day = timezone.localdate()
    _unfinished(job, day, status="abandoned", attempt=1)
    _unfinished(job, day, status="abandoned", attempt=2)
    report = nightly.watchdog(timezone.now() + timedelta(hours=1), enqueue=lambda *k: True)
    assert report.gave_up == [(job, day)]
    assert Alert.objects.get().kind == "job_abandoned"


def test_a_run_left_running_without_a_sign_of_life_is_abandoned_and_retried(job):
    """A worker killed halfway left its run "running" after two committed batches; the
    watchdog finds it, and the retry does the rest, none twice."""
    day = timezone.localdate() - timedelta(days=1)
    items = helpers.make_items(30)
    helpers.handle(items[:20])  # what the dead run had done
    stale = timezone.now() - timedelta(hours=2)
    dead = JobRun.objects.create(
        job=job,
        for_date=day,
        status="running",
        started_at=stale,
        heartbeat_at=stale,
        items=20,
        worker="gone:1",
    )

    report = nightly.watchdog(enqueue=lambda name, day: tasks.enqueue_job(name, day, "retry"))

    dead.refresh_from_db()
    assert dead.status == JobRun.Status.ABANDONED and dead.finished_at
    assert report.abandoned == [dead]
    # The retry is due only after its backoff; a second sweep later sends it.
    later = timezone.now() + nightly.retry_delay(1) + timedelta(seconds=1)
    report = nightly.watchdog(
        later, enqueue=lambda name, day: tasks.enqueue_job(name, day, "retry")
    )
    assert report.retries == [(job, day)]
    retry = JobRun.objects.get(job=job, for_date=day, attempt=2)
    assert (retry.status, retry.items, retry.trigger) == ("succeeded", 10, "retry")
    assert helpers.handled_counts() == dict.fromkeys(items, 1)


# --- Catch-up --------------------------------------------------------------------------------


def test_catch_up_runs_every_date_since_the_last_success_oldest_first(job, settings):
    settings.NIGHTLY_CATCH_UP_DAYS = 7
    today = DAY
    JobRun.objects.create(
        job=job, for_date=today - timedelta(days=4), status="succeeded", started_at=timezone.now()
    )
    assert nightly.catch_up_dates(job, today) == [today - timedelta(days=n) for n in (3, 2, 1, 0)]


def test_catch_up_goes_back_at_most_the_configured_days(job, settings):
    settings.NIGHTLY_CATCH_UP_DAYS = 2
    JobRun.objects.create(
        job=job, for_date=DAY - timedelta(days=30), status="succeeded", started_at=timezone.now()
    )
    assert nightly.catch_up_dates(job, DAY) == [
        DAY - timedelta(days=2),
        DAY - timedelta(days=1),
        DAY,
    ]


def test_a_job_that_never_succeeded_starts_with_the_date_it_is_run_for(job):
    assert nightly.catch_up_dates(job, DAY) == [DAY]


def test_the_nightly_task_runs_the_missed_dates_before_tonights(job, settings):
    settings.NIGHTLY_CATCH_UP_DAYS = 7
    # Given the job last succeeded three days ago (the worker was down for two nights)
    for name in NIGHTLY_JOBS:
        JobRun.objects.create(
            job=name,
            for_date=DAY - timedelta(days=3),
            status="succeeded",
            started_at=timezone.now(),
        )

    # When tonight's run is sent
    sent = tasks.run_nightly.delay(DAY.isoformat()).get()

    # Then every job ran for the two missed dates, then for tonight, in that order
    expected = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
    assert sent[job] == [d.isoformat() for d in expected]
    runs = JobRun.objects.filter(job=job, status="succeeded", for_date__gt=DAY - timedelta(days=3))
    assert [r.for_date for r in runs.order_by("started_at", "id")] == expected
    assert set(JobRun.objects.filter(for_date=DAY).values_list("job", flat=True)) == set(
        NIGHTLY_JOBS
    )
    assert {r.trigger for r in runs} == {"catch-up", "schedule"}


def test_run_nightly_jobs_runs_every_job_in_declaration_order(job):
    outcomes = run_nightly_jobs(DAY, trigger="test")
    assert [o.job for o in outcomes] == list(NIGHTLY_JOBS)
    assert all(o.state == "succeeded" for o in outcomes)


# --- The schedule ----------------------------------------------------------------------------


def _beat_sends(entry_name: str, now: datetime, monkeypatch) -> dict:
    """What beat's scheduler sends for one entry of CELERY_BEAT_SCHEDULE at `now` (tasks run
    in-process here, so the task's result comes back)."""
    monkeypatch.setattr(timezone, "now", lambda: now)
    scheduler = Scheduler(app, lazy=True)
    entry = scheduler.Entry(name=entry_name, app=app, **settings.CELERY_BEAT_SCHEDULE[entry_name])
    return scheduler.apply_async(entry, advance=False).get()


def test_beat_fixes_the_date_when_it_sends_the_nightly_run(job, monkeypatch):
    # At its scheduled time, 23:30, the run is for that day,
    sent = _beat_sends("nightly-jobs", _at(DAY, 23, 30), monkeypatch)
    assert sent[job] == [DAY.isoformat()]
    # and sent late, after midnight, it is still for the day that ended.
    JobRun.objects.all().delete()
    sent = _beat_sends("nightly-jobs", _at(DAY + timedelta(days=1), 0, 40), monkeypatch)
    assert sent[job] == [DAY.isoformat()]


def test_a_nightly_run_sent_without_a_date_gets_it_when_sent(job, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: _at(DAY, 23, 31))
    result = tasks.run_nightly.delay()
    assert result.get()[job] == [DAY.isoformat()]


def test_every_scheduled_task_exists_and_each_job_has_its_own_limits():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    for job in NIGHTLY_JOBS.values():
        assert 0 < job.soft_time_limit < job.time_limit
        assert str(job.description)  # the job page says what it does
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert timeout > nightly.longest_time_limit()


def test_the_system_check_refuses_a_visibility_timeout_shorter_than_a_job(settings):
    from logistics.checks import visibility_timeout_outlasts_the_jobs

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    errors = visibility_timeout_outlasts_the_jobs(None)
    assert [e.id for e in errors] == ["logistics.E001"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}
    assert visibility_timeout_outlasts_the_jobs(None) == []


def test_tasks_enqueued_in_a_transaction_wait_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.run_nightly.delay_on_commit("2026-09-01", "test")
        assert not JobRun.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert JobRun.objects.filter(for_date=DAY, trigger="test").exists()


def test_expired_sessions_are_cleared_and_live_ones_kept():
    now = timezone.now()
    Session.objects.create(
        session_key="old" + "x" * 29, session_data="", expire_date=now - timedelta(hours=1)
    )
    Session.objects.create(
        session_key="new" + "x" * 29, session_data="", expire_date=now + timedelta(hours=1)
    )
    assert run_job("kernel.clear_expired_sessions", DAY, trigger="test").run.items == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" + "x" * 29]

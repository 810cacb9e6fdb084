"""The nightly-job engine: each job runs at most once at a time per date, in committed
batches, with the items that fail set aside, and is retried (bounded) until the date is done.

An app declares its jobs in `<app>/jobs.py`:

    @nightly_job("maintenance.auto_confirm", time_limit=timedelta(minutes=30))
    def auto_confirm(run: JobContext) -> None:
        run.each_batch(Ticket.objects.filter(...), close_tickets)

and the engine gives every (job, date) these guarantees, whatever starts it (beat, two beats,
a redelivered task, the watchdog's retry, an operator's `run_nightly_jobs`, the job page):

- **One run at a time.** A starter takes the lock of the job and date before any work
  (`job_lock`: a PostgreSQL advisory lock, held by the connection doing the work, so a process
  that dies releases it at once). A second starter finds it taken and reports "already running";
  it records nothing, least of all a success.
- **One success per date.** A date that succeeded is skipped (the database refuses a second
  success); a date that did not is run again, and the work picks up what is still due.
- **Committed batches.** `JobContext.each_batch` walks the due items in primary-key order, a
  batch per transaction (a fixed number of statements each), and writes a heartbeat after each:
  a run killed halfway keeps what it did, and the next run does the rest.
- **Per-item isolation.** A batch that fails is retried item by item; an item that still fails
  is recorded (JobItemFailure) with its error, logged at ERROR and skipped. The run ends
  "succeeded with failures" and the date counts as not done.
- **Retries and alerts.** A run that failed, had failures or was abandoned (its process died:
  `ABANDONED`) is retried by the watchdog with backoff, at most NIGHTLY_JOB_MAX_ATTEMPTS times
  in all; then the kernel raises a `job_failed` or `job_abandoned` alert for the
  administrators. A later success for that date resolves it.
- **Catch-up.** The nightly trigger runs, for each job, every date since its last success (at
  most NIGHTLY_CATCH_UP_DAYS back) before today's.

Jobs must be written so that a second run, or a run after a crash, does no item twice: each
batch re-reads its items under a row lock (`select_for_update()`, never `skip_locked`, which
would let a concurrent run look finished) and changes only those still due.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from logistics.models import JobItemFailure, JobRun

logger = logging.getLogger("logistics.nightly")

# Failed items kept per run (all are counted; an operator needs examples, not 60,000 rows).
FAILURES_KEPT = 1000
DEFAULT_BATCH = 500


class LockLost(Exception):
    """The database connection holding the job's lock is gone (the database restarted, or the
    session was killed): the run must stop, or it would go on unprotected on a new one."""


class JobIncomplete(Exception):
    """Raised by the nightly task when its date is not done: Celery records the task as failed
    and logs it at ERROR; the watchdog retries the date."""


@dataclass(frozen=True)
class NightlyJob:
    name: str
    work: Callable[[JobContext], None]
    time_limit: int  # seconds: the worker kills the job's task after this long
    soft_time_limit: int  # seconds: the job is interrupted (and recorded as failed) after this
    description: str = ""  # a lazy translation: what the job does, for the job page

    @property
    def stale_after(self) -> timedelta:
        """How long a run may go without a heartbeat before it counts as abandoned where no
        lock can tell (SQLite): a batch never takes longer than the job's hard limit."""
        return timedelta(seconds=self.time_limit) + timedelta(minutes=1)

    def __call__(self, for_date: date | None = None) -> JobContext:
        """Run the job's work for `for_date` in this process without a JobRun (tests, shell);
        returns the context with its counts."""
        context = JobContext(job=self, for_date=for_date or timezone.localdate(), run=None)
        self.work(context)
        context.flush()
        return context


NIGHTLY_JOBS: dict[str, NightlyJob] = {}


def nightly_job(name: str, *, description="", time_limit: timedelta = timedelta(minutes=30)):
    """Register `work(run: JobContext)` as the nightly job `name`, in declaration order.
    `description` (translatable) says what it does on the job page; `time_limit` is the hard
    limit of its task, which is interrupted a minute before."""

    def register(work: Callable[[JobContext], None]) -> NightlyJob:
        seconds = int(time_limit.total_seconds())
        job = NightlyJob(
            name=name,
            work=work,
            time_limit=seconds,
            soft_time_limit=max(seconds - 60, seconds * 9 // 10),
            description=description,
        )
        existing = NIGHTLY_JOBS.get(name)
        if existing is not None and existing.work is not work:
            raise ValueError(f"Nightly job {name!r} is declared twice.")
        NIGHTLY_JOBS[name] = job
        return job

    return register


def longest_time_limit() -> int:
    return max((job.time_limit for job in NIGHTLY_JOBS.values()), default=0)


# --- Running a job ---------------------------------------------------------------------------


@dataclass
class JobContext:
    """What a job's work gets: its date, and the means to work in committed batches."""

    job: NightlyJob
    for_date: date
    run: JobRun | None
    items: int = 0
    failures: int = 0
    # The database connection that holds the job's lock (PostgreSQL): Django would open a new
    # one, silently, after losing it; the run checks before every batch that it has not.
    lock_holder: object | None = None
    _pending_failures: list[JobItemFailure] = field(default_factory=list)

    def check_lock(self) -> None:
        if self.lock_holder is not None and connection.connection is not self.lock_holder:
            raise LockLost("the database connection holding the job's lock was lost")

    def each_batch(
        self,
        items: QuerySet,
        handle: Callable[[list], int | None],
        *,
        size: int = DEFAULT_BATCH,
    ) -> None:
        """Call `handle(keys)` for the primary keys of `items`, `size` at a time in key order,
        each call in its own transaction. `handle` re-reads its items under a row lock, changes
        those still due and returns how many it changed (None: all of them).

        A batch that raises is rolled back and done again item by item; an item that still
        raises is recorded as failed and skipped. After every batch the run's counts and
        heartbeat are written, so an operator (and the watchdog) see it progress."""
        last = None
        while True:
            self.check_lock()
            page = items.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            keys = list(page.values_list("pk", flat=True)[:size])
            if not keys:
                return
            last = keys[-1]
            try:
                with transaction.atomic():
                    done = handle(keys)
                self.items += len(keys) if done is None else int(done)
            except Exception as error:
                _reraise_if_fatal(error)
                for key in keys:
                    self._one(handle, key)
            self.flush()

    def step(self, label: str, handle: Callable[[], int | None]) -> None:
        """Do one indivisible piece of work in its own transaction (a job that is not a walk
        over items); a failure is recorded under `label` like a failed item."""
        self.check_lock()
        try:
            with transaction.atomic():
                done = handle()
            self.items += 1 if done is None else int(done)
        except Exception as error:
            _reraise_if_fatal(error)
            self._failed(label, error)
        self.flush()

    def _one(self, handle, key) -> None:
        self.check_lock()
        try:
            with transaction.atomic():
                done = handle([key])
            self.items += 1 if done is None else int(done)
        except Exception as error:
            _reraise_if_fatal(error)
            self._failed(key, error)

    def _failed(self, item, error: Exception) -> None:
        self.failures += 1
        logger.error(
            "nightly job %s for %s: item %s failed: %s", self.job.name, self.for_date, item, error
        )
        if self.run is not None and self.failures <= FAILURES_KEPT:
            self._pending_failures.append(
                JobItemFailure(run=self.run, item=str(item)[:200], error=_describe(error))
            )

    def flush(self) -> None:
        """Write the run's counts, heartbeat and new failures (after every batch)."""
        if self.run is None:
            self._pending_failures.clear()
            return
        if self._pending_failures:
            JobItemFailure.objects.bulk_create(self._pending_failures)
            self._pending_failures = []
        now = timezone.now()
        JobRun.objects.filter(pk=self.run.pk).update(
            items=self.items, failures=self.failures, heartbeat_at=now
        )
        self.run.items, self.run.failures, self.run.heartbeat_at = self.items, self.failures, now


def _reraise_if_fatal(error: Exception) -> None:
    """Errors that no item causes: the time limit, and a database connection that is gone.
    They end the run (recorded as failed) instead of failing every item in turn."""
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, SoftTimeLimitExceeded):
        raise error
    if isinstance(error, LockLost):
        raise error
    if isinstance(error, DatabaseError | InterfaceError) and not connection.is_usable():
        raise error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:4000]


@dataclass(frozen=True)
class Outcome:
    """What one attempt to run a job for a date came to."""

    job: str
    for_date: date
    state: str  # a JobRun status, or one of the states below
    run: JobRun | None = None
    detail: str = ""

    ALREADY_DONE = "already_done"
    ALREADY_RUNNING = "already_running"
    GAVE_UP = "gave_up"  # attempts used up; an alert says so

    @property
    def done(self) -> bool:
        """True when the date needs nothing more from this starter."""
        return self.state in (JobRun.Status.SUCCEEDED, self.ALREADY_DONE, self.ALREADY_RUNNING)


def run_job(
    name: str,
    for_date: date,
    *,
    trigger: str,
    user=None,
    automatic: bool = True,
) -> Outcome:
    """Run the nightly job `name` for `for_date` in this process, under its lock.

    `automatic` starters (the scheduled task, retries) stop once the date has used up its
    attempts; an operator (`automatic=False`) may always try once more."""
    job = NIGHTLY_JOBS[name]
    with job_lock(name, for_date) as locked:
        if not locked:
            return Outcome(name, for_date, Outcome.ALREADY_RUNNING, _running(name, for_date))
        runs = JobRun.objects.filter(job=name, for_date=for_date)
        if runs.filter(status=JobRun.Status.SUCCEEDED).exists():
            return Outcome(name, for_date, Outcome.ALREADY_DONE)
        still_running = _abandon_dead(job, for_date)
        if still_running is not None:
            return Outcome(name, for_date, Outcome.ALREADY_RUNNING, still_running)
        attempts = runs.count()
        if automatic and attempts >= settings.NIGHTLY_JOB_MAX_ATTEMPTS:
            _give_up(name, for_date)
            return Outcome(name, for_date, Outcome.GAVE_UP, detail="attempts used up")
        try:
            run = JobRun.objects.create(
                job=name,
                for_date=for_date,
                status=JobRun.Status.RUNNING,
                attempt=attempts + 1,
                trigger=trigger[:40],
                started_by=user if user is not None and user.is_authenticated else None,
                worker=f"{socket.gethostname()}:{os.getpid()}"[:120],
                started_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
        except IntegrityError:
            # Only without an advisory lock (SQLite): another starter got in first.
            return Outcome(name, for_date, Outcome.ALREADY_RUNNING, _running(name, for_date))
        return _work(job, run)


def _work(job: NightlyJob, run: JobRun) -> Outcome:
    context = JobContext(
        job=job,
        for_date=run.for_date,
        run=run,
        lock_holder=connection.connection if _advisory_locks() else None,
    )
    try:
        job.work(context)
        context.flush()
    except BaseException as error:
        # BaseException: a SystemExit from a worker's warm shutdown must not leave "running".
        context._pending_failures.clear()
        _finish(run, context, JobRun.Status.FAILED, traceback.format_exc()[-4000:])
        logger.error("nightly job %s for %s failed: %s", job.name, run.for_date, _describe(error))
        _after_unfinished(run)
        if not isinstance(error, Exception):
            raise
        return Outcome(job.name, run.for_date, JobRun.Status.FAILED, run, _describe(error))
    if context.failures:
        status = JobRun.Status.PARTIAL if context.items else JobRun.Status.FAILED
        _finish(run, context, status, "")
        logger.error(
            "nightly job %s for %s: %s items done, %s failed",
            job.name,
            run.for_date,
            context.items,
            context.failures,
        )
        _after_unfinished(run)
        return Outcome(job.name, run.for_date, status, run, run.error)
    _finish(run, context, JobRun.Status.SUCCEEDED, "")
    logger.info("nightly job %s for %s: %s items", job.name, run.for_date, context.items)
    from logistics.alerts import job_alerts_resolve

    job_alerts_resolve(job.name, run.for_date)
    return Outcome(job.name, run.for_date, JobRun.Status.SUCCEEDED, run)


def _finish(run: JobRun, context: JobContext, status: str, error: str) -> None:
    """Record how the run ended, unless it is no longer running: a run that lost its lock may
    have been marked abandoned (and retried) by another process meanwhile, which stands."""
    run.status = status
    run.items, run.failures = context.items, context.failures
    run.error = error
    run.finished_at = run.heartbeat_at = timezone.now()
    JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
        status=status,
        items=run.items,
        failures=run.failures,
        error=error,
        finished_at=run.finished_at,
        heartbeat_at=run.heartbeat_at,
    )


def _after_unfinished(run: JobRun) -> None:
    """Once a date has used up its attempts, the administrators are told."""
    if run.attempt >= settings.NIGHTLY_JOB_MAX_ATTEMPTS:
        _give_up(run.job, run.for_date)


def _give_up(name: str, for_date: date) -> None:
    from logistics.alerts import job_alert_raise

    last = JobRun.objects.filter(job=name, for_date=for_date).order_by("-started_at", "-id").first()
    if last is not None and last.status in JobRun.UNFINISHED:
        job_alert_raise(last)


def _running(name: str, for_date: date) -> JobRun | None:
    return JobRun.objects.filter(job=name, for_date=for_date, status=JobRun.Status.RUNNING).first()


def _abandon_dead(job: NightlyJob, for_date: date) -> JobRun | None:
    """Mark abandoned the runs of this job and date that were left "running" by a process that
    died; return a run that is still alive, if any. Called with the job's lock held: on
    PostgreSQL no live run exists then (it would hold the lock); elsewhere a run is dead when
    its heartbeat is older than the job's limit."""
    alive = None
    for run in JobRun.objects.filter(job=job.name, for_date=for_date, status=JobRun.Status.RUNNING):
        if (
            _advisory_locks()
            or run.heartbeat_at is None
            or (timezone.now() - run.heartbeat_at > job.stale_after)
        ):
            _abandon(run)
        else:
            alive = run
    return alive


def _abandon(run: JobRun) -> bool:
    changed = JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
        status=JobRun.Status.ABANDONED,
        finished_at=timezone.now(),
    )
    if changed:
        logger.error(
            "nightly job %s for %s: run %s by %s was abandoned",
            run.job,
            run.for_date,
            run.pk,
            run.worker,
        )
        run.refresh_from_db()
        _after_unfinished(run)
    return bool(changed)


# --- Locks -----------------------------------------------------------------------------------


def _advisory_locks() -> bool:
    return connection.vendor == "postgresql"


def lock_key(*parts) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, stable across processes."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def job_lock(name: str, for_date: date):
    """The lock of one job and date, held by this process's database connection for as long
    as the block runs: yields True if this process got it, False if another holds it.

    On PostgreSQL it is a session-level advisory lock: it does not depend on any transaction
    (the job commits batch after batch) and PostgreSQL releases it the moment the connection
    ends, so a killed worker never leaves it behind. Elsewhere (SQLite, development) the
    unique constraint on running JobRuns stands in for it."""
    if not _advisory_locks():
        yield True
        return
    key = lock_key("nightly", name, for_date.isoformat())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # The connection is gone, and the lock with it; make sure the next use of the
                # connection opens a fresh one.
                connection.close()


def is_locked(name: str, for_date: date) -> bool:
    """True if a live process holds the job's lock for the date (PostgreSQL only)."""
    if not _advisory_locks():
        return False
    with job_lock(name, for_date) as locked:
        return not locked


# --- Dates -----------------------------------------------------------------------------------


def day_ending(now: datetime | None = None) -> date:
    """The day a nightly run started at `now` works for: the one that is ending. The run is
    scheduled at 23:30; one sent late, after midnight (a beat restarted, say), still does the
    day that ended, until NIGHTLY_DAY_ENDS_AT in the morning."""
    now = timezone.localtime(now or timezone.now())
    return (now - timedelta(hours=settings.NIGHTLY_DAY_ENDS_AT_HOUR)).date()


def catch_up_dates(name: str, for_date: date) -> list[date]:
    """The dates a nightly run for `for_date` must do for job `name`, oldest first: every date
    after the job's last success, at most NIGHTLY_CATCH_UP_DAYS before `for_date`, and
    `for_date` itself. A job that never succeeded starts with `for_date`."""
    last = (
        JobRun.objects.filter(job=name, status=JobRun.Status.SUCCEEDED, for_date__lt=for_date)
        .order_by("-for_date")
        .values_list("for_date", flat=True)
        .first()
    )
    if last is None:
        return [for_date]
    first = max(last + timedelta(days=1), for_date - timedelta(days=settings.NIGHTLY_CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((for_date - first).days + 1)]


def run_nightly_jobs(for_date: date, *, trigger: str, jobs: Iterable[str] | None = None):
    """Run the nightly jobs (all, or those named) for one date in this process, in declaration
    order; returns their Outcomes. What `manage.py run_nightly_jobs` does."""
    names = list(jobs) if jobs is not None else list(NIGHTLY_JOBS)
    return [run_job(name, for_date, trigger=trigger, automatic=False) for name in names]


# --- The watchdog ----------------------------------------------------------------------------


@dataclass
class WatchdogReport:
    abandoned: list[JobRun] = field(default_factory=list)
    retries: list[tuple[str, date]] = field(default_factory=list)
    gave_up: list[tuple[str, date]] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """How long after its last attempt a date is retried: NIGHTLY_RETRY_DELAY, doubling with
    every attempt, at most an hour."""
    base = settings.NIGHTLY_RETRY_DELAY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def watchdog(
    now: datetime | None = None, *, enqueue: Callable[[str, date], bool]
) -> WatchdogReport:
    """Look after the recent nights (every few minutes, on beat):

    1. runs left "running" by a process that died are marked abandoned;
    2. dates whose last run failed, had failures or was abandoned are run again (through
       `enqueue(job, date)`) once their backoff has passed, until they have used up their
       attempts; then the administrators get an alert.

    Two watchdogs at once (two beats) take turns: the second finds the work done."""
    now = now or timezone.now()
    report = WatchdogReport()
    with _watchdog_lock() as locked:
        if not locked:
            return report
        for run in JobRun.objects.filter(status=JobRun.Status.RUNNING):
            job = NIGHTLY_JOBS.get(run.job)
            if job is None:
                continue
            if _advisory_locks():
                # Taking the job's lock proves nobody holds it: the run's process is gone.
                with job_lock(run.job, run.for_date) as locked_run:
                    if locked_run and _abandon(run):
                        report.abandoned.append(run)
                continue
            stale = run.heartbeat_at is None or now - run.heartbeat_at > job.stale_after
            if stale and _abandon(run):
                report.abandoned.append(run)

        since = timezone.localtime(now).date() - timedelta(days=settings.NIGHTLY_CATCH_UP_DAYS)
        latest: dict[tuple[str, date], JobRun] = {}
        attempts: dict[tuple[str, date], int] = {}
        done: set[tuple[str, date]] = set()
        for run in JobRun.objects.filter(for_date__gte=since, job__in=list(NIGHTLY_JOBS)).order_by(
            "started_at", "id"
        ):
            key = (run.job, run.for_date)
            latest[key] = run
            attempts[key] = attempts.get(key, 0) + 1
            if run.status == JobRun.Status.SUCCEEDED:
                done.add(key)
        for key, run in sorted(latest.items(), key=lambda item: (item[0][1], item[0][0])):
            if key in done or run.status not in JobRun.UNFINISHED:
                continue
            if attempts[key] >= settings.NIGHTLY_JOB_MAX_ATTEMPTS:
                _give_up(*key)
                report.gave_up.append(key)
                continue
            due = (run.finished_at or run.started_at) + retry_delay(attempts[key]) <= now
            # A retry sent and not yet started is waiting in the queue: not twice, unless it
            # has had time enough to run (the broker lost it).
            pending = run.retry_sent_at is not None and (
                now - run.retry_sent_at < NIGHTLY_JOBS[run.job].stale_after
            )
            if due and not pending and enqueue(*key):
                JobRun.objects.filter(pk=run.pk).update(retry_sent_at=now)
                report.retries.append(key)
    return report


@contextmanager
def _watchdog_lock():
    if not _advisory_locks():
        yield True
        return
    key = lock_key("nightly-watchdog")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

"""The nightly auto-confirmation: finished repairs nobody confirmed within REPAIR_CONFIRM_DAYS
are closed, once per date, in a few statements however many there are."""

from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from logistics import tasks
from logistics.models import JobRun
from logistics.nightly import NIGHTLY_JOBS, run_nightly_jobs
from maintenance import jobs
from maintenance.models import Ticket, TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _confirm_days(settings):
    settings.REPAIR_CONFIRM_DAYS = 3


@pytest.fixture(autouse=True)
def _reporter(room, student):
    room.reporter = student  # the resident who reports the room's faults in these tests


@pytest.fixture
def day():
    """A date well in the past, so the job's "now" is the end of that day."""
    return timezone.localdate() - timedelta(days=20)


def _at(day, hours):
    """`hours` after the local midnight that starts `day` (may be negative)."""
    midnight = datetime.combine(day, time.min)
    return timezone.make_aware(midnight, timezone.get_current_timezone()) + timedelta(hours=hours)


def _done(room, plumber, finished_at, category_code="plumbing"):
    return f.ticket(
        room=room,
        reporter=room.reporter,
        technician=plumber,
        status=Ticket.Status.DONE,
        category_code=category_code,
        assigned_at=finished_at - timedelta(hours=2),
        started_at=finished_at - timedelta(hours=1),
        finished_at=finished_at,
        labour_minutes=30,
    )


def test_the_job_is_declared_with_its_own_time_limit():
    assert NIGHTLY_JOBS["maintenance.auto_confirm"] is jobs.auto_confirm
    assert jobs.auto_confirm.time_limit == 30 * 60


def test_end_of_day_is_the_last_instant_of_the_local_date(day):
    end = jobs.end_of_day(day)
    assert timezone.localtime(end).date() == day
    assert timezone.localtime(end + timedelta(microseconds=1)).date() == day + timedelta(days=1)


def test_due_repairs_are_closed_and_the_rest_left_alone(room, student, plumber, day):
    # Given, on the job's date, a repair finished just over three days before the day ended,
    due = _done(room, plumber, _at(day, -72 + 23))  # day-3 at 23:00
    # one finished less than three days before (its reporter still has time),
    recent = _done(room, plumber, _at(day, -48 + 1), category_code="electrical")  # day-2 01:00
    # one the reporter confirmed, and one still being worked on
    confirmed = _done(room, plumber, _at(day, -24 * 6), category_code="furniture")
    Ticket.objects.filter(pk=confirmed.pk).update(
        status=Ticket.Status.CLOSED, closed_at=_at(day, -24 * 5), rating=5
    )
    working = f.ticket(
        room=room,
        reporter=student,
        technician=plumber,
        status=Ticket.Status.IN_PROGRESS,
        category_code="network",
    )

    # When the nightly jobs run for that date
    call_command("run_nightly_jobs", "--date", day.isoformat())

    # Then only the due repair is closed, automatically, at the end of that day, with an event
    due.refresh_from_db()
    assert due.status == Ticket.Status.CLOSED
    assert due.auto_confirmed is True
    assert due.closed_at == jobs.end_of_day(day)
    assert due.rating is None  # its reporter may still rate it
    assert list(due.events.values_list("kind", flat=True)) == [TicketEvent.Kind.AUTO_CONFIRMED]
    for untouched, status in [
        (recent, Ticket.Status.DONE),
        (confirmed, Ticket.Status.CLOSED),
        (working, Ticket.Status.IN_PROGRESS),
    ]:
        untouched.refresh_from_db()
        assert untouched.status == status
        assert untouched.auto_confirmed is False
        assert not untouched.events.exists()
    run = JobRun.objects.get(job="maintenance.auto_confirm", for_date=day)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.items == 1


def test_a_second_run_for_the_same_date_changes_nothing(room, student, plumber, day):
    # Given the job ran for a date
    _done(room, plumber, _at(day, -24 * 4))
    first = run_nightly_jobs(day, trigger="test", jobs=["maintenance.auto_confirm"])
    assert first[0].run.items == 1
    # and a repair became due for that date afterwards (a late correction, say)
    late = _done(room, plumber, _at(day, -24 * 4), category_code="electrical")

    # When the jobs run again for the same date
    second = run_nightly_jobs(day, trigger="test", jobs=["maintenance.auto_confirm"])

    # Then the job is skipped: no second run, the late repair is left to the next date's run
    assert second[0].state == "already_done" and second[0].run is None
    late.refresh_from_db()
    assert late.status == Ticket.Status.DONE
    assert JobRun.objects.filter(job="maintenance.auto_confirm", for_date=day).count() == 1
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.AUTO_CONFIRMED).count() == 1

    run_nightly_jobs(day + timedelta(days=1), trigger="test")
    late.refresh_from_db()
    assert late.status == Ticket.Status.CLOSED and late.auto_confirmed


def test_a_past_date_is_decided_as_of_its_own_end_not_as_of_today(room, student, plumber, day):
    # A repair finished two days before the date was not yet due then, though it is today.
    not_due_then = _done(room, plumber, _at(day, -48))
    (outcome,) = run_nightly_jobs(day, trigger="test", jobs=["maintenance.auto_confirm"])
    assert outcome.run.items == 0
    not_due_then.refresh_from_db()
    assert not_due_then.status == Ticket.Status.DONE


def test_todays_run_never_closes_a_ticket_at_a_time_still_to_come(room, student, plumber):
    today = timezone.localdate()
    due = _done(room, plumber, timezone.now() - timedelta(days=4))
    before = timezone.now()
    run_nightly_jobs(today, trigger="test")
    due.refresh_from_db()
    assert due.status == Ticket.Status.CLOSED
    assert before <= due.closed_at <= timezone.now()


def test_the_scheduled_task_reports_the_job(room, student, plumber, day):
    _done(room, plumber, _at(day, -24 * 4))
    result = tasks.run_nightly_job.delay("maintenance.auto_confirm", day.isoformat(), "test").get()
    assert (result["state"], result["items"]) == ("succeeded", 1)


def test_the_reporter_may_still_rate_an_automatically_closed_repair(room, student, plumber, day):
    from maintenance import services

    due = _done(room, plumber, _at(day, -24 * 4))
    run_nightly_jobs(day, trigger="test")

    services.ticket_confirm(actor=student, ticket=due, rating=4)

    due.refresh_from_db()
    assert due.rating == 4 and due.auto_confirmed and due.status == Ticket.Status.CLOSED


@pytest.mark.parametrize("count", [3, 30])
def test_the_job_is_bulk_its_queries_do_not_grow_with_due_tickets(
    room, plumber, day, count, django_assert_num_queries
):
    # Given `count` due repairs (and reporters for them)
    finished = _at(day, -24 * 4)
    reporters = [f.UserFactory() for _ in range(count)]
    kind = f.category("plumbing")
    Ticket.objects.bulk_create(
        [
            Ticket(
                campus=room.building.campus,
                building=room.building,
                room=room,
                category=kind,
                description="漏水",
                reporter=reporter,
                technician=plumber,
                status=Ticket.Status.DONE,
                respond_by=finished,
                complete_by=finished,
                finished_at=finished,
            )
            for reporter in reporters
        ]
    )

    # When the job's work runs, it takes the same statements for 3 as for 30 (one batch): the
    # batch's ids, a savepoint, the due ones among them (locked), one UPDATE of them all, one
    # INSERT of all the events, the release, and the empty next page of ids
    with django_assert_num_queries(7):
        run = jobs.auto_confirm(day)

    assert run.items == count
    assert Ticket.objects.filter(status=Ticket.Status.CLOSED, auto_confirmed=True).count() == count
    assert Ticket.objects.filter(status=Ticket.Status.CLOSED, auto_confirmed=True).count() == count
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.AUTO_CONFIRMED).count() == count

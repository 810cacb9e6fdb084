"""Preventive schedules: the nightly job files each due date's job once, as a ticket in the
queue with the schedule's category and owner, catches up after missed nights, and does so in a
fixed number of queries however many schedules fall due."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import transaction

from logistics.models import JobRun
from logistics.nightly import NIGHTLY_JOBS, run_job
from maintenance import jobs, preventive
from maintenance.models import Schedule, Ticket, TicketEvent
from maintenance.reference import preventive_category_ensure
from tests import factories as f
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = pytest.mark.django_db

JOB = "maintenance.preventive"


@pytest.fixture
def owner(campus):
    return f.dispatcher(campus, username="planner", full_name="计划员")


def schedule(owner, campus, *, room=None, area=None, unit="weeks", every=1, next_due, **extra):
    return Schedule.objects.create(
        campus=campus,
        name=extra.pop("name", "Water heater service"),
        room=room,
        area=area,
        category=preventive_category_ensure(),
        tasks="Descale\nCheck the safety valve",
        unit=unit,
        every=every,
        next_due=next_due,
        owner=owner,
        **extra,
    )


def run(for_date):
    return run_job(JOB, for_date, trigger="test", automatic=False)


def test_the_job_is_declared():
    assert NIGHTLY_JOBS[JOB] is jobs.preventive_jobs


def test_a_due_schedule_becomes_a_ticket_in_the_queue(owner, campus, room):
    # Given a weekly schedule for room 101 due on 1 July
    s = schedule(owner, campus, room=room, next_due=date(2026, 7, 1))
    # When the nightly job runs for 1 July
    run(date(2026, 7, 1))
    # Then one ticket is waiting for dispatch, filed by the schedule's owner, in the
    # preventive category, with its time limits from 08:00 of its due date
    (ticket,) = Ticket.objects.filter(schedule=s)
    assert ticket.status == Ticket.Status.SUBMITTED
    assert (ticket.reporter, ticket.room, ticket.building, ticket.campus) == (
        owner,
        room,
        room.building,
        campus,
    )
    assert ticket.category.code == "preventive" and ticket.due_on == date(2026, 7, 1)
    assert "Descale" in ticket.description
    assert ticket.respond_by < ticket.complete_by
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.FILED).count() == 1
    # And the schedule moved on a week
    s.refresh_from_db()
    assert s.next_due == date(2026, 7, 8)


def test_generation_is_idempotent_per_due_date(owner, campus, room):
    s = schedule(owner, campus, room=room, next_due=date(2026, 7, 1))
    preventive.generate([s.pk], for_date=date(2026, 7, 1))
    # A second run for the same date: the schedule has moved on
    assert preventive.generate([s.pk], for_date=date(2026, 7, 1)) == 0
    # Even with the schedule put back (as by a run that died before moving it on), the
    # database keeps one ticket for the date
    Schedule.objects.filter(pk=s.pk).update(next_due=date(2026, 7, 1))
    assert preventive.generate([s.pk], for_date=date(2026, 7, 1)) == 0
    assert Ticket.objects.filter(schedule=s, due_on=date(2026, 7, 1)).count() == 1


def test_missed_nights_are_caught_up(owner, campus, room):
    # Given a daily schedule whose job succeeded on 1 July, then nothing ran for three nights
    s = schedule(owner, campus, room=room, unit="days", next_due=date(2026, 7, 1))
    run(date(2026, 7, 1))
    assert JobRun.objects.get(job=JOB, for_date=date(2026, 7, 1)).status == "succeeded"
    # When the job runs again on 4 July
    run(date(2026, 7, 4))
    # Then the jobs of 2, 3 and 4 July are there, each once
    assert sorted(Ticket.objects.filter(schedule=s).values_list("due_on", flat=True)) == [
        date(2026, 7, 1) + timedelta(days=n) for n in range(4)
    ]
    # And running the missed dates themselves afterwards adds nothing
    for day in (2, 3):
        run(date(2026, 7, day))
    assert Ticket.objects.filter(schedule=s).count() == 4


def test_recurrences():
    s = Schedule(unit="months", every=1, next_due=date(2026, 1, 31))
    assert preventive.following(s, date(2026, 1, 31)) == date(2026, 2, 28)
    s = Schedule(unit="weeks", every=2)
    assert preventive.following(s, date(2026, 7, 1)) == date(2026, 7, 15)
    s = Schedule(unit="fixed", fixed_dates=["07-15", "12-20"])
    assert preventive.following(s, date(2026, 7, 15)) == date(2026, 12, 20)
    assert preventive.following(s, date(2026, 12, 20)) == date(2027, 7, 15)


def test_fixed_dates_are_checked():
    assert preventive.clean_fixed_dates(["7-15", "12-20", ""]) == ["07-15", "12-20"]
    with pytest.raises(preventive.ScheduleInvalid):
        preventive.clean_fixed_dates(["13-01"])


def test_an_inactive_schedule_files_nothing(owner, campus, room):
    schedule(owner, campus, room=room, next_due=date(2026, 7, 1), is_active=False)
    run(date(2026, 7, 1))
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("count", [2, 12])
def test_a_batch_is_a_fixed_number_of_queries(
    owner, campus, building, count, django_assert_num_queries
):
    area = f.PublicAreaFactory(campus=campus, building=building)
    ids = [
        schedule(owner, campus, area=area, unit="days", next_due=date(2026, 7, 1), name=f"s{n}").pk
        for n in range(count)
    ]
    # lock and read the schedules; insert the tickets; read back the new ones; their events;
    # move the schedules on
    with django_assert_num_queries(5):
        assert preventive.generate(ids, for_date=date(2026, 7, 2)) == 2 * count


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_file_each_due_job_exactly_once():
    campus = f.CampusFactory(code="songbei")
    room = f.RoomFactory(building=f.BuildingFactory(campus=campus, code="S01"), number="101")
    planner = f.dispatcher(campus, username="planner")
    for n in range(3):
        schedule(planner, campus, room=room, name=f"heater {n}", next_due=date(2026, 7, 1))
    day = date(2026, 7, 15)  # three weekly dates each: 1, 8 and 15 July
    outcomes = race(3, lambda i: run_job(JOB, day, trigger=f"starter-{i}", automatic=False))
    assert [o.state for o in outcomes].count("succeeded") == 1
    # And the work itself three times at once, without the engine's lock.
    ids = list(Schedule.objects.values_list("pk", flat=True))

    def generate(_i):
        with transaction.atomic():  # as the engine's batch runs it
            preventive.generate(ids, for_date=day)

    race(3, generate)
    assert Ticket.objects.count() == 9
    assert Ticket.objects.values("description").distinct().count() == 9


@pytest.mark.django_db
def test_a_run_that_dies_halfway_is_completed_by_the_next_with_nothing_twice(owner, campus, room):
    for n in range(2):
        schedule(owner, campus, room=room, name=f"heater {n}", next_due=date(2026, 7, 1))
    real = preventive.generate
    with (
        mock.patch.object(preventive, "generate", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        run(date(2026, 7, 8))
    assert JobRun.objects.get(job=JOB, for_date=date(2026, 7, 8)).status == "failed"
    assert Ticket.objects.count() == 0  # the batch's transaction rolled back with it
    assert preventive.generate is real

    assert run(date(2026, 7, 8)).state == "succeeded"
    assert Ticket.objects.count() == 4  # two schedules, 1 and 8 July each
    assert run(date(2026, 7, 8)).state == "already_done"
    assert Ticket.objects.count() == 4

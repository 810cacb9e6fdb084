"""The nightly safety-inspection job's rounds and hazards: for a night D it plans D+1's day and
night rounds of every building with residents (every occupied room at least every
SAFETY_ROOM_CHECK_DAYS days, rooms with a hazard on every round) and escalates hazards past
their deadline; twice, at once, or after a crash, without duplicates."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apartments import rounds
from apartments.jobs import safety_inspection
from apartments.models import Building, Hazard, RoundKind, RoundRoom, SafetyRound
from logistics.alerts import alerts_for
from logistics.models import Alert, JobRun
from logistics.nightly import Outcome, run_job
from tests.apartments.move_in_data import campuses
from tests.apartments.rounds_data import add_occupied_rooms, hazard_in, rounds_world, today
from tests.apartments.safety_data import inhabited
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = pytest.mark.django_db

JOB = "apartments.safety_inspection"


def tomorrow():
    return today() + dt.timedelta(days=1)


def planned(building, day, kind):
    return sorted(
        RoundRoom.objects.filter(
            round__building=building, round__date=day, round__kind=kind
        ).values_list("room__number", flat=True)
    )


def snapshot():
    return sorted(
        RoundRoom.objects.values_list("round__building_id", "round__date", "round__kind", "room_id")
    )


def test_tomorrows_day_and_night_rounds_are_planned_for_every_building_with_residents():
    world = rounds_world()

    safety_inspection(today())

    rounds_ = SafetyRound.objects.filter(date=tomorrow())
    codes = sorted(rounds_.values_list("building__code", "kind"))
    # S03 has no residents: no round.
    assert codes == sorted(
        (code, kind) for code in ("J01", "S01", "S02") for kind in (RoundKind.DAY, RoundKind.NIGHT)
    )
    assert planned(world["S01"], tomorrow(), RoundKind.NIGHT) == ["101"]


def test_every_occupied_room_is_checked_within_the_week_least_recently_checked_first(settings):
    settings.SAFETY_ROOM_CHECK_DAYS = 7
    world = rounds_world()
    add_occupied_rooms(world["S01"], 13)  # 14 occupied rooms: 2 a day
    day = today() - dt.timedelta(days=10)
    seen: dict[str, dt.date] = {}
    for n in range(7):
        rounds.rounds_plan(day + dt.timedelta(days=n))
        planned_day = day + dt.timedelta(days=n + 1)
        for rr in RoundRoom.objects.filter(round__building=world["S01"], round__date=planned_day):
            assert rr.room.number not in seen, "a room came back before the others had a turn"
            seen[rr.room.number] = planned_day
            RoundRoom.objects.filter(pk=rr.pk).update(
                state=RoundRoom.State.OK, checked_at=rr.round.planned_at
            )
    assert len(seen) == 14


def test_rooms_not_reached_roll_over_and_hazard_rooms_are_on_every_round():
    world = rounds_world()
    add_occupied_rooms(world["S01"], 13)
    hazard = hazard_in(world)  # room 101, today's night round
    # Today's other rooms were not reached.
    for r in SafetyRound.objects.filter(date=today(), building=world["S01"]):
        rounds.round_finish(actor=world["manager"], safety_round=r)
    missed = set(
        RoundRoom.objects.filter(state=RoundRoom.State.NOT_REACHED).values_list(
            "room__number", flat=True
        )
    )

    rounds.rounds_plan(today())

    night = planned(world["S01"], tomorrow(), RoundKind.NIGHT)
    day = planned(world["S01"], tomorrow(), RoundKind.DAY)
    assert "101" in night and "101" in day  # the kettle is re-checked on every round
    assert missed <= set(night) | set(day)
    assert (
        RoundRoom.objects.filter(room=hazard.room, round__date=tomorrow(), recheck=True).count()
        == 2
    )


def test_running_twice_for_a_date_changes_nothing():
    world = rounds_world()
    add_occupied_rooms(world["S01"], 20)
    safety_inspection(today())
    first = snapshot()

    # A room is checked meanwhile: the planned rounds stay as they were.
    safety_inspection(today())

    assert snapshot() == first
    assert SafetyRound.objects.filter(date=tomorrow()).count() == 6


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_runs_at_the_same_moment_plan_each_round_once():
    world = rounds_world()
    add_occupied_rooms(world["S01"], 10)

    outcomes = race(3, lambda i: run_job(JOB, today(), trigger=f"starter-{i}"))
    assert [o.state for o in outcomes].count("succeeded") == 1
    expected = snapshot()
    # The work itself, three times at once without the engine's lock: the unique constraints
    # keep one round per building, date and kind, and one row per room.
    SafetyRound.objects.all().delete()
    race(3, lambda i: safety_inspection(today()))

    assert SafetyRound.objects.filter(date=tomorrow()).count() == 6
    assert len(snapshot()) == len(set(snapshot()))
    assert {row[0] for row in snapshot()} == {row[0] for row in expected}


def test_a_run_that_breaks_halfway_plans_nothing_and_the_rerun_plans_it_all():
    world = rounds_world()
    add_occupied_rooms(world["S01"], 20)
    real = RoundRoom.objects.bulk_create

    def break_after_the_rounds(*args, **kwargs):
        raise RuntimeError("the worker died here")

    with mock.patch.object(RoundRoom.objects, "bulk_create", break_after_the_rounds):
        broken = run_job(JOB, today(), trigger="test")
    assert broken.state in (JobRun.Status.PARTIAL, JobRun.Status.FAILED)
    assert not SafetyRound.objects.exists()  # the step is one transaction: rolled back whole

    assert RoundRoom.objects.bulk_create is not break_after_the_rounds
    rerun = run_job(JOB, today(), trigger="test")
    assert rerun.state == JobRun.Status.SUCCEEDED
    assert SafetyRound.objects.filter(date=tomorrow()).count() == 6
    rooms = snapshot()
    assert len(rooms) == len(set(rooms))
    assert (
        len(planned(world["S01"], tomorrow(), RoundKind.NIGHT))
        + len(planned(world["S01"], tomorrow(), RoundKind.DAY))
        == 3
    )  # ceil(21 / 7)
    assert run_job(JOB, today(), trigger="test").state == Outcome.ALREADY_DONE
    assert real


def overdue_alerts(kind="hazard_overdue"):
    return Alert.objects.filter(kind=kind, resolved_at__isnull=True)


def test_a_hazard_past_its_deadline_alerts_the_buildings_staff_then_the_head(settings):
    settings.SAFETY_HAZARD_ESCALATE_DAYS = 3
    world = rounds_world()
    hazard = hazard_in(world)
    deadline = hazard.deadline

    safety_inspection(deadline)  # on the deadline: not overdue yet
    assert not overdue_alerts().exists()

    safety_inspection(deadline + dt.timedelta(days=1))
    safety_inspection(deadline + dt.timedelta(days=2))
    alert = overdue_alerts().get()
    assert alert.times_seen == 2 and alert.subject_id == world["S01"].pk
    assert alert in alerts_for(world["manager"]) and alert in alerts_for(world["shift_lead"])
    assert alert not in alerts_for(world["other_manager"])
    assert not overdue_alerts("hazard_escalated").exists()

    safety_inspection(deadline + dt.timedelta(days=4))
    escalated = overdue_alerts("hazard_escalated").get()
    assert escalated in alerts_for(world["head"])
    assert escalated not in alerts_for(world["manager"])
    assert escalated.severity == Alert.Severity.CRITICAL

    rounds.hazard_rectify(actor=world["student_user"], hazard=hazard, note="gone")
    assert not overdue_alerts().exists() and not overdue_alerts("hazard_escalated").exists()
    safety_inspection(deadline + dt.timedelta(days=5))
    assert not overdue_alerts().exists()  # a rectified hazard waits for its re-check


def test_planning_and_escalation_take_the_same_number_of_queries_whatever_the_size():
    songbei, _ = campuses()
    ContentType.objects.get_for_model(Building)  # cached for the process, as in a worker
    counts = []
    for size in (1, 6):
        # Each size from the same start: no hazard and no alert yet.
        Alert.objects.all().delete()
        Hazard.objects.all().delete()
        made = []
        for n in range(size):
            building, _ = inhabited(songbei, f"Q{size * 10 + n}", residents=3)
            made += add_occupied_rooms(building, 5, start=200 + 10 * n)
        # An overdue hazard, long past its deadline, in `size` of those rooms.
        for room in made[:size]:
            Hazard.objects.create(
                room=room,
                kind="smoking",
                found_at=timezone.now(),
                deadline=today() - dt.timedelta(days=30),
            )
        day = today() + dt.timedelta(days=10 * size)
        with CaptureQueriesContext(connection) as queries:
            rounds.rounds_plan(day)
            rounds.hazards_escalate(day)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

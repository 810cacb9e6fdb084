"""Safety rounds and hazards, the services: recording a room (ok, or a finding with a photo),
finishing a round, and a hazard followed to the fix (rectified → verified, or reopened), with
its confiscated appliance."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apartments import rounds
from apartments.models import Confiscation, Hazard, RoundKind, RoundRoom, SafetyRound
from tests.apartments.rounds_data import (
    hazard_in,
    kettle,
    photo_upload,
    plan_today,
    round_of,
    round_room,
    rounds_world,
    today,
)
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return rounds_world()


def test_a_kettle_found_on_the_night_round_is_an_open_hazard_due_by_its_kinds_deadline(
    world, settings
):
    settings.SAFETY_HAZARD_DEADLINE_DAYS = {
        **settings.SAFETY_HAZARD_DEADLINE_DAYS,
        "banned_appliance": 2,
    }
    plan_today()
    target = round_room(world["S01"], world["room"])

    recorded, hazard = rounds.round_room_record(
        actor=world["shift_lead"],
        round_room=target,
        ok=False,
        residents_present=1,
        finding=kettle(photo_upload()),
    )

    assert recorded.state == RoundRoom.State.FINDINGS
    assert recorded.checked_by == world["shift_lead"] and recorded.residents_present == 1
    assert hazard.state == Hazard.State.OPEN and hazard.appliance == "kettle"
    assert hazard.deadline == today() + dt.timedelta(days=2)
    assert hazard.photo is not None and hazard.owner == world["shift_lead"]


def test_a_second_tap_records_the_room_once(world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    rounds.round_room_record(
        actor=world["shift_lead"], round_room=target, ok=False, finding=kettle()
    )

    with pytest.raises(rounds.WrongState):
        rounds.round_room_record(
            actor=world["shift_lead"], round_room=target, ok=False, finding=kettle()
        )
    assert Hazard.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_phones_recording_one_room_at_once_make_one_hazard():
    world = rounds_world()
    plan_today()
    target = round_room(world["S01"], world["room"])

    def tap(_):
        try:
            rounds.round_room_record(
                actor=world["shift_lead"], round_room=target, ok=False, finding=kettle()
            )
            return "recorded"
        except rounds.WrongState:
            return "refused"

    assert sorted(race(2, tap)) == ["recorded", "refused"]
    assert Hazard.objects.count() == 1


def test_a_banned_appliance_needs_its_kind_and_other_hazards_have_none(world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    with pytest.raises(rounds.RoundInvalid) as error:
        rounds.round_room_record(
            actor=world["shift_lead"],
            round_room=target,
            ok=False,
            finding=rounds.Finding(kind="banned_appliance"),
        )
    assert error.value.field == "appliance"
    _, hazard = rounds.round_room_record(
        actor=world["shift_lead"],
        round_room=target,
        ok=False,
        finding=rounds.Finding(kind="smoking", appliance="kettle"),
    )
    assert hazard.appliance == ""


def test_staff_of_another_building_cannot_record(world):
    plan_today()
    target = round_room(world["S01"], world["room"])
    for who in ("other_manager", "student_user", "head", "auditor"):
        with pytest.raises(rounds.NotFound):
            rounds.round_room_record(actor=world[who], round_room=target, ok=True)


def test_finishing_a_round_marks_the_rooms_not_reached_and_they_come_back(world):
    plan_today()
    night = round_of(world["S01"])
    assert night.rooms.count() >= 1 or round_of(world["S01"], RoundKind.DAY).rooms.count() == 1

    for r in (round_of(world["S01"], RoundKind.DAY), night):
        rounds.round_finish(actor=world["manager"], safety_round=r)
    with pytest.raises(rounds.WrongState):
        rounds.round_finish(actor=world["manager"], safety_round=night)

    assert not RoundRoom.objects.filter(state=RoundRoom.State.PENDING, round__building=world["S01"])
    rounds.rounds_plan(today())
    tomorrow = SafetyRound.objects.filter(
        building=world["S01"], date=today() + dt.timedelta(days=1)
    )
    assert RoundRoom.objects.filter(round__in=tomorrow, room=world["room"]).exists()


def test_the_resident_rectifies_and_the_manager_verifies(world):
    hazard = hazard_in(world)

    rectified = rounds.hazard_rectify(
        actor=world["student_user"], hazard=hazard, note="带回家了", photo=photo_upload()
    )
    assert rectified.state == Hazard.State.RECTIFIED and rectified.rectification_photo_id

    verified = rounds.hazard_verify(actor=world["manager"], hazard=rectified)
    assert verified.state == Hazard.State.VERIFIED and verified.verified_by == world["manager"]
    with pytest.raises(rounds.WrongState):
        rounds.hazard_verify(actor=world["manager"], hazard=verified)


def test_a_recheck_that_finds_it_still_there_reopens_it_with_a_new_deadline(world):
    hazard = hazard_in(world)
    rounds.hazard_rectify(actor=world["shift_lead"], hazard=hazard, note="told them")

    reopened = rounds.hazard_reopen(actor=world["manager"], hazard=hazard, note="still there")
    assert reopened.state == Hazard.State.REOPENED and reopened.reopened_count == 1
    again = rounds.hazard_rectify(actor=world["student_user"], hazard=hazard, note="gone now")
    assert again.state == Hazard.State.RECTIFIED


def test_who_may_rectify_verify_and_reopen(world):
    hazard = hazard_in(world)
    for who in ("other_student_user", "other_manager", "technician"):
        with pytest.raises(rounds.NotFound):
            rounds.hazard_rectify(actor=world[who], hazard=hazard, note="x")
    with pytest.raises(rounds.RoundInvalid):
        rounds.hazard_rectify(actor=world["student_user"], hazard=hazard, note="")
    rounds.hazard_rectify(actor=world["student_user"], hazard=hazard, note="done")
    for who in ("student_user", "other_manager", "head"):
        with pytest.raises(rounds.NotFound):
            rounds.hazard_verify(actor=world[who], hazard=hazard)
        with pytest.raises(rounds.NotFound):
            rounds.hazard_reopen(actor=world[who], hazard=hazard, note="x")


def test_a_confiscated_kettle_is_recorded_and_returned_once(world):
    hazard = hazard_in(world)

    taken = rounds.confiscation_record(
        actor=world["shift_lead"], hazard=hazard, item="白色热水壶", resident=world["student"]
    )
    assert taken.resident == world["student"] and taken.returned_at is None
    returned = rounds.confiscation_return(actor=world["manager"], confiscation=taken)
    assert returned.returned_by == world["manager"]
    with pytest.raises(rounds.WrongState):
        rounds.confiscation_return(actor=world["manager"], confiscation=taken)
    with pytest.raises(rounds.RoundInvalid):
        rounds.confiscation_record(
            actor=world["shift_lead"],
            hazard=hazard,
            item="x",
            resident=world["other_student_user"].resident,
        )
    assert Confiscation.objects.count() == 1


def test_the_database_guards_the_invariants(world):
    hazard = hazard_in(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(state=Hazard.State.VERIFIED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(appliance="")
    safety_round = round_of(world["S01"])
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyRound.objects.create(
            building=world["S01"],
            date=safety_round.date,
            kind=RoundKind.NIGHT,
            planned_at=safety_round.planned_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundRoom.objects.create(round=safety_round, room=world["room"])


def test_the_zero_report_counts_the_hazards_the_days_rounds_found(db):
    # Given a kettle found in S01 on tonight's round, and nothing in S02
    from apartments import safety
    from tests.apartments.rounds_data import hazard_in, rounds_world, today

    world = rounds_world()
    hazard_in(world)
    # When both buildings file tonight's report
    s01 = safety.zero_report_file(
        actor=world["shift_lead"],
        building=world["S01"],
        date=today(),
        nothing_to_report=False,
        note="kettle in a room",
    )
    s02 = safety.zero_report_file(
        actor=world["admin"], building=world["S02"], date=today(), nothing_to_report=True
    )
    # Then S01's report counts the hazard, S02's none, and a report of yesterday none either
    assert (s01.hazards_found, s02.hazards_found) == (1, 0)
    assert safety.hazards_found_count(world["S01"].pk, today() - dt.timedelta(days=1)) == 0

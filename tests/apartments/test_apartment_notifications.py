# ruff: noqa: F811 (the inspection tests' fixtures, imported, are the tests' arguments)
"""Apartments tells residents what concerns them (issue 18), in the portal and by e-mail
through the kernel's notifications: the condition report due at check-in, the move-out
inspection's time, the inspection's charges and the keys due back, the answers to their
disputes. Each is written in the transaction of the change: a refused change tells nobody."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apartments import condition_reports as cr
from apartments import inspections, move_out
from apartments.models import AssetCondition, Charge, Stay
from apartments.services import checkin_create
from logistics.models import Notification
from logistics.notifications import notification_text, unread_count
from tests.apartments.move_in_data import free_beds
from tests.apartments.test_inspections import _in_english, asset, complete, start, world  # noqa: F401
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def texts_of(user) -> list[str]:
    return [notification_text(n) for n in Notification.objects.filter(recipient=user)]


def test_check_in_tells_the_resident_their_condition_report_is_due(world):
    resident = ResidentFactory(campus=world["S01"].campus)
    resident.user.email = "wang@example.edu"
    resident.user.save(update_fields=["email"])
    bed = free_beds(world["S01"])[0]
    stay = checkin_create(actor=world["manager"], student_id=resident.student_id, bed_id=bed.pk)
    (note,) = Notification.objects.filter(recipient=resident.user)
    assert note.kind == "apartments.condition_report_due"
    due = stay.condition_report.due_by.isoformat()
    assert notification_text(note) == (
        f"Welcome to room {bed.room}. Check its fittings against the list in My room and "
        f"confirm it, or say what is missing or damaged, by {due}."
    )
    assert note.url == reverse("apartments:my_room") + "#condition-report"
    assert note.email_due_at is not None  # the outbox e-mails it
    assert unread_count(resident.user) == 1


def test_scheduling_the_inspection_tells_the_mover_when(world):
    when = timezone.localtime() + dt.timedelta(days=2)
    when = when.replace(hour=10, minute=30, second=0, microsecond=0)
    move_out.move_out_schedule(
        actor=world["manager"], move_out_request=world["request"], inspection_at=when
    )
    assert texts_of(world["mover"].user) == [
        f"The inspection of room {world['room']} for your move-out is on "
        f"{when:%Y-%m-%d %H:%M}. Please be there."
    ]
    assert texts_of(world["roommate"].user) == []


def test_a_refused_schedule_tells_nobody(world):
    with pytest.raises(move_out.MoveOutError):
        move_out.move_out_schedule(
            actor=world["manager"],
            move_out_request=world["request"],
            inspection_at=timezone.now() - dt.timedelta(days=1),
        )
    assert not Notification.objects.filter(kind="apartments.move_out_scheduled").exists()


def test_the_inspection_tells_the_charged_their_charges_and_the_mover_the_keys(world):
    mover, roommate = world["mover"], world["roommate"]
    inspection = start(world)
    complete(
        world,
        inspection,
        CH1={"result": "damaged", "resident_ids": [mover.pk, roommate.pk]},  # 30 → 15 each
        DK1={"result": "missing", "resident_ids": [mover.pk]},  # 400
    )
    inspection.refresh_from_db()
    until = f"{timezone.localtime(inspection.dispute_until):%Y-%m-%d %H:%M}"
    room = world["room"]
    planned = world["request"].planned_date.isoformat()
    assert sorted(texts_of(mover.user)) == sorted(
        [
            f"Room {room} was inspected: 2 charge(s) to you, 415.00 yuan in all. "
            f"You may dispute them until {until}.",
            f"Room {room} was inspected. Please hand your keys back at the desk by {planned}.",
        ]
    )
    # the roommate stays on: charged their share, no keys due
    assert texts_of(roommate.user) == [
        f"Room {room} was inspected: 1 charge(s) to you, 15.00 yuan in all. "
        f"You may dispute them until {until}."
    ]
    assert texts_of(world["next_door"].user) == []


def test_an_inspection_without_charges_tells_only_the_keys(world):
    # (the world's graduate filed without a notice: their managers were told to review it)
    Notification.objects.all().delete()
    complete(world, start(world))
    assert [n.kind for n in Notification.objects.all()] == ["apartments.keys_due"]


def test_answering_or_waiving_a_dispute_tells_the_resident(world):
    mover = world["mover"]
    complete(world, start(world), CH1={"result": "damaged", "resident_ids": [mover.pk]})
    Notification.objects.all().delete()
    charge = Charge.objects.get()
    inspections.charge_dispute(actor=mover.user, charge=charge, text="It was old")
    inspections.charge_answer(
        actor=world["manager"],
        charge=charge,
        resolution="The leg was broken, not worn.",
        amount=Decimal("20"),
        price_reason="Half the damage was there at move-in",
    )
    assert texts_of(mover.user) == [
        "Your dispute of the charge for CH1 was answered: 20.00 yuan to pay. "
        "The leg was broken, not worn."
    ]

    # A waiver after a dispute tells them too; a waiver nobody asked for does not
    Notification.objects.all().delete()
    inspections.charge_waive(actor=world["manager"], charge=charge, reason="Goodwill")
    assert texts_of(mover.user) == ["The charge for CH1 was waived: Goodwill"]


def test_a_waiver_without_a_dispute_tells_nobody(world):
    mover = world["mover"]
    complete(world, start(world), CH1={"result": "damaged", "resident_ids": [mover.pk]})
    Notification.objects.all().delete()
    inspections.charge_waive(actor=world["manager"], charge=Charge.objects.get(), reason="Old")
    assert not Notification.objects.exists()


def test_resolving_a_condition_dispute_tells_the_resident(world):
    mover = world["mover"]
    report = cr.condition_report_open(stay=Stay.objects.get(resident=mover))
    cr.condition_report_dispute(
        actor=mover.user, report=report, items=[(asset("CH1"), "wobbly leg", None)]
    )
    cr.condition_report_resolve(
        actor=world["manager"],
        report=report,
        resolution="Agreed: marked worn.",
        conditions={asset("CH1").pk: AssetCondition.WORN},
    )
    assert texts_of(mover.user) == [
        f"Your remarks on room {world['room']}'s condition report were answered: "
        "Agreed: marked worn."
    ]

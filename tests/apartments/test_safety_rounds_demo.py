"""The demo's week of safety rounds: rounds every day up to tomorrow (tonight's job planned it),
hazards in every state with a confiscated kettle and an overdue one alerting, the demo
student's open finding on their home page; seeding twice changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from apartments import rounds
from apartments.demo import DEMO_STUDENT_ID, SAFETY_ROUND_DAYS
from apartments.models import Confiscation, Hazard, Resident, RoundRoom, SafetyRound
from logistics.models import Alert

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_week_of_rounds_and_hazards_in_every_state():
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()

    dates = set(SafetyRound.objects.values_list("date", flat=True))
    first = today - dt.timedelta(days=SAFETY_ROUND_DAYS - 1)
    assert dates == {first + dt.timedelta(days=n) for n in range(SAFETY_ROUND_DAYS + 1)}
    assert RoundRoom.objects.filter(round__date__lt=today, state="ok").exists()
    assert RoundRoom.objects.filter(round__date__lt=today, state="not_reached").exists()
    assert not RoundRoom.objects.filter(round__date=today).exclude(state="pending").exists()

    states = set(Hazard.objects.values_list("state", flat=True))
    assert states == {"open", "rectified", "verified", "reopened"}
    overdue = Hazard.objects.filter(rounds.overdue_q(today))
    assert overdue.exists()
    assert Alert.objects.filter(kind="hazard_overdue", resolved_at__isnull=True).exists()
    assert Alert.objects.filter(kind="hazard_escalated", resolved_at__isnull=True).exists()
    kettle = Confiscation.objects.get()
    assert kettle.hazard.appliance == "kettle" and kettle.returned_at is None

    student = Resident.objects.get(student_id=DEMO_STUDENT_ID).user
    assert rounds.hazards_of_my_room(student)

    counts = (SafetyRound.objects.count(), RoundRoom.objects.count(), Hazard.objects.count())
    call_command("seed_demo", verbosity=0)
    assert counts == (
        SafetyRound.objects.count(),
        RoundRoom.objects.count(),
        Hazard.objects.count(),
    )

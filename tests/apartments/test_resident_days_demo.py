"""The demo tells the whole story (issue 18): check-ins in the past, condition reports in
every state (the demo student's waiting for them), room inspections with charges in every
state, and an open stocktake; seeding twice changes nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from apartments.demo import DEMO_STUDENT_ID
from apartments.models import Charge, ConditionReport, RoomInspection, Stay, Stocktake

pytestmark = pytest.mark.django_db


def test_the_demo_has_past_check_ins_reports_inspections_charges_and_a_stocktake():
    call_command("seed_demo", verbosity=0)
    now = timezone.now()
    assert not Stay.objects.filter(checked_in_at__gt=now).exists()
    assert Stay.objects.filter(status=Stay.Status.ACTIVE).exists()

    statuses = set(ConditionReport.objects.values_list("status", flat=True))
    assert statuses == {"pending", "confirmed", "disputed", "resolved"}
    demo_report = ConditionReport.objects.get(stay__resident__student_id=DEMO_STUDENT_ID)
    assert demo_report.status == "pending" and demo_report.due_by > timezone.localdate()

    assert RoomInspection.objects.filter(status="completed").count() == 5
    charges = Charge.objects.all()
    assert {c.status for c in charges} == {"open", "disputed", "paid", "waived"}
    # the answered dispute: open again at a new amount, with the answer
    assert charges.filter(status="open", disputed_at__isnull=False).exclude(resolution="").exists()
    stocktake = Stocktake.objects.get()
    assert stocktake.status == Stocktake.Status.OPEN
    assert stocktake.lines.filter(found=True).count() == 20

    counts = (ConditionReport.objects.count(), Charge.objects.count(), Stocktake.objects.count())
    call_command("seed_demo", verbosity=0)
    assert counts == (
        ConditionReport.objects.count(),
        Charge.objects.count(),
        Stocktake.objects.count(),
    )

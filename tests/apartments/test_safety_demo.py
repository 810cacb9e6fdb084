"""The demo's week of zero reports: every building every night, one missing tonight with its
alert, and seeding twice changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from apartments.demo import ZERO_REPORT_DAYS, ZERO_REPORT_MISSING
from apartments.models import Building, ZeroReport
from logistics.models import Alert, JobRun

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_week_of_zero_reports_with_one_missing_night_and_its_alert():
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    buildings = Building.objects.count()

    nights = set(ZeroReport.objects.values_list("date", flat=True))
    assert nights == {today - dt.timedelta(days=n) for n in range(ZERO_REPORT_DAYS)}
    assert ZeroReport.objects.count() == buildings * ZERO_REPORT_DAYS - 1
    assert ZeroReport.objects.filter(nothing_to_report=False).exclude(note="").exists()
    assert not ZeroReport.objects.filter(nothing_to_report=False, note="").exists()
    missing = Building.objects.exclude(zero_reports__date=today).get()
    assert missing.code == ZERO_REPORT_MISSING

    alerts = Alert.objects.filter(kind="zero_report_missing", resolved_at__isnull=True)
    assert [(a.subject_id, a.for_date) for a in alerts] == [(missing.pk, today)]
    # The job's work ran without recording a run: tonight's real run still happens.
    assert not JobRun.objects.filter(job="apartments.safety_inspection", for_date=today).exists()

    call_command("seed_demo", verbosity=0)
    assert ZeroReport.objects.count() == buildings * ZERO_REPORT_DAYS - 1
    assert alerts.get().times_seen == 1

"""Filing the nightly zero report (零报告制): who may, for which night, once, and what it closes."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apartments import safety
from apartments.models import ZeroReport
from logistics.models import Alert, AuditEvent
from tests.apartments.safety_data import safety_world, yesterday

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return safety_world()


def file(world, who="manager", building="S01", **fields):
    values = {"date": yesterday(), "nothing_to_report": True, "note": ""} | fields
    return safety.zero_report_file(actor=world[who], building=world[building], **values)


def test_the_manager_files_nothing_to_report_and_it_is_audited(world):
    report = file(world)

    assert report.building == world["S01"]
    assert report.date == yesterday()
    assert report.nothing_to_report is True
    assert report.filed_by == world["manager"]
    assert report.filed_at is not None
    assert report.late_returns == 0  # counted: no late return recorded that night
    event = AuditEvent.objects.get(action="zero_report.file")
    assert event.actor == world["manager"] and event.target_id == str(report.pk)


def test_the_shift_lead_files_incidents_with_a_note(world):
    report = file(world, who="shift_lead", nothing_to_report=False, note="  203 晚归两人  ")
    assert report.nothing_to_report is False
    assert report.note == "203 晚归两人"


def test_an_administrator_files_for_any_building(world):
    assert file(world, who="admin", building="J01").building == world["J01"]


@pytest.mark.parametrize("who", ["other_manager", "head", "auditor", "technician", "student"])
def test_nobody_else_files_for_the_building(world, who):
    actor = world[who].user if who == "student" else world[who]
    with pytest.raises(safety.NotYourBuilding) as raised:
        safety.zero_report_file(
            actor=actor, building=world["S01"], date=yesterday(), nothing_to_report=True
        )
    assert raised.value.status_code == 404
    assert not ZeroReport.objects.exists()


def test_a_night_still_to_come_is_refused_and_tonight_is_not(world):
    with pytest.raises(safety.ZeroReportInvalid) as raised:
        file(world, date=timezone.localdate() + dt.timedelta(days=1))
    assert raised.value.field == "date" and raised.value.status_code == 400
    assert file(world, date=timezone.localdate()).date == timezone.localdate()


def test_a_second_report_for_the_night_is_a_conflict(world):
    file(world)
    with pytest.raises(safety.AlreadyFiled) as raised:
        file(world, who="shift_lead", nothing_to_report=False, note="补充")
    assert raised.value.status_code == 409
    assert ZeroReport.objects.get().nothing_to_report is True
    # Another night, or another building, is a report of its own.
    file(world, date=yesterday() - dt.timedelta(days=1))
    file(world, who="other_manager", building="S02")
    assert ZeroReport.objects.count() == 3


def test_the_database_keeps_one_report_per_building_and_night(world):
    report = file(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        ZeroReport.objects.create(
            building=report.building,
            date=report.date,
            nothing_to_report=False,
            note="x",
            filed_at=timezone.now(),
        )


def test_incidents_need_a_note(world):
    with pytest.raises(safety.ZeroReportInvalid) as raised:
        file(world, nothing_to_report=False, note="   ")
    assert raised.value.field == "note"
    assert not ZeroReport.objects.exists()


def test_the_note_is_bounded(world):
    with pytest.raises(safety.ZeroReportInvalid) as raised:
        file(world, note="x" * (safety.NOTE_MAX_LENGTH + 1))
    assert raised.value.field == "note"
    assert file(world, note="x" * safety.NOTE_MAX_LENGTH).note == "x" * safety.NOTE_MAX_LENGTH


def test_filing_closes_the_missing_report_alert_of_that_building_and_night_only(world):
    night, before = yesterday(), yesterday() - dt.timedelta(days=1)
    safety.missing_reports_raise(night)
    safety.missing_reports_raise(before)
    open_alerts = Alert.objects.filter(kind="zero_report_missing", resolved_at__isnull=True)
    assert open_alerts.count() == 6  # S01, S02, J01 on two nights

    file(world, date=night)

    closed = Alert.objects.get(resolved_at__isnull=False)
    assert closed.subject_id == world["S01"].pk and closed.for_date == night
    assert closed.resolved_by is None  # the system closed it
    assert open_alerts.count() == 5
    assert open_alerts.filter(subject_id=world["S01"].pk, for_date=before).exists()

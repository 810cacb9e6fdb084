"""The nightly safety-inspection job's zero-report part: for a night D, every building with
residents and no zero report has one open `zero_report_missing` alert for D, seen by its
dorm managers and shift leads; a building that reported has none (CONTRACT.md)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apartments import safety
from apartments.jobs import safety_inspection
from logistics.alerts import alerts_for
from logistics.models import Alert, JobRun, Notification
from logistics.nightly import NIGHTLY_JOBS
from tests.apartments.move_in_data import campuses
from tests.apartments.safety_data import inhabited, safety_world, yesterday

pytestmark = pytest.mark.django_db

JOB = "apartments.safety_inspection"


@pytest.fixture
def world():
    return safety_world()


def open_missing(day=None):
    alerts = Alert.objects.filter(kind="zero_report_missing", resolved_at__isnull=True)
    return alerts.filter(for_date=day) if day else alerts


def missing_buildings(world, day):
    by_pk = {world[code].pk: code for code in ("S01", "S02", "S03", "J01")}
    return sorted(by_pk[a.subject_id] for a in open_missing(day))


def file(world, who, code, day):
    return safety.zero_report_file(
        actor=world[who], building=world[code], date=day, nothing_to_report=True
    )


def test_the_job_is_registered_with_a_description():
    job = NIGHTLY_JOBS[JOB]
    assert str(job.description)


def test_every_inhabited_building_without_a_report_gets_one_alert_however_often_it_runs(world):
    night = yesterday()
    file(world, "manager", "S01", night)

    safety_inspection(night)
    safety_inspection(night)

    # S01 reported; S03 has no residents; S02 and J01 are missing, once each.
    assert missing_buildings(world, night) == ["J01", "S02"]
    assert Alert.objects.filter(kind="zero_report_missing").count() == 2
    alert = open_missing(night).get(subject_id=world["S02"].pk)
    assert alert.severity == Alert.Severity.CRITICAL
    assert alert.campus_id == world["songbei"].pk
    assert alert.times_seen == 2
    assert "S02" in alert.params["building"] and alert.params["date"] == night.isoformat()


def test_filing_after_the_alert_clears_it_and_the_next_run_does_not_raise_it_again(world):
    night = yesterday()
    safety_inspection(night)
    assert world["S02"].pk in open_missing(night).values_list("subject_id", flat=True)

    file(world, "other_manager", "S02", night)
    assert missing_buildings(world, night) == ["J01", "S01"]

    safety_inspection(night)
    assert missing_buildings(world, night) == ["J01", "S01"]


def test_each_night_is_its_own_condition(world):
    safety_inspection(yesterday())
    safety_inspection(yesterday() - dt.timedelta(days=1))
    assert open_missing().count() == 6


def test_a_building_whose_residents_came_after_the_night_is_not_missing(world):
    songbei = world["songbei"]
    newcomer_building, _ = inhabited(songbei, "S09")
    # Its resident moved in today: last night it was empty.
    stay_row = newcomer_building.rooms.get().beds.get().stays.get()
    stay_row.checked_in_at = timezone.now()
    stay_row.save(update_fields=["checked_in_at"])

    safety_inspection(yesterday())

    assert not open_missing().filter(subject_id=newcomer_building.pk).exists()


def test_the_alert_reaches_the_buildings_managers_and_shift_leads_only(world):
    safety_inspection(yesterday())
    s01_alert = open_missing().get(subject_id=world["S01"].pk)

    assert s01_alert in alerts_for(world["manager"])
    assert s01_alert in alerts_for(world["shift_lead"])
    assert s01_alert in alerts_for(world["admin"])
    assert s01_alert not in alerts_for(world["other_manager"])
    assert s01_alert not in alerts_for(world["technician"])
    assert not alerts_for(world["student"].user).exists()
    told = {n.recipient_id for n in Notification.objects.all() if " S01 " in n.params["message"]}
    assert told == {world["manager"].pk, world["shift_lead"].pk, world["admin"].pk}


def test_the_alerts_api_shows_the_manager_their_buildings_alert(world):
    night = yesterday()
    safety_inspection(night)
    api = APIClient()
    api.force_authenticate(world["manager"])

    rows = api.get("/api/v1/alerts/", {"kind": "zero_report_missing"}).json()["results"]

    assert [(r["building"], r["date"], r["severity"]) for r in rows] == [
        (world["S01"].pk, night.isoformat(), "critical")
    ]
    assert "S01" in rows[0]["message"]


def test_run_nightly_jobs_keeps_the_contracts_promise(world):
    night = yesterday()
    file(world, "shift_lead", "S01", night)

    call_command("run_nightly_jobs", "--date", night.isoformat())
    call_command("run_nightly_jobs", "--date", night.isoformat(), "--job", JOB)

    assert missing_buildings(world, night) == ["J01", "S02"]
    assert Alert.objects.filter(kind="zero_report_missing").count() == 2
    assert JobRun.objects.get(job=JOB, for_date=night).status == JobRun.Status.SUCCEEDED


def _queries(buildings: int) -> tuple[int, int, int]:
    """The queries of a first run (raising every alert), a second run (all raised already) and
    a third after every building reported, for `buildings` inhabited buildings with nobody
    assigned to them (so the kernel notifies the same administrators about each)."""
    songbei, _ = campuses()
    made = [inhabited(songbei, f"X{n:02d}")[0] for n in range(buildings)]
    night = yesterday()
    counts = []
    with CaptureQueriesContext(connection) as first:
        safety_inspection(night)
    counts.append(len(first))
    with CaptureQueriesContext(connection) as second:
        safety_inspection(night)
    counts.append(len(second))
    for building in made:
        from apartments.models import ZeroReport

        ZeroReport.objects.create(
            building=building, date=night, nothing_to_report=True, filed_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as third:
        safety_inspection(night)
    counts.append(len(third))
    assert open_missing(night).count() == 0
    return tuple(counts)


def test_the_jobs_query_count_does_not_grow_with_the_buildings():
    small_first, small_second, small_third = _queries(3)
    Alert.objects.all().delete()
    from apartments.models import Building, SafetyRound, Stay, ZeroReport

    ZeroReport.objects.all().delete()
    SafetyRound.objects.all().delete()
    Stay.objects.all().delete()
    Building.objects.all().delete()
    large_first, large_second, large_third = _queries(12)

    # A run that finds every alert raised already, or every report filed: the buildings
    # missing their report, the night's reports, the alerts to close, the open ones among
    # the missing, marking them seen (with the savepoints of its step and the kernel's).
    assert small_second == large_second
    assert small_third == large_third
    # A first run too: the kernel finds whom to tell of every new alert, and tells them, with
    # a fixed number of queries (logistics.alerts.alerts_raise).
    assert small_first == large_first


def test_stays_that_ended_before_the_night_do_not_count(world):
    from apartments.models import Stay

    songbei = world["songbei"]
    left, (person,) = inhabited(songbei, "S08")
    Stay.objects.filter(resident=person).update(
        status=Stay.Status.ENDED, ended_at=timezone.now() - dt.timedelta(days=3)
    )
    still, (person2,) = inhabited(songbei, "S07")
    Stay.objects.filter(resident=person2).update(status=Stay.Status.ENDED, ended_at=timezone.now())
    safety_inspection(yesterday())

    assert not open_missing().filter(subject_id=left.pk).exists()
    assert open_missing().filter(subject_id=still.pk).exists()  # left today: here last night

"""Preventive schedules for an asset type (one job per room holding it, in a building or the
whole campus) and meter schedules (a job each time the meter passes a threshold): each job
exactly once, in a fixed number of queries however many rooms; meters' readings checked."""

import math
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from apartments.models import Asset, AssetCondition, AssetType
from logistics.models import JobRun
from logistics.nightly import run_job
from maintenance import jobs, meters, preventive
from maintenance.models import Meter, MeterReading, Schedule, Ticket, TicketEvent
from maintenance.reference import preventive_category_ensure
from tests import factories as f
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = pytest.mark.django_db

JOB = "maintenance.preventive"
JULY_1 = date(2026, 7, 1)


def run(for_date):
    return run_job(JOB, for_date, trigger="test", automatic=False)


def heater_type():
    return AssetType.objects.get_or_create(
        code="water-heater",
        defaults={
            "name": "热水器",
            "name_en": "Water heater",
            "repair_cost": Decimal("50"),
            "replacement_cost": Decimal("800"),
        },
    )[0]


_tags = iter(range(1, 10**6))


def holds(room, kind, condition=AssetCondition.GOOD):
    return Asset.objects.create(
        tag=f"T{next(_tags):06d}", asset_type=kind, room=room, condition=condition
    )


def typed_schedule(owner, campus, kind, *, building=None, unit="weeks", next_due=JULY_1, **extra):
    return Schedule.objects.create(
        campus=campus,
        name=extra.pop("name", "Water heaters: descale"),
        asset_type=kind,
        building=building,
        category=preventive_category_ensure(),
        tasks="Descale\nCheck the safety valve",
        unit=unit,
        every=1,
        next_due=next_due,
        owner=owner,
        **extra,
    )


def lift_meter(campus, building, *, reading="1000", max_per_day="24"):
    area = f.PublicAreaFactory(campus=campus, building=building, code=f"{building.code}-LIFT")
    return Meter.objects.create(
        campus=campus,
        name=f"{building.code} lift running hours",
        area=area,
        building=building,
        unit=Meter.Unit.HOURS,
        max_per_day=Decimal(max_per_day),
        reading=Decimal(reading),
        read_at=timezone.now(),
    )


def meter_schedule(owner, meter, *, every=500, next_reading="1500", **extra):
    return Schedule.objects.create(
        campus=meter.campus,
        name=extra.pop("name", "Lift service"),
        area=meter.area,
        room=meter.room,
        building=meter.building,
        meter=meter,
        next_reading=Decimal(next_reading),
        category=preventive_category_ensure(),
        tasks="Lubricate the guide rails\nTest the brakes",
        unit=Schedule.Unit.METER,
        every=every,
        next_due=date.max,
        owner=owner,
        **extra,
    )


def set_reading(meter, value):
    Meter.objects.filter(pk=meter.pk).update(reading=Decimal(value))


# --- Asset types ---------------------------------------------------------------------------------


def test_an_asset_type_schedule_files_one_job_per_room_holding_it(dispatcher, campus, building):
    kind = heater_type()
    r101, r102, r103, r104 = (
        f.RoomFactory(building=building, number=n) for n in ("101", "102", "103", "104")
    )
    other_building = f.BuildingFactory(campus=campus, code="S02")
    elsewhere = f.RoomFactory(building=other_building, number="201")
    holds(r101, kind)
    holds(r101, kind)  # two heaters in one room: one job for the room
    holds(r102, kind, AssetCondition.DAMAGED)
    holds(r103, kind, AssetCondition.RETIRED)  # retired: nothing to service
    holds(elsewhere, kind)
    s = typed_schedule(dispatcher, campus, kind, building=building)

    run(JULY_1)

    jobs_filed = Ticket.objects.filter(schedule=s)
    assert sorted(jobs_filed.values_list("room__number", flat=True)) == ["101", "102"]
    assert {t.building_id for t in jobs_filed} == {building.pk}
    assert set(jobs_filed.values_list("due_on", flat=True)) == {JULY_1}
    assert TicketEvent.objects.filter(ticket__schedule=s, kind="filed").count() == 2
    assert r104.tickets.count() == 0
    s.refresh_from_db()
    assert s.next_due == JULY_1 + timedelta(weeks=1)


def test_a_campus_wide_asset_type_schedule_covers_every_building(dispatcher, campus, building):
    kind = heater_type()
    holds(f.RoomFactory(building=building, number="101"), kind)
    holds(f.RoomFactory(building=f.BuildingFactory(campus=campus, code="S02"), number="2"), kind)
    other = f.CampusFactory(code="far")
    holds(f.RoomFactory(building=f.BuildingFactory(campus=other, code="F1"), number="1"), kind)
    s = typed_schedule(dispatcher, campus, kind)
    run(JULY_1)
    assert Ticket.objects.filter(schedule=s).count() == 2
    assert set(Ticket.objects.values_list("campus_id", flat=True)) == {campus.pk}


def test_an_asset_type_job_exists_once_per_schedule_date_and_room(dispatcher, campus, building):
    kind = heater_type()
    for n in ("101", "102"):
        holds(f.RoomFactory(building=building, number=n), kind)
    s = typed_schedule(dispatcher, campus, kind, building=building, unit="days")
    assert preventive.generate([s.pk], for_date=JULY_1 + timedelta(days=1)) == 4
    # Put back, as by a run that died before moving it on: nothing twice
    Schedule.objects.filter(pk=s.pk).update(next_due=JULY_1)
    assert preventive.generate([s.pk], for_date=JULY_1 + timedelta(days=1)) == 0
    assert Ticket.objects.filter(schedule=s).count() == 4
    # And the database itself refuses a second job for a room and date
    first = Ticket.objects.filter(schedule=s).first()
    first.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()


@pytest.mark.parametrize("rooms_each", [1, 15])
def test_a_batch_of_mixed_schedules_is_a_fixed_number_of_queries(
    dispatcher, campus, building, rooms_each, django_assert_num_queries
):
    kind = heater_type()
    ids = []
    for b in range(3):
        place = f.BuildingFactory(campus=campus, code=f"Q{b}")
        for n in range(rooms_each):
            holds(f.RoomFactory(building=place, number=f"{n}"), kind)
        ids.append(typed_schedule(dispatcher, campus, kind, building=place, unit="days").pk)
        meter = lift_meter(campus, place, reading="2000")
        ids.append(meter_schedule(dispatcher, meter).pk)
        area = f.PublicAreaFactory(campus=campus, building=place)
        ids.append(
            Schedule.objects.create(
                campus=campus,
                name=f"pump {b}",
                area=area,
                category=preventive_category_ensure(),
                tasks="Check",
                unit="days",
                next_due=JULY_1,
                owner=dispatcher,
            ).pk
        )
    # lock and read the schedules with their meters; the rooms holding the asset types;
    # insert the tickets; read back the new ones; their events; move the schedules on. (An
    # insert is one statement on PostgreSQL; SQLite's limit on a statement's parameters splits
    # a long one in batches, as it would any bulk insert.)
    jobs = 3 * (2 * rooms_each + 1 + 2)
    with django_assert_num_queries(
        4 + insert_statements(Ticket, jobs) + insert_statements(TicketEvent, jobs)
    ):
        filed = preventive.generate(ids, for_date=JULY_1 + timedelta(days=1))
    assert filed == jobs


def insert_statements(model, rows: int) -> int:
    """How many INSERT statements bulk_create makes of `rows` rows on this database."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    return math.ceil(rows / (connection.ops.bulk_batch_size(fields, [None] * rows) or rows))


def test_a_schedule_for_an_asset_type_is_created_without_a_room(dispatcher, campus, building):
    kind = heater_type()
    s = preventive.schedule_create(
        actor=dispatcher,
        campus=campus,
        name="Heaters",
        tasks="Descale",
        unit="months",
        every=6,
        next_due=JULY_1,
        asset_type=kind,
        building=building,
    )
    assert (s.room, s.area, s.building, s.asset_type) == (None, None, building, kind)
    with pytest.raises(preventive.ScheduleInvalid):
        preventive.schedule_create(
            actor=dispatcher,
            campus=campus,
            name="Nothing",
            tasks="x",
            unit="months",
            every=1,
            next_due=JULY_1,
        )


# --- Meters ----------------------------------------------------------------------------------


def test_a_meter_schedule_files_one_job_when_its_threshold_is_passed(dispatcher, campus, building):
    meter = lift_meter(campus, building, reading="1400")
    s = meter_schedule(dispatcher, meter)  # every 500 h, next at 1500
    run(JULY_1)
    assert not Ticket.objects.exists()  # 1400 < 1500

    set_reading(meter, "1510")
    run(JULY_1 + timedelta(days=1))
    (job,) = Ticket.objects.filter(schedule=s)
    assert job.due_reading == Decimal("1500") and job.area == meter.area
    assert job.due_on == JULY_1 + timedelta(days=1)
    s.refresh_from_db()
    assert s.next_reading == Decimal("2000")
    # A second run, a later date: nothing until 2000
    run(JULY_1 + timedelta(days=2))
    assert Ticket.objects.filter(schedule=s).count() == 1
    # Put back, as by a run that died: the database keeps one job for the threshold
    Schedule.objects.filter(pk=s.pk).update(next_reading=Decimal("1500"))
    assert preventive.generate([s.pk], for_date=JULY_1 + timedelta(days=3)) == 0
    assert Ticket.objects.filter(schedule=s).count() == 1


def test_a_meter_that_jumped_past_several_thresholds_files_one_job(dispatcher, campus, building):
    meter = lift_meter(campus, building, reading="1400")
    s = meter_schedule(dispatcher, meter)
    set_reading(meter, "2700")  # past 1500, 2000 and 2500
    run(JULY_1)
    (job,) = Ticket.objects.filter(schedule=s)
    assert job.due_reading == Decimal("2500")
    s.refresh_from_db()
    assert s.next_reading == Decimal("3000")


def test_an_inactive_meter_files_nothing(dispatcher, campus, building):
    meter = lift_meter(campus, building, reading="1400")
    meter_schedule(dispatcher, meter)
    Meter.objects.filter(pk=meter.pk).update(reading=Decimal("9000"), is_active=False)
    run(JULY_1)
    assert not Ticket.objects.exists()


def test_a_meter_schedule_starts_at_the_reading_now_plus_every(dispatcher, campus, building):
    meter = lift_meter(campus, building, reading="1234.5")
    s = preventive.schedule_create(
        actor=dispatcher,
        campus=campus,
        name="Lift",
        tasks="Lubricate",
        unit="meter",
        every=250,
        next_due=None,
        meter=meter,
    )
    assert s.next_reading == Decimal("1484.5") and s.area == meter.area
    assert s.next_due == date.max


@translation.override("en")
def test_readings_are_checked(dispatcher, campus, building):
    meter = lift_meter(campus, building, reading="1000")
    meters.reading_record(actor=dispatcher, meter=meter, value="1010")
    meter.refresh_from_db()
    assert meter.reading == Decimal("1010")
    with pytest.raises(meters.MeterInvalid, match="lower"):
        meters.reading_record(actor=dispatcher, meter=meter, value="1009")
    # 24 h a day at most: 30 more hours the same day is a typing error
    with pytest.raises(meters.MeterInvalid, match="at most"):
        meters.reading_record(actor=dispatcher, meter=meter, value="1040")
    with pytest.raises(meters.MeterInvalid):
        meters.reading_record(actor=dispatcher, meter=meter, value="abc")
    # Three days later, 70 more hours are possible
    Meter.objects.filter(pk=meter.pk).update(read_at=timezone.now() - timedelta(days=3))
    meters.reading_record(actor=dispatcher, meter=meter, value="1080")
    assert list(meter.readings.values_list("value", flat=True)) == [
        Decimal("1080"),
        Decimal("1010"),
    ]


def test_only_staff_of_the_campus_record_readings(campus, building, other_dispatcher, plumber):
    meter = lift_meter(campus, building)
    with pytest.raises(meters.MeterInvalid):
        meters.reading_record(actor=other_dispatcher, meter=meter, value="1001")
    meters.reading_record(actor=plumber, meter=meter, value="1001")  # a technician on duty
    assert MeterReading.objects.count() == 1


def test_the_meter_page_records_a_reading_and_refuses_a_bad_one(
    client, dispatcher, other_dispatcher, campus, building
):
    meter = lift_meter(campus, building)
    url = reverse("maintenance:meter", args=[meter.pk])
    client.force_login(dispatcher)
    response = client.post(url, {"value": "900"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # the form again, with the figure and why
    assert "cannot be lower" in response.content.decode()
    response = client.post(url, {"value": "1012.5", "note": "weekly"})
    assert response.status_code == 302
    meter.refresh_from_db()
    assert meter.reading == Decimal("1012.5")
    assert client.get(reverse("maintenance:meters")).status_code == 200
    client.force_login(other_dispatcher)
    assert client.get(url).status_code == 404
    assert client.post(url, {"value": "1013"}).status_code == 404


def test_the_meters_list_is_a_fixed_number_of_queries(
    client, dispatcher, campus, django_assert_max_num_queries
):
    for n in range(4):
        lift_meter(campus, f.BuildingFactory(campus=campus, code=f"M{n}"))
    client.force_login(dispatcher)
    client.get(reverse("maintenance:meters"))  # warm the session and caches
    with django_assert_max_num_queries(12) as captured:
        assert client.get(reverse("maintenance:meters")).status_code == 200
    few = len(captured)
    for n in range(4, 12):
        lift_meter(campus, f.BuildingFactory(campus=campus, code=f"M{n}"))
    with django_assert_max_num_queries(few):
        assert client.get(reverse("maintenance:meters")).status_code == 200


def test_the_api_records_a_reading(dispatcher, other_dispatcher, campus, building):
    meter = lift_meter(campus, building)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(dispatcher)
    listed = api.get("/api/v1/meters/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [m["id"] for m in rows] == [meter.pk]
    url = f"/api/v1/meters/{meter.pk}/readings/"
    response = api.post(url, {"value": "1020"}, format="json")
    assert response.status_code == 201 and response.json()["reading"] == "1020.0"
    response = api.post(url, {"value": "5000"}, format="json")
    assert response.status_code == 400 and "value" in response.json()["errors"]
    other = APIClient()
    other.force_authenticate(other_dispatcher)
    assert other.post(url, {"value": "1021"}, format="json").status_code == 404


# --- The nightly job: concurrent runs and a run that dies ----------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_file_each_asset_and_meter_job_exactly_once():
    campus = f.CampusFactory(code="songbei")
    building = f.BuildingFactory(campus=campus, code="S01")
    kind = heater_type()
    for n in range(4):
        holds(f.RoomFactory(building=building, number=f"10{n}"), kind)
    planner = f.dispatcher(campus, username="planner")
    typed_schedule(planner, campus, kind, building=building)  # weekly from 1 July
    meter = lift_meter(campus, building, reading="1400")
    meter_schedule(planner, meter)
    set_reading(meter, "1600")
    day = date(2026, 7, 15)  # 1, 8 and 15 July for each of four rooms; one meter job
    outcomes = race(3, lambda i: run_job(JOB, day, trigger=f"starter-{i}", automatic=False))
    assert [o.state for o in outcomes].count("succeeded") == 1
    ids = list(Schedule.objects.values_list("pk", flat=True))
    Schedule.objects.filter(meter__isnull=True).update(next_due=JULY_1)
    Schedule.objects.filter(meter__isnull=False).update(next_reading=Decimal("1500"))

    def generate(_i):
        with transaction.atomic():
            preventive.generate(ids, for_date=day)

    race(3, generate)
    assert Ticket.objects.filter(due_reading__isnull=True).count() == 12
    assert Ticket.objects.filter(due_reading=Decimal("1500")).count() == 1
    assert TicketEvent.objects.filter(kind="filed").count() == 13


def test_a_run_that_dies_halfway_leaves_every_job_exactly_once(dispatcher, campus, building):
    kind = heater_type()
    for n in range(3):
        holds(f.RoomFactory(building=building, number=f"10{n}"), kind)
    typed_schedule(dispatcher, campus, kind, building=building)
    meter = lift_meter(campus, building, reading="1600")
    meter_schedule(dispatcher, meter)
    typed_schedule(dispatcher, campus, kind, name="Heaters: second check")
    real = preventive.generate
    calls = []

    def dies_on_the_second_batch(ids, *, for_date):
        calls.append(ids)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker killed: no retry item by item
        return real(ids, for_date=for_date)

    with (
        mock.patch.object(jobs, "PREVENTIVE_BATCH", 1),
        mock.patch.object(preventive, "generate", side_effect=dies_on_the_second_batch),
        pytest.raises(KeyboardInterrupt),
    ):
        run(JULY_1)
    assert JobRun.objects.get(job=JOB, for_date=JULY_1).status == "failed"
    assert Ticket.objects.count() == 3  # the first batch committed, the second rolled back

    with mock.patch.object(jobs, "PREVENTIVE_BATCH", 1):
        assert run(JULY_1).state == "succeeded"
    assert Ticket.objects.count() == 3 + 1 + 3
    assert run(JULY_1).state == "already_done"
    assert Ticket.objects.count() == 7
    assert TicketEvent.objects.filter(kind="filed").count() == 7


# --- Pages ---------------------------------------------------------------------------------


def test_a_planner_creates_asset_type_and_meter_schedules_on_the_page(
    client, dispatcher, campus, building, django_assert_max_num_queries
):
    kind = heater_type()
    meter = lift_meter(campus, building, reading="100")
    client.force_login(dispatcher)
    url = reverse("maintenance:schedule_new")
    response = client.post(
        url,
        {
            "campus": campus.pk,
            "name": "Heaters of S01",
            "asset_type": kind.pk,
            "building": building.pk,
            "tasks": "Descale",
            "unit": "months",
            "every": 6,
            "next_due": "2026-07-01",
        },
    )
    assert response.status_code == 302
    heaters = Schedule.objects.get(name="Heaters of S01")
    assert (heaters.asset_type, heaters.building, heaters.room) == (kind, building, None)
    response = client.post(
        url,
        {
            "campus": campus.pk,
            "name": "Lift every 250 h",
            "meter": meter.pk,
            "tasks": "Lubricate",
            "unit": "meter",
            "every": 250,
        },
    )
    assert response.status_code == 302
    lift = Schedule.objects.get(name="Lift every 250 h")
    assert lift.next_reading == Decimal("350") and lift.area == meter.area
    # Neither a place nor an asset type: refused, nothing saved
    response = client.post(
        url,
        {
            "campus": campus.pk,
            "name": "Nowhere",
            "tasks": "x",
            "unit": "weeks",
            "every": 1,
            "next_due": "2026-07-01",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "asset type for every room" in response.content.decode()
    assert not Schedule.objects.filter(name="Nowhere").exists()

    page = client.get(reverse("maintenance:schedules"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Every room with: Water heater" in text and "at 350.0 running hours" in text
    detail = client.get(reverse("maintenance:schedule", args=[lift.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "every 250 running hours" in detail.content.decode()

"""The nightly food-safety job (dining.jobs): one open alert per condition, seen by the dining
manager of the canteen's campus with the canteen in the alerts API; twice for one date changes
nothing; a condition that no longer holds is closed; bulk queries."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from dining import alarms, safety
from dining.models import Supplier, SupplierCertificate
from logistics.alerts import alerts_for
from logistics.models import Alert, JobRun
from logistics.nightly import Outcome, run_job
from tests.conftest import requires_postgres
from tests.dining.data import dining_world, today
from tests.threads import race

JOB = "dining.food_safety"


def food_safety_work(for_date):
    """The job's steps without the engine (its lock, its JobRun)."""
    alarms.samples_missing_raise(for_date)
    alarms.health_checks_missing_raise(for_date)
    alarms.temperatures_raise(for_date)
    alarms.certificates_expiring_raise(for_date)


pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


def snapshot():
    return sorted(
        Alert.objects.values_list("key", "kind", "resolved_at", "subject_id", "campus_id")
    )


def test_a_lunch_with_a_dish_without_sample_raises_one_alert(world):
    safety.sample_record(
        actor=world["staff_a"],
        canteen=world["A"],
        date=today(),
        meal="lunch",
        dish=world["kungpao"],
        grams=150,
    )
    call_command("run_nightly_jobs", "--date", today().isoformat())
    assert JobRun.objects.get(job="dining.food_safety").status == "succeeded"
    alert = Alert.objects.get(kind="food_sample_missing")
    assert alert.for_date == today() and alert.campus_id == world["north"].pk
    assert alert.subject_id == world["A"].pk
    assert "番茄炒蛋" in alert.params["dishes"] and "宫保鸡丁" not in alert.params["dishes"]

    before = snapshot()
    call_command("run_nightly_jobs", "--date", today().isoformat())
    alarms.samples_missing_raise(today())  # the work itself, again
    assert snapshot() == before


def test_the_dining_manager_sees_it_with_the_canteen_others_do_not(world):
    alarms.samples_missing_raise(today())
    assert alerts_for(world["manager"]).filter(kind="food_sample_missing").count() == 1
    assert not alerts_for(world["south_manager"]).filter(kind="food_sample_missing").exists()
    assert not alerts_for(world["student"]).exists()
    client = APIClient()
    client.force_authenticate(world["manager"])
    [row] = client.get("/api/v1/alerts/?kind=food_sample_missing").json()["results"]
    assert row["canteen"] == world["A"].pk and row["building"] is None
    assert row["campus"] == world["north"].pk


def test_sampling_late_closes_the_alert(world):
    alarms.samples_missing_raise(today())
    for code in ("kungpao", "tomato", "rice"):
        safety.sample_record(
            actor=world["staff_a"],
            canteen=world["A"],
            date=today(),
            meal="lunch",
            dish=world[code],
            grams=150,
        )
    alarms.samples_missing_raise(today())
    assert not Alert.objects.filter(kind="food_sample_missing", resolved_at__isnull=True).exists()


def test_morning_checks_missing_and_temperatures(world):
    safety.morning_check_record(actor=world["staff_a"], worker=world["worker1"], date=today())
    safety.temperature_record(
        actor=world["staff_a"],
        fridge=world["fridge"],
        date=today(),
        slot="morning",
        celsius=Decimal("4"),
    )
    safety.temperature_record(
        actor=world["staff_a"],
        fridge=world["fridge"],
        date=today(),
        slot="afternoon",
        celsius=Decimal("11"),
        action_note="维修",
    )
    alarms.health_checks_missing_raise(today())
    alarms.temperatures_raise(today())
    health = Alert.objects.get(kind="health_check_missing")
    assert health.params["workers"] == "李阿姨" and health.subject_id == world["A"].pk
    temperature = Alert.objects.get(kind="temperature_out_of_range")
    # the fridge's afternoon is out of range, both freezer readings missing
    assert (temperature.params["missing"], temperature.params["out"]) == (2, 1)
    # Canteen B served nothing today: no alarm for it.
    assert not Alert.objects.filter(subject_id=world["B"].pk).exists()


def test_a_certificate_expiring_within_30_days(world):
    supplier = Supplier.objects.create(name="绿源蔬菜")
    supplier.canteens.add(world["A"])
    soon = SupplierCertificate.objects.create(
        supplier=supplier,
        kind="food_licence",
        number="JY1",
        expires_on=today() + dt.timedelta(days=20),
    )
    SupplierCertificate.objects.create(
        supplier=supplier,
        kind="business_licence",
        number="B1",
        expires_on=today() + dt.timedelta(days=200),
    )
    alarms.certificates_expiring_raise(today())
    alarms.certificates_expiring_raise(today() + dt.timedelta(days=1))
    alert = Alert.objects.get(kind="certificate_expiring")
    assert alert.params["number"] == "JY1" and alert.subject_id == world["A"].pk
    soon.expires_on = today() + dt.timedelta(days=400)  # renewed
    soon.save()
    alarms.certificates_expiring_raise(today() + dt.timedelta(days=2))
    assert not Alert.objects.filter(kind="certificate_expiring", resolved_at=None).exists()


def test_the_job_runs_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from dining.models import Canteen, Dish, Menu, MenuItem

    for n in range(10):
        canteen = Canteen.objects.create(campus=world["north"], name=f"食堂{n}")
        menu = Menu.objects.create(canteen=canteen, date=today(), meal="lunch")
        dish = Dish.objects.create(canteen=canteen, name="菜")
        MenuItem.objects.create(menu=menu, dish=dish, price=Decimal("3"))
    alarms.samples_missing_raise(today())  # new alerts notify their audience: settle first
    # items with menus, canteens and dishes; samples; open alerts to close; the kernel's
    # update of the ones still open
    with django_assert_max_num_queries(8):
        alarms.samples_missing_raise(today())


def _missing_lunch_sample(world):
    """Today's lunch with two dishes sampled and one not (a food_sample_missing condition),
    and no morning check (a health_check_missing one)."""
    for dish in (world["kungpao"], world["rice"]):
        safety.sample_record(
            actor=world["staff_a"],
            canteen=world["A"],
            date=today(),
            meal="lunch",
            dish=dish,
            grams=150,
        )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_raise_each_alarm_exactly_once():
    world = dining_world()
    _missing_lunch_sample(world)
    # Through the engine: one works, the others find it running or done.
    outcomes = race(3, lambda i: run_job(JOB, today(), trigger=f"starter-{i}"))
    assert [o.state for o in outcomes].count("succeeded") == 1
    # And the work itself three times at once, without the engine's lock.
    race(3, lambda i: food_safety_work(today()))
    kinds = sorted(Alert.objects.filter(resolved_at=None).values_list("kind", flat=True))
    assert kinds.count("food_sample_missing") == 1
    assert kinds.count("health_check_missing") == 1


@pytest.mark.django_db
def test_a_run_that_dies_halfway_is_completed_by_the_next_with_nothing_twice(world):
    _missing_lunch_sample(world)
    # The samples' step commits; then the worker dies before the morning checks.
    with (
        mock.patch.object(alarms, "health_checks_missing_raise", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        run_job(JOB, today(), trigger="test")
    assert JobRun.objects.get(job=JOB, for_date=today()).status == JobRun.Status.FAILED
    assert list(Alert.objects.values_list("kind", flat=True)) == ["food_sample_missing"]

    assert run_job(JOB, today(), trigger="test").state == JobRun.Status.SUCCEEDED
    kinds = sorted(Alert.objects.values_list("kind", flat=True))
    assert kinds.count("food_sample_missing") == 1 and kinds.count("health_check_missing") == 1
    assert run_job(JOB, today(), trigger="test").state == Outcome.ALREADY_DONE

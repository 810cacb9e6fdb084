"""The food-safety rules: a 124 g sample, destruction before FOOD_SAMPLE_HOURS, an off-duty
worker put back on duty, an out-of-range temperature without a note and an intake with an
expired certificate are each refused with a clear message; the right records are kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dining import safety
from dining.models import (
    FoodSample,
    Intake,
    MorningCheck,
    Supplier,
    SupplierCertificate,
    TemperatureReading,
)
from tests.dining.data import dining_world, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


def take(world, who="staff_a", grams=150, dish="kungpao", **extra):
    return safety.sample_record(
        actor=world[who],
        canteen=world["A"],
        date=today(),
        meal="lunch",
        dish=world[dish],
        grams=grams,
        **extra,
    )


def test_a_124_g_sample_is_refused(world, settings):
    settings.FOOD_SAMPLE_MIN_GRAMS = 125
    with pytest.raises(safety.SafetyInvalid, match="at least 125 g") as raised:
        take(world, grams=124)
    assert raised.value.status_code == 400
    assert not FoodSample.objects.exists()
    assert take(world, grams=125, fridge=world["fridge"]).fridge == world["fridge"]


def test_destruction_before_48_hours_is_refused_and_after_it_is_recorded(world, settings):
    settings.FOOD_SAMPLE_HOURS = 48
    taken = timezone.now() - dt.timedelta(hours=47)
    sample = take(world, taken_at=taken)
    with pytest.raises(safety.SafetyError, match="at least 48 hours") as raised:
        safety.sample_destroy(actor=world["staff_a"], sample=sample)
    assert raised.value.status_code == 409
    sample.refresh_from_db()
    assert sample.destroyed_at is None

    later = taken + dt.timedelta(hours=48)
    safety.sample_destroy(actor=world["staff_a"], sample=sample, now=later)
    sample.refresh_from_db()
    assert (sample.destroyed_at, sample.destroyed_by) == (later, world["staff_a"])
    with pytest.raises(safety.SafetyError, match="destroyed already"):
        safety.sample_destroy(actor=world["staff_a"], sample=sample, now=later)


def test_staff_of_another_canteen_neither_take_nor_destroy(world):
    with pytest.raises(safety.NotYourCanteen):
        take(world, who="staff_b")
    sample = take(world)
    with pytest.raises(safety.NotYourCanteen):
        safety.sample_destroy(
            actor=world["staff_b"], sample=sample, now=timezone.now() + dt.timedelta(days=3)
        )


def check(world, worker="worker1", who="staff_a", **fields):
    return safety.morning_check_record(
        actor=world[who], worker=world[worker], date=today(), **fields
    )


def test_a_clear_check_clears_the_worker_and_records_who(world):
    record = check(world)
    assert (record.cleared, record.checked_by) == (True, world["staff_a"])


def test_a_symptom_takes_the_worker_off_duty_and_they_cannot_be_put_back(world):
    record = check(world, symptoms=["fever"], note="37.9 °C")
    assert record.cleared is False and record.checked_by == world["staff_a"]
    with pytest.raises(safety.SafetyError, match="cannot be put back on duty") as raised:
        check(world, who="manager")
    assert raised.value.status_code == 409
    assert MorningCheck.objects.get().cleared is False
    # Another day is a new day.
    other_day = safety.morning_check_record(
        actor=world["staff_a"], worker=world["worker1"], date=today() - dt.timedelta(days=1)
    )
    assert other_day.cleared


def test_a_failed_item_takes_a_cleared_worker_off_duty(world):
    check(world)
    record = check(world, failed_items=["nails_jewellery"])
    assert record.cleared is False
    assert record.failed_items == ["nails_jewellery"]
    assert MorningCheck.objects.count() == 1


def test_unknown_items_are_refused(world):
    with pytest.raises(safety.SafetyInvalid):
        check(world, symptoms=["headache"])


def read(world, fridge="fridge", celsius="4", **fields):
    return safety.temperature_record(
        actor=world["staff_a"],
        fridge=world[fridge],
        date=today(),
        slot=fields.pop("slot", "morning"),
        celsius=Decimal(celsius),
        **fields,
    )


@pytest.mark.parametrize(
    "fridge, celsius, ok",
    [
        ("fridge", "0", True),
        ("fridge", "8", True),
        ("fridge", "8.1", False),
        ("fridge", "-0.5", False),
        ("freezer", "-18", True),
        ("freezer", "-17.5", False),
    ],
)
def test_temperature_ranges(world, fridge, celsius, ok):
    if ok:
        assert read(world, fridge, celsius).in_range
    else:
        with pytest.raises(safety.SafetyInvalid, match="out of range"):
            read(world, fridge, celsius)
        reading = read(world, fridge, celsius, action_note="调低温度，转移食品")
        assert reading.in_range is False and reading.action_note


def test_a_reading_twice_is_refused(world):
    read(world)
    with pytest.raises(safety.SafetyError, match="already"):
        read(world)
    read(world, slot="afternoon")
    assert TemperatureReading.objects.count() == 2


@pytest.fixture
def supplier():
    supplier = Supplier.objects.create(name="绿源蔬菜")
    SupplierCertificate.objects.create(
        supplier=supplier, kind="food_licence", number="JY1", expires_on=today()
    )
    return supplier


def receive(world, supplier, day):
    return safety.intake_record(
        actor=world["staff_a"],
        canteen=world["A"],
        supplier=supplier,
        date=day,
        goods="青菜",
        quantity="50 kg",
    )


def test_an_intake_with_an_expired_certificate_is_refused(world, supplier):
    assert receive(world, supplier, today()).goods == "青菜"  # valid to the end of its day
    with pytest.raises(safety.SafetyError, match="expired on") as raised:
        receive(world, supplier, today() + dt.timedelta(days=1))
    assert raised.value.status_code == 409
    assert Intake.objects.count() == 1


def test_an_intake_from_a_supplier_without_certificates_is_refused(world):
    with pytest.raises(safety.SafetyError, match="no certificate"):
        receive(world, Supplier.objects.create(name="无证商户"), today())


def test_the_day_boards_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    take(world)
    check(world)
    # menu items with dishes; samples
    with django_assert_num_queries(2):
        board = safety.sample_board(world["A"], today())
    assert [r.sample is not None for r in board["lunch"]] == [True, False, False]
    # workers; checks
    with django_assert_num_queries(2):
        rows = safety.check_board(world["A"], today())
    assert sorted(r.state for r in rows) == ["cleared", "missing"]

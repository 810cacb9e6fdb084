"""What the quality app scores: food-safety compliance (samples for served dishes, morning
checks for rostered workers, two readings per fridge and day) and the dish ratings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dining import safety
from dining.models import DishRating, FoodSample
from dining.selectors import dish_rating_summary, food_safety_compliance
from tests.dining.data import dining_world, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


def test_nothing_due_is_none(world):
    far = today() - dt.timedelta(days=400)
    assert food_safety_compliance(far, far) == {"score": None, "n": 0}


def test_the_share_of_due_records_present_and_in_range(world, django_assert_num_queries):
    # Due today in canteen A: 3 samples (lunch dishes), 2 morning checks, 2 × 2 readings = 9.
    for code in ("kungpao", "tomato"):
        safety.sample_record(
            actor=world["staff_a"],
            canteen=world["A"],
            date=today(),
            meal="lunch",
            dish=world[code],
            grams=150,
        )
    safety.morning_check_record(actor=world["staff_a"], worker=world["worker1"], date=today())
    safety.morning_check_record(
        actor=world["staff_a"], worker=world["worker2"], date=today(), symptoms=["cough"]
    )
    safety.temperature_record(
        actor=world["staff_a"],
        fridge=world["fridge"],
        date=today(),
        slot="morning",
        celsius=Decimal("3"),
    )
    safety.temperature_record(
        actor=world["staff_a"],
        fridge=world["fridge"],
        date=today(),
        slot="afternoon",
        celsius=Decimal("12"),
        action_note="已报修",
    )
    with django_assert_num_queries(7):
        result = food_safety_compliance(today(), today())
    # present and in range: 2 samples + 2 checks + 1 reading = 5 of 9
    assert result == {"score": round(5 * 100 / 9, 1), "n": 9}


def test_a_light_sample_does_not_count(world, settings):
    FoodSample.objects.create(
        canteen=world["A"],
        date=today(),
        meal="lunch",
        dish=world["rice"],
        grams=100,
        taken_at=timezone.now(),
    )
    settings.FOOD_SAMPLE_MIN_GRAMS = 125
    assert food_safety_compliance(today(), today())["score"] == 0.0


def test_dish_rating_summary(world):
    assert dish_rating_summary(today(), today()) == {"score": None, "average": None, "n": 0}
    for user, stars in (("student", 5), ("student2", 2)):
        DishRating.objects.create(
            dish=world["kungpao"], date=today(), meal="lunch", user=world[user], stars=stars
        )
    assert dish_rating_summary(today(), today()) == {"score": 62.5, "average": 3.5, "n": 2}

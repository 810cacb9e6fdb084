"""The dining demo: two campuses' canteens, a term of menus with price changes, ratings, a week
of samples with one missing, a worker off duty, an expiring certificate; the night's job finds
exactly the missing sample."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from dining import alarms
from dining.models import (
    Canteen,
    DishPrice,
    DishRating,
    MorningCheck,
    PriceRequest,
    SupplierCertificate,
)
from logistics.models import Alert

pytestmark = pytest.mark.django_db


def test_the_dining_demo_tells_its_stories():
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    assert Canteen.objects.values("campus").distinct().count() == 2
    assert DishPrice.objects.exclude(valid_to=None).count() == 2  # two changes mid-term
    assert PriceRequest.objects.filter(status="pending").count() == 1
    assert DishRating.objects.exists()
    assert MorningCheck.objects.filter(date=yesterday, cleared=False).count() == 1
    assert SupplierCertificate.objects.filter(
        expires_on__lte=today + dt.timedelta(days=30)
    ).exists()

    alarms.samples_missing_raise(yesterday)
    [alert] = Alert.objects.filter(kind="food_sample_missing", resolved_at=None)
    assert alert.params["dishes"] == "红烧肉" and alert.params["canteen"] == "松北一食堂"

    counts = (DishPrice.objects.count(), DishRating.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (DishPrice.objects.count(), DishRating.objects.count()) == counts

"""The dining app's nightly job (run by the kernel's engine, logistics.nightly)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from dining import alarms
from logistics.nightly import JobContext, nightly_job


@nightly_job(
    "dining.food_safety",
    description=_(
        "Dining food safety: raises a food-sample-missing alert for every canteen meal of the "
        "day with a dish without its retained sample, a morning-checks-missing alert for every "
        "canteen that served with a worker on its roster not checked, a temperature alert for "
        "every canteen with a fridge reading missing or out of range, and a certificate alert "
        "for every supplier certificate expiring within 30 days."
    ),
    time_limit=timedelta(minutes=15),
)
def food_safety(run: JobContext) -> None:
    """For the run's date, each check a step of its own (one transaction, a fixed number of
    queries whatever the number of canteens and records): a second run finds the alerts open
    and only marks them seen again; a condition that no longer holds has its alert closed."""
    run.step("food_sample_missing", lambda: alarms.samples_missing_raise(run.for_date))
    run.step("health_check_missing", lambda: alarms.health_checks_missing_raise(run.for_date))
    run.step("temperature_out_of_range", lambda: alarms.temperatures_raise(run.for_date))
    run.step("certificate_expiring", lambda: alarms.certificates_expiring_raise(run.for_date))

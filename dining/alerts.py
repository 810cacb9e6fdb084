"""The dining app's kinds of alert, raised by its nightly job (dining.jobs) for the dining
manager of the canteen's campus. Their subject is the canteen: the alerts API shows its id as
`canteen` (logistics.alerts.SUBJECT_FIELDS)."""

from django.utils.translation import gettext_lazy as _

from logistics.alerts import alert_kind
from logistics.models import Alert

FOOD_SAMPLE_MISSING = alert_kind(
    "food_sample_missing",
    label=_("Food sample missing"),
    text=_(
        "Canteen %(canteen)s served %(meal)s on %(date)s without a retained sample of "
        "%(count)s dishes: %(dishes)s."
    ),
    severity=Alert.Severity.CRITICAL,
)
HEALTH_CHECK_MISSING = alert_kind(
    "health_check_missing",
    label=_("Morning checks missing"),
    text=_(
        "Canteen %(canteen)s has no morning check on %(date)s for %(count)s workers on its "
        "roster: %(workers)s."
    ),
    severity=Alert.Severity.CRITICAL,
)
TEMPERATURE_OUT_OF_RANGE = alert_kind(
    "temperature_out_of_range",
    label=_("Temperature missing or out of range"),
    text=_(
        "Canteen %(canteen)s on %(date)s: %(missing)s temperature readings missing, "
        "%(out)s out of range (%(fridges)s)."
    ),
    severity=Alert.Severity.WARNING,
)
CERTIFICATE_EXPIRING = alert_kind(
    "certificate_expiring",
    label=_("Supplier certificate expiring"),
    text=_("The %(document)s %(number)s of supplier %(supplier)s expires on %(expires)s."),
    severity=Alert.Severity.WARNING,
)

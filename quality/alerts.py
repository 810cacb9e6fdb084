"""The quality app's kinds of alert, raised by its nightly job (quality.jobs)."""

from django.utils.translation import gettext_lazy as _

from logistics.alerts import alert_kind
from logistics.models import Alert

# For the heads of the document's department; url: the document's page.
DOCUMENT_REVIEW_DUE = alert_kind(
    "document_review_due",
    label=_("Document review due"),
    text=_("The periodic review of document %(number)s %(title)s was due on %(due)s."),
    severity=Alert.Severity.WARNING,
)

"""What the quality app tells people (logistics.notifications) about nonconformities and
complaints, and who is told.

No message names a complainant: an anonymous complaint's author must stay unknown to the
staff who handle it, and the texts below carry only numbers, subjects and departments.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from logistics.models import Role, User
from logistics.notifications import notification_kind

# --- Nonconformities ---------------------------------------------------------------------

NC_RAISED = notification_kind(
    "quality.nc_raised",
    _(
        "Nonconformity %(number)s was raised for %(department)s: %(title)s. Record its root "
        "cause and corrective action."
    ),
)
NC_ASSIGNED = notification_kind(
    "quality.nc_assigned",
    _("You are now the owner of nonconformity %(number)s: %(title)s."),
)
NC_ANSWERED = notification_kind(
    "quality.nc_answered",
    _(
        "The action on nonconformity %(number)s is recorded (due %(due)s). Please verify "
        "that it is effective."
    ),
)
NC_REJECTED = notification_kind(
    "quality.nc_rejected",
    _("The action on nonconformity %(number)s was found not effective: %(note)s"),
)
NC_CLOSED = notification_kind(
    "quality.nc_closed",
    _("Nonconformity %(number)s was verified effective and is closed."),
)

# --- Complaints ------------------------------------------------------------------------------

COMPLAINT_ROUTED = notification_kind(
    "quality.complaint_routed",
    _("New complaint %(number)s for your department: %(subject)s. Please answer by %(due)s."),
)
COMPLAINT_ASSIGNED = notification_kind(
    "quality.complaint_assigned",
    _("Complaint %(number)s is yours to handle: %(subject)s. Please answer by %(due)s."),
)
COMPLAINT_ANSWERED = notification_kind(
    "quality.complaint_answered",
    _("Your complaint %(number)s has been answered. Please tell us whether it satisfies you."),
)
COMPLAINT_UNSATISFIED = notification_kind(
    "quality.complaint_unsatisfied",
    _(
        "The complainant is not satisfied with the answer to complaint %(number)s; it is "
        "waiting for a new answer."
    ),
)


def department_heads(department_id: int) -> list[User]:
    """The active heads of one department (grants limited to it; heads of every department
    are not told about each department's daily business), and the dining managers of a
    department serving dining (quality.selectors.DEPARTMENT_ROLES: they head that work)."""
    from django.db.models import Exists, Q

    from logistics.models import Department

    serves_dining = Exists(
        Department.objects.filter(pk=department_id, service_areas__code="dining")
    )
    grants = Q(
        role_grants__role__in=[Role.DEPARTMENT_HEAD, Role.DINING_MANAGER],
        role_grants__department_id=department_id,
    ) | (
        Q(role_grants__role=Role.DINING_MANAGER, role_grants__department__isnull=True)
        & Q(serves_dining)
    )
    return list(User.objects.filter(grants, is_active=True).distinct().order_by("pk"))


# --- Satisfaction surveys (quality.surveys) ----------------------------------------------------
# The link carries the survey's token; the messages name only the service's number.

SURVEY_REPAIR = notification_kind(
    "quality.survey_repair",
    _("How did we do on your repair %(number)s? Tell us in a minute: your answer is anonymous."),
)
SURVEY_MOVE_OUT = notification_kind(
    "quality.survey_move_out",
    _("How did your move-out go? Tell us in a minute: your answer is anonymous."),
)
SURVEY_SEMESTER = notification_kind(
    "quality.survey_semester",
    _(
        "The semester survey of the logistics services is open until %(until)s. Please tell "
        "us how we did: your answer is anonymous."
    ),
)
SURVEY_REMINDER = notification_kind(
    "quality.survey_reminder",
    _("A reminder: a short anonymous survey is waiting for your answer until %(until)s."),
)


# --- Controlled documents ----------------------------------------------------------------------

DOCUMENT_REVIEW_DUE_OWNER = notification_kind(
    "quality.document_review_due",
    _(
        "The periodic review of document %(number)s %(title)s, which you own, was due on "
        "%(due)s. Review it: still right, or a new version."
    ),
)

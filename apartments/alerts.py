"""Who acts on an alert about a building: its dorm managers and shift leads (their building
assignments), not every holder of the role on the campus. Registered with the kernel's alerts
(logistics.alerts), which imports this module at start-up; the apartments' own kinds of alert
are declared here too, so that they are known wherever an alert is shown.

An alert addressed to the dorm manager of a building reaches its shift leads as well: the
24-hour shift lead stands in for the manager through the night (a missing zero report at 23:00
is theirs to file). One addressed to the shift lead reaches shift leads only."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apartments.models import Building, BuildingAssignment
from logistics.alerts import AlertAudience, alert_audience, alert_kind
from logistics.models import Alert, Role, User

# The assignment roles an alert addressed to each role reaches.
REACHES = {
    Role.DORM_MANAGER: (Role.DORM_MANAGER, Role.SHIFT_LEAD),
    Role.SHIFT_LEAD: (Role.SHIFT_LEAD,),
}

ZERO_REPORT_MISSING = alert_kind(
    "zero_report_missing",
    label=_("Zero report missing"),
    text=_("Building %(building)s has not sent its zero report for %(date)s."),
    severity=Alert.Severity.CRITICAL,
)

FIRE_EQUIPMENT_DUE = alert_kind(
    "fire_equipment_due",
    label=_("Fire equipment due"),
    text=_(
        "Building %(building)s has %(count)s fire equipment items overdue for their monthly "
        "check, expired or expiring soon."
    ),
    severity=Alert.Severity.WARNING,
)


def _building_type():
    return ContentType.objects.get_for_model(Building)


def _audience(role: str) -> AlertAudience:
    """The audience of the holders of `role`: the alerts addressed to a role that reaches
    them, about the buildings they are assigned to as `role`."""
    addressed_to = [alert_role for alert_role, reached in REACHES.items() if role in reached]

    def visible(user) -> Q:
        return Q(
            role__in=addressed_to,
            subject_type=_building_type(),
            subject_id__in=BuildingAssignment.objects.filter(user_id=user.pk, role=role).values(
                "building_id"
            ),
        )

    def recipients(alert):
        if alert.subject_type_id != _building_type().pk:
            return User.objects.none()
        return User.objects.filter(
            is_active=True,
            building_assignments__building_id=alert.subject_id,
            building_assignments__role__in=REACHES[role],
        ).distinct()

    def recipients_many(alerts):
        building_type = _building_type().pk
        buildings = {a.subject_id for a in alerts if a.subject_type_id == building_type}
        users_of: dict[int, dict[int, User]] = {}
        for assignment in BuildingAssignment.objects.filter(
            building_id__in=buildings, role__in=REACHES[role], user__is_active=True
        ).select_related("user"):
            users_of.setdefault(assignment.building_id, {})[assignment.user_id] = assignment.user
        return {
            alert.pk: list(users_of.get(alert.subject_id, {}).values())
            if alert.subject_type_id == building_type
            else []
            for alert in alerts
        }

    return AlertAudience(visible=visible, recipients=recipients, recipients_many=recipients_many)


for _role in (Role.DORM_MANAGER, Role.SHIFT_LEAD):
    alert_audience(_role, _audience(_role))

# Dorm safety rounds (apartments.rounds): a hazard past its rectification deadline goes to the
# building's managers; still unfixed SAFETY_HAZARD_ESCALATE_DAYS later, to the department head.
HAZARD_OVERDUE = alert_kind(
    "hazard_overdue",
    label=_("Hazard past its deadline"),
    text=_(
        "A safety hazard in room %(room)s of building %(building)s was to be rectified by "
        "%(deadline)s and is still open."
    ),
    severity=Alert.Severity.WARNING,
)
HAZARD_ESCALATED = alert_kind(
    "hazard_escalated",
    label=_("Hazard escalated"),
    text=_(
        "A safety hazard in room %(room)s of building %(building)s is still open %(days)s days "
        "after its deadline %(deadline)s: the building's managers have not had it fixed."
    ),
    severity=Alert.Severity.CRITICAL,
)

"""Who acts on an alert about a building: its dorm managers and shift leads (their building
assignments), not every holder of the role on the campus. Registered with the kernel's alerts
(logistics.alerts), which imports this module at start-up."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from apartments.models import Building, BuildingAssignment
from logistics.alerts import AlertAudience, alert_audience
from logistics.models import Role, User


def _building_type():
    return ContentType.objects.get_for_model(Building)


def _audience(role: str) -> AlertAudience:
    def visible(user) -> Q:
        return Q(
            role=role,
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
            building_assignments__role=role,
        )

    return AlertAudience(visible=visible, recipients=recipients)


for _role in (Role.DORM_MANAGER, Role.SHIFT_LEAD):
    alert_audience(_role, _audience(_role))

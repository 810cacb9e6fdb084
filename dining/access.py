"""Who sees and works which canteen.

- The dining manager (饮食中心) manages the canteens of their campuses (a grant without a campus:
  every canteen) and sees every food-safety record there.
- Canteen staff work in the canteens they are assigned to (CanteenAssignment), like the
  apartments' dorm managers in their buildings: they record samples, morning checks and
  temperatures there, and see nothing of another canteen.
- Administrators may do everything.
- Any signed-in user (a student, a member of staff) reads menus and rates dishes.

What a caller may not see answers 404 (get_object_or_404 over these querysets).
"""

from __future__ import annotations

from django.db.models import QuerySet

from dining.models import Canteen, CanteenAssignment
from logistics.access import ALL, campus_scope, has_role, roles_of
from logistics.models import Role


def managed_canteens(user) -> QuerySet[Canteen]:
    """The canteens `user` manages as dining manager (all of them for an administrator)."""
    if not user.is_authenticated:
        return Canteen.objects.none()
    if Role.ADMIN in roles_of(user):
        return Canteen.objects.all()
    if not has_role(user, Role.DINING_MANAGER):
        return Canteen.objects.none()
    scope = campus_scope(user, Role.DINING_MANAGER)
    if scope is ALL:
        return Canteen.objects.all()
    return Canteen.objects.filter(campus_id__in=scope)


def is_dining_manager(user) -> bool:
    return user.is_authenticated and has_role(user, Role.DINING_MANAGER)


def work_canteens(user) -> QuerySet[Canteen]:
    """The canteens whose food-safety records `user` keeps: the ones they are assigned to as
    canteen staff, and those they manage."""
    if not user.is_authenticated:
        return Canteen.objects.none()
    if Role.ADMIN in roles_of(user) or is_dining_manager(user):
        return managed_canteens(user)
    if not has_role(user, Role.CANTEEN_STAFF):
        return Canteen.objects.none()
    return Canteen.objects.filter(
        pk__in=CanteenAssignment.objects.filter(user_id=user.pk).values("canteen_id")
    )


def may_keep_records(user) -> bool:
    return user.is_authenticated and (has_role(user, Role.DINING_MANAGER, Role.CANTEEN_STAFF))

"""Reads of the apartments app, scoped to who is asking."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from apartments.models import Bed, Building, BuildingAssignment, Resident, Room
from logistics.access import ALL, campus_scope, has_role, roles_of
from logistics.models import Role

# Roles that may look at buildings at all; which buildings is buildings_for()'s business.
BUILDING_VIEWERS = (
    Role.DORM_MANAGER,
    Role.SHIFT_LEAD,
    Role.DEPARTMENT_HEAD,
    Role.AUDITOR,
    Role.ADMIN,
)


def buildings_for(user) -> QuerySet[Building]:
    """The buildings `user` may see: administrators and auditors every one (within their
    campus grant); heads of a department serving the apartments area those of their campus;
    dorm managers and shift leads the buildings assigned to them."""
    buildings = Building.objects.all()
    if not user.is_authenticated:
        return buildings.none()
    if Role.ADMIN in roles_of(user):
        return buildings
    allowed = Q(pk__in=[])
    wide = campus_scope(user, Role.AUDITOR)
    heads = _apartment_head_campuses(user)
    for scope in (wide, heads):
        if scope is ALL:
            return buildings
        if scope:
            allowed |= Q(campus_id__in=scope)
    if has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD):
        allowed |= Q(
            pk__in=BuildingAssignment.objects.filter(user_id=user.pk).values("building_id")
        )
    return buildings.filter(allowed)


def _apartment_head_campuses(user):
    """Campuses (or ALL) where the user heads a department serving the apartments area."""
    from logistics.access import grants_of
    from logistics.models import Department

    head_grants = [g for g in grants_of(user) if g.role == Role.DEPARTMENT_HEAD]
    if not head_grants:
        return set()
    apartment_departments = set(
        Department.objects.filter(service_areas__code="apartments").values_list("pk", flat=True)
    )
    campuses: set[int] = set()
    for grant in head_grants:
        if grant.department_id is None or grant.department_id in apartment_departments:
            if grant.campus_id is None:
                return ALL
            campuses.add(grant.campus_id)
    return campuses


def _count(model, path: str):
    return Coalesce(
        Subquery(
            model.objects.filter(**{path: OuterRef("pk")})
            .order_by()
            .values(path)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def building_list(user) -> QuerySet[Building]:
    """The user's buildings with their campus and room and bed counts, in one query."""
    return (
        buildings_for(user)
        .select_related("campus")
        .annotate(room_count=_count(Room, "building"), bed_count=_count(Bed, "room__building"))
        .order_by("campus__code", "code")
    )


def building_get(user, pk: int) -> Building:
    """One of the user's buildings, or 404 (also for a building that exists but is not
    theirs)."""
    return get_object_or_404(buildings_for(user).select_related("campus"), pk=pk)


def building_rooms(building: Building) -> QuerySet[Room]:
    return building.rooms.annotate(bed_count=Count("beds")).order_by("floor", "number")


def resident_of(user) -> Resident | None:
    """The resident record behind a student's account, if any."""
    return Resident.objects.select_related("campus").filter(user_id=user.pk).first()

"""Reads of the quality app, scoped to who is asking.

- Quality auditors (and administrators) see everything: every inspection record, every
  nonconformity and complaint. Their own drafts only they see.
- A department head sees what concerns their department(s). The dining manager is the head of
  the dining work (饮食中心): they see, answer and follow what concerns the department(s) of
  their grant, or, for a grant naming no department, every department serving the "dining"
  service area (a complaint about canteen prices is theirs). See DEPARTMENT_ROLES.
- Other staff see what is assigned to them: nonconformities they own, complaints they handle.
- A complainant sees their own complaints (an anonymous one too: anonymity hides them from
  staff, not from themselves).
What one may not see answers 404, as for a record that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from logistics.access import ALL, grants_of, has_role, roles_of
from logistics.models import Department, Role
from quality.models import Complaint, Inspection, Nonconformity

AUDITOR_ROLES = (Role.AUDITOR, Role.ADMIN)


def is_auditor(user) -> bool:
    return user.is_authenticated and has_role(user, Role.AUDITOR)


# Roles that head a department's work in quality matters, with the service area that a grant
# naming no department stands for (None: every department).
DEPARTMENT_ROLES = {Role.DEPARTMENT_HEAD: None, Role.DINING_MANAGER: "dining"}


def head_departments(user) -> set[int] | None:
    """Departments (ids, or ALL) the user heads (as department head, or as dining manager for
    the dining department); empty if none. Kept on the user for the rest of the request."""
    if not user.is_authenticated:
        return set()
    held = roles_of(user)
    if not held.intersection(DEPARTMENT_ROLES):
        return set()
    if Role.ADMIN in held:
        return ALL
    cached = getattr(user, "_quality_departments_cache", False)
    if cached is not False:
        return cached
    departments: set[int] | None = set()
    by_area: set[str] = set()
    for grant in grants_of(user):
        if grant.role not in DEPARTMENT_ROLES:
            continue
        if grant.department_id is not None:
            departments.add(grant.department_id)
        elif DEPARTMENT_ROLES[grant.role] is None:
            departments = ALL
            break
        else:
            by_area.add(DEPARTMENT_ROLES[grant.role])
    if departments is not ALL and by_area:
        departments |= set(
            Department.objects.filter(service_areas__code__in=by_area).values_list("pk", flat=True)
        )
    user._quality_departments_cache = departments
    return departments


def _department_q(user, field: str = "department_id") -> Q | None:
    """None: every department; else a filter (possibly matching nothing)."""
    departments = head_departments(user)
    if departments is ALL:
        return None
    return Q(**{f"{field}__in": departments}) if departments else Q(pk__in=[])


def inspections_for(user) -> QuerySet[Inspection]:
    """Sealed records the user may read, plus their own drafts."""
    if not user.is_authenticated or not user.is_active:
        return Inspection.objects.none()
    own_drafts = Q(status=Inspection.Status.DRAFT, auditor_id=user.pk)
    sealed = Q(status=Inspection.Status.SEALED)
    if is_auditor(user):
        return Inspection.objects.filter(sealed | own_drafts)
    departments = _department_q(user)
    if departments is None:
        return Inspection.objects.filter(sealed | own_drafts)
    return Inspection.objects.filter((sealed & departments) | own_drafts)


def nonconformities_for(user) -> QuerySet[Nonconformity]:
    if not user.is_authenticated or not user.is_active:
        return Nonconformity.objects.none()
    if is_auditor(user):
        return Nonconformity.objects.all()
    departments = _department_q(user)
    if departments is None:
        return Nonconformity.objects.all()
    return Nonconformity.objects.filter(departments | Q(owner_id=user.pk))


def complaints_for(user) -> QuerySet[Complaint]:
    if not user.is_authenticated or not user.is_active:
        return Complaint.objects.none()
    if is_auditor(user):
        return Complaint.objects.all()
    departments = _department_q(user)
    if departments is None:
        return Complaint.objects.all()
    return Complaint.objects.filter(
        departments | Q(assignee_id=user.pk) | Q(complainant_id=user.pk)
    )


def complaint_get(user, pk: int) -> Complaint:
    return get_object_or_404(
        complaints_for(user).select_related(
            "category", "department", "campus", "complainant", "assignee", "answered_by"
        ),
        pk=pk,
    )


def nonconformity_get(user, pk: int) -> Nonconformity:
    return get_object_or_404(
        nonconformities_for(user).select_related(
            "department",
            "campus",
            "raised_by",
            "owner",
            "inspection",
            "answer__item",
            "complaint",
            "verified_by",
            "answered_by",
        ),
        pk=pk,
    )


def inspection_get(user, pk: int) -> Inspection:
    return get_object_or_404(
        inspections_for(user).select_related(
            "version__checklist", "area", "department", "campus", "auditor", "amends"
        ),
        pk=pk,
    )


def shows_complainant(user, complaint: Complaint) -> bool:
    """Whether `user` may see who complained: never for an anonymous complaint, except the
    complainant themselves."""
    if complaint.complainant_id == user.pk:
        return True
    return not complaint.anonymous


def may_answer_nonconformity(user, nonconformity: Nonconformity) -> bool:
    """The owner, or the head of the nonconformity's department, records the action."""
    if nonconformity.owner_id == user.pk:
        return True
    departments = head_departments(user)
    return departments is ALL or nonconformity.department_id in departments


def may_answer_complaint(user, complaint: Complaint) -> bool:
    """The handler, the head of the complaint's department, or an auditor answers it."""
    if complaint.assignee_id == user.pk or is_auditor(user):
        return True
    departments = head_departments(user)
    return departments is ALL or complaint.department_id in departments

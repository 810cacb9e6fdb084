"""Who may do what: every role check of the portal goes through this module.

Pages use `role_required`, the API uses `HasRole`, and selectors scope their querysets with
`campus_scope`/`department_scope`. Roles are read once per request and cached on the user: a
signed-in request loads its user together with their grants (`user_with_grants`, one query).
Building scopes (dorm managers, shift leads) are combined with these in
apartments.selectors.buildings_for().
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import F
from django.http import Http404
from rest_framework.permissions import BasePermission

from logistics.models import Role, RoleGrant

ALL = None  # a scope of "every campus" / "every department"


@dataclass(frozen=True)
class Grant:
    role: str
    campus_id: int | None
    department_id: int | None


def grants_of(user) -> tuple[Grant, ...]:
    """The user's role grants, read with one query and kept for the rest of the request (a
    signed-in page's user comes with them already: user_with_grants)."""
    if not user.is_authenticated or not user.is_active:
        return ()
    cached = getattr(user, "_grants_cache", None)
    if cached is None:
        rows = RoleGrant.objects.filter(user_id=user.pk).values_list(
            "role", "campus_id", "department_id"
        )
        cached = _grants_keep(user, (Grant(*row) for row in rows))
    return cached


def _grants_keep(user, grants: Iterable[Grant]) -> tuple[Grant, ...]:
    cached = tuple(grants)
    unlimited_admin = Grant(Role.ADMIN, None, None)
    if user.is_superuser and unlimited_admin not in cached:
        cached += (unlimited_admin,)
    user._grants_cache = cached
    return cached


def user_with_grants(user_id):
    """The user with this id and their role grants, in one query (a LEFT JOIN: one row per
    grant), or None. What every signed-in request loads (logistics.signin's backends), so
    that the role checks that follow read no more."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    try:
        user_id = model._meta.pk.to_python(user_id)
    except Exception:  # a session naming no valid id
        return None
    return user_with_grants_where(pk=user_id)


def user_with_grants_where(**lookup):
    """The one user matching `lookup` (e.g. `auth_token__key=…`, for the API's tokens) with
    their role grants, in one query, or None."""
    from django.contrib.auth import get_user_model

    def users(**lookup):
        return (
            get_user_model()
            ._default_manager.filter(**lookup)
            .annotate(
                grant_role=F("role_grants__role"),
                grant_campus_id=F("role_grants__campus_id"),
                grant_department_id=F("role_grants__department_id"),
            )
        )

    rows = _user_rows(users, lookup)
    if not rows:
        return None
    user = rows[0]
    _grants_keep(
        user,
        (
            Grant(row.grant_role, row.grant_campus_id, row.grant_department_id)
            for row in rows
            if row.grant_role
        ),
    )
    return user


# Every signed-in request runs this query with its own id or token: compiled once per process
# for each kind of look-up (logistics.db.ModelTemplate), it costs no ORM compiling
# (docs/performance.md, "Fifth pass").
_USER_MARKERS = {int: -911_999_101, str: "zzuserlookupmarkerzz"}


def _user_rows(users, lookup: dict) -> list:
    from django.db import connection

    from logistics.db import ModelTemplate

    if len(lookup) == 1:
        ((name, value),) = lookup.items()
        marker = _USER_MARKERS.get(type(value))
        if marker is not None:
            template = ModelTemplate.shared(
                ("logistics.access.user_with_grants", name, type(value)),
                lambda: users(**{name: marker}),
                {"value": marker},
                using=connection.alias,
            )
            return template.all(value=value)
    return list(users(**lookup))


def roles_of(user) -> frozenset[str]:
    return frozenset(g.role for g in grants_of(user))


def has_role(user, *roles: str) -> bool:
    """True if the user holds any of `roles`. Administrators hold every staff role's rights
    except a resident's (they have no room)."""
    held = roles_of(user)
    if Role.ADMIN in held and any(r != Role.STUDENT for r in roles):
        return True
    return bool(held.intersection(roles))


def is_staff_member(user) -> bool:
    return bool(roles_of(user) - {Role.STUDENT})


def _scope(user, roles: Iterable[str], field: str) -> set[int] | None:
    """Ids of the campuses/departments the user's grants of `roles` cover; ALL if any grant
    of those roles is unlimited (or the user is an administrator); empty if none."""
    if Role.ADMIN in roles_of(user):
        return ALL
    roles = set(roles)
    ids: set[int] = set()
    for grant in grants_of(user):
        if grant.role in roles:
            value = getattr(grant, field)
            if value is None:
                return ALL
            ids.add(value)
    return ids


def campus_scope(user, *roles: str) -> set[int] | None:
    return _scope(user, roles, "campus_id")


def department_scope(user, *roles: str) -> set[int] | None:
    return _scope(user, roles, "department_id")


def head_campuses_for_area(user, area_code: str) -> set[int] | None:
    """Campuses (ids, or ALL) where the user heads a department serving the service area
    `area_code`; empty if none. The areas of the user's departments are read with one query
    and kept for the rest of the request (every page's menu asks, once per app)."""
    head_grants = [g for g in grants_of(user) if g.role == Role.DEPARTMENT_HEAD]
    if not head_grants:
        return set()
    areas = getattr(user, "_head_areas_cache", None)
    if areas is None:
        from logistics.models import Department

        department_ids = {g.department_id for g in head_grants if g.department_id is not None}
        areas = {}
        if department_ids:
            for department_id, code in Department.service_areas.through.objects.filter(
                department_id__in=department_ids
            ).values_list("department_id", "servicearea__code"):
                areas.setdefault(department_id, set()).add(code)
        user._head_areas_cache = areas
    campuses: set[int] = set()
    for grant in head_grants:
        if grant.department_id is None or area_code in areas.get(grant.department_id, ()):
            if grant.campus_id is None:
                return ALL
            campuses.add(grant.campus_id)
    return campuses


def filter_by_scope(queryset, field: str, scope: set[int] | None):
    """Limit `queryset` to rows whose `field` is in scope; ALL leaves it as it is."""
    if scope is ALL:
        return queryset
    return queryset.filter(**{f"{field}__in": scope})


def role_required(*roles: str):
    """Page decorator: anonymous users go to the login page; users without any of `roles`
    get 404, as for a page that does not exist (they may not learn that it does)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: `permission_classes = [HasRole.of(Role.DORM_MANAGER, …)]`."""

    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: str):
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view):
        return bool(request.user and has_role(request.user, *self.roles))


def client_ip(request) -> str:
    """The caller's address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT
    reverse proxies of our own (a client can put anything in that header)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """What a locked-out sign-in gets, from django-axes (this username from this address) or
    from the per-account limit (logistics.signin: this account from anywhere, until
    `request.account_locked_until`): 429, JSON for the API, a page otherwise."""
    import math

    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils import timezone
    from django.utils.translation import gettext as _

    until = getattr(request, "account_locked_until", None)
    if request.path.startswith("/api/"):
        if until is None:
            detail = _("Too many failed sign-ins. Please try again later.")
        else:
            detail = _(
                "Too many failed sign-ins to this account, from several places: signing in to "
                "it is paused for a while. Please try again later, or ask the service desk."
            )
        response = JsonResponse({"detail": detail}, status=429)
    else:
        response = render(
            request, "registration/locked_out.html", {"account_locked_until": until}, status=429
        )
    if until is not None:
        seconds = (until - timezone.now()).total_seconds()
        response["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response

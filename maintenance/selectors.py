"""Reads of the maintenance app, scoped to who is asking.

Who sees which repair request (tickets_for):
- the reporter their own, and a resident every request for the room they live in (a roommate's
  report of the same leaking tap), plus the requests their own were merged into;
- a technician the requests assigned to them;
- a dispatcher, and the head of a department serving maintenance, those of their campus;
- dorm managers, shift leads, apartment heads and auditors those of the buildings they see
  (apartments.selectors.visibility_of), auditors everything within their campus grant;
- an administrator everything.
What one may not see answers 404, as for a request that does not exist.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apartments.models import Room, Stay, Storeroom
from apartments.selectors import visibility_of
from logistics.access import ALL, campus_scope, has_role, head_campuses_for_area, roles_of
from logistics.models import Role
from maintenance.models import Campaign, Category, PublicArea, Schedule, Technician, Ticket

# Roles that run dispatch (the queue, assignment, merging, the storeroom's receipts).
DISPATCH_ROLES = (Role.DISPATCHER, Role.DEPARTMENT_HEAD, Role.ADMIN)
MAINTENANCE_AREA = "maintenance_utilities"


def maintenance_head_campuses(user) -> set[int] | None:
    """Campuses (or ALL) where the user heads a department serving maintenance and utilities."""
    return head_campuses_for_area(user, MAINTENANCE_AREA)


def dispatch_campuses(user) -> set[int] | None:
    """The campuses whose repairs `user` dispatches: ALL, a set of campus ids, or empty."""
    if not user.is_authenticated:
        return set()
    if Role.ADMIN in roles_of(user):
        return ALL
    campuses: set[int] = set()
    for scope in (campus_scope(user, Role.DISPATCHER), maintenance_head_campuses(user)):
        if scope is ALL:
            return ALL
        campuses |= scope
    return campuses


def may_dispatch(user) -> bool:
    return dispatch_campuses(user) != set()


def may_dispatch_campus(user, campus_id: int) -> bool:
    scope = dispatch_campuses(user)
    return scope is ALL or campus_id in scope


def resident_room_id(user) -> int | None:
    """The room the user lives in now (an active stay), if any."""
    return (
        Stay.objects.filter(resident__user_id=user.pk, status=Stay.Status.ACTIVE)
        .values_list("bed__room_id", flat=True)
        .first()
    )


def resident_room(user) -> Room | None:
    """The room the user lives in now, with its building and campus (one query)."""
    return (
        Room.objects.select_related("building__campus")
        .filter(beds__stays__resident__user_id=user.pk, beds__stays__status=Stay.Status.ACTIVE)
        .first()
    )


_UNKNOWN = object()


def _visibility_q(user, room_id=_UNKNOWN) -> Q | None:
    """A filter on Ticket for what `user` may see; None for everything. `room_id` is the
    room they live in when the caller has read it already."""
    if Role.ADMIN in roles_of(user):
        return None
    allowed = Q(reporter_id=user.pk)
    # Requests the user's own were merged into: they follow the fault there.
    allowed |= Q(pk__in=Ticket.objects.filter(reporter_id=user.pk).values("merged_into_id"))
    if has_role(user, Role.STUDENT):
        if room_id is _UNKNOWN:
            room_id = resident_room_id(user)
        if room_id is not None:
            allowed |= Q(room_id=room_id)
    if has_role(user, Role.TECHNICIAN):
        allowed |= Q(technician_id=user.pk)
    campuses = dispatch_campuses(user)
    if campuses is ALL:
        return None
    if campuses:
        allowed |= Q(campus_id__in=campuses)
    visibility = visibility_of(user)
    if visibility.everything:
        return None
    if not visibility.nothing:
        allowed |= Q(building__isnull=False) & visibility.building_q("building__")
    return allowed


def tickets_for(user, *, room_id=_UNKNOWN) -> QuerySet[Ticket]:
    """The repair requests `user` may see (see the module's docstring); `room_id`, the room
    they live in, when the caller has read it already."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    allowed = _visibility_q(user, room_id)
    tickets = Ticket.objects.all()
    return tickets if allowed is None else tickets.filter(allowed)


def with_place(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets with everything a list row shows, in the same query. Where a ticket came from
    (its schedule or campaign) is not joined: PostgreSQL took 22 ms to plan the join of
    eleven tables against 1 ms to run it ("my repairs" at ten times the demo); pages that show
    it pass the rows through with_origins (no query when none was planned)."""
    return tickets.select_related(
        "campus",
        "building",
        "room__building",
        "area",
        "category",
        "reporter",
        "technician",
    )


# What a long list of tickets joins (the dispatch queue, the ticket list API): PostgreSQL
# plans a join of the ticket with these five in about a millisecond; with the category, the
# reporter and the room's building as well (with_place) planning alone took 11 ms, at any
# backlog. with_references adds the category (from the cache) and the room's building (the
# ticket's own) without a query; neither list shows the reporter.
LIST_RELATED = ("campus", "building", "room", "area", "technician")


def with_references(rows: list[Ticket]) -> list[Ticket]:
    """Set each fetched row's category (from the cache) and its room's building (the
    ticket's), for rows selected with LIST_RELATED."""
    categories = {category.pk: category for category in categories_all()}
    missing = {row.category_id for row in rows} - categories.keys()
    if missing:  # created since the cache was filled, in another process without Redis
        categories.update(Category.objects.in_bulk(missing))
    for row in rows:
        row.category = categories[row.category_id]
        if row.room is not None and row.building is not None:
            row.room.building = row.building
    return with_origins(rows)


def with_origins(rows: list[Ticket]) -> list[Ticket]:
    """Set the campaign or preventive schedule that generated each row (what a list row shows
    of where a ticket came from): a query for the schedules and one for the campaigns among
    the rows, none when there are none, however many rows."""
    schedule_ids = {row.schedule_id for row in rows if row.schedule_id is not None}
    campaign_ids = {row.campaign_id for row in rows if row.campaign_id is not None}
    schedules = (
        Schedule.objects.only("pk", "name", "campus_id").in_bulk(schedule_ids)
        if schedule_ids
        else {}
    )
    found = (
        Campaign.objects.only("pk", "name", "campus_id").in_bulk(campaign_ids)
        if campaign_ids
        else {}
    )
    for row in rows:
        if row.schedule_id is not None:
            row.schedule = schedules[row.schedule_id]
        if row.campaign_id is not None:
            row.campaign = found[row.campaign_id]
    return rows


def ticket_get(user, pk: int) -> Ticket:
    """One request `user` may see, with its place and people, or 404."""
    ticket = get_object_or_404(with_place(tickets_for(user)).select_related("merged_into"), pk=pk)
    return with_origins([ticket])[0]


def tickets_of_reporter(user) -> QuerySet[Ticket]:
    """The user's own requests and those of their room (the "my repairs" list), joined as a
    long list is (LIST_RELATED, and the reporter, shown for a roommate's request): pass the
    fetched rows through with_references. With every row's place and people joined
    (with_place), PostgreSQL spent 20 ms planning the nine-table join and 1 ms running it."""
    room_id = resident_room_id(user)
    return (
        tickets_for(user, room_id=room_id)
        .select_related(*LIST_RELATED, "reporter")
        .filter(Q(reporter_id=user.pk) | Q(room_id=room_id or 0))
    )


# --- Fault categories (reference data, cached) -------------------------------------------------

CATEGORIES_CACHE_KEY = "maintenance:categories:v1"
# A safety net only: every save or delete of a category drops the cached list at once (and
# again when its transaction commits), see maintenance.apps.
CATEGORIES_CACHE_SECONDS = 10 * 60


def categories_all() -> list[Category]:
    """Every fault category in their order, from the cache when it has them: the form a
    student files with, the queue's at-risk counts and the API read them on every request,
    and the center edits them a few times a year."""
    categories = cache.get(CATEGORIES_CACHE_KEY)
    if categories is None:
        categories = list(Category.objects.all())
        cache.set(CATEGORIES_CACHE_KEY, categories, CATEGORIES_CACHE_SECONDS)
    return categories


def categories_active() -> list[Category]:
    return [category for category in categories_all() if category.is_active]


def categories_forget(**_signal) -> None:
    """Drop the cached categories now, and again once the change commits (a request between
    the two may have cached the rows from before it)."""
    cache.delete(CATEGORIES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CATEGORIES_CACHE_KEY))


# --- Time limits -----------------------------------------------------------------------------


def deadline_state(ticket: Ticket, now=None) -> str:
    """ "overdue", "at_risk" or "ok" for an open ticket against its completion deadline
    (before work starts, against its response deadline if that comes first); "" when closed."""
    if ticket.status not in Ticket.CLOCK_RUNS:
        return ""
    now = now or timezone.now()
    share = settings.REPAIR_AT_RISK_SHARE
    if ticket.started_at is None and now > ticket.respond_by:
        return "overdue"
    if now > ticket.complete_by:
        return "overdue"
    deadline = ticket.respond_by if ticket.started_at is None else ticket.complete_by
    total = (deadline - ticket.created_at).total_seconds()
    left = (deadline - now).total_seconds()
    if total > 0 and left <= total * share:
        return "at_risk"
    return "ok"


def overdue_q(now=None) -> Q:
    """Open tickets past a promise: not started by the response deadline, or not finished by
    the completion deadline."""
    now = now or timezone.now()
    return Q(status__in=Ticket.CLOCK_RUNS) & (
        Q(started_at__isnull=True, respond_by__lt=now) | Q(complete_by__lt=now)
    )


def at_risk_q(now=None) -> Q:
    """Open tickets not yet overdue with REPAIR_AT_RISK_SHARE or less of their time left.
    Approximated for the database with each ticket's own promised durations."""
    now = now or timezone.now()
    return Q(status__in=Ticket.CLOCK_RUNS) & ~overdue_q(now) & at_risk_limits_q(now)


def at_risk_limits_q(now) -> Q:
    """The part of at_risk_q that reads the categories' limits: a ticket at most
    REPAIR_AT_RISK_SHARE of its category's promised time away from its running deadline
    (whether or not it is open or already past it)."""
    share = settings.REPAIR_AT_RISK_SHARE
    # left <= share * total  ⇔  deadline - now <= share * (deadline - created)
    #                         ⇔  created >= (now - share * deadline) / (1 - share) — not linear
    # in SQL without arithmetic on timestamps, so compare against each category's limits.
    # Categories with the same limit share a clause (the defaults have four response and
    # three completion limits for eight categories): a smaller WHERE for the queue's counts.
    respond: dict[int, list[int]] = {}
    complete: dict[int, list[int]] = {}
    for category in categories_all():
        respond.setdefault(category.response_minutes, []).append(category.pk)
        complete.setdefault(category.completion_hours, []).append(category.pk)
    clauses = Q(pk__in=[])
    for minutes, ids in respond.items():
        clauses |= Q(
            category_id__in=ids,
            started_at__isnull=True,
            respond_by__lte=now + timedelta(minutes=minutes * share),
        )
    for hours, ids in complete.items():
        clauses |= Q(
            category_id__in=ids,
            started_at__isnull=False,
            complete_by__lte=now + timedelta(hours=hours * share),
        )
    return clauses


# --- Places and people -------------------------------------------------------------------------


def areas_for_campus(campus_id: int) -> QuerySet[PublicArea]:
    return PublicArea.objects.filter(campus_id=campus_id).select_related("building")


def technicians_for_campus(campus_id: int, category: Category | None = None):
    """The campus's technicians on duty with their open jobs counted; those with the skill for
    `category` first, then the least loaded."""
    technicians = (
        Technician.objects.filter(campus_id=campus_id, is_active=True, user__is_active=True)
        .select_related("user")
        .prefetch_related("skills")
        .annotate(
            load=Count(
                "user__assigned_tickets",
                filter=Q(user__assigned_tickets__status__in=Ticket.OPEN),
            )
        )
    )
    rows = list(technicians)
    for technician in rows:
        technician.has_skill = category is None or any(
            s.pk == category.pk for s in technician.skills.all()
        )
    rows.sort(key=lambda t: (not t.has_skill, t.load, t.user.username))
    return rows


def storerooms_for(user) -> QuerySet[Storeroom]:
    """Storerooms whose stock `user` sees: technicians and dispatchers those of their campus."""
    if not user.is_authenticated:
        return Storeroom.objects.none()
    if Role.ADMIN in roles_of(user):
        return Storeroom.objects.all()
    campuses = dispatch_campuses(user)
    if campuses is ALL:
        return Storeroom.objects.all()
    ids = set(campuses)
    technician_scope = campus_scope(user, Role.TECHNICIAN)
    if technician_scope is ALL:
        return Storeroom.objects.all()
    ids |= technician_scope
    ids |= set(Technician.objects.filter(user_id=user.pk).values_list("campus_id", flat=True))
    return Storeroom.objects.filter(campus_id__in=ids)


# --- For the quality app's surveys and scorecards (quality reads maintenance only here) -----


def _day_bounds(start, end):
    """The aware datetimes from the start of `start` to the end of `end` (local days)."""
    from datetime import datetime, time

    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def tickets_closed_between(start, end) -> QuerySet[Ticket]:
    """Repairs confirmed by their reporter or closed automatically on the days from `start`
    to `end` (merged and cancelled requests are not closed)."""
    since, until = _day_bounds(start, end)
    return Ticket.objects.filter(
        status=Ticket.Status.CLOSED, closed_at__gte=since, closed_at__lt=until
    )


def tickets_closed_on_rows(day, ids=None) -> list[dict]:
    """{id, reporter_id, technician_id, building_id, campus_id} of the repairs closed on
    `day` (only those of `ids`, if given), in id order: whom the follow-up survey asks."""
    rows = tickets_closed_between(day, day)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return list(
        rows.order_by("pk").values("id", "reporter_id", "technician_id", "building_id", "campus_id")
    )


def repair_time_limits(start, end) -> dict:
    """The time-limit compliance (限时承诺) of the repairs finished from `start` to `end`:
    {"score": percent finished by their promised time (None without any), "n": how many}."""
    since, until = _day_bounds(start, end)
    counts = Ticket.objects.filter(finished_at__gte=since, finished_at__lt=until).aggregate(
        n=Count("pk"), kept=Count("pk", filter=Q(finished_at__lte=F("complete_by")))
    )
    n = counts["n"] or 0
    return {"score": round(100 * counts["kept"] / n, 2) if n else None, "n": n}


def technician_card(user_id: int, start, end) -> dict:
    """A technician's own card for the days from `start` to `end`: jobs finished, time limits
    kept, the reporters' mean rating, rework (requests reopened), labour minutes and labour
    points (the repair items of their finished jobs, 维修项目计票制)."""
    since, until = _day_bounds(start, end)
    from django.db.models import Avg, Sum

    return Ticket.objects.filter(
        technician_id=user_id, finished_at__gte=since, finished_at__lt=until
    ).aggregate(
        jobs=Count("pk"),
        kept=Count("pk", filter=Q(finished_at__lte=F("complete_by"))),
        rating_mean=Avg("rating"),
        rated=Count("rating"),
        rework=Count("pk", filter=Q(reopened_count__gt=0)),
        labour=Sum("labour_minutes"),
        points=Sum("labour_points"),
    )

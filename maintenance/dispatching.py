"""What the dispatch pages read: the queue of open repair requests with its time-limit
countdowns, one request with the technicians and the duplicates to merge, the follow-ups of
low ratings, the fault categories and the technicians' roster; and the two catalogue writes
that are not steps of a ticket's life (a category's time limits, a technician's roster entry).
A ticket's own steps (assign, urgency, merge, cancel, follow-up) are maintenance.services.

Who dispatches: the users whose selectors.dispatch_campuses is not empty (a campus's
dispatchers, heads of departments serving maintenance, administrators). Every read here is
scoped to those campuses; a ticket, technician or campus outside them answers 404.
Who edits the fault categories (shared by every campus): administrators and heads of a
maintenance department; dispatchers read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Building
from logistics.access import ALL, filter_by_scope, has_role
from logistics.models import Campus, Role, RoleGrant, User
from logistics.services import audit_record
from maintenance.models import Category, Technician, Ticket, Urgency
from maintenance.selectors import (
    LIST_RELATED,
    at_risk_limits_q,
    deadline_state,
    dispatch_campuses,
    maintenance_head_campuses,
    with_origins,
    with_place,
    with_references,
)

QUEUE_PAGE_SIZE = 50
FOLLOW_UPS_PAGE_SIZE = 50
# Merge candidates shown on a ticket: enough for a burst pipe reported by a whole floor.
MERGE_CANDIDATES_LIMIT = 30
# Upper bounds of a category's promises: beyond them a "time limit" promises nothing, and
# deadlines computed from absurd values could overflow a date.
MAX_RESPONSE_MINUTES = 30 * 24 * 60
MAX_COMPLETION_HOURS = 90 * 24

VIEWS = ("all", "unassigned", "at_risk", "overdue")


# --- Who may do what ----------------------------------------------------------------------------


def may_dispatch_any(user) -> bool:
    """The user dispatches some campus (ALL is None, so compare with the empty set)."""
    return dispatch_campuses(user) != set()


def may_edit_categories(user) -> bool:
    """Administrators and heads of a department serving maintenance."""
    if has_role(user, Role.ADMIN):
        return True
    return maintenance_head_campuses(user) != set()


def _in_scope(queryset, user, field: str = "campus_id"):
    scope = dispatch_campuses(user)
    if scope is not ALL and not scope:
        return queryset.none()
    return filter_by_scope(queryset, field, scope)


def campuses_in_scope(user) -> QuerySet[Campus]:
    return _in_scope(Campus.objects.all(), user, "pk")


# --- The queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    campus: Campus | None = None
    building: Building | None = None
    category: Category | None = None
    urgency: str = ""
    status: str = ""
    technician: User | None = None
    view: str = "all"


def _view_q(view: str, *, at_risk: Q, overdue: Q) -> Q:
    if view == "unassigned":
        return Q(technician__isnull=True)
    if view == "at_risk":
        return at_risk
    if view == "overdue":
        return overdue
    return Q()


def open_tickets(user) -> QuerySet[Ticket]:
    """Requests under way on the campuses the user dispatches."""
    return _in_scope(Ticket.objects.filter(status__in=Ticket.OPEN), user)


def _filtered(user, filters: QueueFilter) -> QuerySet[Ticket]:
    tickets = open_tickets(user)
    if filters.campus is not None:
        tickets = tickets.filter(campus_id=filters.campus.pk)
    if filters.building is not None:
        tickets = tickets.filter(building_id=filters.building.pk)
    if filters.category is not None:
        tickets = tickets.filter(category_id=filters.category.pk)
    if filters.urgency:
        tickets = tickets.filter(urgency=filters.urgency)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.technician is not None:
        tickets = tickets.filter(technician_id=filters.technician.pk)
    return tickets


@dataclass
class Queue:
    """The rows of the queue (QueueRows, sliced by the paginator) and the tab counts."""

    tickets: QueueRows
    counts: dict[str, int]
    now: datetime


# The queue's order is overdue first, then urgent, then the earliest running deadline
# (Ticket.due_at), then the oldest ticket. "Overdue" is due_at < now, so the order cuts into
# four slices, each one range of ticket_queue_idx in (due_at, id) order: overdue and urgent,
# overdue and normal, on time and urgent, on time and normal. A page reads only the slices it
# overlaps, and only its own rows of them: its cost does not grow with the backlog.
SEGMENTS = (
    ("overdue_urgent", True, Urgency.URGENT),
    ("overdue_normal", True, Urgency.NORMAL),
    ("ok_urgent", False, Urgency.URGENT),
    ("ok_normal", False, Urgency.NORMAL),
)


def _segment_q(overdue: bool, urgency: str, now: datetime) -> Q:
    deadline = Q(due_at__lt=now) if overdue else Q(due_at__gte=now)
    return deadline & Q(urgency=urgency)


class QueueRows:
    """The queue's rows for the paginator: its length is known from the tab counts, and a
    slice reads only the rows it shows, slice of the order by slice of the order (SEGMENTS).
    One query for any page: a page that spans two slices reads them in one UNION ALL where
    the database allows LIMIT in its parts (PostgreSQL); elsewhere (SQLite, the zero-setup
    default with small backlogs) it sorts the matching tickets in one query as before."""

    def __init__(self, tickets: QuerySet[Ticket], sizes: list[int], now: datetime):
        self.tickets = tickets  # the matching tickets, with their place and people
        self.sizes = sizes  # rows in each of SEGMENTS, in order
        self.now = now

    def __len__(self) -> int:
        return sum(self.sizes)

    def count(self) -> int:
        return len(self)

    def _segment(self, index: int) -> QuerySet[Ticket]:
        _name, overdue, urgency = SEGMENTS[index]
        return self.tickets.filter(_segment_q(overdue, urgency, self.now)).order_by("due_at", "pk")

    def _ranked(self) -> QuerySet[Ticket]:
        overdue = Q(due_at__lt=self.now)
        return self.tickets.annotate(
            overdue_rank=Case(When(overdue, then=Value(0)), default=Value(1)),
            urgency_rank=Case(
                When(urgency=Urgency.URGENT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        ).order_by("overdue_rank", "urgency_rank", "due_at", "pk")

    def __getitem__(self, window: slice) -> list[Ticket]:
        if not isinstance(window, slice):
            raise TypeError("QueueRows takes slices only")
        bottom, top = window.start or 0, window.stop
        if top is None:
            top = len(self)
        parts: list[tuple[int, QuerySet[Ticket]]] = []
        start = 0
        for index, size in enumerate(self.sizes):
            lo, hi = max(bottom, start), min(top, start + size)
            if lo < hi:
                parts.append((index, self._segment(index)[lo - start : hi - start]))
            start += size
        if not parts:
            return []
        if len(parts) == 1:
            return with_references(list(parts[0][1]))
        if not connection.features.supports_slicing_ordering_in_compound:
            return with_references(list(self._ranked()[bottom:top]))
        first, *rest = (
            part.annotate(queue_segment=Value(index, output_field=IntegerField()))
            for index, part in parts
        )
        rows = list(first.union(*rest, all=True))
        rows.sort(key=lambda t: (t.queue_segment, t.due_at, t.pk))
        return with_references(rows)


def queue(user, filters: QueueFilter, now: datetime | None = None) -> Queue:
    """Open requests in scope matching `filters`, overdue first, then urgent, then by the
    deadline that runs now (respond before work starts, complete after); and how many of
    them each tab (all / unassigned / at risk / overdue) and each slice of the order hold,
    in one aggregate query."""
    now = now or timezone.now()
    # Every ticket here is open, and an open ticket is overdue exactly when its running
    # deadline is past (selectors.overdue_q in one comparison): a cheaper aggregate.
    overdue = Q(due_at__lt=now)
    at_risk = Q(due_at__gte=now) & at_risk_limits_q(now)  # the limits come from the cache
    matching = _filtered(user, filters)
    shown = _view_q(filters.view, at_risk=at_risk, overdue=overdue)
    counts = matching.aggregate(
        all=Count("pk"),
        unassigned=Count("pk", filter=Q(technician__isnull=True)),
        at_risk=Count("pk", filter=at_risk),
        overdue=Count("pk", filter=overdue),
        **{
            name: Count("pk", filter=shown & _segment_q(is_overdue, urgency, now))
            for name, is_overdue, urgency in SEGMENTS
        },
    )
    sizes = [counts.pop(name) for name, _overdue, _urgency in SEGMENTS]
    tickets = QueueRows(matching.filter(shown).select_related(*LIST_RELATED), sizes, now)
    return Queue(tickets=tickets, counts=counts, now=now)


def format_duration(delta: timedelta) -> str:
    """A short, rounded-down span: "2 d 3 h", "4 h 10 min", "25 min"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


@dataclass(frozen=True)
class Countdown:
    state: str  # "overdue", "at_risk", "ok" (selectors.deadline_state); "" when closed
    kind: str  # "respond" before work starts, "complete" after
    deadline: datetime | None
    text: str


def countdown(ticket: Ticket, now: datetime | None = None) -> Countdown:
    """The time left on the promise that runs now, or how long it is overdue; computed from
    the row alone (no query)."""
    now = now or timezone.now()
    state = deadline_state(ticket, now)
    if not state:
        return Countdown("", "", None, "")
    if ticket.started_at is None and now > ticket.respond_by:
        kind, deadline = "respond", ticket.respond_by
    elif now > ticket.complete_by:
        kind, deadline = "complete", ticket.complete_by
    elif ticket.started_at is None:
        kind, deadline = "respond", ticket.respond_by
    else:
        kind, deadline = "complete", ticket.complete_by
    if state == "overdue":
        span = format_duration(now - deadline)
        if kind == "respond":
            text = _("Response overdue by %(span)s") % {"span": span}
        else:
            text = _("Completion overdue by %(span)s") % {"span": span}
    else:
        span = format_duration(deadline - now)
        if kind == "respond":
            text = _("%(span)s left to respond") % {"span": span}
        else:
            text = _("%(span)s left to complete") % {"span": span}
    return Countdown(state, kind, deadline, text)


def with_countdowns(tickets, now: datetime | None = None) -> list[Ticket]:
    """The rows with `.countdown` set, for the templates."""
    now = now or timezone.now()
    rows = list(tickets)
    for ticket in rows:
        ticket.countdown = countdown(ticket, now)
    return rows


def filter_choices(user) -> dict[str, QuerySet]:
    """The choices of the queue's filters, limited to the user's campuses."""
    return {
        "campuses": campuses_in_scope(user),
        "buildings": _in_scope(Building.objects.all(), user).order_by("campus__code", "code"),
        "categories": Category.objects.all(),
        "technicians": User.objects.filter(
            pk__in=_in_scope(Technician.objects.all(), user).values("user_id")
        ).order_by("username"),
    }


# --- One ticket ----------------------------------------------------------------------------------


def dispatch_ticket_get(user, pk: int) -> Ticket:
    """A request on a campus the user dispatches (any status), with its place and people."""
    tickets = _in_scope(Ticket.objects.all(), user)
    ticket = get_object_or_404(with_place(tickets).select_related("merged_into"), pk=pk)
    return with_origins([ticket])[0]


def merge_candidates(ticket: Ticket) -> list[Ticket]:
    """Other open requests that may report the same fault: those of the same room or area
    first, then those of the same building and category."""
    same_place = Q(room_id=ticket.room_id) if ticket.room_id else Q(area_id=ticket.area_id)
    nearby = same_place
    if ticket.building_id is not None:
        nearby |= Q(building_id=ticket.building_id, category_id=ticket.category_id)
    candidates = (
        with_place(
            Ticket.objects.filter(campus_id=ticket.campus_id, status__in=Ticket.OPEN)
            .exclude(pk=ticket.pk)
            .filter(nearby)
        )
        .annotate(place_rank=Case(When(same_place, then=Value(0)), default=Value(1)))
        .order_by("place_rank", "created_at", "pk")[:MERGE_CANDIDATES_LIMIT]
    )
    rows = list(candidates)
    for row in rows:
        row.same_place = row.place_rank == 0
    return rows


def timeline(ticket: Ticket):
    return ticket.events.select_related("actor")


# --- Follow-ups ----------------------------------------------------------------------------------


def follow_ups(user, *, done: bool = False) -> QuerySet[Ticket]:
    """Low ratings waiting for a supervisor's call (oldest rating first), or, with `done`,
    those already followed up (newest first)."""
    tickets = with_place(_in_scope(Ticket.objects.all(), user))
    if done:
        return (
            tickets.filter(follow_up_needed=False, followed_up_at__isnull=False)
            .select_related("followed_up_by")
            .order_by("-followed_up_at", "-pk")
        )
    return tickets.filter(follow_up_needed=True).order_by("rated_at", "pk")


def follow_up_get(user, pk: int) -> Ticket:
    """A rated request in the user's scope that needs, or had, a follow-up."""
    tickets = with_place(_in_scope(Ticket.objects.all(), user)).select_related("followed_up_by")
    return get_object_or_404(
        tickets.filter(Q(follow_up_needed=True) | Q(followed_up_at__isnull=False)), pk=pk
    )


def waiting_follow_ups_count(user) -> int:
    return _in_scope(Ticket.objects.filter(follow_up_needed=True), user).count()


# --- Fault categories ---------------------------------------------------------------------------


def categories_with_counts(user) -> QuerySet[Category]:
    """Every category with `open_count`: its requests under way on the user's campuses."""
    scope = dispatch_campuses(user)
    open_filter = Q(tickets__status__in=Ticket.OPEN)
    if scope is not ALL:
        open_filter &= Q(tickets__campus_id__in=scope)
    return Category.objects.annotate(open_count=Count("tickets", filter=open_filter))


CATEGORY_FIELDS = (
    "code",
    "name",
    "name_en",
    "response_minutes",
    "completion_hours",
    "position",
    "is_active",
)


def category_snapshot(category: Category) -> dict:
    return {field: getattr(category, field) for field in CATEGORY_FIELDS}


@transaction.atomic
def category_save(*, actor: User, category: Category, before: dict | None = None) -> Category:
    """Save a category's names and limits. Tickets keep the deadlines computed when they were
    filed: nothing here touches them."""
    is_new = category.pk is None
    category.save()
    after = category_snapshot(category)
    changes = {
        field: [None if before is None else before.get(field), value]
        for field, value in after.items()
        if before is None or before.get(field) != value
    }
    audit_record(
        actor=actor,
        action="repair.category_create" if is_new else "repair.category_edit",
        target=category,
        changes={k: [str(v) for v in pair] for k, pair in changes.items()},
    )
    return category


# --- The technicians' roster ---------------------------------------------------------------------


def roster(user) -> list[Technician]:
    """The roster of the campuses in scope, each with `load` (open jobs) and its skills."""
    return list(
        _in_scope(Technician.objects.all(), user)
        .select_related("user", "campus")
        .prefetch_related(Prefetch("skills", queryset=Category.objects.order_by("position")))
        .annotate(
            load=Count(
                "user__assigned_tickets",
                filter=Q(user__assigned_tickets__status__in=Ticket.OPEN),
            )
        )
        .order_by("campus__position", "campus__code", "user__username")
    )


@dataclass(frozen=True)
class Candidate:
    """A user with the technician role on a campus in scope but no roster entry. `campus` is
    None for a grant on every campus: the dispatcher picks the campus when adding them."""

    user: User
    campus: Campus | None


def roster_candidates(user) -> list[Candidate]:
    """Technician-role users of the campuses in scope who are not on the roster yet."""
    scope = dispatch_campuses(user)
    grants = RoleGrant.objects.filter(
        role=Role.TECHNICIAN, user__is_active=True, user__technician__isnull=True
    ).select_related("user", "campus")
    if scope is not ALL:
        if not scope:
            return []
        grants = grants.filter(Q(campus_id__in=scope) | Q(campus__isnull=True))
    seen: dict[int, Candidate] = {}
    for grant in grants.order_by("user__username", "campus__code"):
        known = seen.get(grant.user_id)
        # One row per user: an unlimited grant (campus None) wins over a campus grant.
        if known is None or grant.campus_id is None:
            seen[grant.user_id] = Candidate(grant.user, grant.campus)
    return list(seen.values())


def technician_campuses(user, technician_user: User) -> QuerySet[Campus]:
    """Campuses in the user's scope where `technician_user` holds the technician role: where
    they may be put on the roster."""
    grants = RoleGrant.objects.filter(user_id=technician_user.pk, role=Role.TECHNICIAN)
    if grants.filter(campus__isnull=True).exists():
        return campuses_in_scope(user)
    return campuses_in_scope(user).filter(pk__in=grants.values("campus_id"))


def roster_entry_get(user, user_pk: int) -> tuple[User, Technician | None]:
    """The technician (a user id) and their roster entry on a campus in scope; for a user not
    on the roster yet, None, if they hold the technician role on a campus in scope. 404 for
    anyone else."""
    entry = (
        _in_scope(Technician.objects.all(), user)
        .select_related("user", "campus")
        .filter(user_id=user_pk)
        .first()
    )
    if entry is not None:
        return entry.user, entry
    if Technician.objects.filter(user_id=user_pk).exists():
        raise Http404  # on another campus's roster
    person = get_object_or_404(User, pk=user_pk, is_active=True)
    if not technician_campuses(user, person).exists():
        raise Http404
    return person, None


def technician_open_jobs(technician_user: User) -> int:
    return Ticket.objects.filter(technician_id=technician_user.pk, status__in=Ticket.OPEN).count()


@transaction.atomic
def technician_save(
    *,
    actor: User,
    person: User,
    entry: Technician | None,
    campus: Campus | None = None,
    skills,
    is_active: bool,
) -> Technician:
    """Put `person` on the roster of `campus` (when `entry` is None) or change their skills and
    whether they are on duty. The callers check the scope."""
    is_new = entry is None
    if is_new:
        # A double-tapped "add" finds the entry the first tap made.
        entry, _created = Technician.objects.get_or_create(
            user=person, defaults={"campus": campus, "is_active": is_active}
        )
    before = (
        None
        if is_new
        else {
            "is_active": entry.is_active,
            "skills": sorted(s.code for s in entry.skills.all()),
        }
    )
    entry.is_active = is_active
    entry.save(update_fields=["is_active"])
    entry.skills.set(skills)
    after = {"is_active": is_active, "skills": sorted(s.code for s in skills)}
    audit_record(
        actor=actor,
        action="repair.technician_add" if is_new else "repair.technician_edit",
        target=entry,
        changes={"before": before, "after": after, "campus": entry.campus_id},
    )
    return entry

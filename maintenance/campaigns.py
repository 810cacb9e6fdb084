"""Readiness campaigns (整修保洁): a manager picks buildings and a room checklist, staff work the
rooms one by one on a phone, a fault found becomes a repair ticket linked to the campaign, and
the readiness board counts rooms ready / in progress / blocked / not started per building with a
forecast against the move-in date.

Who does what:
- start and close a campaign, see its whole board: those who dispatch repairs on its campus
  (dispatchers, maintenance heads, administrators) and the heads of a department serving the
  apartments there (campaign_campuses);
- work a room's checklist (and report a fault from it): those, the dorm managers and shift
  leads of its building (the building's service staff), and the technicians of its campus;
- see a building's row of the board: everyone who sees the building in the apartments app.
What one may not see answers 404.

Readiness itself (the Room.ready flag the desk reads) is maintenance.readiness's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Building, BuildingAssignment, Room
from apartments.selectors import apartment_head_campuses, visibility_of
from apartments.services import rooms_set_ready
from logistics.access import ALL, has_role
from logistics.models import Campus, Role, User
from logistics.services import audit_record
from maintenance import readiness, services
from maintenance.models import Campaign, Category, RoomTask, Technician, Ticket
from maintenance.selectors import dispatch_campuses

# The checklist a new campaign starts with (the center's holiday round); the manager edits it.
DEFAULT_CHECKLIST = (
    "门窗、灯具、水电设施检查维修 / Fittings checked and repaired",
    "室内外清洁 / Cleaned inside and out",
    "床上用品到位 / Bedding kits in place",
    "资产清单核对 / Asset list matches",
)
CHECKLIST_MAX_ITEMS = 20
CHECKLIST_ITEM_MAX_LENGTH = 100
# The forecast's pace: rooms finished per day over this many recent days.
PACE_DAYS = 7


class CampaignError(services.RepairError):
    pass


class CampaignInvalid(CampaignError):
    status_code = 400
    code = "invalid"


# --- Who may ---------------------------------------------------------------------------------


def campaign_campuses(user) -> set[int] | object:
    """Campuses (or ALL) whose campaigns `user` starts, closes and sees whole."""
    scope = dispatch_campuses(user)
    if scope is ALL:
        return ALL
    heads = apartment_head_campuses(user) if user.is_authenticated else set()
    if heads is ALL:
        return ALL
    return set(scope) | set(heads or ())


def may_manage(user, campus_id: int) -> bool:
    scope = campaign_campuses(user)
    return scope is ALL or campus_id in scope


def workable_tasks(user) -> QuerySet[RoomTask]:
    """The room tasks of open campaigns `user` may work (see the module's docstring)."""
    if not user.is_authenticated:
        return RoomTask.objects.none()
    scope = campaign_campuses(user)
    allowed = Q(pk__in=[])
    if scope is ALL:
        allowed = Q()
    else:
        if scope:
            allowed |= Q(campaign__campus_id__in=scope)
        if has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD):
            # (an assignment counts while its holder keeps the role, as at the desk)
            allowed |= Q(
                building_id__in=BuildingAssignment.objects.filter(user_id=user.pk).values(
                    "building_id"
                )
            )
        allowed |= Q(
            campaign__campus_id__in=Technician.objects.filter(
                user_id=user.pk, is_active=True
            ).values("campus_id")
        )
    return RoomTask.objects.filter(allowed, campaign__status=Campaign.Status.OPEN)


def visible_buildings_q(user, prefix: str = "building") -> Q:
    """Buildings of a campaign `user` may see on the board: their campaign campuses', those
    they see in the apartments app, those they work in."""
    scope = campaign_campuses(user)
    if scope is ALL:
        return Q()
    visibility = visibility_of(user)
    allowed = Q(**{f"{prefix}_id__in": []})
    if scope:
        allowed |= Q(**{f"{prefix}_id__in": Building.objects.filter(campus_id__in=scope)})
    if not visibility.nothing:
        allowed |= Q(
            **{f"{prefix}_id__in": Building.objects.filter(visibility.building_q()).values("pk")}
        )
    if has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD):
        allowed |= Q(
            **{
                f"{prefix}_id__in": BuildingAssignment.objects.filter(user_id=user.pk).values(
                    "building_id"
                )
            }
        )
    allowed |= Q(
        **{
            f"{prefix}_id__in": Building.objects.filter(
                campus_id__in=Technician.objects.filter(user_id=user.pk, is_active=True).values(
                    "campus_id"
                )
            ).values("pk")
        }
    )
    return allowed


def campaigns_for(user) -> QuerySet[Campaign]:
    """Campaigns `user` may see: of their campaign campuses, or covering a building they see."""
    if not user.is_authenticated:
        return Campaign.objects.none()
    scope = campaign_campuses(user)
    seen = Exists(RoomTask.objects.filter(visible_buildings_q(user), campaign_id=OuterRef("pk")))
    if scope is ALL:
        return Campaign.objects.all()
    return Campaign.objects.filter(seen | Q(campus_id__in=scope))


def campaign_get(user, pk: int) -> Campaign:
    return get_object_or_404(campaigns_for(user).select_related("campus"), pk=pk)


def task_get(user, pk: int) -> RoomTask:
    """A room task `user` may work, with its campaign, room and building; else 404."""
    return get_object_or_404(
        workable_tasks(user).select_related("campaign", "room", "building"), pk=pk
    )


# --- Starting and closing ----------------------------------------------------------------------


def clean_checklist(lines: Iterable[str]) -> list[str]:
    items = [line.strip() for line in lines if line and line.strip()]
    if not items:
        raise CampaignInvalid(_("Write at least one checklist item."), field="checklist")
    if len(items) > CHECKLIST_MAX_ITEMS:
        raise CampaignInvalid(
            _("A checklist has at most %(n)s items.") % {"n": CHECKLIST_MAX_ITEMS},
            field="checklist",
        )
    if any(len(item) > CHECKLIST_ITEM_MAX_LENGTH for item in items):
        raise CampaignInvalid(
            _("A checklist item has at most %(n)s characters.") % {"n": CHECKLIST_ITEM_MAX_LENGTH},
            field="checklist",
        )
    return items


@transaction.atomic
def campaign_start(
    *,
    actor: User,
    campus: Campus,
    name: str,
    buildings: Iterable[Building],
    checklist: Iterable[str],
    move_in_date: date,
) -> Campaign:
    """Start a campaign: a task per room of the buildings, and those rooms not ready until
    their checklist is done. A building already in an open campaign cannot be in a second."""
    if not may_manage(actor, campus.pk):
        raise services.NotAllowed(_("You cannot start a campaign on this campus."))
    name = (name or "").strip()[:100]
    if not name:
        raise CampaignInvalid(_("Give the campaign a name."), field="name")
    items = clean_checklist(checklist)
    building_ids = sorted({b.pk for b in buildings})
    if not building_ids:
        raise CampaignInvalid(_("Choose at least one building."), field="buildings")
    found = list(Building.objects.filter(pk__in=building_ids, campus=campus).order_by("code"))
    if len(found) != len(building_ids):
        raise CampaignInvalid(_("Choose buildings of this campus."), field="buildings")
    # Serialise starts over these buildings, so two managers cannot both take one.
    list(Building.objects.select_for_update().filter(pk__in=building_ids).order_by("pk"))
    busy = Building.objects.filter(
        pk__in=building_ids, campaigns__status=Campaign.Status.OPEN
    ).order_by("code")
    if busy:
        raise CampaignError(
            _("Already in an open campaign: %(buildings)s.")
            % {"buildings": ", ".join(b.code for b in busy)},
            field="buildings",
        )
    campaign = Campaign.objects.create(
        campus=campus, name=name, checklist=items, move_in_date=move_in_date, created_by=actor
    )
    campaign.buildings.set(found)
    rooms = Room.objects.filter(building_id__in=building_ids)
    RoomTask.objects.bulk_create(
        [
            RoomTask(campaign=campaign, room_id=room_id, building_id=building_id)
            for room_id, building_id in rooms.values_list("pk", "building_id").iterator()
        ],
        batch_size=2000,
    )
    rooms_set_ready(rooms=rooms, ready=False)
    readiness.campaigns_changed()
    audit_record(
        actor=actor,
        action="campaign.start",
        target=campaign,
        changes={"buildings": building_ids, "checklist": items},
    )
    return campaign


@transaction.atomic
def campaign_close(*, actor: User, campaign: Campaign) -> Campaign:
    """Close a campaign (after move-in day): its rooms are no longer held back by it. A room
    whose checklist was not finished becomes ready again unless it has an open repair; the
    desk's manager decides the rest by hand."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not may_manage(actor, campaign.campus_id):
        raise services.NotAllowed(_("You cannot close this campaign."))
    if campaign.status != Campaign.Status.OPEN:
        raise services.WrongStatus(_("This campaign is already closed."))
    campaign.status = Campaign.Status.CLOSED
    campaign.save(update_fields=["status"])
    readiness.campaigns_changed()
    room_ids = list(campaign.tasks.values_list("room_id", flat=True))
    open_ticket = Ticket.objects.filter(room_id=OuterRef("pk"), status__in=Ticket.OPEN)
    others = RoomTask.objects.filter(room_id=OuterRef("pk"), campaign__status=Campaign.Status.OPEN)
    rooms_set_ready(
        rooms=Room.objects.filter(pk__in=room_ids)
        .exclude(Exists(others))
        .exclude(Exists(open_ticket)),
        ready=True,
    )
    readiness.rooms_refresh(room_ids)
    audit_record(actor=actor, action="campaign.close", target=campaign)
    return campaign


# --- Working a room ------------------------------------------------------------------------------


def _locked_task(user, task: RoomTask) -> RoomTask:
    locked = (
        workable_tasks(user)
        .select_for_update(of=("self",))
        .select_related("campaign", "room", "building")
        .filter(pk=task.pk)
        .first()
    )
    if locked is None:
        raise services.NotAllowed(_("This room is not in a campaign you work in."))
    return locked


@transaction.atomic
def room_task_record(
    *, actor: User, task: RoomTask, done_items: Iterable, note: str | None = None
) -> RoomTask:
    """Record which checklist items of a room are done (the whole list, as ticked on the phone).
    The room is ready when all are and it has no open repair."""
    task = _locked_task(actor, task)
    size = len(task.campaign.checklist)
    try:
        items = sorted({int(i) for i in done_items})
    except (TypeError, ValueError):
        raise CampaignInvalid(_("Tick items of the checklist."), field="done_items") from None
    if any(i < 0 or i >= size for i in items):
        raise CampaignInvalid(_("Tick items of the checklist."), field="done_items")
    now = timezone.now()
    was_done = task.status == RoomTask.Status.DONE
    task.done_items = items
    if len(items) == size:
        task.status = RoomTask.Status.DONE
        if not was_done:
            task.done_at = now
    else:
        task.status = RoomTask.Status.IN_PROGRESS if items else RoomTask.Status.NOT_STARTED
        task.done_at = None
    if note is not None:
        task.note = note.strip()[:500]
    task.updated_by = actor
    task.updated_at = now
    task.save(update_fields=["done_items", "status", "done_at", "note", "updated_by", "updated_at"])
    readiness.rooms_refresh([task.room_id])
    audit_record(actor=actor, action="campaign.room", target=task, changes={"done_items": items})
    return task


@transaction.atomic
def room_fault_report(
    *,
    actor: User,
    task: RoomTask,
    category: Category,
    description: str,
    photos: Iterable = (),
) -> Ticket:
    """A fault found while working a room: a repair ticket for the room, linked to the campaign,
    in the dispatchers' queue like any other; the room is blocked until it is repaired."""
    task = _locked_task(actor, task)
    return services.ticket_file(
        reporter=actor,
        category=category,
        description=description,
        room=task.room,
        photos=photos,
        campaign=task.campaign,
    )


# --- Reads ---------------------------------------------------------------------------------------


class State:
    READY = "ready"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    NOT_STARTED = "not_started"


def with_state(tasks: QuerySet[RoomTask]) -> QuerySet[RoomTask]:
    """Tasks annotated with `blocked`: their room has an open ticket."""
    return tasks.annotate(
        blocked=Exists(Ticket.objects.filter(room_id=OuterRef("room_id"), status__in=Ticket.OPEN))
    )


def task_state(task: RoomTask) -> str:
    if task.blocked:
        return State.BLOCKED
    if task.status == RoomTask.Status.DONE:
        return State.READY
    if task.status == RoomTask.Status.IN_PROGRESS:
        return State.IN_PROGRESS
    return State.NOT_STARTED


@dataclass
class Forecast:
    remaining: int
    pace: float  # rooms a day over the last PACE_DAYS days
    finish: date | None  # None: no recent progress, or nothing left
    late: bool

    @property
    def done(self) -> bool:
        return self.remaining == 0


def forecast(*, remaining: int, recent: int, move_in_date: date, today: date) -> Forecast:
    """When the rooms left will be ready at the recent pace, and whether that is after the
    move-in date (no progress in the last PACE_DAYS days with rooms left: late, no date)."""
    pace = recent / PACE_DAYS
    if remaining == 0:
        return Forecast(remaining, pace, None, False)
    if pace == 0:
        return Forecast(remaining, pace, None, True)
    finish = today + timedelta(days=math.ceil(remaining / pace))
    return Forecast(remaining, pace, finish, finish > move_in_date)


@dataclass
class BoardRow:
    building_id: int
    code: str
    name: str
    name_en: str
    total: int = 0
    ready: int = 0
    in_progress: int = 0
    blocked: int = 0
    not_started: int = 0
    recent: int = 0
    forecast: Forecast | None = None

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def percent_ready(self) -> int:
        return round(100 * self.ready / self.total) if self.total else 0


@dataclass
class Board:
    campaign: Campaign
    rows: list[BoardRow]
    total: BoardRow = field(default=None)


def board(user, campaign: Campaign, *, today: date | None = None) -> Board:
    """The campaign's rooms by state per building the user may see, and a total: one query."""
    today = today or timezone.localdate()
    since = timezone.now() - timedelta(days=PACE_DAYS)
    tasks = with_state(
        RoomTask.objects.filter(visible_buildings_q(user), campaign=campaign)
    ).order_by()
    figures = tasks.values(
        "building_id", "building__code", "building__name", "building__name_en"
    ).annotate(
        total=Count("pk"),
        blocked_n=Count("pk", filter=Q(blocked=True)),
        ready=Count("pk", filter=Q(blocked=False, status=RoomTask.Status.DONE)),
        in_progress=Count("pk", filter=Q(blocked=False, status=RoomTask.Status.IN_PROGRESS)),
        not_started=Count("pk", filter=Q(blocked=False, status=RoomTask.Status.NOT_STARTED)),
        recent=Count("pk", filter=Q(status=RoomTask.Status.DONE, done_at__gte=since)),
    )
    rows = []
    total = BoardRow(0, "", _("All buildings"), _("All buildings"))
    for f in sorted(figures, key=lambda f: f["building__code"]):
        row = BoardRow(
            f["building_id"],
            f["building__code"],
            f["building__name"],
            f["building__name_en"],
            total=f["total"],
            ready=f["ready"],
            in_progress=f["in_progress"],
            blocked=f["blocked_n"],
            not_started=f["not_started"],
            recent=f["recent"],
        )
        rows.append(row)
        for name in ("total", "ready", "in_progress", "blocked", "not_started", "recent"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    for row in [*rows, total]:
        row.forecast = forecast(
            remaining=row.total - row.ready,
            recent=row.recent,
            move_in_date=campaign.move_in_date,
            today=today,
        )
    return Board(campaign, rows, total)


def campaign_summaries(user) -> list[tuple[Campaign, BoardRow]]:
    """Open campaigns the user may see with their totals (of the buildings they see), newest
    first, grouped by campus by the page: two queries."""
    campaigns = list(
        campaigns_for(user).filter(status=Campaign.Status.OPEN).select_related("campus")
    )
    if not campaigns:
        return []
    since = timezone.now() - timedelta(days=PACE_DAYS)
    today = timezone.localdate()
    figures = {
        f["campaign_id"]: f
        for f in with_state(
            RoomTask.objects.filter(visible_buildings_q(user), campaign__in=campaigns)
        )
        .order_by()
        .values("campaign_id")
        .annotate(
            total=Count("pk"),
            ready=Count("pk", filter=Q(blocked=False, status=RoomTask.Status.DONE)),
            blocked_n=Count("pk", filter=Q(blocked=True)),
            recent=Count("pk", filter=Q(status=RoomTask.Status.DONE, done_at__gte=since)),
        )
    }
    result = []
    for campaign in campaigns:
        f = figures.get(campaign.pk, {"total": 0, "ready": 0, "blocked_n": 0, "recent": 0})
        row = BoardRow(0, "", campaign.name, campaign.name)
        row.total, row.ready, row.blocked, row.recent = (
            f["total"],
            f["ready"],
            f["blocked_n"],
            f["recent"],
        )
        row.forecast = forecast(
            remaining=row.total - row.ready,
            recent=row.recent,
            move_in_date=campaign.move_in_date,
            today=today,
        )
        result.append((campaign, row))
    result.sort(key=lambda pair: (pair[0].campus.position, pair[0].campus.code, -pair[0].pk))
    return result


def building_tasks(user, campaign: Campaign, building_id: int, *, state: str = "") -> list:
    """The rooms of one building of the campaign, in floor and number order, each with its
    state, and the open tickets blocking it (`blocking`): two queries."""
    tasks = list(
        with_state(
            RoomTask.objects.filter(
                visible_buildings_q(user), campaign=campaign, building_id=building_id
            )
        )
        .select_related("room")
        .order_by("room__floor", "room__number")
    )
    blocking: dict[int, list[Ticket]] = {}
    blocked_rooms = [t.room_id for t in tasks if t.blocked]
    if blocked_rooms:
        for ticket in (
            Ticket.objects.filter(room_id__in=blocked_rooms, status__in=Ticket.OPEN)
            .select_related("category", "technician")
            .order_by("created_at")
        ):
            blocking.setdefault(ticket.room_id, []).append(ticket)
    for task in tasks:
        task.state = task_state(task)
        task.blocking = blocking.get(task.room_id, [])
    if state:
        tasks = [t for t in tasks if t.state == state]
    return tasks


def campaign_building(user, campaign: Campaign, building_id: int) -> Building:
    """A building of the campaign the user may see, or 404."""
    tasks = RoomTask.objects.filter(visible_buildings_q(user), campaign=campaign)
    return get_object_or_404(
        Building.objects.filter(pk__in=tasks.values("building_id")), pk=building_id
    )

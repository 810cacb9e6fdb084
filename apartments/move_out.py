"""Move-out (送老 / 退宿): notices to the residents they concern, residents' move-out requests,
the managers' list and the progress board of a graduating group.

Reads first (scoped to who asks), then writes (keyword-only, one transaction each, audited).
A write that cannot be done raises a MoveOutError with a message in the request's language and
the HTTP status that describes it; pages and the API map it. The demo's notice and requests are
seeded by apartments.demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apartments import notifications
from apartments.models import (
    Building,
    MoveOutNotice,
    MoveOutReason,
    MoveOutRequest,
    Resident,
    ReviewReason,
    Stay,
)
from apartments.selectors import (
    BUILDING_VIEWERS,
    apartment_head_campuses,
    buildings_for,
    visibility_of,
)
from logistics.access import ALL, has_role, roles_of
from logistics.errors import ServiceError
from logistics.models import AuditEvent, Role, User
from logistics.notifications import notify
from logistics.services import audit_record

# Who acts on requests (schedules inspections) within the buildings they see; auditors only read.
REQUEST_HANDLERS = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.DEPARTMENT_HEAD, Role.ADMIN)
# Who reads the notices on the staff side; who writes them is notice_editor_campuses()'s say.
NOTICE_READERS = BUILDING_VIEWERS
# How far ahead a resident may plan their move-out.
MAX_DAYS_AHEAD = 365
NOTE_MAX_LENGTH = 500
REQUESTS_PAGE_SIZE = 50

_REQUEST_RELATED = ("resident__campus", "stay__bed__room__building__campus")


# --- Notices: reads ----------------------------------------------------------------------------


def notice_editor_campuses(user):
    """Campuses whose notices `user` may write: ALL for administrators and heads of an
    apartments department without a campus limit, their campuses for the others, else none."""
    if not user.is_authenticated:
        return set()
    if Role.ADMIN in roles_of(user):
        return ALL
    return apartment_head_campuses(user)


def may_edit_notices(user) -> bool:
    campuses = notice_editor_campuses(user)
    return campuses is ALL or bool(campuses)


def may_edit_notice(user, notice: MoveOutNotice) -> bool:
    campuses = notice_editor_campuses(user)
    if campuses is ALL:
        return True
    return notice.campus_id is not None and notice.campus_id in campuses


def notices_for_staff(user) -> QuerySet[MoveOutNotice]:
    """Every notice (drafts too) for the staff who read them; notices are not secret."""
    if not has_role(user, *NOTICE_READERS):
        return MoveOutNotice.objects.none()
    return MoveOutNotice.objects.select_related("campus").order_by("-move_out_from", "-id")


def notices_concerning(resident: Resident, *, today: dt.date | None = None):
    """The published notices that concern `resident` and are not over: their campus (or every
    campus), their category (or every category) and their graduating group (or everyone)."""
    today = today or timezone.localdate()
    group = Q(graduation_year__isnull=True)
    if resident.graduation_year is not None:
        group |= Q(graduation_year=resident.graduation_year)
    return (
        MoveOutNotice.objects.filter(published_at__isnull=False, move_out_until__gte=today)
        .filter(Q(campus__isnull=True) | Q(campus_id=resident.campus_id))
        # JSON text match, the same on PostgreSQL and SQLite (see selectors.beds_free_for).
        .filter(Q(categories=[]) | Q(categories__icontains=f'"{resident.category}"'))
        .filter(group)
        .order_by("move_out_from", "id")
    )


def notice_title(notice: MoveOutNotice) -> str:
    """The title in the active language, falling back to Chinese (the working language)."""
    if (get_language() or "").startswith("en") and notice.title_en:
        return notice.title_en
    return notice.title


def notice_body(notice: MoveOutNotice) -> str:
    if (get_language() or "").startswith("en") and notice.body_en:
        return notice.body_en
    return notice.body


def with_text(notices):
    """Give each notice `shown_title` and `shown_body` in the active language."""
    notices = list(notices)
    for notice in notices:
        notice.shown_title = notice_title(notice)
        notice.shown_body = notice_body(notice)
    return notices


def notice_for_reader(user, pk: int) -> MoveOutNotice:
    """A notice for its page: staff who read notices see any; a resident only one that
    concerns them now; everyone else 404."""
    if has_role(user, *NOTICE_READERS):
        return get_object_or_404(notices_for_staff(user), pk=pk)
    resident = resident_of(user)
    if resident is None:
        raise Http404
    return get_object_or_404(notices_concerning(resident).select_related("campus"), pk=pk)


def home_panel_context(user) -> dict | None:
    """The service hall's move-out panel: the notices that concern this resident (None, and no
    panel, when none does)."""
    resident = resident_of(user)
    if resident is None:
        return None
    notices = with_text(notices_concerning(resident))
    if not notices:
        return None
    return {"notices": notices}


# --- Requests: reads ---------------------------------------------------------------------------


def resident_of(user) -> Resident | None:
    if not user.is_authenticated:
        return None
    return Resident.objects.select_related("campus").filter(user_id=user.pk).first()


def requests_for(user) -> QuerySet[MoveOutRequest]:
    """The requests `user` may see: a resident their own; staff who look at buildings those
    filed from a stay in the buildings they see."""
    if not user.is_authenticated:
        return MoveOutRequest.objects.none()
    allowed = Q(resident__user_id=user.pk) if has_role(user, Role.STUDENT) else Q(pk__in=[])
    requests = MoveOutRequest.objects.select_related(*_REQUEST_RELATED)
    if has_role(user, *BUILDING_VIEWERS):
        visibility = visibility_of(user)
        if visibility.everything:  # (an empty Q would vanish from the OR below)
            return requests
        if not visibility.nothing:
            allowed |= visibility.building_q("stay__bed__room__building__")
    return requests.filter(allowed)


def request_get(user, pk: int) -> MoveOutRequest:
    """One request `user` may see, or 404 (as for one that does not exist)."""
    return get_object_or_404(requests_for(user), pk=pk)


def requests_of_resident(resident: Resident) -> QuerySet[MoveOutRequest]:
    return MoveOutRequest.objects.filter(resident=resident).select_related(*_REQUEST_RELATED)


def open_request_of(resident: Resident) -> MoveOutRequest | None:
    """The resident's move-out request still under way (filed, scheduled, inspected…), if
    any: the one their clearance slip is about."""
    return requests_of_resident(resident).filter(status__in=MoveOutRequest.OPEN).first()


@dataclass(frozen=True)
class RequestFilter:
    status: str = ""
    building: Building | None = None
    planned_from: dt.date | None = None
    planned_until: dt.date | None = None
    graduation_year: int | None = None


def request_list(user, filters: RequestFilter | None = None) -> QuerySet[MoveOutRequest]:
    """Requests from the buildings `user` sees (not their own as a resident), filtered, by
    planned date."""
    visibility = visibility_of(user)
    if visibility.nothing or not has_role(user, *BUILDING_VIEWERS):
        return MoveOutRequest.objects.none()
    requests = MoveOutRequest.objects.filter(
        visibility.building_q("stay__bed__room__building__")
    ).select_related(*_REQUEST_RELATED)
    f = filters or RequestFilter()
    if f.status:
        requests = requests.filter(status=f.status)
    if f.building is not None:
        requests = requests.filter(stay__bed__room__building=f.building)
    if f.planned_from:
        requests = requests.filter(planned_date__gte=f.planned_from)
    if f.planned_until:
        requests = requests.filter(planned_date__lte=f.planned_until)
    if f.graduation_year:
        requests = requests.filter(resident__graduation_year=f.graduation_year)
    return requests.order_by("planned_date", "stay__bed__room__building__code", "id")


def request_history(move_out_request: MoveOutRequest) -> list[AuditEvent]:
    """What happened to a request, oldest first: its audit events (one query, after the
    content type, which Django caches)."""
    content_type = ContentType.objects.get_for_model(MoveOutRequest)
    return list(
        AuditEvent.objects.filter(
            target_type=content_type,
            target_id=str(move_out_request.pk),
            action__startswith="move_out.",
        ).order_by("at", "id")
    )


# --- The progress board of a graduating group ---------------------------------------------------

BOARD_STATUSES = (
    MoveOutRequest.Status.REQUESTED,
    MoveOutRequest.Status.SCHEDULED,
    MoveOutRequest.Status.INSPECTED,
    MoveOutRequest.Status.CLEARED,
    MoveOutRequest.Status.LEFT,
)


@dataclass
class BoardRow:
    building: Building | None  # None: the total row
    residents: int
    counts: dict[str, int]  # by request status (BOARD_STATUSES)
    not_requested: int

    @property
    def cells(self) -> list[int]:
        return [self.counts[s] for s in BOARD_STATUSES]

    @property
    def linked_cells(self) -> list[tuple[str, int]]:
        """(status, count) per board column: each count opens the requests behind it."""
        return [(s.value, self.counts[s]) for s in BOARD_STATUSES]

    @property
    def done_percent(self) -> int:
        left = self.counts[MoveOutRequest.Status.LEFT]
        return round(100 * left / self.residents) if self.residents else 0


def move_out_board(user, year: int) -> list[BoardRow]:
    """Per building the user sees: residents of the graduating group `year` who live there,
    by the status of their move-out request, and those who have filed none; then a total row.

    Two queries whatever the size of the group: one grouped count with conditional aggregation
    over the group's residents, one for the buildings' names. A resident counts in the
    building of their latest request's stay (they may have left it already), else of their
    current stay; residents of the group without either do not count.
    """
    buildings = buildings_for(user)
    latest = (
        MoveOutRequest.objects.filter(resident=OuterRef("pk"))
        .exclude(status=MoveOutRequest.Status.CANCELLED)
        .order_by("-created_at", "-id")
    )
    current = Stay.objects.filter(resident=OuterRef("pk"), status__in=Stay.CURRENT)
    rows = (
        Resident.objects.filter(graduation_year=year)
        .annotate(
            building_id=Coalesce(
                Subquery(latest.values("stay__bed__room__building_id")[:1]),
                Subquery(current.values("bed__room__building_id")[:1]),
            ),
            request_status=Subquery(latest.values("status")[:1]),
        )
        .filter(building_id__in=buildings.values("pk"))
        .values("building_id")
        .annotate(
            residents=Count("pk"),
            **{s.value: Count("pk", filter=Q(request_status=s.value)) for s in BOARD_STATUSES},
            not_requested=Count("pk", filter=Q(request_status__isnull=True)),
        )
        .order_by()
    )
    by_building = {row["building_id"]: row for row in rows}
    names = (
        Building.objects.filter(pk__in=by_building).select_related("campus") if by_building else []
    )
    result = []
    for building in sorted(names, key=lambda b: (b.campus.position, b.campus.code, b.code)):
        row = by_building[building.pk]
        result.append(
            BoardRow(
                building=building,
                residents=row["residents"],
                counts={s: row[s.value] for s in BOARD_STATUSES},
                not_requested=row["not_requested"],
            )
        )
    result.append(
        BoardRow(
            building=None,
            residents=sum(r.residents for r in result),
            counts={s: sum(r.counts[s] for r in result) for s in BOARD_STATUSES},
            not_requested=sum(r.not_requested for r in result),
        )
    )
    return result


def graduation_years() -> list[int]:
    """The graduating groups on record, newest first (for the board's choice)."""
    return list(
        Resident.objects.filter(graduation_year__isnull=False)
        .order_by("-graduation_year")
        .values_list("graduation_year", flat=True)
        .distinct()
    )


# --- Errors ------------------------------------------------------------------------------------


class MoveOutError(ServiceError):
    """A step of move-out that cannot be done (logistics.errors.ServiceError)."""


class MoveOutInvalid(MoveOutError):
    """Input that no state of the database makes right: a date in the past, an unknown
    reason."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


class NoActiveStay(MoveOutError):
    code = "no_active_stay"

    def __init__(self):
        super().__init__(_("You are not checked in anywhere, so there is no room to move out of."))


class RequestAlreadyOpen(MoveOutError):
    code = "already_open"

    def __init__(self):
        super().__init__(
            _("You already have a move-out request under way. Follow it, or cancel it first.")
        )


class WrongStatus(MoveOutError):
    code = "wrong_status"


# --- Requests: writes --------------------------------------------------------------------------


def planned_date_problem(planned_date: dt.date, *, today: dt.date | None = None) -> str:
    """Why `planned_date` cannot be a move-out date, or "" when it can."""
    today = today or timezone.localdate()
    if planned_date < today:
        return _("The planned date cannot be in the past.")
    if planned_date > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return _("The planned date must be within a year from today.")
    return ""


@transaction.atomic
def move_out_file(
    *,
    actor: User,
    resident: Resident,
    planned_date: dt.date,
    reason: str,
    note: str = "",
) -> MoveOutRequest:
    """File a move-out request for `resident` from their active stay. One request may be under
    way per resident; the database refuses a second one even from two requests at once."""
    problem = planned_date_problem(planned_date)
    if problem:
        raise MoveOutInvalid(problem, field="planned_date")
    if reason not in MoveOutReason.values:
        raise MoveOutInvalid(_("Choose a reason from the list."), field="reason")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise MoveOutInvalid(
            _("The note may be at most %(n)s characters long.") % {"n": NOTE_MAX_LENGTH},
            field="note",
        )
    stay = (
        Stay.objects.filter(resident=resident, status=Stay.Status.ACTIVE)
        .select_related("bed__room__building__campus")
        .first()
    )
    if stay is None:
        raise NoActiveStay()
    if MoveOutRequest.objects.filter(resident=resident, status__in=MoveOutRequest.OPEN).exists():
        raise RequestAlreadyOpen()
    review = outside_notice(resident, planned_date, reason)
    try:
        with transaction.atomic():
            request = MoveOutRequest.objects.create(
                resident=resident,
                stay=stay,
                planned_date=planned_date,
                reason=reason,
                note=note,
                review=review,
            )
    except IntegrityError as error:
        # Another request of the same resident committed in between (a double tap, two
        # devices): the partial unique constraint moveoutrequest_one_open_per_resident.
        raise RequestAlreadyOpen() from error
    if review:
        # Routed to the building's dorm managers, with the reason
        notify(
            User.objects.filter(
                building_assignments__building_id=stay.bed.room.building_id,
                building_assignments__role=Role.DORM_MANAGER,
            ).distinct(),
            notifications.MOVE_OUT_TO_REVIEW,
            url=reverse("apartments:move_out_request", args=[request.pk]),
            room=str(stay.bed.room),
            date=planned_date.isoformat(),
        )
    audit_record(
        actor=actor,
        action="move_out.file",
        target=request,
        changes={"planned_date": planned_date.isoformat(), "reason": reason, "review": review},
    )
    return request


def outside_notice(resident: Resident, planned_date: dt.date, reason: str) -> str:
    """Why a request for `planned_date` must be reviewed by a manager ("" when a notice that
    concerns the resident covers the date): no notice concerns them then, or they file for
    graduation and no graduation notice of their class covers it (a class of 2025 student
    filing for 2027-06-30 as "graduation")."""
    covering = [
        n
        for n in notices_concerning(resident, today=min(planned_date, timezone.localdate()))
        if n.move_out_from <= planned_date <= n.move_out_until
    ]
    if not covering:
        if reason == MoveOutReason.GRADUATION:
            return ReviewReason.NOT_THEIR_GRADUATION
        return ReviewReason.NO_NOTICE
    if reason == MoveOutReason.GRADUATION and not any(
        (n.graduation_year or planned_date.year) == resident.graduation_year for n in covering
    ):
        return ReviewReason.NOT_THEIR_GRADUATION
    return ""


def _locked(move_out_request: MoveOutRequest) -> MoveOutRequest:
    return (
        MoveOutRequest.objects.select_for_update(of=("self",))
        .select_related(*_REQUEST_RELATED)
        .get(pk=move_out_request.pk)
    )


@transaction.atomic
def move_out_cancel(*, actor: User, move_out_request: MoveOutRequest) -> MoveOutRequest:
    """The resident withdraws their request while nobody has acted on it yet."""
    request = _locked(move_out_request)
    if request.status != MoveOutRequest.Status.REQUESTED:
        raise WrongStatus(
            _("This request can no longer be cancelled: it is %(status)s.")
            % {"status": request.get_status_display()}
        )
    request.status = MoveOutRequest.Status.CANCELLED
    request.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="move_out.cancel", target=request)
    return request


@transaction.atomic
def move_out_schedule(
    *, actor: User, move_out_request: MoveOutRequest, inspection_at: dt.datetime
) -> MoveOutRequest:
    """Set (or move) the room inspection of a request that is requested or scheduled."""
    request = _locked(move_out_request)
    if request.status not in (MoveOutRequest.Status.REQUESTED, MoveOutRequest.Status.SCHEDULED):
        raise WrongStatus(
            _(
                "An inspection can only be scheduled for a request not yet inspected: "
                "it is %(status)s."
            )
            % {"status": request.get_status_display()}
        )
    if inspection_at < timezone.now() - dt.timedelta(hours=1):
        raise MoveOutInvalid(_("The inspection cannot be in the past."), field="inspection_at")
    previous = request.inspection_at
    request.status = MoveOutRequest.Status.SCHEDULED
    request.inspection_at = inspection_at
    request.save(update_fields=["status", "inspection_at", "updated_at"])
    notify(
        User.objects.filter(resident__pk=request.resident_id),
        notifications.MOVE_OUT_SCHEDULED,
        url=reverse("apartments:move_out_request", args=[request.pk]),
        room=str(request.stay.bed.room),
        when=formats.date_format(timezone.localtime(inspection_at), "Y-m-d H:i"),
    )
    audit_record(
        actor=actor,
        action="move_out.schedule",
        target=request,
        changes={
            "inspection_at": inspection_at.isoformat(),
            "previous": previous.isoformat() if previous else None,
        },
    )
    return request


# --- Notices: writes ---------------------------------------------------------------------------

NOTICE_FIELDS = (
    "title",
    "title_en",
    "body",
    "body_en",
    "campus",
    "categories",
    "graduation_year",
    "move_out_from",
    "move_out_until",
)


@transaction.atomic
def notice_save(*, actor: User, notice: MoveOutNotice) -> MoveOutNotice:
    """Create or update a notice whose fields a form has checked."""
    created = notice.pk is None
    if created:
        notice.created_by = actor
    notice.full_clean()
    notice.save()
    audit_record(
        actor=actor,
        action="move_out.notice_create" if created else "move_out.notice_update",
        target=notice,
    )
    return notice


@transaction.atomic
def notice_publish(*, actor: User, notice: MoveOutNotice) -> MoveOutNotice:
    if notice.published_at is None:
        notice.published_at = timezone.now()
        notice.save(update_fields=["published_at"])
        audit_record(actor=actor, action="move_out.notice_publish", target=notice)
    return notice


@transaction.atomic
def notice_unpublish(*, actor: User, notice: MoveOutNotice) -> MoveOutNotice:
    if notice.published_at is not None:
        notice.published_at = None
        notice.save(update_fields=["published_at"])
        audit_record(actor=actor, action="move_out.notice_unpublish", target=notice)
    return notice

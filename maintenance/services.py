"""Writes of a repair request's life: filing, dispatch, the technician's work, the reporter's
confirmation and rating, merging, cancelling, the supervisor's follow-up.

Every function runs in one transaction, locks the ticket row before checking its state (two
dispatchers, or a technician and a reporter, may act at the same instant), writes a timeline
event and an audit record, and tells the people concerned (maintenance.notifications).
Errors are RepairError subclasses with a message for the user and an HTTP status for the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, FilteredRelation, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.models import Building, Resident, Room, Stay
from apartments.selectors import visibility_of
from logistics.access import has_role, roles_of
from logistics.db import ModelTemplate, insert_together
from logistics.models import Role, User
from logistics.notifications import notify
from logistics.services import audit_event, audit_record
from logistics.uploads import photo_create
from maintenance import notifications as messages
from maintenance import points, readiness
from maintenance.models import (
    Campaign,
    Category,
    PublicArea,
    Technician,
    Ticket,
    TicketEvent,
    TicketPhoto,
    Urgency,
)
from maintenance.selectors import may_dispatch_campus, resident_room_id

DESCRIPTION_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 500
MAX_PHOTOS = 3
# A resident may have this many requests under way at once: enough for a bad week, not
# enough to flood the queue.
MAX_OPEN_PER_REPORTER = 10
MAX_LABOUR_MINUTES = 24 * 60


class RepairError(Exception):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


class RepairInvalid(RepairError):
    """Input no state of the database makes right."""

    status_code = 400
    code = "invalid"


class WrongStatus(RepairError):
    code = "wrong_status"


class NotAllowed(RepairError):
    """The caller may see the ticket but not do this to it (a roommate confirming a repair
    they did not report, a technician starting another's job)."""

    status_code = 403
    code = "not_allowed"


# --- Filing --------------------------------------------------------------------------------------


def place_problem(user: User, *, room: Room | None, area: PublicArea | None) -> str:
    """Why `user` may not report a fault at this place, or "". A resident reports for the room
    they live in and for any public area of their campus; staff for the places they look
    after (dispatchers their campus, dorm managers their buildings)."""
    if (room is None) == (area is None):
        return _("Choose the room or the public area of the fault.")
    campus_id = room.building.campus_id if room is not None else area.campus_id
    building = room.building if room is not None else area.building
    if has_role(user, Role.ADMIN) or may_dispatch_campus(user, campus_id):
        return ""
    visibility = visibility_of(user)
    if (
        building is not None
        and not visibility.nothing
        and Building.objects.filter(visibility.building_q(), pk=building.pk).exists()
    ):
        return ""
    if has_role(user, Role.STUDENT):
        home_room_id = resident_room_id(user)
        if room is not None:
            if room.pk == home_room_id:
                return ""
            return _("You can report faults only for the room you live in, or a public area.")
        lives_on_campus = (
            Room.objects.filter(pk=home_room_id or 0, building__campus_id=campus_id).exists()
            or Resident.objects.filter(user_id=user.pk, campus_id=campus_id).exists()
        )
        if lives_on_campus:
            return ""
    return _("You cannot report faults for this place.")


_REPORTER_MARKER = -911_888_001  # an impossible user id, where the reporter's goes


def _reporter_lock(reporter: User) -> tuple[int, int, int] | None:
    """Lock the reporter's row (SELECT … FOR UPDATE, until the transaction ends) and return
    the room they live in now as (room, building, campus) ids, or None."""
    # One join, not three subqueries: PostgreSQL planned those longer than it ran them. (A
    # model row, not values(): FOR UPDATE OF needs the user's table in the select.) Compiled
    # once per process (logistics.db.ModelTemplate): compiling it was a tenth of a filing.
    template = ModelTemplate.shared(
        "maintenance.services.reporter_lock",
        lambda: (
            User.objects.select_for_update(of=("self",))
            .filter(pk=_REPORTER_MARKER)
            .annotate(
                home=FilteredRelation(
                    "resident__stays", condition=Q(resident__stays__status=Stay.Status.ACTIVE)
                ),
                home_room=F("home__bed__room_id"),
                home_building=F("home__bed__room__building_id"),
                home_campus=F("home__bed__room__building__campus_id"),
            )
            .only("pk")
            .order_by("pk")[:1]
        ),
        {"reporter": _REPORTER_MARKER},
        using=connection.alias,
    )
    user = template.first(reporter=reporter.pk)
    row = None if user is None else (user.home_room, user.home_building, user.home_campus)
    if row is None or row[0] is None:
        return None
    return row


@transaction.atomic
def ticket_file(
    *,
    reporter: User,
    category: Category,
    description: str,
    room: Room | None = None,
    area: PublicArea | None = None,
    available_times: str = "",
    contact_phone: str = "",
    photos: Iterable = (),
    campaign: Campaign | None = None,
) -> Ticket:
    """File a repair request. `room` defaults to the reporter's own room when neither a room
    nor an area is given. Photos are uploaded files, checked by content (logistics.uploads).

    `campaign`: a fault found by a readiness campaign's room check (maintenance.campaigns,
    which has checked that the reporter works the room); the ticket is linked to it."""
    description = (description or "").strip()
    if not description:
        raise RepairInvalid(_("Describe the fault."), field="description")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise RepairInvalid(
            _("The description may be at most %(n)s characters long.")
            % {"n": DESCRIPTION_MAX_LENGTH},
            field="description",
        )
    if not category.is_active:
        raise RepairInvalid(_("This category takes no new requests."), field="category")
    available_times = (available_times or "").strip()[:200]
    contact_phone = (contact_phone or "").strip()[:30]
    photos = [p for p in photos if p]
    if len(photos) > MAX_PHOTOS:
        raise RepairInvalid(_("Attach at most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos")
    own_room = room is None and area is None
    if not own_room and campaign is None:
        problem = place_problem(reporter, room=room, area=area)
        if problem:
            raise RepairInvalid(problem, field="room" if room is not None else "area")
    # One lock per reporter serialises their filings, so the checks below hold even for a
    # double-tapped submit button; the same query finds the room they live in.
    home = _reporter_lock(reporter)
    if own_room:
        if home is None:
            raise RepairInvalid(
                _("You do not live in a room here; choose the place of the fault."),
                field="room",
            )
        room_id, building_id, campus_id = home
        if not has_role(reporter, Role.STUDENT):
            # A resident's own room needs no check; anyone else living in one (staff
            # housing) files there as staff do.
            room = Room.objects.select_related("building__campus").get(pk=room_id)
            problem = place_problem(reporter, room=room, area=None)
            if problem:
                raise RepairInvalid(problem, field="room")
    else:
        building = room.building if room is not None else area.building
        room_id = room.pk if room is not None else None
        building_id = building.pk if building is not None else None
        campus_id = building.campus_id if building is not None else area.campus_id
    # Their requests under way: a duplicate of this one, and how many (one query).
    mine = Ticket.objects.filter(reporter=reporter, status__in=Ticket.OPEN).aggregate(
        under_way=Count("pk"),
        duplicate=Max(
            "pk",
            filter=Q(
                category_id=category.pk,
                room_id=room_id,
                area_id=area.pk if area is not None else None,
            ),
        ),
    )
    if mine["duplicate"] is not None:
        raise RepairError(
            _(
                "You already reported a fault of this kind here (%(number)s); it is being "
                "handled. Add to it by replying there, or wait for it to be fixed."
            )
            % {"number": Ticket(pk=mine["duplicate"]).number},
            field="category",
        )
    # Staff working a campaign find many faults in a day; the cap is against a flood of
    # residents' requests.
    if campaign is None and mine["under_way"] >= MAX_OPEN_PER_REPORTER:
        raise RepairError(
            _("You have %(n)s repair requests under way; wait until some are done.")
            % {"n": MAX_OPEN_PER_REPORTER}
        )
    now = timezone.now()
    ticket = Ticket.objects.create(
        campus_id=campus_id,
        building_id=building_id,
        room_id=room_id,
        area=area,
        category=category,
        description=description,
        available_times=available_times,
        contact_phone=contact_phone,
        reporter=reporter,
        campaign=campaign,
        respond_by=now + timedelta(minutes=category.response_minutes),
        complete_by=now + timedelta(hours=category.completion_hours),
    )
    if room_id is not None and readiness.campaigns_open():
        # A room a readiness campaign covers is not ready while it has an open repair.
        readiness.rooms_blocked([room_id])
    if room is not None:  # the caller's objects, so reading them needs no query
        ticket.room = room
        ticket.building = room.building
    elif area is not None:
        ticket.building = area.building
    for upload in photos:
        photo = _photo(reporter, upload)
        TicketPhoto.objects.create(ticket=ticket, photo=photo, kind=TicketPhoto.Kind.FAULT)
    # The request's history and the audit trail in one round trip (filing is the portal's
    # busiest write: docs/performance.md).
    insert_together(
        TicketEvent(ticket=ticket, kind=TicketEvent.Kind.FILED, actor=reporter),
        audit_event(actor=reporter, action="repair.file", target=ticket),
    )
    return ticket


# --- Dispatch ------------------------------------------------------------------------------------


def _locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock: its state as of now, for everyone else to wait."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("category", "reporter", "technician")
        .get(pk=ticket.pk)
    )


def _require_dispatcher(user: User, ticket: Ticket) -> None:
    if not may_dispatch_campus(user, ticket.campus_id):
        raise NotAllowed(_("Only the campus's dispatchers can do this."))


@transaction.atomic
def ticket_assign(*, actor: User, ticket: Ticket, technician: User, note: str = "") -> Ticket:
    """Give the ticket to `technician` (a technician of the ticket's campus), or hand it to
    another one. Allowed until the repair is finished."""
    ticket = _locked(ticket)
    _require_dispatcher(actor, ticket)
    if ticket.status not in Ticket.OPEN:
        raise WrongStatus(_("Only a request under way can be assigned."))
    profile = Technician.objects.filter(user=technician, campus_id=ticket.campus_id).first()
    if profile is None or not profile.is_active or not technician.is_active:
        raise RepairInvalid(
            _("Choose a technician on duty on this request's campus."), field="technician"
        )
    if ticket.technician_id == technician.pk:
        raise RepairInvalid(_("The request is already assigned to them."), field="technician")
    previous = ticket.technician
    ticket.technician = technician
    ticket.assigned_at = timezone.now()
    # A job handed over mid-way waits for the new technician to start on site (the first
    # start, which kept or missed the response promise, stays on record).
    ticket.status = Ticket.Status.ASSIGNED
    ticket.save(update_fields=["technician", "assigned_at", "status", "updated_at"])
    kind = TicketEvent.Kind.REASSIGNED if previous else TicketEvent.Kind.ASSIGNED
    _event(ticket, kind, actor, note=_trim(note) or technician.display_name)
    audit_record(
        actor=actor,
        action="repair.assign",
        target=ticket,
        changes={"technician": [previous.username if previous else None, technician.username]},
    )
    _tell_followers(
        ticket, messages.ASSIGNED, technician=technician.display_name, exclude=technician
    )
    notify([technician], messages.JOB_ASSIGNED, url=_url(ticket), number=ticket.number)
    if previous is not None:
        notify([previous], messages.JOB_WITHDRAWN, url="", number=ticket.number)
    return ticket


@transaction.atomic
def ticket_set_urgency(*, actor: User, ticket: Ticket, urgency: str) -> Ticket:
    ticket = _locked(ticket)
    _require_dispatcher(actor, ticket)
    if urgency not in Urgency.values:
        raise RepairInvalid(_("Choose an urgency from the list."), field="urgency")
    if ticket.status not in Ticket.OPEN:
        raise WrongStatus(_("Only a request under way can change its urgency."))
    if ticket.urgency == urgency:
        return ticket
    ticket.urgency = urgency
    ticket.save(update_fields=["urgency", "updated_at"])
    _event(ticket, TicketEvent.Kind.URGENCY, actor, note=Urgency(urgency).label)
    audit_record(actor=actor, action="repair.urgency", target=ticket, changes={"urgency": urgency})
    return ticket


@transaction.atomic
def ticket_merge(*, actor: User, primary: Ticket, duplicates: Iterable[Ticket]) -> Ticket:
    """Merge reports of one fault into `primary`: each duplicate is closed as merged and its
    reporter follows the primary from then on (they are told of its progress)."""
    ids = sorted({d.pk for d in duplicates} - {primary.pk})
    if not ids:
        raise RepairInvalid(_("Choose at least one other request to merge."), field="duplicates")
    # Lock in id order, primary included, so two merges of overlapping sets cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .select_related("reporter", "technician")
        .filter(pk__in=[primary.pk, *ids])
        .order_by("pk")
    }
    primary = locked.get(primary.pk)
    if primary is None or len(locked) != len(ids) + 1:
        raise RepairInvalid(_("A request to merge no longer exists."), field="duplicates")
    _require_dispatcher(actor, primary)
    if primary.status not in Ticket.OPEN:
        raise WrongStatus(_("Merge into a request that is still under way."))
    for pk in ids:
        duplicate = locked[pk]
        if duplicate.campus_id != primary.campus_id:
            raise RepairInvalid(
                _("%(number)s is on another campus.") % {"number": duplicate.number},
                field="duplicates",
            )
        if duplicate.status not in Ticket.OPEN:
            raise WrongStatus(
                _("%(number)s is no longer under way.") % {"number": duplicate.number}
            )
        duplicate.status = Ticket.Status.MERGED
        duplicate.merged_into = primary
        duplicate.closed_at = timezone.now()
        duplicate.save(update_fields=["status", "merged_into", "closed_at", "updated_at"])
        # Requests merged into the duplicate earlier follow the primary now.
        Ticket.objects.filter(merged_into=duplicate).update(merged_into=primary)
        _event(duplicate, TicketEvent.Kind.MERGED, actor, note=primary.number)
        _event(primary, TicketEvent.Kind.MERGED, actor, note=duplicate.number)
        audit_record(
            actor=actor, action="repair.merge", target=duplicate, changes={"into": primary.pk}
        )
        notify(
            [duplicate.reporter],
            messages.MERGED,
            url=_url(primary),
            number=duplicate.number,
            primary=primary.number,
        )
        # The duplicate's job, if it had one, is gone (as when a request is cancelled).
        if duplicate.technician_id not in (None, primary.technician_id):
            notify([duplicate.technician], messages.JOB_WITHDRAWN, url="", number=duplicate.number)
    # A merged duplicate no longer blocks its room (the primary, still open, blocks its own).
    readiness.rooms_refresh({locked[pk].room_id for pk in ids} - {None})
    return primary


@transaction.atomic
def ticket_cancel(*, actor: User, ticket: Ticket, reason: str) -> Ticket:
    """Withdraw a request: its reporter while nobody has started on it; a dispatcher at any
    point before the repair is finished, with a reason."""
    ticket = _locked(ticket)
    reason = _trim(reason)
    is_reporter = ticket.reporter_id == actor.pk
    if may_dispatch_campus(actor, ticket.campus_id):
        if ticket.status not in Ticket.OPEN:
            raise WrongStatus(_("Only a request under way can be cancelled."))
        if not reason and not is_reporter:
            raise RepairInvalid(_("Give the reason for cancelling."), field="reason")
    elif is_reporter:
        if ticket.status not in (Ticket.Status.SUBMITTED, Ticket.Status.ASSIGNED):
            raise WrongStatus(_("Work has started; ask the dispatcher to cancel it."))
    else:
        raise NotAllowed(_("Only the reporter or a dispatcher can cancel a request."))
    ticket.status = Ticket.Status.CANCELLED
    ticket.closed_at = timezone.now()
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    if ticket.room_id is not None:
        readiness.rooms_refresh([ticket.room_id])
    _event(ticket, TicketEvent.Kind.CANCELLED, actor, note=reason)
    audit_record(actor=actor, action="repair.cancel", target=ticket, changes={"reason": reason})
    # The reporter knows; the reporters of requests merged into this one are told in any case.
    _tell_followers(ticket, messages.CANCELLED, reason=reason, exclude=actor)
    if ticket.technician is not None and ticket.technician_id != actor.pk:
        notify([ticket.technician], messages.JOB_WITHDRAWN, url="", number=ticket.number)
    return ticket


# --- The technician's work -----------------------------------------------------------------------


def _require_technician(actor: User, ticket: Ticket) -> None:
    if ticket.technician_id != actor.pk:
        raise NotAllowed(_("This job is assigned to another technician."))


@transaction.atomic
def ticket_start(*, actor: User, ticket: Ticket) -> Ticket:
    """The technician is on site and starts work: the response promise is kept or missed now."""
    ticket = _locked(ticket)
    _require_technician(actor, ticket)
    if ticket.status != Ticket.Status.ASSIGNED:
        raise WrongStatus(_("Only an assigned job can be started."))
    ticket.status = Ticket.Status.IN_PROGRESS
    if ticket.started_at is None:  # a reopened job keeps its first response time
        ticket.started_at = timezone.now()
    ticket.save(update_fields=["status", "started_at", "updated_at"])
    _event(ticket, TicketEvent.Kind.STARTED, actor)
    audit_record(actor=actor, action="repair.start", target=ticket)
    _tell_followers(ticket, messages.STARTED, technician=actor.display_name, exclude=actor)
    return ticket


@transaction.atomic
def ticket_finish(
    *,
    actor: User,
    ticket: Ticket,
    labour_minutes: int,
    work_note: str = "",
    photos: Iterable = (),
    items: Iterable = (),
) -> Ticket:
    """The job ticket is complete: labour, what was done and photos of the result (materials are
    drawn and returned while working, maintenance.stores), and the repair items done from the
    center's points table (`items`: [{"item": code, "quantity": n}], maintenance.points). The
    reporter is asked to confirm."""
    ticket = _locked(ticket)
    _require_technician(actor, ticket)
    if ticket.status != Ticket.Status.IN_PROGRESS:
        raise WrongStatus(_("Start the job before finishing it."))
    try:
        labour_minutes = int(labour_minutes)
    except (TypeError, ValueError):
        raise RepairInvalid(
            _("Enter the labour in whole minutes."), field="labour_minutes"
        ) from None
    if labour_minutes <= 0 or labour_minutes > MAX_LABOUR_MINUTES:
        raise RepairInvalid(
            _("Labour must be between 1 and %(n)s minutes.") % {"n": MAX_LABOUR_MINUTES},
            field="labour_minutes",
        )
    work_note = (work_note or "").strip()
    if len(work_note) > DESCRIPTION_MAX_LENGTH:
        raise RepairInvalid(
            _("The note may be at most %(n)s characters long.") % {"n": DESCRIPTION_MAX_LENGTH},
            field="work_note",
        )
    photos = [p for p in photos if p]
    if len(photos) > MAX_PHOTOS:
        raise RepairInvalid(_("Attach at most %(n)s photos.") % {"n": MAX_PHOTOS}, field="photos")
    try:
        items = points.clean_items(items)
    except points.ItemsInvalid as error:
        raise RepairInvalid(error.message, field="items") from None
    ticket.status = Ticket.Status.DONE
    ticket.finished_at = timezone.now()
    # Labour adds up over a reopened job's visits, in minutes and in points.
    ticket.labour_minutes += labour_minutes
    added_points = points.record_items(actor=actor, ticket=ticket, items=items)
    if work_note:
        ticket.work_note = f"{ticket.work_note}\n{work_note}".strip()
    ticket.save(
        update_fields=[
            "status",
            "finished_at",
            "labour_minutes",
            "labour_points",
            "work_note",
            "updated_at",
        ]
    )
    if ticket.room_id is not None:
        readiness.rooms_refresh([ticket.room_id])
    for upload in photos:
        photo = _photo(actor, upload)
        TicketPhoto.objects.create(ticket=ticket, photo=photo, kind=TicketPhoto.Kind.RESULT)
    _event(ticket, TicketEvent.Kind.FINISHED, actor, note=_trim(work_note))
    audit_record(
        actor=actor,
        action="repair.finish",
        target=ticket,
        changes={
            "labour_minutes": labour_minutes,
            "items": {item.code: quantity for item, quantity in items},
            "points": str(added_points),
        },
    )
    notify(
        [ticket.reporter],
        messages.FINISHED,
        url=_url(ticket),
        number=ticket.number,
        days=settings.REPAIR_CONFIRM_DAYS,
    )
    _tell_followers(ticket, messages.FINISHED_FOLLOWER, exclude=ticket.reporter)
    return ticket


# --- The reporter's judgement -------------------------------------------------------------------


def confirm_until(ticket: Ticket):
    """Until when the reporter may confirm or reopen a finished repair."""
    if ticket.finished_at is None:
        return None
    return ticket.finished_at + timedelta(days=settings.REPAIR_CONFIRM_DAYS)


def _clean_rating(rating, comment: str) -> tuple[int, str]:
    if isinstance(rating, float) and not rating.is_integer():
        raise RepairInvalid(_("Rate the repair from 1 to 5 stars."), field="rating")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise RepairInvalid(_("Rate the repair from 1 to 5 stars."), field="rating") from None
    if not 1 <= rating <= 5:
        raise RepairInvalid(_("Rate the repair from 1 to 5 stars."), field="rating")
    comment = (comment or "").strip()
    if len(comment) > NOTE_MAX_LENGTH:
        raise RepairInvalid(
            _("The comment may be at most %(n)s characters long.") % {"n": NOTE_MAX_LENGTH},
            field="comment",
        )
    return rating, comment


@transaction.atomic
def ticket_confirm(*, actor: User, ticket: Ticket, rating, comment: str = "") -> Ticket:
    """The reporter confirms the repair and rates it, or rates one confirmed automatically. A
    low rating flags the ticket for a supervisor's follow-up."""
    rating, comment = _clean_rating(rating, comment)
    ticket = _locked(ticket)
    if ticket.reporter_id != actor.pk:
        raise NotAllowed(_("Only the person who reported the fault can confirm and rate it."))
    if ticket.status == Ticket.Status.DONE:
        ticket.status = Ticket.Status.CLOSED
        ticket.closed_at = timezone.now()
        _event(ticket, TicketEvent.Kind.CONFIRMED, actor)
    elif ticket.status == Ticket.Status.CLOSED and ticket.rating is None:
        pass  # closed automatically, rated now
    elif ticket.status == Ticket.Status.CLOSED:
        raise WrongStatus(_("You have already rated this repair."))
    else:
        raise WrongStatus(_("The repair is not finished yet."))
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.rated_at = timezone.now()
    low = rating <= settings.REPAIR_FOLLOW_UP_RATING
    if low:
        ticket.follow_up_needed = True
    ticket.save(
        update_fields=[
            "status",
            "closed_at",
            "rating",
            "rating_comment",
            "rated_at",
            "follow_up_needed",
            "updated_at",
        ]
    )
    _event(ticket, TicketEvent.Kind.RATED, actor, note=f"{rating}/5 {comment}".strip())
    audit_record(actor=actor, action="repair.rate", target=ticket, changes={"rating": rating})
    if ticket.technician is not None:
        notify(
            [ticket.technician],
            messages.RATED,
            url=_url(ticket),
            number=ticket.number,
            rating=rating,
        )
    return ticket


@transaction.atomic
def ticket_reopen(*, actor: User, ticket: Ticket, reason: str) -> Ticket:
    """The reporter says the fault is not fixed: the job goes back to its technician, who
    is told, and the clock keeps running against the original promise."""
    reason = _trim(reason)
    if not reason:
        raise RepairInvalid(_("Say what is still wrong."), field="reason")
    ticket = _locked(ticket)
    if ticket.reporter_id != actor.pk:
        raise NotAllowed(_("Only the person who reported the fault can reopen it."))
    if ticket.status != Ticket.Status.DONE:
        raise WrongStatus(_("Only a repair waiting for your confirmation can be reopened."))
    if timezone.now() > confirm_until(ticket):
        raise WrongStatus(_("The time to reopen this repair has passed; file a new request."))
    ticket.status = Ticket.Status.ASSIGNED
    ticket.finished_at = None
    ticket.reopened_count += 1
    ticket.save(update_fields=["status", "finished_at", "reopened_count", "updated_at"])
    if ticket.room_id is not None:
        readiness.rooms_blocked([ticket.room_id])
    _event(ticket, TicketEvent.Kind.REOPENED, actor, note=reason)
    audit_record(actor=actor, action="repair.reopen", target=ticket, changes={"reason": reason})
    notify(
        [ticket.technician],
        messages.REOPENED,
        url=_url(ticket),
        number=ticket.number,
        reason=reason,
    )
    return ticket


def tickets_due_for_auto_confirm(now):
    """Finished repairs whose reporter did not answer within REPAIR_CONFIRM_DAYS by `now`."""
    cutoff = now - timedelta(days=settings.REPAIR_CONFIRM_DAYS)
    return Ticket.objects.filter(status=Ticket.Status.DONE, finished_at__lte=cutoff)


def auto_confirm_tickets(ids, *, now) -> int:
    """Close those of `ids` that are still due at `now` (a batch of the nightly job, in its
    transaction). They are locked and re-read first, so a reporter confirming at the same
    moment, or a second run, never gets a ticket closed twice. Returns how many were closed;
    a fixed number of statements however many."""
    due = list(
        tickets_due_for_auto_confirm(now)
        .filter(pk__in=ids)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if not due:
        return 0
    Ticket.objects.filter(pk__in=due).update(
        status=Ticket.Status.CLOSED, closed_at=now, auto_confirmed=True, updated_at=now
    )
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket_id=pk, kind=TicketEvent.Kind.AUTO_CONFIRMED) for pk in due]
    )
    return len(due)


@transaction.atomic
def auto_confirm_due(now=None) -> int:
    """Close every repair due for automatic confirmation at `now`, in one transaction (the
    nightly job does the same in committed batches)."""
    now = now or timezone.now()
    return auto_confirm_tickets(
        list(tickets_due_for_auto_confirm(now).values_list("pk", flat=True)), now=now
    )


@transaction.atomic
def ticket_follow_up(*, actor: User, ticket: Ticket, note: str) -> Ticket:
    """A supervisor records the follow-up of a low rating (回访) and clears the flag."""
    note = _trim(note)
    if not note:
        raise RepairInvalid(_("Write what the follow-up found."), field="note")
    ticket = _locked(ticket)
    _require_dispatcher(actor, ticket)
    if not ticket.follow_up_needed:
        raise WrongStatus(_("This request needs no follow-up."))
    ticket.follow_up_needed = False
    ticket.follow_up_note = note
    ticket.followed_up_at = timezone.now()
    ticket.followed_up_by = actor
    ticket.save(
        update_fields=[
            "follow_up_needed",
            "follow_up_note",
            "followed_up_at",
            "followed_up_by",
            "updated_at",
        ]
    )
    _event(ticket, TicketEvent.Kind.FOLLOWED_UP, actor, note=note)
    audit_record(actor=actor, action="repair.follow_up", target=ticket)
    return ticket


# --- Shared steps --------------------------------------------------------------------------------


def _photo(user: User, upload):
    """Store an uploaded photo (checked by content); a file that is not one is a RepairInvalid
    on the photos, like any other bad input."""
    try:
        return photo_create(uploaded_by=user, file=upload)
    except ValidationError as error:
        raise RepairInvalid(" ".join(error.messages), field="photos") from error


def _trim(text: str) -> str:
    return (text or "").strip()[:NOTE_MAX_LENGTH]


def _event(ticket: Ticket, kind: str, actor: User | None, *, note: str = "") -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, actor=actor, note=note[:500])


def _url(ticket: Ticket) -> str:
    return reverse("maintenance:ticket_detail", args=[ticket.pk])


def _tell_followers(ticket: Ticket, kind, *, exclude: User | None = None, **params) -> None:
    """Tell the reporter, and the reporters of requests merged into this one, about a step."""
    followers = [ticket.reporter]
    followers += [
        t.reporter for t in Ticket.objects.filter(merged_into=ticket).select_related("reporter")
    ]
    if exclude is not None:
        followers = [u for u in followers if u.pk != exclude.pk]
    notify(followers, kind, url=_url(ticket), number=ticket.number, **params)


def is_supervisor(user) -> bool:
    return bool(roles_of(user) & {Role.DISPATCHER, Role.DEPARTMENT_HEAD, Role.ADMIN})

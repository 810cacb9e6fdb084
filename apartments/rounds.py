"""Dorm safety rounds (日检 / 夜检) and the hazards they find, followed to the fix.

The nightly safety-inspection job (apartments.jobs) plans tomorrow's day round and night round
of every building with residents (`rounds_plan`) and escalates hazards past their deadline
(`hazards_escalate`). The building's dorm managers and shift leads walk a round on a phone and
record each room: all in order, or a finding (`round_room_record`), which is a Hazard with a
deadline set by its kind (SAFETY_HAZARD_DEADLINE_DAYS). A resident of the room, or the staff,
marks it rectified; the staff verify it on a re-check, or reopen it.

Who sees what: the staff of a building (dorm manager, shift lead) its rounds and hazards, and
they alone record, verify and reopen; heads and auditors see those of their campuses (as the
zero-report board); a resident sees the hazards of their own room and may mark them
rectified. Anyone else gets 404, as for a thing that does not exist.

Reads first, then the writes (keyword-only, one transaction, audited). A write that cannot be
done raises a RoundError with a message in the request's language and the HTTP status that
describes it; the pages and the API map it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apartments.alerts import HAZARD_ESCALATED, HAZARD_OVERDUE
from apartments.models import (
    ApplianceKind,
    Building,
    Confiscation,
    Hazard,
    HazardKind,
    Resident,
    Room,
    RoundKind,
    RoundRoom,
    SafetyRound,
    Stay,
)
from apartments.safety import residents_on
from apartments.selectors import desk_buildings_for, visibility_of
from logistics.alerts import AlertSpec, alerts_clear, alerts_raise
from logistics.errors import ServiceError
from logistics.models import Department, Photo, Role, User
from logistics.services import audit_record
from logistics.uploads import photo_from_upload, register_photo_access

NOTE_MAX_LENGTH = 2000
ITEM_MAX_LENGTH = 200
RESIDENTS_PRESENT_MAX = 50


# --- Reads -----------------------------------------------------------------------------------


def round_buildings_for(user) -> QuerySet[Building]:
    """The buildings whose rounds `user` walks: those they work in as dorm manager or shift
    lead (every one for an administrator)."""
    return desk_buildings_for(user)


def rounds_for(user) -> QuerySet[SafetyRound]:
    """The rounds `user` may see: those of the buildings they see (visibility_of)."""
    visibility = visibility_of(user)
    if visibility.nothing:
        return SafetyRound.objects.none()
    return SafetyRound.objects.filter(visibility.building_q("building__")).select_related(
        "building__campus"
    )


def round_rooms_prefetch() -> Prefetch:
    """A round's rooms, in walking order, with their open hazards: one query for any number
    of rounds."""
    return Prefetch(
        "rooms",
        queryset=RoundRoom.objects.select_related("room", "checked_by")
        .prefetch_related(
            Prefetch(
                "room__hazards",
                queryset=Hazard.objects.filter(state__in=Hazard.UNCLOSED).order_by("found_at"),
                to_attr="unclosed_hazards",
            )
        )
        .order_by("room__floor", "room__number", "pk"),
    )


def current_round(now: dt.datetime | None = None) -> tuple[dt.date, str]:
    """The round a member of staff opening the page most likely walks: the day check until
    17:00, then the night check, which runs past midnight: until NIGHTLY_DAY_ENDS_AT_HOUR in
    the morning it is still the night check of the day before (as for the nightly job)."""
    from logistics.nightly import day_ending

    local = timezone.localtime(now)
    day = day_ending(local)
    if day != local.date() or local.hour >= 17:
        return day, RoundKind.NIGHT
    return day, RoundKind.DAY


def _residents_room_ids(user):
    return Stay.objects.filter(resident__user_id=user.pk, status=Stay.Status.ACTIVE).values(
        "bed__room_id"
    )


def hazards_for(user) -> QuerySet[Hazard]:
    """The hazards `user` may see: those of the buildings they see, and a resident those of the
    room they live in."""
    if not user.is_authenticated:
        return Hazard.objects.none()
    visibility = visibility_of(user)
    hazards = Hazard.objects.select_related("room__building__campus", "found_by")
    if visibility.everything:
        return hazards
    q = Q(room_id__in=_residents_room_ids(user))
    if not visibility.nothing:
        q |= visibility.building_q("room__building__")
    return hazards.filter(q)


def hazards_of_my_room(user) -> list[Hazard]:
    """The hazards found in the room the resident lives in that are not closed yet, oldest
    first, in one query: for their home page."""
    return list(
        Hazard.objects.filter(room_id__in=_residents_room_ids(user), state__in=Hazard.UNCLOSED)
        .select_related("room__building")
        .order_by("deadline", "pk")
    )


def is_overdue(hazard: Hazard, today: dt.date | None = None) -> bool:
    return hazard.state in Hazard.UNFIXED and hazard.deadline < (today or timezone.localdate())


def overdue_q(today: dt.date | None = None) -> Q:
    return Q(state__in=Hazard.UNFIXED, deadline__lt=today or timezone.localdate())


def hazard_list(
    user, *, building: int | None = None, state: str | None = None, overdue: bool = False
) -> QuerySet[Hazard]:
    """The hazards `user` sees, filtered, most urgent first (unfixed, by deadline)."""
    hazards = hazards_for(user)
    if building is not None:
        hazards = hazards.filter(room__building_id=building)
    if state:
        hazards = hazards.filter(state=state)
    if overdue:
        hazards = hazards.filter(overdue_q())
    return hazards.order_by("deadline", "-found_at", "pk")


def may_work_on(user, building_id: int) -> bool:
    """Staff of the building: they record, verify, reopen and confiscate."""
    return round_buildings_for(user).filter(pk=building_id).exists()


def lives_in(user, room_id: int) -> bool:
    return Stay.objects.filter(
        resident__user_id=user.pk, status=Stay.Status.ACTIVE, bed__room_id=room_id
    ).exists()


def deadline_for(kind: str, found_on: dt.date) -> dt.date:
    days = settings.SAFETY_HAZARD_DEADLINE_DAYS.get(
        kind, settings.SAFETY_HAZARD_DEADLINE_DAYS["other"]
    )
    return found_on + dt.timedelta(days=days)


# --- Planning (the nightly job) --------------------------------------------------------------


def rounds_plan(day: dt.date) -> int:
    """Plan the day round and night round of `day` + 1 for every building with residents at
    the end of `day`. Returns how many rounds were created (0 when they all exist already).

    Each round lists every room with a hazard not yet closed (a re-check), and its share of
    the occupied rooms: at least one in SAFETY_ROOM_CHECK_DAYS of them each date, more when
    rooms have fallen behind (not reached on earlier rounds), least recently checked first, so
    every occupied room is checked at least every SAFETY_ROOM_CHECK_DAYS days. The date's
    share is split between the night round (the first half: residents are in, and so are
    their appliances) and the day round.

    A round is planned once: rounds that exist already are left as they are, so a second run
    for `day`, or one that meets another (the job's lock and the unique constraints
    safetyround_one_per_kind and roundroom_one_per_round), adds nothing. The caller wraps it
    in one transaction (the job's step), so a run that fails halfway leaves nothing behind and
    the next plans it all.

    Five queries whatever the number of buildings and rooms: the buildings with residents, the
    occupied rooms (with when each was last checked and whether it has a hazard to re-check),
    the insert of the rounds, the rounds just created, the insert of their rooms."""
    target = day + dt.timedelta(days=1)
    every = settings.SAFETY_ROOM_CHECK_DAYS
    buildings = list(
        Building.objects.filter(residents_on(day)).order_by("pk").values_list("pk", flat=True)
    )
    if not buildings:
        return 0
    end = _end_of(day)
    occupied = Stay.objects.filter(bed__room=OuterRef("pk"), checked_in_at__lt=end).filter(
        Q(status=Stay.Status.ACTIVE) | Q(status=Stay.Status.ENDED, ended_at__gte=end)
    )
    unclosed = Hazard.objects.filter(room=OuterRef("pk"), state__in=Hazard.UNCLOSED)
    # When the room was last on a round that reached it, or is still to walk (up to `day`):
    # rooms not reached do not count, so they come back first.
    seen = Max(
        "round_rooms__round__date",
        filter=Q(round_rooms__round__date__lte=day)
        & (
            Q(round_rooms__state__in=RoundRoom.CHECKED)
            | Q(round_rooms__state=RoundRoom.State.PENDING, round_rooms__round__date=day)
        ),
    )
    rooms = (
        Room.objects.filter(building_id__in=buildings)
        .annotate(occupied=Exists(occupied), recheck=Exists(unclosed), seen=seen)
        .filter(Q(occupied=True) | Q(recheck=True))
        .values_list("pk", "building_id", "occupied", "recheck", "seen", "floor", "number")
    )
    by_building: dict[int, list[tuple]] = {pk: [] for pk in buildings}
    for row in rooms:
        by_building.setdefault(row[1], []).append(row)

    now = timezone.now()
    SafetyRound.objects.bulk_create(
        [
            SafetyRound(building_id=pk, date=target, kind=kind, planned_at=now)
            for pk in buildings
            for kind in (RoundKind.DAY, RoundKind.NIGHT)
        ],
        ignore_conflicts=True,
    )
    # The rounds this run created (those that existed are planned already).
    fresh = {
        (r.building_id, r.kind): r.pk
        for r in SafetyRound.objects.filter(
            date=target, building_id__in=buildings, planned_at=now
        ).only("pk", "building_id", "kind")
    }
    if not fresh:
        return 0
    due_before = target - dt.timedelta(days=every)
    plan: list[RoundRoom] = []
    for building_id, rows in by_building.items():
        day_round = fresh.get((building_id, RoundKind.DAY))
        night_round = fresh.get((building_id, RoundKind.NIGHT))
        occupied_count = sum(1 for r in rows if r[2])
        # Rooms with a hazard to re-check are on every round; the others take turns.
        regular = sorted(
            (r for r in rows if r[2] and not r[3]),
            key=lambda r: (r[4] or dt.date.min, r[5], r[6], r[0]),
        )
        # Rooms last checked a full period ago must go now; rooms never checked (a new
        # building, new residents) come first but share the dates of one period.
        due = sum(1 for r in regular if r[4] is not None and r[4] <= due_before)
        chosen = regular[: max(math.ceil(occupied_count / every), due)]
        half = math.ceil(len(chosen) / 2)
        rechecks = [r for r in rows if r[3]]
        for round_id, part in ((night_round, chosen[:half]), (day_round, chosen[half:])):
            if round_id is None:
                continue
            plan += [RoundRoom(round_id=round_id, room_id=r[0]) for r in part]
            plan += [RoundRoom(round_id=round_id, room_id=r[0], recheck=True) for r in rechecks]
    RoundRoom.objects.bulk_create(plan, ignore_conflicts=True)
    return len(fresh)


def _end_of(day: dt.date) -> dt.datetime:
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(midnight, timezone.get_current_timezone())


# --- Escalation (the nightly job) ------------------------------------------------------------


def overdue_key(hazard_id: int) -> str:
    return f"hazard_overdue:{hazard_id}"


def escalated_key(hazard_id: int) -> str:
    return f"hazard_escalated:{hazard_id}"


def hazards_escalate(day: dt.date) -> int:
    """For the night of `day`: one open `hazard_overdue` alert (to the building's dorm
    managers and shift leads) per hazard still unfixed after its deadline, and one
    `hazard_escalated` alert (to the head of the department running the apartments, on the
    building's campus) per hazard still unfixed SAFETY_HAZARD_ESCALATE_DAYS days after it.
    Raising again only marks them seen; fixing a hazard clears its alerts. Returns how many
    hazards are overdue.

    Two queries (the overdue hazards with their room and building; the apartments
    department) and the kernel's fixed few, whatever the number of hazards."""
    hazards = list(
        Hazard.objects.filter(state__in=Hazard.UNFIXED, deadline__lt=day)
        .select_related("room__building")
        .order_by("pk")
    )
    if not hazards:
        return 0
    escalate_before = day - dt.timedelta(days=settings.SAFETY_HAZARD_ESCALATE_DAYS)
    department = (
        Department.objects.filter(service_areas__code="apartments")
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    specs = []
    for hazard in hazards:
        building = hazard.room.building
        url = reverse("apartments:hazard_detail", args=[hazard.pk])
        params = {
            "building": building.code,
            "room": hazard.room.number,
            "deadline": hazard.deadline.isoformat(),
        }
        specs.append(
            AlertSpec(
                kind=HAZARD_OVERDUE,
                key=overdue_key(hazard.pk),
                role=Role.DORM_MANAGER,
                campus_id=building.campus_id,
                subject=building,
                url=url,
                params=params,
            )
        )
        if hazard.deadline < escalate_before:
            specs.append(
                AlertSpec(
                    kind=HAZARD_ESCALATED,
                    key=escalated_key(hazard.pk),
                    role=Role.DEPARTMENT_HEAD,
                    campus_id=building.campus_id,
                    department_id=department,
                    subject=building,
                    url=url,
                    params={**params, "days": (day - hazard.deadline).days},
                )
            )
    alerts_raise(specs)
    return len(hazards)


# --- Errors ----------------------------------------------------------------------------------


class RoundError(ServiceError):
    """A step of the safety rounds that cannot be done (logistics.errors.ServiceError)."""


class RoundInvalid(RoundError):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


class NotFound(RoundError):
    """Not the caller's round, room or hazard: as for one that does not exist."""

    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(_("Nothing of yours has this id."))


class WrongState(RoundError):
    code = "wrong_state"


# --- Recording a room ------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    appliance: str = ""
    note: str = ""
    photo: object | None = None  # an upload (checked by PhotoField / PhotoUploadField)


def _clean_note(note: str, field: str = "note") -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise RoundInvalid(
            _("The note may be at most %(n)s characters long.") % {"n": NOTE_MAX_LENGTH},
            field=field,
        )
    return note


def _check_finding(finding: Finding) -> Finding:
    if finding.kind not in HazardKind.values:
        raise RoundInvalid(_("Choose the kind of hazard."), field="kind")
    appliance = finding.appliance or ""
    if finding.kind == HazardKind.BANNED_APPLIANCE:
        if appliance not in ApplianceKind.values:
            raise RoundInvalid(_("Say which appliance was found."), field="appliance")
    else:
        appliance = ""
    return Finding(finding.kind, appliance, _clean_note(finding.note), finding.photo)


def round_room_record(
    *,
    actor: User,
    round_room: RoundRoom,
    ok: bool,
    residents_present: int | None = None,
    finding: Finding | None = None,
) -> tuple[RoundRoom, Hazard | None]:
    """Record a room of a round: all in order (`ok`), or one finding (a Hazard). Only a room
    still to check can be recorded: a second tap (or a second phone) gets WrongState and
    changes nothing, as the room is re-read under a row lock."""
    building_id = round_room.round.building_id
    if not may_work_on(actor, building_id):
        raise NotFound()
    if residents_present is not None and not 0 <= residents_present <= RESIDENTS_PRESENT_MAX:
        raise RoundInvalid(
            _("Residents present must be a number from 0 to %(n)s.") % {"n": RESIDENTS_PRESENT_MAX},
            field="residents_present",
        )
    if not ok:
        if finding is None:
            raise RoundInvalid(_("Choose the kind of hazard."), field="kind")
        finding = _check_finding(finding)
    with transaction.atomic():
        locked = (
            RoundRoom.objects.select_for_update()
            .select_related("round", "room")
            .get(pk=round_room.pk)
        )
        if locked.state != RoundRoom.State.PENDING:
            raise WrongState(_("This room has been recorded already on this round."))
        if locked.round.finished_at is not None:
            raise WrongState(_("This round is finished."))
        now = timezone.now()
        locked.state = RoundRoom.State.OK if ok else RoundRoom.State.FINDINGS
        locked.checked_by = actor
        locked.checked_at = now
        locked.residents_present = residents_present
        locked.save(update_fields=["state", "checked_by", "checked_at", "residents_present"])
        hazard = None
        if not ok:
            hazard = Hazard.objects.create(
                room=locked.room,
                round_room=locked,
                kind=finding.kind,
                appliance=finding.appliance,
                note=finding.note,
                photo=photo_from_upload(actor, finding.photo),
                found_by=actor,
                found_at=now,
                deadline=deadline_for(finding.kind, timezone.localdate(now)),
                owner=actor,
            )
        audit_record(
            actor=actor,
            action="safety_round.record_room",
            target=locked,
            changes={
                "state": locked.state,
                "residents_present": residents_present,
                "hazard": hazard.pk if hazard else None,
            },
        )
    return locked, hazard


def round_finish(*, actor: User, safety_round: SafetyRound) -> int:
    """Finish a round: the rooms still to check are marked not reached (they come back on a
    later round). Returns how many. Finishing twice changes nothing the second time."""
    if not may_work_on(actor, safety_round.building_id):
        raise NotFound()
    with transaction.atomic():
        locked = SafetyRound.objects.select_for_update().get(pk=safety_round.pk)
        if locked.finished_at is not None:
            raise WrongState(_("This round is finished."))
        missed = RoundRoom.objects.filter(round=locked, state=RoundRoom.State.PENDING).update(
            state=RoundRoom.State.NOT_REACHED
        )
        locked.finished_at = timezone.now()
        locked.finished_by = actor
        locked.save(update_fields=["finished_at", "finished_by"])
        audit_record(
            actor=actor, action="safety_round.finish", target=locked, changes={"missed": missed}
        )
    return missed


# --- Following a hazard to the fix -----------------------------------------------------------


def _locked_hazard(hazard: Hazard) -> Hazard:
    return Hazard.objects.select_for_update().select_related("room").get(pk=hazard.pk)


def hazard_rectify(*, actor: User, hazard: Hazard, note: str = "", photo=None) -> Hazard:
    """A resident of the room, or the building's staff, says the hazard has been dealt with
    (the kettle taken home, the exit cleared). It waits for the staff to verify it."""
    if not (lives_in(actor, hazard.room_id) or may_work_on(actor, hazard.room.building_id)):
        raise NotFound()
    note = _clean_note(note)
    if not note and not photo:
        raise RoundInvalid(_("Say what was done, or add a photo."), field="note")
    with transaction.atomic():
        locked = _locked_hazard(hazard)
        if locked.state not in Hazard.UNFIXED:
            raise WrongState(_("Only an open hazard can be marked rectified."))
        locked.state = Hazard.State.RECTIFIED
        locked.rectified_at = timezone.now()
        locked.rectified_by = actor
        locked.rectification_note = note
        locked.rectification_photo = photo_from_upload(actor, photo)
        locked.save()
        audit_record(actor=actor, action="hazard.rectify", target=locked, changes={"note": note})
        alerts_clear([overdue_key(locked.pk), escalated_key(locked.pk)])
    return locked


def hazard_verify(*, actor: User, hazard: Hazard, note: str = "") -> Hazard:
    """The building's staff saw on a re-check that the hazard is gone: it is closed."""
    if not may_work_on(actor, hazard.room.building_id):
        raise NotFound()
    note = _clean_note(note)
    with transaction.atomic():
        locked = _locked_hazard(hazard)
        if locked.state != Hazard.State.RECTIFIED:
            raise WrongState(_("Only a rectified hazard can be verified."))
        locked.state = Hazard.State.VERIFIED
        locked.verified_at = timezone.now()
        locked.verified_by = actor
        locked.last_note = note
        locked.save()
        audit_record(actor=actor, action="hazard.verify", target=locked, changes={"note": note})
        alerts_clear([overdue_key(locked.pk), escalated_key(locked.pk)])
    return locked


def hazard_reopen(*, actor: User, hazard: Hazard, note: str) -> Hazard:
    """The re-check found the hazard still there: it is open again, with a new deadline."""
    if not may_work_on(actor, hazard.room.building_id):
        raise NotFound()
    note = _clean_note(note)
    if not note:
        raise RoundInvalid(_("Say what the re-check found."), field="note")
    with transaction.atomic():
        locked = _locked_hazard(hazard)
        if locked.state != Hazard.State.RECTIFIED:
            raise WrongState(_("Only a rectified hazard can be reopened."))
        locked.state = Hazard.State.REOPENED
        locked.reopened_count += 1
        locked.last_note = note
        locked.deadline = deadline_for(locked.kind, timezone.localdate())
        locked.save()
        audit_record(actor=actor, action="hazard.reopen", target=locked, changes={"note": note})
    return locked


def confiscation_record(
    *, actor: User, hazard: Hazard, item: str, resident: Resident | None = None
) -> Confiscation:
    """The staff took an appliance away from the room (没收)."""
    if not may_work_on(actor, hazard.room.building_id):
        raise NotFound()
    item = (item or "").strip()
    if not item or len(item) > ITEM_MAX_LENGTH:
        raise RoundInvalid(_("Say what was taken (at most 200 characters)."), field="item")
    if (
        resident is not None
        and not Stay.objects.filter(
            resident=resident, bed__room_id=hazard.room_id, status=Stay.Status.ACTIVE
        ).exists()
    ):
        raise RoundInvalid(_("This resident does not live in the room."), field="resident")
    with transaction.atomic():
        confiscation = Confiscation.objects.create(
            hazard=hazard, item=item, resident=resident, taken_at=timezone.now(), taken_by=actor
        )
        audit_record(
            actor=actor,
            action="hazard.confiscate",
            target=confiscation,
            changes={"item": item, "resident": resident.pk if resident else None},
        )
    return confiscation


def confiscation_return(*, actor: User, confiscation: Confiscation) -> Confiscation:
    """The appliance was given back (at the end of term, or to take home)."""
    if not may_work_on(actor, confiscation.hazard.room.building_id):
        raise NotFound()
    with transaction.atomic():
        locked = Confiscation.objects.select_for_update().get(pk=confiscation.pk)
        if locked.returned_at is not None:
            raise WrongState(_("This appliance has been returned already."))
        locked.returned_at = timezone.now()
        locked.returned_by = actor
        locked.save(update_fields=["returned_at", "returned_by"])
        audit_record(actor=actor, action="hazard.confiscation_return", target=locked, changes={})
    return locked


def room_residents(room_id: int) -> list[Resident]:
    return list(
        Resident.objects.filter(
            stays__bed__room_id=room_id, stays__status=Stay.Status.ACTIVE
        ).order_by("student_id")
    )


# --- Who may see a hazard's photos -----------------------------------------------------------


@register_photo_access
def _hazard_photos(user, photo: Photo) -> bool:
    """Whoever may see the hazard: its building's staff, heads and auditors, and the residents
    of its room."""
    return hazards_for(user).filter(Q(photo=photo) | Q(rectification_photo=photo)).exists()

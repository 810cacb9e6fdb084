"""Writes of the apartments app: move-in day (check-ins at the desks, bedding-kit checks).

Every function is keyword-only, typed and runs in one transaction; a failure raises one of the
MoveInError exceptions below and leaves nothing half-done. Pages and the API map those errors
to a message and an HTTP status (`MoveInError.status_code`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apartments import locks, notifications, selectors
from apartments.condition_reports import condition_report_ensure
from apartments.models import (
    Bed,
    BedKit,
    Building,
    Category,
    KitCheck,
    KitCheckLine,
    KitItem,
    KitType,
    Resident,
    Room,
    Stay,
)
from logistics.errors import ServiceError
from logistics.models import User
from logistics.notifications import notify
from logistics.services import audit_event, audit_record

# How often a check-in that proposes a bed tries again when another desk took the bed it
# picked in the same instant (the unique constraint refused the second one).
PROPOSAL_ATTEMPTS = 10


# --- Errors -----------------------------------------------------------------------------------


class MoveInError(ServiceError):
    """A move-in action that cannot be done, with a message for the person at the desk (already
    translated into the request's language) and the HTTP status that describes it."""


class CheckInError(MoveInError):
    """A check-in that cannot be done."""


class ResidentNotFound(CheckInError):
    status_code = 404
    code = "resident_not_found"

    def __init__(self, student_id: str):
        super().__init__(_("No resident has the student id %(id)s.") % {"id": student_id})
        self.student_id = student_id


class BedNotFound(CheckInError):
    """A bed that does not exist, or not where this desk (or this caller) may check in."""

    status_code = 404
    code = "bed_not_found"

    def __init__(self):
        super().__init__(_("No such bed here."))


class AlreadyCheckedIn(CheckInError):
    code = "already_checked_in"

    def __init__(self, stay: Stay):
        values = {
            "name": stay.resident.name,
            "id": stay.resident.student_id,
            "bed": bed_label(stay.bed),
        }
        if stay.checked_in_at:
            values["time"] = formats.date_format(
                timezone.localtime(stay.checked_in_at), "SHORT_DATETIME_FORMAT"
            )
            message = _("%(name)s (%(id)s) is already checked in: bed %(bed)s, since %(time)s.")
        else:
            message = _("%(name)s (%(id)s) is already checked in: bed %(bed)s.")
        super().__init__(message % values)
        self.stay = stay


class BedTaken(CheckInError):
    code = "bed_taken"

    def __init__(self, bed: Bed):
        super().__init__(
            _("Bed %(bed)s is already taken by another resident.") % {"bed": bed_label(bed)}
        )
        self.bed = bed


class NoFreeBed(CheckInError):
    code = "no_free_bed"

    def __init__(self, resident: Resident, building: Building | None):
        values = {
            "name": resident.name,
            "gender": resident.get_gender_display(),
            "category": resident.get_category_display(),
            "campus": resident.campus,
        }
        if building is not None:
            values["building"] = f"{building.code} {building}"
            message = _(
                "No free bed in %(building)s fits %(name)s (%(gender)s, %(category)s, "
                "campus %(campus)s)."
            )
        else:
            message = _(
                "No free bed in your buildings fits %(name)s (%(gender)s, %(category)s, "
                "campus %(campus)s)."
            )
        super().__init__(message % values)
        self.resident = resident


class WrongBuilding(CheckInError):
    code = "wrong_building"

    def __init__(self, resident: Resident, building: Building):
        super().__init__(
            _(
                "%(name)s has a bed reserved in %(building)s: please send them to that "
                "building's desk."
            )
            % {"name": resident.name, "building": f"{building.code} {building}"}
        )
        self.building = building


class KitCheckError(MoveInError):
    status_code = 400
    code = "invalid_kit_check"


def bed_label(bed: Bed) -> str:
    """Building-room-bed, e.g. S01-101-2: what is written on the key tag."""
    return str(bed)


# --- Check-in -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInPlan:
    """What a check-in would do: the resident, the bed and where the bed comes from."""

    RESERVED = "reserved"  # the bed reserved in advance
    GIVEN = "given"  # a bed the desk chose
    PROPOSED = "proposed"  # a free bed that fits, picked by the portal

    resident: Resident
    bed: Bed
    source: str
    reservation: Stay | None  # the resident's reserved stay, if any


def checkin_preview(
    *,
    student_id: str,
    bed_id: int | None = None,
    building: Building | None = None,
    buildings: QuerySet[Building] | None = None,
) -> CheckInPlan:
    """The check-in `checkin_create` would do with the same arguments, doing nothing; raises
    the same errors. For the desk's look-up: two or three queries, no locks, no writes."""
    resident = Resident.objects.select_related("campus").filter(student_id=student_id).first()
    if resident is None:
        raise ResidentNotFound(student_id)
    current = (
        Stay.objects.select_related("bed__room__building__campus", "bed__kit")
        .filter(resident=resident, status__in=Stay.CURRENT)
        .first()
    )
    return _plan(
        resident=resident,
        current=current,
        bed_id=bed_id,
        building=building,
        buildings=buildings,
        lock=False,
    )


def checkin_create(
    *,
    actor: User | None,
    student_id: str,
    bed_id: int | None = None,
    building: Building | None = None,
    buildings: QuerySet[Building] | None = None,
    key_issued: bool = True,
    kit_issued: bool = True,
) -> Stay:
    """Check a resident in: into `bed_id` if given, else the bed reserved for them, else a free
    bed that fits them (campus, gender, category, room type).

    `building` (a desk's building) and `buildings` (the caller's scope) limit the beds; a
    resident whose reservation lies outside them raises WrongBuilding. Checking into another
    bed than the reserved one cancels the reservation. Returns the active stay with its
    resident, bed, room, building and campus loaded.

    Two desks may try at the same instant: locks (apartments.locks) make them queue, and the
    unique constraints on Stay make the loser's insert fail, which becomes BedTaken or
    AlreadyCheckedIn. A proposed bed that another desk took meanwhile is replaced by the next
    free one, up to PROPOSAL_ATTEMPTS times.
    """
    conflict: _ConstraintConflict | None = None
    for _attempt in range(PROPOSAL_ATTEMPTS):
        try:
            # A transaction per attempt (a savepoint inside a caller's): a refused insert undoes
            # this attempt (a cancelled reservation included) and nothing else. Between
            # attempts nothing is written, so no transaction around them all is needed, and
            # the API's check-in saves a SAVEPOINT and its RELEASE.
            with transaction.atomic():
                return _checkin_once(
                    actor=actor,
                    student_id=student_id,
                    bed_id=bed_id,
                    building=building,
                    buildings=buildings,
                    key_issued=key_issued,
                    kit_issued=kit_issued,
                )
        except _ConstraintConflict as exc:
            conflict = exc
        plan = conflict.plan
        if conflict.which == "resident":
            stay = (
                Stay.objects.select_related("resident", "bed__room__building")
                .filter(resident=plan.resident, status=Stay.Status.ACTIVE)
                .first()
            )
            if stay is None:  # another desk gave them a bed in the same instant
                raise BedTaken(plan.bed)
            raise AlreadyCheckedIn(stay)
        if plan.source != CheckInPlan.PROPOSED:
            raise BedTaken(plan.bed)
        # The proposed bed went to another desk in the same instant: propose the next one.
    raise NoFreeBed(conflict.plan.resident, building)


class _ConstraintConflict(Exception):
    def __init__(self, which: str, plan: CheckInPlan):
        self.which = which
        self.plan = plan


def _checkin_once(
    *, actor, student_id, bed_id, building, buildings, key_issued, kit_issued
) -> Stay:
    resident = locks.resident_lock(student_id)
    if resident is None:
        raise ResidentNotFound(student_id)
    current = locks.resident_current_stay_lock(resident)
    plan = _plan(
        resident=resident,
        current=current,
        bed_id=bed_id,
        building=building,
        buildings=buildings,
        lock=True,
    )
    now = timezone.now()
    reservation = plan.reservation
    # The caller's savepoint rolls back whatever this did when the constraint refuses it.
    try:
        if reservation is not None and reservation.bed_id == plan.bed.pk:
            stay = reservation
        else:
            if reservation is not None:
                reservation.status = Stay.Status.CANCELLED
                reservation.ended_at = now
                reservation.save(update_fields=["status", "ended_at"])
            stay = Stay(resident=resident, bed=plan.bed)
        stay.status = Stay.Status.ACTIVE
        stay.checked_in_at = now
        stay.checked_in_by = actor
        stay.key_issued = key_issued
        stay.kit_issued = kit_issued
        if stay.pk:
            fields = ["status", "checked_in_at", "checked_in_by", "key_issued", "kit_issued"]
            stay.save(update_fields=fields)
        else:
            stay.save()
    except IntegrityError as exc:
        which = _violated_constraint(exc)
        if which is None:
            raise
        raise _ConstraintConflict(which, plan) from exc
    stay.resident = resident
    stay.bed = plan.bed
    if kit_issued:
        BedKit.objects.filter(bed=plan.bed).update(status=BedKit.Status.ISSUED, updated_at=now)
    record = audit_event(
        actor=actor,
        action="apartments.check_in",
        target=stay,
        changes={
            "student_id": resident.student_id,
            "bed": bed_label(plan.bed),
            "source": plan.source,
            "reservation_cancelled": reservation is not None and reservation is not stay,
            "key_issued": key_issued,
            "kit_issued": kit_issued,
        },
    )
    due_by = condition_report_ensure(stay=stay)  # the resident confirms the assets or disputes
    # them; told here, in one insert with the audit record (the resident's account came with
    # the lock)
    notify(
        [resident.user],
        notifications.CONDITION_REPORT_DUE,
        url=reverse("apartments:my_room") + "#condition-report",
        together=[record],
        room=str(plan.bed.room),
        date=due_by.isoformat(),
    )
    return stay


def _violated_constraint(exc: IntegrityError) -> str | None:
    """Which of Stay's "one current stay" constraints refused a write: "bed", "resident" or
    None. PostgreSQL names the constraint; SQLite names the column of its unique index."""
    text = str(exc)
    if "stay_one_current_per_bed" in text or "apartments_stay.bed_id" in text:
        return "bed"
    if "stay_one_current_per_resident" in text or "apartments_stay.resident_id" in text:
        return "resident"
    return None


def _plan(
    *,
    resident: Resident,
    current: Stay | None,
    bed_id: int | None,
    building: Building | None,
    buildings: QuerySet[Building] | None,
    lock: bool,
) -> CheckInPlan:
    """The rules of choosing a bed, shared by the preview and the check-in."""
    if current is not None and current.status == Stay.Status.ACTIVE:
        current.resident = resident
        raise AlreadyCheckedIn(current)
    reservation = current
    beds = selectors.beds_in(building=building, buildings=buildings)

    if bed_id is not None and (reservation is None or reservation.bed_id != bed_id):
        beds = beds.annotate(
            taken=Exists(
                Stay.objects.filter(bed=OuterRef("pk"), status__in=Stay.CURRENT).exclude(
                    resident=resident
                )
            )
        )
        bed = locks.bed_lock(beds, bed_id) if lock else beds.filter(pk=bed_id).first()
        if bed is None:
            raise BedNotFound()
        if bed.taken:
            raise BedTaken(bed)
        return CheckInPlan(resident, bed, CheckInPlan.GIVEN, reservation)

    if reservation is not None:
        reserved_bed = reservation.bed
        elsewhere = reserved_bed.room.building
        if building is not None and elsewhere.pk != building.pk:
            raise WrongBuilding(resident, elsewhere)
        if lock or buildings is not None:
            # Locked so no kit check changes the bed meanwhile; through `beds`, so a
            # reservation outside the caller's buildings is found out.
            found = (
                locks.bed_lock(beds, reserved_bed.pk)
                if lock
                else beds.filter(pk=reserved_bed.pk).first()
            )
            if found is None:
                raise WrongBuilding(resident, elsewhere)
            reserved_bed = found
        return CheckInPlan(resident, reserved_bed, CheckInPlan.RESERVED, reservation)

    bed = _propose(resident, beds, building=building, buildings=buildings, lock=lock)
    if bed is None:
        raise NoFreeBed(resident, building)
    return CheckInPlan(resident, bed, CheckInPlan.PROPOSED, None)


def _propose(resident, beds, *, building, buildings, lock: bool) -> Bed | None:
    """The first free bed that fits `resident` (selectors.beds_free_for's order), locked if
    `lock`. Searching every bed of the campus costs a sort of tens of thousands of beds at
    campus scale; the building tallies name the first few buildings with a free bed, and the
    search runs in each of them in turn (a few hundred beds), which finds the same bed: the
    proposal's order is building first. A desk's search is one building's already; staff,
    who are offered staff apartments in any building first, and a search that found nothing
    in those buildings (their free beds are in rooms never proposed, or for the other
    gender) search all the beds."""

    def first_free(candidates, mixed_rooms=True):
        free = selectors.beds_free_for(resident, candidates, mixed_rooms=mixed_rooms)
        return locks.bed_lock_first_free(free) if lock else free.first()

    if building is None and resident.category != Category.STAFF:
        if lock and connection.features.has_select_for_update_skip_locked:
            # The same search from a statement compiled once (PostgreSQL): most check-ins
            # end here.
            bed = locks.first_free_bed_lock(resident, buildings=buildings)
            if bed is not None:
                return bed
        # Mostly one query: the first building with a free bed found inside the bed search.
        bed = first_free(
            selectors.in_first_building_with_free_beds(resident, beds, buildings=buildings),
            mixed_rooms=False,
        )
        if bed is not None:
            return bed
        candidates = selectors.buildings_with_free_beds_for(resident, buildings=buildings)
        for building_id, mixed_rooms in candidates:
            bed = first_free(beds.filter(room__building_id=building_id), mixed_rooms)
            if bed is not None:
                return bed
    return first_free(beds)


# --- Bedding kits -------------------------------------------------------------------------------


@transaction.atomic
def kit_check_record(
    *, actor: User | None, bed: Bed, kit_type: KitType, passed: bool, reason: str = ""
) -> BedKit:
    """Record one check of a bed's kit for quality and quantity (验质验量).

    A passing check means a good kit is in the locker now (placed; after a failed check, the
    kit was replaced). A failed check needs a reason and counts one more failure. Either way the
    check is kept as a KitCheck row.
    """
    reason = reason.strip()
    if not passed and not reason:
        raise KitCheckError(_("A failed check needs a reason."))
    locks.building_lock(bed.room.building_id)
    kit = locks.bed_kit_lock(bed.pk)
    if kit is None:
        kit = BedKit(bed=bed, failures=0)
    kit.kit_type = kit_type
    if passed:
        kit.status = BedKit.Status.PLACED
    else:
        kit.status = BedKit.Status.FAILED
        kit.failures += 1
    kit.save()
    kit.last_check = KitCheck.objects.create(
        bed=bed,
        kit_type=kit_type,
        result=KitCheck.Result.PASSED if passed else KitCheck.Result.FAILED,
        reason="" if passed else reason,
        checked_by=actor,
    )
    return kit


@dataclass(frozen=True)
class KitLineInput:
    """What the checker found of one item of the kit's list."""

    item_id: int
    found: int
    quality_ok: bool = True
    note: str = ""


def kit_line_problem(item: KitItem, line: KitLineInput) -> str:
    """The line's shortfall in words ("" when the item passes), for the check's reason."""
    problems = []
    if line.found < item.quantity:
        problems.append(
            _("%(found)s of %(expected)s") % {"found": line.found, "expected": item.quantity}
        )
    if not line.quality_ok:
        problems.append(line.note.strip() or _("poor quality"))
    if not problems:
        return ""
    return f"{item.display_name}: {', '.join(problems)}"


@transaction.atomic
def kit_check_items(
    *, actor: User | None, bed: Bed, kit_type: KitType, lines: list[KitLineInput]
) -> BedKit:
    """Check a bed's kit item by item against the kit's list (逐一验质验量): every item of the
    list counted and looked at. The kit passes when every item is all there and of acceptable
    quality; otherwise it fails with the shortfalls as its reason. The lines are kept with the
    check; the bed's kit (and so the tallies' triggers) change as in kit_check_record."""
    items = list(kit_type.items.all())
    by_item = {line.item_id: line for line in lines}
    if len(by_item) != len(lines) or set(by_item) != {item.pk for item in items}:
        raise KitCheckError(_("Count every item of the kit's list, once each."))
    if not items:
        raise KitCheckError(_("This kit type has no list of items to check against."))
    if any(line.found < 0 or line.found > 999 for line in lines):
        raise KitCheckError(_("A quantity must be between 0 and 999."))
    problems = [p for p in (kit_line_problem(i, by_item[i.pk]) for i in items) if p]
    reason = "; ".join(problems)[:200]
    kit = kit_check_record(
        actor=actor, bed=bed, kit_type=kit_type, passed=not problems, reason=reason
    )
    KitCheckLine.objects.bulk_create(
        [
            KitCheckLine(
                kit_check=kit.last_check,
                item=item,
                expected=item.quantity,
                found=by_item[item.pk].found,
                quality_ok=by_item[item.pk].quality_ok,
                note=by_item[item.pk].note.strip()[:200],
            )
            for item in items
        ]
    )
    return kit


@transaction.atomic
def kit_check_building(
    *, actor: User | None, building: Building, kit_type: KitType, floor: int | None = None
) -> int:
    """Mark every bed of `building` (or of one floor of it) that has no kit yet as checked and
    placed, with one passing KitCheck each. Beds whose kit failed or was handed over keep their
    status. Returns how many beds were marked. A fixed handful of queries, however many beds."""
    locks.building_lock(building.pk)
    beds = Bed.objects.filter(room__building=building).filter(
        ~Exists(BedKit.objects.filter(bed=OuterRef("pk")))
    )
    if floor is not None:
        beds = beds.filter(room__floor=floor)
    bed_ids = list(beds.values_list("pk", flat=True))
    if not bed_ids:
        return 0
    BedKit.objects.bulk_create(
        [
            BedKit(bed_id=pk, kit_type=kit_type, status=BedKit.Status.PLACED, failures=0)
            for pk in bed_ids
        ]
    )
    KitCheck.objects.bulk_create(
        [
            KitCheck(bed_id=pk, kit_type=kit_type, result=KitCheck.Result.PASSED, checked_by=actor)
            for pk in bed_ids
        ]
    )
    audit_record(
        actor=actor,
        action="apartments.kit_check_building",
        target=building,
        changes={"kit_type": kit_type.code, "floor": floor, "beds": len(bed_ids)},
    )
    return len(bed_ids)


# --- Room readiness ------------------------------------------------------------------------------


def rooms_set_ready(*, rooms: QuerySet[Room] | list[int], ready: bool) -> int:
    """Mark rooms ready for residents, or not (Room.ready): the only writer of the flag. The
    maintenance app's readiness campaigns call it (the apartments app never imports theirs),
    with ids or a queryset of rooms (which may filter through maintenance's relations). One
    UPDATE, of the rooms whose flag changes; returns how many. Runs in the caller's
    transaction."""
    if not isinstance(rooms, QuerySet):
        rooms = Room.objects.filter(pk__in=list(rooms))
    return rooms.exclude(ready=ready).update(ready=ready)

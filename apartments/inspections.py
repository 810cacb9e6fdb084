"""Move-out room inspections (退宿验房), damage charges and clearance (离校手续).

A dorm manager (or shift lead) of the building, or an administrator, starts an inspection of
a room from a move-out request; every open request of the same room joins it. On the tablet
each asset is found ok, damaged or missing; a damaged or missing one is charged at the price
list (repair or replacement cost), changeable with a reason, to one or several residents of
the room. Completing it freezes it, records the assets' condition and opens the dispute
period. Keys back ends the stay; a request is cleared once keys are back and every charge of
its resident is paid or waived.

Reads first (scoped to who asks), then writes (keyword-only, one transaction, audited). Errors
are move_out.MoveOutError subclasses, so pages map them the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apartments import notifications
from apartments.assets import asset_condition_set, room_assets
from apartments.models import (
    AssetCondition,
    Charge,
    InspectionItem,
    InspectionResult,
    MoveOutRequest,
    Resident,
    Room,
    RoomInspection,
    Stay,
)
from apartments.move_out import MoveOutError, MoveOutInvalid, WrongStatus, notice_editor_campuses
from apartments.selectors import buildings_for, desk_buildings_for
from logistics.access import ALL
from logistics.models import Photo, User
from logistics.notifications import notify, notify_many
from logistics.services import audit_record
from logistics.uploads import photo_from_upload, register_photo_access

CENT = Decimal("0.01")
STARTABLE = (MoveOutRequest.Status.REQUESTED, MoveOutRequest.Status.SCHEDULED)
UNSETTLED = (Charge.Status.OPEN, Charge.Status.DISPUTED)
TEXT_MAX = 500
REASON_MAX = 200

_INSPECTION_RELATED = ("room__building__campus", "inspector")
_CHARGE_RELATED = (
    "resident",
    "item__asset__asset_type",
    "item__photo",
    "item__inspection__room__building",
)


# --- Reads -------------------------------------------------------------------------------------


def may_inspect(user, building_id: int) -> bool:
    """Inspections are done and charges settled by the building's dorm managers and shift
    leads, and by administrators (desk_buildings_for)."""
    return desk_buildings_for(user).filter(pk=building_id).exists()


def inspections_for(user) -> QuerySet[RoomInspection]:
    """Inspections of the buildings `user` sees (staff only)."""
    return RoomInspection.objects.filter(room__building__in=buildings_for(user)).select_related(
        *_INSPECTION_RELATED
    )


def inspection_get(user, pk: int) -> RoomInspection:
    return get_object_or_404(inspections_for(user), pk=pk)


def inspection_of_request(move_out_request: MoveOutRequest) -> RoomInspection | None:
    """The latest inspection the request took part in."""
    return (
        move_out_request.inspections.select_related(*_INSPECTION_RELATED)
        .order_by("-started_at", "-id")
        .first()
    )


def room_residents(inspection: RoomInspection) -> list[Resident]:
    """Who may be charged: the residents of the room's current stays and the movers of the
    inspection (whose stays may have ended since): one query."""
    return list(
        Resident.objects.filter(
            Q(stays__bed__room_id=inspection.room_id, stays__status__in=Stay.CURRENT)
            | Q(move_out_requests__inspections=inspection)
        )
        .distinct()
        .order_by("student_id")
    )


@dataclass
class InspectionRow:
    """One asset of the room on the tablet, with its item once the inspection is complete."""

    asset: object
    item: InspectionItem | None = None
    charges: list[Charge] = field(default_factory=list)

    @property
    def default_amount(self) -> Decimal:
        return self.asset.asset_type.repair_cost


def inspection_rows(inspection: RoomInspection) -> list[InspectionRow]:
    """Every asset of the room (one query) and, for a completed inspection, its item and
    charges (two more): constant in the number of assets."""
    if inspection.status == RoomInspection.Status.COMPLETED:
        items = list(
            inspection.items.select_related("asset__asset_type", "photo").prefetch_related(
                "charges__resident"
            )
        )
        return [InspectionRow(asset=i.asset, item=i, charges=list(i.charges.all())) for i in items]
    return [InspectionRow(asset=a) for a in room_assets(inspection.room)]


def charges_of(resident: Resident) -> QuerySet[Charge]:
    """The resident's charges with what they are for: one query."""
    return (
        Charge.objects.filter(resident=resident)
        .select_related(*_CHARGE_RELATED)
        .order_by("-created_at", "-id")
    )


def charges_of_request(move_out_request: MoveOutRequest) -> QuerySet[Charge]:
    """The charges of the request's inspection(s) to its resident."""
    return charges_of(move_out_request.resident).filter(item__inspection__requests=move_out_request)


def charge_get_for_staff(user, pk: int) -> Charge:
    """A charge the user may settle (their desk buildings), or 404."""
    return get_object_or_404(
        Charge.objects.select_related(*_CHARGE_RELATED).filter(
            item__inspection__room__building__in=desk_buildings_for(user)
        ),
        pk=pk,
    )


def charge_get_for_resident(user, pk: int) -> Charge:
    return get_object_or_404(
        Charge.objects.select_related(*_CHARGE_RELATED).filter(resident__user_id=user.pk), pk=pk
    )


def may_dispute(charge: Charge, *, now: dt.datetime | None = None) -> bool:
    until = charge.item.inspection.dispute_until
    return (
        charge.status == Charge.Status.OPEN
        and charge.disputed_at is None  # one dispute per charge; the answer is final
        and until is not None
        and (now or timezone.now()) <= until
    )


def unsettled_total(charges) -> Decimal:
    return sum((c.amount for c in charges if c.status in UNSETTLED), Decimal("0.00"))


@dataclass(frozen=True)
class Clearance:
    keys_returned: bool
    charges_total: Decimal
    charges_open: Decimal
    cleared: bool


def clearance_of(move_out_request: MoveOutRequest, charges: list[Charge]) -> Clearance:
    return Clearance(
        keys_returned=move_out_request.keys_returned_at is not None,
        charges_total=sum((c.amount for c in charges), Decimal("0.00")),
        charges_open=unsettled_total(charges),
        cleared=move_out_request.cleared_at is not None,
    )


def may_export_clearance(user) -> bool:
    campuses = notice_editor_campuses(user)
    return campuses is ALL or bool(campuses)


def _charge_sum(only_unsettled: bool):
    charges = Charge.objects.filter(resident=OuterRef("resident"))
    if only_unsettled:
        charges = charges.filter(status__in=UNSETTLED)
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(
        Subquery(
            charges.order_by().values("resident").annotate(s=Sum("amount")).values("s"),
            output_field=money,
        ),
        Value(Decimal("0.00")),
        output_field=money,
    )


def clearance_rows(user, *, year: int | None = None) -> QuerySet[MoveOutRequest]:
    """Requests (not cancelled) for the registrar, with `charges_total` and `charges_open` per
    resident: one query, in the campuses `user` exports (administrators and apartment heads)."""
    campuses = notice_editor_campuses(user)
    if not (campuses is ALL or campuses):
        return MoveOutRequest.objects.none()
    rows = MoveOutRequest.objects.exclude(status=MoveOutRequest.Status.CANCELLED)
    if campuses is not ALL:
        rows = rows.filter(stay__bed__room__building__campus_id__in=campuses)
    if year:
        rows = rows.filter(resident__graduation_year=year)
    return (
        rows.select_related("resident", "stay__bed__room__building")
        .annotate(charges_total=_charge_sum(False), charges_open=_charge_sum(True))
        .order_by("resident__student_id", "-created_at")
    )


@register_photo_access
def _inspection_photos(user, photo: Photo) -> bool:
    """A photo of an inspection item: the building's staff, and the residents charged for the
    item (administrators and the uploader are covered by the kernel)."""
    return InspectionItem.objects.filter(
        Q(inspection__room__building__in=buildings_for(user))
        | Q(charges__resident__user_id=user.pk),
        photo=photo,
    ).exists()


# --- Errors ------------------------------------------------------------------------------------


class InspectionFrozen(MoveOutError):
    code = "frozen"

    def __init__(self):
        super().__init__(_("This inspection is completed and can no longer be changed."))


class DisputeTooLate(MoveOutError):
    code = "too_late"

    def __init__(self):
        super().__init__(
            _("The time to dispute this charge is over; please talk to your dorm manager.")
        )


# --- Charges: the amount and its split ---------------------------------------------------------


def list_price_for(asset, result: str) -> Decimal:
    if result == InspectionResult.DAMAGED:
        return asset.asset_type.repair_cost
    if result == InspectionResult.MISSING:
        return asset.asset_type.replacement_cost
    return Decimal("0.00")


def split_equally(amount: Decimal, n: int) -> list[Decimal]:
    """`amount` in `n` shares to the cent; the remainder goes on the first."""
    share = (amount / n).quantize(CENT, rounding=ROUND_DOWN)
    return [amount - share * (n - 1)] + [share] * (n - 1)


def item_shares(
    *,
    list_price: Decimal,
    amount: Decimal | None,
    price_reason: str,
    resident_ids: list[int],
    shares: dict[int, Decimal] | None = None,
) -> dict[int, Decimal]:
    """Who pays what for one damaged or missing item: {resident id: amount}, empty for a
    charge of 0. Raises MoveOutInvalid when the amount or the split is not right."""
    amount = list_price if amount is None else amount
    if amount < 0:
        raise MoveOutInvalid(_("The amount cannot be negative."), field="amount")
    amount = amount.quantize(CENT)
    if amount != list_price and not price_reason.strip():
        raise MoveOutInvalid(
            _("Give a reason when the amount differs from the price list (%(price)s).")
            % {"price": list_price},
            field="price_reason",
        )
    if amount == 0:
        return {}
    if not resident_ids:
        raise MoveOutInvalid(_("Choose who pays for it."), field="residents")
    if len(set(resident_ids)) != len(resident_ids):
        raise MoveOutInvalid(_("Choose each resident once."), field="residents")
    given = {rid: shares[rid] for rid in resident_ids if shares and shares.get(rid) is not None}
    if not given:
        return dict(zip(resident_ids, split_equally(amount, len(resident_ids)), strict=True))
    if len(given) != len(resident_ids):
        raise MoveOutInvalid(
            _("Give a share for every resident chosen, or none for an equal split."),
            field="residents",
        )
    if any(v <= 0 for v in given.values()):
        raise MoveOutInvalid(_("Every share must be more than 0."), field="residents")
    given = {rid: v.quantize(CENT) for rid, v in given.items()}
    if sum(given.values()) != amount:
        raise MoveOutInvalid(
            _("The shares add up to %(sum)s, not %(amount)s.")
            % {"sum": sum(given.values()), "amount": amount},
            field="residents",
        )
    return given


@dataclass
class ItemInput:
    """What the inspector entered for one asset."""

    asset_id: int
    result: str = InspectionResult.OK
    note: str = ""
    photo_file: object = None  # an upload PhotoField checked; stored in the transaction
    amount: Decimal | None = None  # None: the price list
    price_reason: str = ""
    resident_ids: list[int] = field(default_factory=list)
    shares: dict[int, Decimal] | None = None


# --- Writes: inspections -----------------------------------------------------------------------


def _lock_request(move_out_request: MoveOutRequest) -> MoveOutRequest:
    return (
        MoveOutRequest.objects.select_for_update(of=("self",))
        .select_related("resident", "stay__bed__room__building")
        .get(pk=move_out_request.pk)
    )


@transaction.atomic
def inspection_start(*, actor: User, move_out_request: MoveOutRequest) -> RoomInspection:
    """Start (or join) the inspection of the room of the request's stay; every requested or
    scheduled request of the same room joins it."""
    request = _lock_request(move_out_request)
    if request.status not in STARTABLE:
        raise WrongStatus(
            _("Only a requested or scheduled move-out can be inspected: it is %(status)s.")
            % {"status": request.get_status_display()}
        )
    room = request.stay.bed.room
    # The room row serializes two tablets starting the same room's inspection.
    Room.objects.select_for_update().filter(pk=room.pk).first()
    inspection = (
        RoomInspection.objects.filter(room=room, status=RoomInspection.Status.OPEN)
        .order_by("-started_at")
        .first()
    )
    created = inspection is None
    if created:
        inspection = RoomInspection.objects.create(room=room, inspector=actor)
    joining = MoveOutRequest.objects.filter(stay__bed__room=room, status__in=STARTABLE)
    inspection.requests.add(*joining)
    audit_record(
        actor=actor,
        action="inspection.start" if created else "inspection.join",
        target=inspection,
        changes={"requests": sorted(r.pk for r in joining)},
    )
    return inspection


@transaction.atomic
def inspection_complete(
    *, actor: User, inspection: RoomInspection, items: list[ItemInput]
) -> RoomInspection:
    """Record every asset's result, make the charges, set the assets' condition, open the
    dispute period and mark the movers' requests inspected; the inspection is frozen."""
    locked = RoomInspection.objects.select_for_update().get(pk=inspection.pk)
    if locked.status != RoomInspection.Status.OPEN:
        raise InspectionFrozen()
    assets = {a.pk: a for a in room_assets(locked.room)}
    by_asset = {i.asset_id: i for i in items}
    unknown = set(by_asset) - set(assets)
    if unknown:
        raise MoveOutInvalid(_("An asset is not in this room."), field="items")
    chargeable = {r.pk for r in room_residents(locked)}
    now = timezone.now()
    charged = []
    for asset_id, asset in assets.items():
        entry = by_asset.get(asset_id) or ItemInput(asset_id=asset_id)
        if entry.result not in InspectionResult.values:
            raise MoveOutInvalid(_("Choose ok, damaged or missing."), field="result")
        item = InspectionItem.objects.create(
            inspection=locked,
            asset=asset,
            result=entry.result,
            photo=photo_from_upload(actor, entry.photo_file),
            note=entry.note.strip()[:REASON_MAX],
        )
        if entry.result == InspectionResult.OK:
            continue
        list_price = list_price_for(asset, entry.result)
        if set(entry.resident_ids) - chargeable:
            raise MoveOutInvalid(
                _("Only residents of this room can be charged."), field="residents"
            )
        shares = item_shares(
            list_price=list_price,
            amount=entry.amount,
            price_reason=entry.price_reason,
            resident_ids=entry.resident_ids,
            shares=entry.shares,
        )
        for resident_id, share in shares.items():
            charged.append(
                Charge(
                    item=item,
                    resident_id=resident_id,
                    amount=share,
                    list_price=list_price,
                    price_reason=entry.price_reason.strip()[:REASON_MAX],
                )
            )
        asset_condition_set(
            actor=actor,
            asset=asset,
            condition=AssetCondition.DAMAGED
            if entry.result == InspectionResult.DAMAGED
            else AssetCondition.MISSING,
            note=entry.note,
        )
    Charge.objects.bulk_create(charged)
    locked.status = RoomInspection.Status.COMPLETED
    locked.completed_at = now
    locked.dispute_until = now + dt.timedelta(days=settings.MOVE_OUT_DISPUTE_DAYS)
    locked.save(update_fields=["status", "completed_at", "dispute_until"])
    inspected = list(
        locked.requests.select_for_update(of=("self",))
        .filter(status__in=STARTABLE)
        .values_list("pk", flat=True)
    )
    MoveOutRequest.objects.filter(pk__in=inspected).update(
        status=MoveOutRequest.Status.INSPECTED, updated_at=now
    )
    _tell_inspected(locked, inspected, charged)
    audit_record(
        actor=actor,
        action="inspection.complete",
        target=locked,
        changes={
            "requests": inspected,
            "charges": [[c.resident_id, str(c.amount), c.item.asset.tag] for c in charged],
        },
    )
    return locked


def _tell_inspected(inspection: RoomInspection, request_ids: list[int], charged: list[Charge]):
    """Tell each charged resident their charges and the dispute period, and each mover that
    their keys are due back by their planned date: two reads, one insert."""
    room = str(inspection.room)
    totals: dict[int, tuple[int, Decimal]] = {}
    for charge in charged:
        count, total = totals.get(charge.resident_id, (0, Decimal("0.00")))
        totals[charge.resident_id] = (count + 1, total + charge.amount)
    movers = list(
        MoveOutRequest.objects.filter(pk__in=request_ids).values_list(
            "resident_id", "planned_date", "pk"
        )
    )
    users = {
        r.pk: r.user
        for r in Resident.objects.select_related("user").filter(
            pk__in={*totals, *(m[0] for m in movers)}, user__isnull=False
        )
    }
    until = formats.date_format(timezone.localtime(inspection.dispute_until), "Y-m-d H:i")
    messages = [
        (
            [users.get(resident_id)],
            notifications.INSPECTED_CHARGES,
            reverse("apartments:my_room") + "#charges",
            {"room": room, "count": count, "total": str(total), "until": until},
        )
        for resident_id, (count, total) in sorted(totals.items())
    ]
    messages += [
        (
            [users.get(resident_id)],
            notifications.KEYS_DUE,
            reverse("apartments:move_out_request", args=[pk]),
            {"room": room, "date": planned.isoformat()},
        )
        for resident_id, planned, pk in movers
    ]
    notify_many(messages)


# --- Writes: keys, clearance, leaving ----------------------------------------------------------


def _clear_if_done(actor, request: MoveOutRequest) -> bool:
    """Clear `request` (locked, inspected) when keys are back and every charge of its resident
    is paid or waived."""
    if request.status != MoveOutRequest.Status.INSPECTED or request.keys_returned_at is None:
        return False
    if Charge.objects.filter(resident_id=request.resident_id, status__in=UNSETTLED).exists():
        return False
    request.status = MoveOutRequest.Status.CLEARED
    request.cleared_at = timezone.now()
    request.save(update_fields=["status", "cleared_at", "updated_at"])
    audit_record(actor=actor, action="move_out.clear", target=request)
    return True


@transaction.atomic
def keys_return(*, actor: User, move_out_request: MoveOutRequest) -> MoveOutRequest:
    """The keys are back: the stay ends (the bed is free) and the request is cleared if no
    charge is left to settle."""
    request = _lock_request(move_out_request)
    if request.status != MoveOutRequest.Status.INSPECTED:
        raise WrongStatus(
            _("Keys are taken back after the inspection: the request is %(status)s.")
            % {"status": request.get_status_display()}
        )
    if request.keys_returned_at is not None:
        raise WrongStatus(_("The keys are already back."))
    now = timezone.now()
    request.keys_returned_at = now
    request.save(update_fields=["keys_returned_at", "updated_at"])
    ended = Stay.objects.filter(pk=request.stay_id, status=Stay.Status.ACTIVE).update(
        status=Stay.Status.ENDED, ended_at=now
    )
    audit_record(
        actor=actor, action="move_out.keys_return", target=request, changes={"stay_ended": ended}
    )
    _clear_if_done(actor, request)
    return request


def _clear_resident(actor, resident_id: int) -> None:
    for request in MoveOutRequest.objects.select_for_update(of=("self",)).filter(
        resident_id=resident_id, status=MoveOutRequest.Status.INSPECTED
    ):
        _clear_if_done(actor, request)


@transaction.atomic
def move_out_leave(*, actor: User, move_out_request: MoveOutRequest) -> MoveOutRequest:
    request = _lock_request(move_out_request)
    if request.status != MoveOutRequest.Status.CLEARED:
        raise WrongStatus(
            _("Only a cleared resident can be marked as left: the request is %(status)s.")
            % {"status": request.get_status_display()}
        )
    request.status = MoveOutRequest.Status.LEFT
    request.left_at = timezone.now()
    request.save(update_fields=["status", "left_at", "updated_at"])
    audit_record(actor=actor, action="move_out.leave", target=request)
    return request


# --- Writes: charges ---------------------------------------------------------------------------


def _lock_charge(charge: Charge) -> Charge:
    return (
        Charge.objects.select_for_update(of=("self",))
        .select_related("item__inspection", "item__asset")
        .get(pk=charge.pk)
    )


def _tell_resident(charge: Charge, kind, **params) -> None:
    notify(
        User.objects.filter(resident__pk=charge.resident_id),
        kind,
        url=reverse("apartments:my_room") + "#charges",
        tag=charge.item.asset.tag,
        **params,
    )


def _required_text(text: str, *, field_name: str, message: str, max_length: int) -> str:
    text = (text or "").strip()
    if not text:
        raise MoveOutInvalid(message, field=field_name)
    if len(text) > max_length:
        raise MoveOutInvalid(
            _("At most %(n)s characters, please.") % {"n": max_length}, field=field_name
        )
    return text


@transaction.atomic
def charge_pay(*, actor: User, charge: Charge) -> Charge:
    locked = _lock_charge(charge)
    if locked.status != Charge.Status.OPEN:
        raise WrongStatus(
            _("Only a charge to be paid can be marked paid: it is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.status = Charge.Status.PAID
    locked.settled_at, locked.settled_by = timezone.now(), actor
    locked.save(update_fields=["status", "settled_at", "settled_by"])
    audit_record(actor=actor, action="charge.pay", target=locked)
    _clear_resident(actor, locked.resident_id)
    return locked


@transaction.atomic
def charge_waive(*, actor: User, charge: Charge, reason: str) -> Charge:
    reason = _required_text(
        reason,
        field_name="reason",
        message=_("Give the reason for waiving the charge."),
        max_length=TEXT_MAX,
    )
    locked = _lock_charge(charge)
    if locked.status not in UNSETTLED:
        raise WrongStatus(
            _("This charge is already settled: it is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.status = Charge.Status.WAIVED
    locked.resolution = reason
    locked.settled_at, locked.settled_by = timezone.now(), actor
    locked.save(update_fields=["status", "resolution", "settled_at", "settled_by"])
    if locked.disputed_at is not None:  # the answer to the resident's dispute
        _tell_resident(locked, notifications.CHARGE_WAIVED, reason=reason)
    audit_record(actor=actor, action="charge.waive", target=locked, changes={"reason": reason})
    _clear_resident(actor, locked.resident_id)
    return locked


@transaction.atomic
def charge_dispute(*, actor: User, charge: Charge, text: str) -> Charge:
    """The charged resident disputes a charge to be paid, until the inspection's
    dispute_until."""
    text = _required_text(
        text,
        field_name="text",
        message=_("Say what you disagree with."),
        max_length=TEXT_MAX,
    )
    locked = _lock_charge(charge)
    if locked.status != Charge.Status.OPEN:
        raise WrongStatus(
            _("Only a charge to be paid can be disputed: it is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    if locked.disputed_at is not None:
        raise WrongStatus(_("This charge has been disputed and answered already."))
    if not may_dispute(locked):
        raise DisputeTooLate()
    locked.status = Charge.Status.DISPUTED
    locked.dispute_text = text
    locked.disputed_at = timezone.now()
    locked.save(update_fields=["status", "dispute_text", "disputed_at"])
    audit_record(actor=actor, action="charge.dispute", target=locked, changes={"text": text})
    return locked


@transaction.atomic
def charge_answer(
    *, actor: User, charge: Charge, resolution: str, amount: Decimal, price_reason: str = ""
) -> Charge:
    """The manager answers a dispute and keeps or sets the amount (a new one with a reason);
    the charge is then to be paid again. (To waive it, charge_waive.)"""
    resolution = _required_text(
        resolution,
        field_name="resolution",
        message=_("Answer the resident."),
        max_length=TEXT_MAX,
    )
    locked = _lock_charge(charge)
    if locked.status != Charge.Status.DISPUTED:
        raise WrongStatus(
            _("Only a disputed charge can be answered: it is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    amount = amount.quantize(CENT)
    if amount <= 0:
        raise MoveOutInvalid(
            _("The amount must be more than 0; waive the charge instead."), field="amount"
        )
    before = locked.amount
    if amount != before:
        locked.price_reason = _required_text(
            price_reason,
            field_name="price_reason",
            message=_("Give a reason for the new amount."),
            max_length=REASON_MAX,
        )
    locked.amount = amount
    locked.resolution = resolution
    locked.status = Charge.Status.OPEN
    locked.save(update_fields=["amount", "price_reason", "resolution", "status"])
    _tell_resident(locked, notifications.CHARGE_ANSWERED, amount=str(amount), answer=resolution)
    audit_record(
        actor=actor,
        action="charge.answer",
        target=locked,
        changes={"amount": [str(before), str(amount)], "resolution": resolution},
    )
    return locked

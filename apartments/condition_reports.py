"""Move-in condition reports (入住物品确认): after check-in the resident confirms their room's
asset list, or disputes items with a note and a photo, within settings.CONDITION_REPORT_DAYS;
the building's staff resolve disputes, correcting the books where the resident was right.
What move-out is later judged against.

A report opens with the check-in (`condition_report_ensure`, called by `checkin_create`). One
the resident does not answer by `due_by` stays pending and counts as accepted: the list as
it stood is what move-out compares with.

Services and selectors of the feature live here; pages in apartments/views/condition_reports.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apartments import notifications
from apartments.assets import asset_condition_set
from apartments.models import (
    Asset,
    AssetCondition,
    ConditionItem,
    ConditionReport,
    Stay,
)
from apartments.selectors import desk_buildings_for
from logistics.access import has_role
from logistics.errors import ServiceError
from logistics.models import Photo, Role, User
from logistics.notifications import notify
from logistics.services import audit_record
from logistics.uploads import photo_from_upload, register_photo_access

# Who resolves disputes: the staff working a building (desk_buildings_for) and administrators.
RESOLVERS = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)

# What a manager may set a disputed fitting to when the resident was right.
RESOLUTION_CONDITIONS = (
    AssetCondition.GOOD,
    AssetCondition.WORN,
    AssetCondition.DAMAGED,
    AssetCondition.MISSING,
)


# --- Errors ------------------------------------------------------------------------------------


class ConditionReportError(ServiceError):
    """A condition-report action that cannot be done, with a message for the user (already
    translated)."""


# --- Selectors ---------------------------------------------------------------------------------


def is_overdue(report: ConditionReport, *, today: dt.date | None = None) -> bool:
    """A pending report past its due date: not answered in time, so treated as accepted."""
    today = today or timezone.localdate()
    return report.status == ConditionReport.Status.PENDING and today > report.due_by


def _items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=ConditionItem.objects.select_related("asset__asset_type").order_by("asset__tag"),
    )


def report_of_stay(stay: Stay) -> ConditionReport | None:
    """The stay's report with its disputed items, their assets and types: two queries (one
    when there is no report)."""
    return ConditionReport.objects.filter(stay=stay).prefetch_related(_items()).first()


def resident_report_get(user, pk: int) -> ConditionReport:
    """The report `pk` of `user`'s own stay with its room, or 404 (also for someone else's)."""
    return get_object_or_404(
        ConditionReport.objects.select_related("stay__bed__room__building"),
        pk=pk,
        stay__resident__user_id=user.pk,
    )


def reports_for_staff(user) -> QuerySet[ConditionReport]:
    """Reports of the buildings whose staff `user` is (desk_buildings_for)."""
    return ConditionReport.objects.filter(stay__bed__room__building__in=desk_buildings_for(user))


def disputed_reports(user) -> QuerySet[ConditionReport]:
    """Disputed reports of the user's buildings, oldest answer first, with resident, room,
    building and the items with their assets and types: two queries in all."""
    return (
        reports_for_staff(user)
        .filter(status=ConditionReport.Status.DISPUTED)
        .select_related("stay__resident", "stay__bed__room__building")
        .prefetch_related(_items())
        .order_by("answered_at", "pk")
    )


def disputed_count(user) -> int:
    return reports_for_staff(user).filter(status=ConditionReport.Status.DISPUTED).count()


def staff_report_get(user, pk: int) -> ConditionReport:
    """A report of one of the user's buildings, or 404."""
    return get_object_or_404(
        reports_for_staff(user).select_related("stay__resident", "stay__bed__room__building"),
        pk=pk,
    )


# --- Services ----------------------------------------------------------------------------------


def condition_report_open(*, stay: Stay) -> ConditionReport:
    """Open the pending report of a checked-in stay, due CONDITION_REPORT_DAYS after the
    check-in date; the existing one when it is already open. Two queries, no savepoint."""
    condition_report_ensure(stay=stay)
    report = ConditionReport.objects.get(stay_id=stay.pk)
    report.stay = stay  # also caches stay.condition_report
    return report


def condition_report_ensure(*, stay: Stay) -> dt.date:
    """condition_report_open without reading the report back: one query, for checkin_create,
    which runs it inside its transaction and has no use for the report itself."""
    if stay.checked_in_at is None:
        raise ValueError("a condition report opens with the check-in")
    due_by = timezone.localdate(stay.checked_in_at) + dt.timedelta(
        days=settings.CONDITION_REPORT_DAYS
    )
    # Insert-or-nothing in one statement: safe to run twice, and under concurrent calls.
    # (By stay_id: an unsaved instance must not land in the stay's reverse cache.)
    ConditionReport.objects.bulk_create(
        [ConditionReport(stay_id=stay.pk, due_by=due_by)], ignore_conflicts=True
    )
    return due_by


def _locked(report: ConditionReport) -> ConditionReport:
    return (
        ConditionReport.objects.select_for_update(of=("self",))
        .select_related("stay__bed__room__building")
        .get(pk=report.pk)
    )


def _check_answerable(actor: User, report: ConditionReport) -> None:
    if report.stay.resident.user_id != actor.pk:
        raise ConditionReportError(_("Only the resident can answer their condition report."))
    if report.status != ConditionReport.Status.PENDING:
        raise ConditionReportError(_("This condition report has already been answered."))
    if is_overdue(report):
        raise ConditionReportError(
            _(
                "The time to answer ended on %(date)s: the asset list as it stands is taken "
                "as accepted. If something is wrong, tell your dorm manager."
            )
            % {"date": formats.date_format(report.due_by, "SHORT_DATE_FORMAT")}
        )


def _locked_for_answer(report: ConditionReport) -> ConditionReport:
    return (
        ConditionReport.objects.select_for_update(of=("self",))
        .select_related("stay__resident", "stay__bed__room")
        .get(pk=report.pk)
    )


@transaction.atomic
def condition_report_confirm(*, actor: User, report: ConditionReport) -> ConditionReport:
    """The resident says everything is as listed."""
    locked = _locked_for_answer(report)
    _check_answerable(actor, locked)
    locked.status = ConditionReport.Status.CONFIRMED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    audit_record(actor=actor, action="apartments.condition_report_confirm", target=locked)
    return locked


@transaction.atomic
def condition_report_dispute(
    *,
    actor: User,
    report: ConditionReport,
    items: Iterable[tuple[Asset, str, object | None]],
) -> ConditionReport:
    """The resident says some fittings are not as listed: for each, the asset, a note and an
    optional photo (an uploaded file, checked and re-encoded by logistics.uploads)."""
    locked = _locked_for_answer(report)
    _check_answerable(actor, locked)
    items = list(items)
    if not items:
        raise ConditionReportError(_("Choose at least one item that is not as listed."))
    max_note = ConditionItem._meta.get_field("note").max_length
    seen: set[int] = set()
    for asset, note, _photo in items:
        if asset.room_id != locked.stay.bed.room_id:
            raise ConditionReportError(_("That item is not in your room."))
        if asset.pk in seen:
            raise ConditionReportError(_("Each item can be listed only once."))
        seen.add(asset.pk)
        note = (note or "").strip()
        if not note:
            raise ConditionReportError(_("Say what is wrong with %(tag)s.") % {"tag": asset.tag})
        if len(note) > max_note:
            raise ConditionReportError(
                _("The note on %(tag)s is longer than %(limit)s characters.")
                % {"tag": asset.tag, "limit": max_note}
            )
    created = ConditionItem.objects.bulk_create(
        [
            ConditionItem(
                report=locked,
                asset=asset,
                note=note.strip(),
                photo=photo_from_upload(actor, photo),
            )
            for asset, note, photo in items
        ]
    )
    locked.status = ConditionReport.Status.DISPUTED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    audit_record(
        actor=actor,
        action="apartments.condition_report_dispute",
        target=locked,
        changes={
            "items": [
                {"tag": item.asset.tag, "note": item.note, "photo": item.photo_id}
                for item in created
            ]
        },
    )
    return locked


@transaction.atomic
def condition_report_resolve(
    *,
    actor: User,
    report: ConditionReport,
    resolution: str,
    conditions: dict[int, str] | None = None,
) -> ConditionReport:
    """The building's staff settle a dispute with a written resolution and, where the resident
    was right, the disputed fittings' corrected conditions ({asset id: condition}), so that
    move-out is judged against the corrected list."""
    locked = _locked(report)
    if not desk_buildings_for(actor).filter(pk=locked.stay.bed.room.building_id).exists():
        raise ConditionReportError(_("Only the staff of the building can resolve this dispute."))
    if locked.status != ConditionReport.Status.DISPUTED:
        raise ConditionReportError(_("This condition report has no open dispute."))
    resolution = (resolution or "").strip()
    if not resolution:
        raise ConditionReportError(_("Write how the dispute was resolved."))
    max_resolution = ConditionReport._meta.get_field("resolution").max_length
    if len(resolution) > max_resolution:
        raise ConditionReportError(
            _("The resolution is longer than %(limit)s characters.") % {"limit": max_resolution}
        )
    conditions = {int(k): v for k, v in (conditions or {}).items() if v}
    disputed = {item.asset_id: item for item in locked.items.select_related("asset")}
    for asset_id, condition in conditions.items():
        if asset_id not in disputed:
            raise ConditionReportError(_("Only the disputed items can be changed here."))
        if condition not in RESOLUTION_CONDITIONS:
            raise ConditionReportError(_("Choose a condition from the list."))
    changed = {}
    for asset_id, condition in sorted(conditions.items()):
        item = disputed[asset_id]
        before = item.asset.condition
        asset_condition_set(actor=actor, asset=item.asset, condition=condition)
        if before != condition:
            changed[item.asset.tag] = [before, condition]
    locked.status = ConditionReport.Status.RESOLVED
    locked.resolution = resolution
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    notify(
        User.objects.filter(resident__pk=locked.stay.resident_id),
        notifications.CONDITION_REPORT_RESOLVED,
        url=reverse("apartments:my_room") + "#condition-report",
        room=str(locked.stay.bed.room),
        resolution=resolution,
    )
    audit_record(
        actor=actor,
        action="apartments.condition_report_resolve",
        target=locked,
        changes={"resolution": resolution, "conditions": changed},
    )
    return locked


# --- Who may see a condition-item photo --------------------------------------------------------


@register_photo_access
def _building_staff_see_condition_photos(user, photo: Photo) -> bool:
    """The staff of the report's building (the uploader and administrators are built in)."""
    if not has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD):
        return False
    return ConditionItem.objects.filter(
        photo=photo, report__stay__bed__room__building__in=desk_buildings_for(user)
    ).exists()

"""What a resident meets every day: the home page's "waiting for you" items of apartments, and
the parts of "My room" that apartments owns (roommates, the room's assets; the charges come
from the inspection_tags' my_charges, as on the move-out page).

The room's repairs on "My room" are maintenance's part: it adds them as a hall panel on the
"my_room" page (logistics.hall), so apartments never imports maintenance.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apartments.models import Asset, Charge, ConditionReport, Stay
from logistics.waiting import WaitingItem


def waiting_items(user) -> list[WaitingItem]:
    """A condition report to accept and charges still open to dispute: two queries."""
    today = timezone.localdate()
    items = []
    report = (
        ConditionReport.objects.filter(
            stay__resident__user_id=user.pk,
            stay__status=Stay.Status.ACTIVE,
            status=ConditionReport.Status.PENDING,
            due_by__gte=today,
        )
        .only("pk", "due_by")
        .first()
    )
    if report is not None:
        items.append(
            WaitingItem(
                text=_("Check your room's condition report: accept it or say what is wrong."),
                url=reverse("apartments:my_room") + "#condition-report",
                icon="clipboard-check",
                tone="warning",
                due=_("by %(date)s") % {"date": formats.date_format(report.due_by, "Y-m-d")},
            )
        )
    charges = list(
        Charge.objects.filter(
            resident__user_id=user.pk,
            status=Charge.Status.OPEN,
            disputed_at__isnull=True,
            item__inspection__dispute_until__gte=timezone.now(),
        )
        .select_related("item__asset__asset_type", "item__inspection")
        .order_by("item__inspection__dispute_until", "pk")
    )
    for charge in charges:
        until = timezone.localtime(charge.item.inspection.dispute_until)
        items.append(
            WaitingItem(
                text=_("A charge of %(amount)s yuan for %(item)s: pay it, or dispute it in time.")
                % {"amount": charge.amount, "item": charge.item.asset.asset_type.display_name},
                url=reverse("apartments:my_room") + "#charges",
                icon="cash-coin",
                tone="warning",
                due=_("dispute by %(date)s") % {"date": formats.date_format(until, "Y-m-d")},
            )
        )
    return items


def roommates(stay: Stay) -> list[Stay]:
    """The other current stays of the stay's room (reserved or checked in), by bed: one
    query. Only the name and the bed: what a roommate may know of another."""
    return list(
        Stay.objects.filter(bed__room_id=stay.bed.room_id, status__in=Stay.CURRENT)
        .exclude(pk=stay.pk)
        .select_related("bed")
        .only("status", "bed__number", "resident__name")
        .select_related("resident")
        .order_by("bed__number")
    )


def room_assets(stay: Stay) -> list[Asset]:
    """The room's fittings with their type and condition, by type and tag: one query."""
    return list(
        Asset.objects.filter(room_id=stay.bed.room_id)
        .select_related("asset_type")
        .order_by("asset_type__code", "tag")
    )

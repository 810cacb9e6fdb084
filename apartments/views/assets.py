"""Room assets (固定资产): the damage price list, a room's assets, a building's asset summary
and its Excel export, and the storerooms. Reads only; the writes are the import, the admin
and the inspections."""

from itertools import groupby

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apartments import assets, selectors
from apartments.models import AssetCondition
from logistics.access import role_required
from logistics.spreadsheets import XlsxWriter


@require_GET
@role_required(*selectors.BUILDING_VIEWERS)
def price_list(request):
    """The damage price list; ?print=1 gives the page without the portal's navigation."""
    template = "apartments/asset_prices_print.html" if request.GET.get("print") else None
    return render(
        request,
        template or "apartments/asset_prices.html",
        {"asset_types": list(assets.asset_types()), "today": timezone.localdate()},
    )


@require_GET
@role_required(*selectors.BUILDING_VIEWERS)
def room_assets(request, room_id: int):
    room = assets.room_get(request.user, room_id)
    items = list(assets.room_assets(room))
    return render(
        request,
        "apartments/asset_room.html",
        {
            "room": room,
            "building": room.building,
            "assets": items,
            "attention": [a for a in items if a.condition in assets.NEEDS_ATTENTION],
        },
    )


@require_GET
@role_required(*selectors.BUILDING_VIEWERS)
def building_assets(request, pk: int):
    building = selectors.building_get(request.user, pk)
    summary = assets.building_asset_summary(building)
    flagged = [
        (floor, list(rooms))
        for floor, rooms in groupby(summary.flagged_rooms, key=lambda r: r.floor)
    ]
    return render(
        request,
        "apartments/asset_building.html",
        {
            "building": building,
            "summary": summary,
            "flagged_floors": flagged,
            "conditions": AssetCondition.choices,
        },
    )


@require_GET
@role_required(*selectors.BUILDING_VIEWERS)
def building_assets_export(request, pk: int):
    building = selectors.building_get(request.user, pk)
    rows = assets.building_assets_export_rows(building)
    sheet = XlsxWriter(f"{building.code} assets", rows[0])
    for row in rows[1:]:
        sheet.append(row)
    stamp = timezone.localdate().isoformat()
    return sheet.response(f"assets-{building.pk}-{stamp}.xlsx")


@require_GET
@role_required(*assets.STOREROOM_VIEWERS)
def storeroom_list(request):
    return render(
        request,
        "apartments/asset_storerooms.html",
        {"storerooms": list(assets.storeroom_list(request.user))},
    )


@require_GET
@role_required(*assets.STOREROOM_VIEWERS)
def storeroom_detail(request, pk: int):
    storeroom = assets.storeroom_get(request.user, pk)
    return render(
        request,
        "apartments/asset_storeroom.html",
        {"storeroom": storeroom, "assets": list(assets.storeroom_assets(storeroom))},
    )

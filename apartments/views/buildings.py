from itertools import groupby

from django.shortcuts import render

from apartments import handovers, selectors
from logistics.access import role_required


@role_required(*selectors.BUILDING_VIEWERS)
def building_list(request):
    buildings = list(selectors.building_list(request.user))
    totals = {
        "rooms": sum(b.room_count for b in buildings),
        "beds": sum(b.bed_count for b in buildings),
    }
    return render(
        request, "apartments/building_list.html", {"buildings": buildings, "totals": totals}
    )


@role_required(*selectors.BUILDING_VIEWERS)
def building_detail(request, pk: int):
    building = selectors.building_get(request.user, pk)
    rooms = list(selectors.building_rooms(building))
    pending = handovers.pending_of(building)
    floors = [(floor, list(rooms)) for floor, rooms in groupby(rooms, key=lambda r: r.floor)]
    return render(
        request,
        "apartments/building_detail.html",
        {
            "building": building,
            "floors": floors,
            "room_count": len(rooms),
            "bed_count": sum(r.bed_count for r in rooms),
            "works_here": selectors.desk_buildings_for(request.user).filter(pk=pk).exists(),
            # A shift hand-over still waiting for its acknowledgement, red once it is stale.
            "pending_handover": pending,
            "handover_stale": pending is not None and handovers.is_stale(pending),
        },
    )


@role_required(*selectors.BUILDING_VIEWERS)
def building_beds(request, pk: int):
    """The building's room grid: each room's beds as in, reserved or free (and not ready,
    once beds carry a readiness flag), floor by floor; the counts on top."""
    building = selectors.building_get(request.user, pk)
    rooms = selectors.bed_grid(building)
    counts = dict.fromkeys(selectors.BED_STATES, 0)
    for room in rooms:
        for bed in room.beds:
            counts[bed.state] += 1
    floors = [(floor, list(group)) for floor, group in groupby(rooms, key=lambda r: r.floor)]
    return render(
        request,
        "apartments/building_beds.html",
        {"building": building, "floors": floors, "counts": counts},
    )

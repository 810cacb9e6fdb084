"""Pages for residents themselves."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apartments import agreements, home, selectors
from apartments.dashboard import residents_for
from apartments.models import Stay
from apartments.views.condition_reports import resident_context
from logistics.access import role_required
from logistics.hall import panels_for
from logistics.models import Role


@role_required(Role.STUDENT)
def my_room(request):
    """The resident's own room: reserved or checked in; the roommates, the room's fittings and
    their condition, the resident's charges; and what other apartments' neighbours add as
    panels on the "my_room" page (maintenance: the room's repairs, "report a repair here")."""
    resident = selectors.resident_of(request.user)
    stay = selectors.current_stay_of(resident) if resident else None
    active = stay is not None and stay.status == stay.Status.ACTIVE
    report = resident_context(stay)  # the condition report lists the room's assets itself
    context = {
        "resident": resident,
        "stay": stay,
        "roommates": home.roommates(stay) if stay else [],
        "assets": home.room_assets(stay) if active and not report else [],
        "room_panels": panels_for(request.user, page="my_room") if active else [],
        "agreement_row": _student_agreement(request.user, stay) if stay else None,
        **report,
    }
    return render(request, "apartments/my_room.html", context)


def _student_agreement(user, stay) -> dict | None:
    """This year's student safety agreement for the room page: to sign, or signed."""
    if stay.status != stay.Status.ACTIVE:
        return None
    item = agreements.student_agreement(user, stay)
    if item is None:
        return None
    title, body = agreements.text_in_language(item.text)
    return {"item": item, "title": title, "body": body}


@require_GET
@role_required(*selectors.BUILDING_VIEWERS)
def resident_card(request, pk: int):
    """One resident for the staff who may see them (where the search leads): who they are,
    where they live or are expected, and every stay they have had. 404 for a resident outside
    the caller's buildings and campuses, as for one that does not exist."""
    resident = get_object_or_404(residents_for(request.user).select_related("campus"), pk=pk)
    stays = list(
        Stay.objects.filter(resident=resident)
        .select_related("bed__room__building")
        .order_by("-reserved_at", "-checked_in_at", "-pk")
    )
    current = next((s for s in stays if s.status in Stay.CURRENT), None)
    return render(
        request,
        "apartments/resident_card.html",
        {"resident": resident, "stays": stays, "current": current},
    )

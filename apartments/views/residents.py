"""Pages for residents themselves."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apartments import agreements, selectors
from apartments.dashboard import residents_for
from apartments.models import Stay
from apartments.views.condition_reports import resident_context
from logistics.access import role_required
from logistics.models import Role


@role_required(Role.STUDENT)
def my_room(request):
    """The resident's own room: reserved or checked in, with the roommates' beds taken."""
    resident = selectors.resident_of(request.user)
    stay = selectors.current_stay_of(resident) if resident else None
    context = {
        "resident": resident,
        "stay": stay,
        "agreement_row": _student_agreement(request.user, stay) if stay else None,
        **resident_context(stay),
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

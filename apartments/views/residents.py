"""Pages for residents themselves."""

from django.shortcuts import render

from apartments import selectors
from apartments.views.condition_reports import resident_context
from logistics.access import role_required
from logistics.models import Role


@role_required(Role.STUDENT)
def my_room(request):
    """The resident's own room: reserved or checked in, with the roommates' beds taken."""
    resident = selectors.resident_of(request.user)
    stay = selectors.current_stay_of(resident) if resident else None
    context = {"resident": resident, "stay": stay, **resident_context(stay)}
    return render(request, "apartments/my_room.html", context)

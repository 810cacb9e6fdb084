"""Pages for residents themselves."""

from django.shortcuts import render

from apartments import selectors
from logistics.access import role_required
from logistics.models import Role


@role_required(Role.STUDENT)
def my_room(request):
    """The resident's own room: reserved or checked in, with the roommates' beds taken."""
    resident = selectors.resident_of(request.user)
    stay = selectors.current_stay_of(resident) if resident else None
    return render(request, "apartments/my_room.html", {"resident": resident, "stay": stay})

"""Pages for residents themselves."""

from django.shortcuts import render

from apartments import agreements, selectors
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

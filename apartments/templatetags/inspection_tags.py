"""The inspection, charges and clearance of a move-out request, shown on the move-out pages
(apartments.inspections renders them; the move-out views stay as they are)."""

from django import template

from apartments import inspections
from apartments.models import MoveOutRequest

register = template.Library()


@register.inclusion_tag("apartments/inspection_request_panel.html", takes_context=True)
def inspection_panel(context, item: MoveOutRequest, is_own: bool):
    """On a request's page: start/see the inspection, the resident's charges (pay, waive,
    answer for staff; dispute for the resident), keys, clearance, leaving."""
    user = context["request"].user
    staff = not is_own and inspections.may_inspect(user, item.stay.bed.room.building_id)
    charges = list(inspections.charges_of_request(item))
    for charge in charges:
        charge.may_dispute = is_own and inspections.may_dispute(charge)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "item": item,
        "is_own": is_own,
        "staff": staff,
        "inspection": inspections.inspection_of_request(item),
        "may_start": staff and item.status in inspections.STARTABLE,
        "charges": charges,
        "clearance": inspections.clearance_of(item, charges),
    }


@register.inclusion_tag("apartments/inspection_my_charges.html", takes_context=True)
def my_charges(context, resident, open_request=None):
    """On the resident's move-out page: every charge to them and their clearance."""
    charges = list(inspections.charges_of(resident)) if resident is not None else []
    for charge in charges:
        charge.may_dispute = inspections.may_dispute(charge)
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "charges": charges,
        "open_request": open_request,
        "clearance": inspections.clearance_of(open_request, charges) if open_request else None,
    }

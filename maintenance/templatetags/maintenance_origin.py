"""`{% ticket_origin ticket %}`: where a ticket came from — the readiness campaign that found
the fault, or the preventive schedule (and its due date or meter reading) that generated the
job — linked for those who may open the campaign's or the schedule's page. Reads the rows'
origins as selected (with_place, with_origins); who may see is worked out once a request."""

from django import template

from logistics.access import ALL
from maintenance.campaigns import campaign_campuses
from maintenance.selectors import dispatch_campuses

register = template.Library()


def _scopes(context) -> tuple:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return set(), set()
    cached = getattr(request, "_maintenance_origin_scopes", None)
    if cached is None:
        cached = (dispatch_campuses(user), campaign_campuses(user))
        request._maintenance_origin_scopes = cached
    return cached


def _allowed(scope, campus_id) -> bool:
    return scope is ALL or campus_id in (scope or ())


@register.inclusion_tag("maintenance/ticket_origin.html", takes_context=True)
def ticket_origin(context, ticket, compact=False):
    if ticket.schedule_id is None and ticket.campaign_id is None:
        return {"ticket": None}
    planners, managers = _scopes(context)
    return {
        "ticket": ticket,
        "compact": compact,
        "schedule_link": ticket.schedule_id is not None
        and _allowed(planners, ticket.schedule.campus_id),
        "campaign_link": ticket.campaign_id is not None
        and _allowed(managers, ticket.campaign.campus_id),
    }

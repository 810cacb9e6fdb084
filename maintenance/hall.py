from django.utils.translation import gettext_lazy as _

from logistics.access import roles_of
from logistics.hall import hall_entry, hall_panel
from logistics.models import Role
from logistics.waiting import waiting_source
from maintenance.reports import may_read_reports
from maintenance.selectors import DISPATCH_ROLES, may_dispatch

# Who files repairs: residents for their room, building staff for the places they look after.
REPORTER_ROLES = (Role.STUDENT, Role.DORM_MANAGER, Role.SHIFT_LEAD)

hall_entry(
    key="maintenance.new",
    title=_("Report a repair"),
    description=_("A fault in your room or a public area: tell us, with photos."),
    url_name="maintenance:ticket_new",
    icon="tools",
    roles=REPORTER_ROLES,
    position=6,
)

hall_entry(
    key="maintenance.mine",
    title=_("My repairs"),
    description=_("Follow your repair requests, confirm and rate finished ones."),
    url_name="maintenance:my_tickets",
    icon="wrench-adjustable",
    roles=REPORTER_ROLES,
    position=7,
)

hall_entry(
    key="maintenance.dispatch",
    title=_("Repair dispatch"),
    description=_("The queue with its time limits: assign, merge, watch what is at risk."),
    url_name="maintenance:dispatch_queue",
    icon="diagram-3",
    roles=DISPATCH_ROLES,
    visible=may_dispatch,
    position=30,
)

hall_entry(
    key="maintenance.jobs",
    title=_("My jobs"),
    description=_("Your repair jobs: start, record labour and materials, finish."),
    url_name="maintenance:my_jobs",
    icon="hammer",
    roles=(Role.TECHNICIAN,),
    position=8,
)

hall_entry(
    key="maintenance.stores",
    title=_("Repair storeroom"),
    description=_("Materials on hand, the ledger of movements, low-stock warnings."),
    url_name="maintenance:storeroom_list",
    icon="box-seam",
    roles=(*DISPATCH_ROLES, Role.TECHNICIAN),
    position=32,
)

hall_entry(
    key="maintenance.follow_ups",
    title=_("Repair follow-ups"),
    description=_("Low ratings waiting for a supervisor's call."),
    url_name="maintenance:follow_ups",
    icon="telephone-outbound",
    roles=DISPATCH_ROLES,
    visible=may_dispatch,
    position=33,
)

hall_entry(
    key="maintenance.reports",
    title=_("Repair reports"),
    description=_("Technicians, buildings, categories and months: on time, ratings, costs."),
    url_name="maintenance:reports",
    icon="bar-chart-line",
    roles=(*DISPATCH_ROLES, Role.AUDITOR),
    visible=may_read_reports,
    position=34,
)

hall_entry(
    key="maintenance.places",
    title=_("Repair QR codes"),
    description=_("Printable QR codes for every room and public area."),
    url_name="maintenance:place_list",
    icon="qr-code",
    roles=(*DISPATCH_ROLES, Role.DORM_MANAGER, Role.SHIFT_LEAD),
    # shown only where the page opens: a head outside maintenance prints no codes
    visible=lambda user: _may_see_places(user),
    position=35,
)


def _may_see_places(user):
    from maintenance.views.places import _may_see_places as may_see

    return may_see(user)


def _low_stock(user):
    from maintenance.storeroom import low_stock_panel_context

    return low_stock_panel_context(user)


hall_panel(
    "maintenance.low_stock",
    "maintenance/store_low_panel.html",
    context=_low_stock,
    roles=(*DISPATCH_ROLES, Role.TECHNICIAN),
    position=40,
)


# --- a resident's day: repairs to confirm (home page), the room's repairs ("My room") ---


def _repairs_to_confirm(user):
    from maintenance.home import repairs_to_confirm

    return repairs_to_confirm(user)


def _room_repairs(user):
    from maintenance.home import room_repairs_panel

    return room_repairs_panel(user)


waiting_source("maintenance.to_confirm", _repairs_to_confirm, roles=REPORTER_ROLES, position=10)

hall_panel(
    "maintenance.room_repairs",
    "maintenance/room_repairs_panel.html",
    context=_room_repairs,
    roles=(Role.STUDENT,),
    page="my_room",
)


def _reads_meters(user):
    # From the user's grants (read once a request), no query of its own: the hall lists its
    # entries on every page. The meters page itself checks the technician's roster.
    return may_dispatch(user) or Role.TECHNICIAN in roles_of(user)


hall_entry(
    key="maintenance.meters",
    title=_("Meter readings"),
    description=_("Lifts' and pumps' running hours, heaters' cycles: record a reading."),
    url_name="maintenance:meters",
    icon="speedometer2",
    roles=(*DISPATCH_ROLES, Role.TECHNICIAN),
    visible=_reads_meters,
    position=36,
)

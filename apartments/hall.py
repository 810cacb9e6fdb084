from django.utils.translation import gettext_lazy as _

from apartments.assets import STOREROOM_VIEWERS
from apartments.selectors import BUILDING_VIEWERS
from logistics.hall import hall_entry, hall_panel
from logistics.models import Role
from logistics.waiting import waiting_source

hall_entry(
    key="apartments.buildings",
    title=_("My buildings"),
    description=_("Rooms and beds of the buildings you look after."),
    url_name="apartments:building_list",
    icon="building",
    roles=BUILDING_VIEWERS,
    position=20,
)

hall_entry(
    key="apartments.move_in",
    title=_("Move-in dashboard"),
    description=_("Arrivals live: checked in, still to come, free beds, bedding kits."),
    url_name="apartments:move_in_dashboard",
    icon="speedometer2",
    roles=BUILDING_VIEWERS,
    position=10,
)

hall_entry(
    key="apartments.my_room",
    title=_("My room"),
    description=_("Your building, room and bed, and whether you have checked in."),
    url_name="apartments:my_room",
    icon="door-open",
    roles=(Role.STUDENT,),
    position=5,
)

hall_entry(
    key="apartments.desk",
    title=_("Check-in desk"),
    description=_("Move-in day: scan a student id, hand over key and bedding kit, check in."),
    url_name="apartments:desk_choose",
    icon="person-check",
    roles=(Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN),
    position=15,
)


def _may_import(user) -> bool:
    from apartments.imports import may_import

    return may_import(user)


hall_entry(
    key="apartments.imports",
    title=_("Import rooms and residents"),
    description=_("Upload the registrar's spreadsheets: rooms and beds, residents and accounts."),
    url_name="apartments:import_upload",
    icon="file-earmark-arrow-up",
    # Imports change every campus: administrators and apartment heads of every campus.
    roles=(Role.ADMIN, Role.DEPARTMENT_HEAD),
    visible=_may_import,
    position=60,
)


def _may_stocktake(user) -> bool:
    from apartments.stocktakes import may_stocktake

    return may_stocktake(user)


hall_entry(
    key="apartments.stocktakes",
    title=_("Asset stocktakes"),
    description=_(
        "Count a building's or storeroom's assets against the books; record the differences."
    ),
    url_name="apartments:stocktake_list",
    icon="clipboard-check",
    roles=(Role.ADMIN, Role.DEPARTMENT_HEAD, Role.DORM_MANAGER, Role.SHIFT_LEAD),
    visible=_may_stocktake,
    position=50,
)


# --- move-out ---


def _move_out_panel(user):
    from apartments.move_out import home_panel_context

    return home_panel_context(user)


hall_panel(
    "apartments.move_out_notices",
    "apartments/move_out_panel.html",
    context=_move_out_panel,
    roles=(Role.STUDENT,),
    position=10,
)

hall_entry(
    key="apartments.my_move_out",
    title=_("Move out"),
    description=_("The move-out notice, your move-out request and its inspection."),
    url_name="apartments:my_move_out",
    icon="box-arrow-right",
    roles=(Role.STUDENT,),
    position=6,
)

hall_entry(
    key="apartments.move_out",
    title=_("Move-out requests"),
    description=_("Requests of your buildings, inspections to schedule, the graduates' board."),
    url_name="apartments:move_out_list",
    icon="box-arrow-right",
    roles=BUILDING_VIEWERS,
    position=25,
)


hall_entry(
    key="apartments.asset_prices",
    title=_("Damage price list"),
    description=_("What repairing or replacing each fitting costs."),
    url_name="apartments:asset_prices",
    icon="tags",
    roles=BUILDING_VIEWERS,
    position=70,
)


hall_entry(
    key="apartments.storerooms",
    title=_("Storerooms"),
    description=_("Spare furniture and fittings on each campus."),
    url_name="apartments:storeroom_list",
    icon="box2",
    roles=STOREROOM_VIEWERS,
    position=75,
)


# --- condition reports ---

CONDITION_REPORT_STAFF = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


def _condition_disputes_panel(user):
    from apartments.condition_reports import disputed_count

    count = disputed_count(user)
    return {"count": count} if count else None


hall_entry(
    key="apartments.condition_disputes",
    title=_("Condition report disputes"),
    description=_("Residents who say their room's assets were not as listed at move-in."),
    url_name="apartments:condition_disputes",
    icon="clipboard-x",
    roles=CONDITION_REPORT_STAFF,
    position=27,
)

hall_panel(
    "apartments.condition_disputes",
    "apartments/condition_panel.html",
    context=_condition_disputes_panel,
    roles=CONDITION_REPORT_STAFF,
    position=20,
)


# --- inspections and clearance ---


def _may_export_clearance(user) -> bool:
    from apartments.inspections import may_export_clearance

    return may_export_clearance(user)


hall_entry(
    key="apartments.clearance",
    title=_("Clearance export"),
    description=_("Who has returned keys and settled charges, for the registrar (Excel)."),
    url_name="apartments:clearance",
    icon="file-earmark-spreadsheet",
    roles=(Role.ADMIN, Role.DEPARTMENT_HEAD),
    visible=_may_export_clearance,
    position=27,
)


# --- dorm safety ---

hall_entry(
    key="apartments.zero_report",
    title=_("Zero report"),
    description=_("Tonight's safety report of your building: nothing to report, or what happened."),
    url_name="apartments:zero_report_choose",
    icon="shield-check",
    roles=(Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN),
    position=16,
)

hall_entry(
    key="apartments.zero_report_board",
    title=_("Zero reports board"),
    description=_("Every building's zero report for a night: reported, incidents, missing."),
    url_name="apartments:zero_report_board",
    icon="shield-exclamation",
    roles=BUILDING_VIEWERS,
    position=17,
)

hall_entry(
    key="apartments.safety_round",
    title=_("Safety round"),
    description=_("Today's day check or tonight's night check, room by room, on your phone."),
    url_name="apartments:round_choose",
    icon="flashlight",
    roles=(Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN),
    position=18,
)

hall_entry(
    key="apartments.hazards",
    title=_("Safety hazards"),
    description=_("Findings of the rounds followed to the fix: open, rectified, past deadline."),
    url_name="apartments:hazard_list",
    icon="exclamation-triangle",
    roles=BUILDING_VIEWERS,
    position=19,
)


def _my_hazards_panel(user):
    from apartments.rounds import hazards_of_my_room

    hazards = hazards_of_my_room(user)
    return {"hazards": hazards} if hazards else None


hall_panel(
    "apartments.my_hazards",
    "apartments/rounds/my_hazards_panel.html",
    context=_my_hazards_panel,
    roles=(Role.STUDENT,),
    position=5,
)

hall_entry(
    key="apartments.late_returns",
    title=_("Late returns"),
    description=_("Record residents coming back after hours; repeated late returns stand out."),
    url_name="apartments:late_return_choose",
    icon="moon-stars",
    roles=BUILDING_VIEWERS,
    position=18,
)

hall_entry(
    key="apartments.my_late_returns",
    title=_("My late returns"),
    description=_("The late returns the desk of your building has recorded for you."),
    url_name="apartments:my_late_returns",
    icon="moon",
    roles=(Role.STUDENT,),
    position=6,
)

hall_entry(
    key="apartments.fire_equipment",
    title=_("Fire equipment"),
    description=_("Extinguishers and hydrants by floor: monthly checks, expiry dates."),
    url_name="apartments:fire_equipment_choose",
    icon="fire",
    roles=BUILDING_VIEWERS,
    position=19,
)

hall_entry(
    key="apartments.handovers",
    title=_("Shift hand-over"),
    description=_("Hand the shift over: open items, keys and equipment counted; acknowledge."),
    url_name="apartments:handover_choose",
    icon="arrow-left-right",
    roles=BUILDING_VIEWERS,
    position=18,
)

hall_entry(
    key="apartments.agreements_mine",
    title=_("My safety agreements"),
    description=_("Read and sign this year's safety responsibility agreement."),
    url_name="apartments:agreements_mine",
    icon="pen",
    roles=(Role.STUDENT, Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.DEPARTMENT_HEAD),
    position=7,
)

hall_entry(
    key="apartments.agreements_board",
    title=_("Safety agreements coverage"),
    description=_("Who has not signed, per building and level; export to Excel."),
    url_name="apartments:agreements_board",
    icon="file-earmark-check",
    roles=BUILDING_VIEWERS,
    position=19,
)


# --- what waits for a resident (the home page's "waiting for you") ---


def _waiting_for_resident(user):
    from apartments.home import waiting_items

    return waiting_items(user)


waiting_source("apartments.resident", _waiting_for_resident, roles=(Role.STUDENT,), position=20)

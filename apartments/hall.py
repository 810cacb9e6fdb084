from django.utils.translation import gettext_lazy as _

from apartments.selectors import BUILDING_VIEWERS
from logistics.hall import hall_entry
from logistics.models import Role

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

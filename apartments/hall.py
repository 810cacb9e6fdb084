from django.utils.translation import gettext_lazy as _

from apartments.selectors import BUILDING_VIEWERS
from logistics.hall import hall_entry

hall_entry(
    key="apartments.buildings",
    title=_("My buildings"),
    description=_("Rooms and beds of the buildings you look after."),
    url_name="apartments:building_list",
    icon="building",
    roles=BUILDING_VIEWERS,
    position=20,
)

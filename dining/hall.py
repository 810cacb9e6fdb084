"""The dining entries of the service hall (logistics.hall)."""

from django.utils.translation import gettext_lazy as _

from logistics.hall import hall_entry
from logistics.models import Role

hall_entry(
    key="dining.menu",
    title=_("Canteen menus"),
    description=_("Today's and the week's menus with prices, allergens and ratings; rate a dish."),
    url_name="dining:menu",
    icon="egg-fried",
    roles=(),  # every signed-in user
    position=8,
)

hall_entry(
    key="dining.board",
    title=_("Food safety"),
    description=_("The day's retained samples, morning checks and fridge temperatures."),
    url_name="dining:board_choose",
    icon="clipboard2-pulse",
    roles=(Role.CANTEEN_STAFF, Role.DINING_MANAGER, Role.ADMIN),
    position=30,
)

hall_entry(
    key="dining.suppliers",
    title=_("Suppliers and intake"),
    description=_("Suppliers' certificates and the goods received (索证索票)."),
    url_name="dining:suppliers",
    icon="truck",
    roles=(Role.CANTEEN_STAFF, Role.DINING_MANAGER, Role.ADMIN),
    position=35,
)

hall_entry(
    key="dining.prices",
    title=_("Dish prices"),
    description=_("Approve price rises, change a price, import the week's menus."),
    url_name="dining:prices",
    icon="cash-coin",
    roles=(Role.DINING_MANAGER, Role.ADMIN),
    position=40,
)

hall_entry(
    key="dining.report",
    title=_("Price-stability report"),
    description=_("Per canteen and month: price changes, price index, the 3:4:3 band mix."),
    url_name="dining:report",
    icon="graph-up",
    roles=(Role.DINING_MANAGER, Role.ADMIN),
    position=45,
)

hall_entry(
    key="dining.setup",
    title=_("Canteens, workers and fridges"),
    description=_("Set up your canteens: opening hours, windows, food workers, fridges, staff."),
    url_name="dining:setup",
    icon="shop",
    roles=(Role.DINING_MANAGER, Role.ADMIN),
    position=42,
)

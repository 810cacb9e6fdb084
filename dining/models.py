"""Dining (饮食服务): canteens and their staff, dishes and their prices, daily menus, diners'
ratings, and the food-safety records a Chinese school canteen keeps: retained samples (留样),
morning checks (晨检), fridge and freezer temperatures, suppliers' certificates and intakes
(索证索票). The rules live in dining.services, dining.prices and dining.safety."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logistics.models import BilingualName, Campus, Photo


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")


# CONTRACT.md "Allergen keys": key → (label, Chinese names the import also accepts).
ALLERGENS: dict[str, tuple] = {
    "gluten": (_("Gluten"), ("麸质", "麦麸", "谷蛋白")),
    "crustaceans": (_("Crustaceans"), ("甲壳类", "虾蟹")),
    "eggs": (_("Eggs"), ("蛋类", "鸡蛋", "蛋")),
    "fish": (_("Fish"), ("鱼类", "鱼")),
    "peanuts": (_("Peanuts"), ("花生",)),
    "soy": (_("Soy"), ("大豆", "黄豆")),
    "milk": (_("Milk"), ("乳制品", "牛奶", "乳")),
    "tree_nuts": (_("Tree nuts"), ("坚果", "树坚果")),
    "celery": (_("Celery"), ("芹菜",)),
    "mustard": (_("Mustard"), ("芥末", "芥菜")),
    "sesame": (_("Sesame"), ("芝麻",)),
    "sulphites": (_("Sulphites"), ("亚硫酸盐", "二氧化硫")),
    "lupin": (_("Lupin"), ("羽扇豆",)),
    "molluscs": (_("Molluscs"), ("软体动物", "贝类")),
}


def allergen_label(key: str) -> str:
    entry = ALLERGENS.get(key)
    return str(entry[0]) if entry else key


class Canteen(BilingualName):
    """A canteen (食堂) of a campus, with its windows (stalls) and opening hours per meal."""

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="canteens", verbose_name=_("campus")
    )
    windows = models.TextField(
        _("windows / stalls"), blank=True, help_text=_("One window or stall per line.")
    )
    breakfast_hours = models.CharField(_("breakfast hours"), max_length=20, blank=True)
    lunch_hours = models.CharField(_("lunch hours"), max_length=20, blank=True)
    dinner_hours = models.CharField(_("dinner hours"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CanteenAssignment",
        related_name="assigned_canteens",
        blank=True,
        verbose_name=_("staff"),
    )

    class Meta:
        ordering = ["campus__position", "campus__code", "name"]
        verbose_name = _("canteen")
        verbose_name_plural = _("canteens")
        constraints = [
            models.UniqueConstraint(fields=["name"], name="canteen_unique_name"),
        ]

    def hours_of(self, meal: str) -> str:
        return getattr(self, f"{meal}_hours", "")

    @property
    def window_list(self) -> list[str]:
        return [line.strip() for line in self.windows.splitlines() if line.strip()]


class CanteenAssignment(models.Model):
    """A member of canteen staff working in a canteen: their scope (like the apartments'
    BuildingAssignment)."""

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("canteen")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="canteen_assignments",
        verbose_name=_("user"),
    )

    class Meta:
        verbose_name = _("canteen assignment")
        verbose_name_plural = _("canteen assignments")
        constraints = [
            models.UniqueConstraint(fields=["canteen", "user"], name="canteenassignment_unique"),
        ]

    def __str__(self):
        return f"{self.user} – {self.canteen}"


class DishCategory(models.TextChoices):
    STAPLE = "staple", _("Staple")
    MEAT = "meat", _("Meat dish")
    VEGETABLE = "vegetable", _("Vegetable dish")
    SOUP = "soup", _("Soup")
    NOODLES = "noodles", _("Noodles and dumplings")
    SNACK = "snack", _("Snack")
    DRINK = "drink", _("Drink")
    OTHER = "other", _("Other")


class Dish(BilingualName):
    """A dish as one canteen serves it: its own name, price history and ratings."""

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="dishes", verbose_name=_("canteen")
    )
    category = models.CharField(
        _("category"), max_length=20, choices=DishCategory.choices, default=DishCategory.OTHER
    )
    # Keys of ALLERGENS, sorted.
    allergens = models.JSONField(_("allergens"), default=list, blank=True)
    photo = models.ForeignKey(
        Photo,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )

    class Meta:
        ordering = ["canteen_id", "name"]
        verbose_name = _("dish")
        verbose_name_plural = _("dishes")
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="dish_unique_name"),
        ]

    @property
    def allergen_labels(self) -> list[str]:
        return [allergen_label(key) for key in self.allergens]


class DishPrice(models.Model):
    """One price a dish had: from a day, to a day (None: still in force), who set it and why.
    Never edited except to close it (valid_to) when the next price starts."""

    dish = models.ForeignKey(
        Dish, on_delete=models.CASCADE, related_name="prices", verbose_name=_("dish")
    )
    price = models.DecimalField(_("price"), max_digits=7, decimal_places=2)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)
    approval = models.ForeignKey(
        "PriceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval"),
    )

    class Meta:
        ordering = ["dish_id", "valid_from"]
        verbose_name = _("dish price")
        verbose_name_plural = _("dish prices")
        constraints = [
            models.UniqueConstraint(fields=["dish", "valid_from"], name="dishprice_unique_from"),
            models.CheckConstraint(
                condition=Q(price__gte=Decimal("0")), name="dishprice_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.dish} {self.price} ({self.valid_from}–{self.valid_to or ''})"


class PriceRequest(models.Model):
    """A rise above PRICE_RISE_LIMIT waiting for the dining manager's approval (备案)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    dish = models.ForeignKey(
        Dish, on_delete=models.CASCADE, related_name="price_requests", verbose_name=_("dish")
    )
    price = models.DecimalField(_("price"), max_digits=7, decimal_places=2)
    reference_price = models.DecimalField(
        _("price 30 days earlier"), max_digits=7, decimal_places=2
    )
    valid_from = models.DateField(_("from"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("price rise request")
        verbose_name_plural = _("price rise requests")
        constraints = [
            # One pending request per dish, price and day, however often a file is imported.
            models.UniqueConstraint(
                fields=["dish", "price", "valid_from"],
                condition=Q(status="pending"),
                name="pricerequest_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.dish} → {self.price} ({self.get_status_display()})"

    @property
    def rise_percent(self) -> Decimal | None:
        if not self.reference_price:
            return None
        return (self.price - self.reference_price) * 100 / self.reference_price


class Menu(models.Model):
    """What a canteen serves at one meal of one day."""

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="menus", verbose_name=_("canteen")
    )
    date = models.DateField(_("date"))
    meal = models.CharField(_("meal"), max_length=20, choices=Meal.choices)

    class Meta:
        ordering = ["date", "canteen_id", "meal"]
        verbose_name = _("menu")
        verbose_name_plural = _("menus")
        constraints = [
            models.UniqueConstraint(fields=["canteen", "date", "meal"], name="menu_unique"),
        ]
        indexes = [
            # The menus of a day (the menu page and API, the nightly job).
            models.Index(fields=["date", "canteen"], name="menu_date_idx"),
        ]

    def __str__(self):
        return f"{self.canteen} {self.date} {self.get_meal_display()}"


class MenuItem(models.Model):
    menu = models.ForeignKey(
        Menu, on_delete=models.CASCADE, related_name="items", verbose_name=_("menu")
    )
    dish = models.ForeignKey(
        Dish, on_delete=models.PROTECT, related_name="menu_items", verbose_name=_("dish")
    )
    price = models.DecimalField(_("price"), max_digits=7, decimal_places=2)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["menu_id", "position", "id"]
        verbose_name = _("menu item")
        verbose_name_plural = _("menu items")
        constraints = [
            models.UniqueConstraint(fields=["menu", "dish"], name="menuitem_unique"),
        ]

    def __str__(self):
        return f"{self.dish} {self.price}"


class DishRating(models.Model):
    """One diner's stars (and comment) for a dish they ate at one meal; they may change it.
    Other diners never see who rated."""

    dish = models.ForeignKey(
        Dish, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("dish")
    )
    date = models.DateField(_("date"))
    meal = models.CharField(_("meal"), max_length=20, choices=Meal.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dish_ratings",
        verbose_name=_("user"),
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("dish rating")
        verbose_name_plural = _("dish ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["dish", "date", "meal", "user"], name="dishrating_one_per_meal"
            ),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="dishrating_stars_1_5"
            ),
        ]

    def __str__(self):
        return f"{self.dish} {self.date} {self.stars}★"


# --- Food safety -----------------------------------------------------------------------------


class FoodSample(models.Model):
    """The retained sample (留样) of one dish of one meal: weighed, labelled, refrigerated."""

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="samples", verbose_name=_("canteen")
    )
    date = models.DateField(_("date"))
    meal = models.CharField(_("meal"), max_length=20, choices=Meal.choices)
    dish = models.ForeignKey(
        Dish, on_delete=models.PROTECT, related_name="samples", verbose_name=_("dish")
    )
    grams = models.PositiveIntegerField(_("grams"))
    taken_at = models.DateTimeField(pgettext_lazy("food sample", "taken at"))
    fridge = models.ForeignKey(
        "Fridge",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="samples",
        verbose_name=_("fridge"),
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=pgettext_lazy("food sample", "taken by"),
    )
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("destroyed by"),
    )

    class Meta:
        ordering = ["date", "meal", "dish_id"]
        verbose_name = _("food sample")
        verbose_name_plural = _("food samples")
        constraints = [
            models.UniqueConstraint(fields=["date", "meal", "dish"], name="foodsample_unique"),
        ]
        indexes = [
            # A canteen's samples of a day (the day board, the nightly job).
            models.Index(fields=["canteen", "date"], name="foodsample_day_idx"),
        ]

    def __str__(self):
        return f"{self.dish} {self.date} {self.meal} {self.grams} g"


class FoodWorker(models.Model):
    """A food worker on a canteen's roster: checked every morning before work."""

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="workers", verbose_name=_("canteen")
    )
    name = models.CharField(_("name"), max_length=100)
    job = models.CharField(pgettext_lazy("food worker", "job"), max_length=100, blank=True)
    health_certificate_expires = models.DateField(
        _("health certificate expires"), null=True, blank=True
    )
    on_roster = models.BooleanField(_("on the roster"), default=True)

    class Meta:
        ordering = ["canteen_id", "name"]
        verbose_name = _("food worker")
        verbose_name_plural = _("food workers")
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="foodworker_unique_name"),
        ]

    def __str__(self):
        return self.name


CHECK_ITEMS = {
    "clothing_cap": _("Clean work clothes and cap"),
    "hair": _("Hair tied and covered"),
    "nails_jewellery": _("Short clean nails, no jewellery"),
}
SYMPTOMS = {
    "fever": _("Fever"),
    "diarrhoea": _("Diarrhoea"),
    "vomiting": _("Vomiting"),
    "hand_wound": _("Wound on the hands"),
    "skin_infection": _("Skin infection"),
    "sore_throat": _("Sore throat"),
    "cough": _("Cough"),
}


class MorningCheck(models.Model):
    """One worker's morning check (晨检) on one day: any failed item or symptom takes them off
    duty for the day, and who decided is recorded."""

    worker = models.ForeignKey(
        FoodWorker,
        on_delete=models.CASCADE,
        related_name="checks",
        verbose_name=pgettext_lazy("food worker", "worker"),
    )
    date = models.DateField(_("date"))
    failed_items = models.JSONField(
        pgettext_lazy("morning check", "failed items"), default=list, blank=True
    )
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    cleared = models.BooleanField(_("cleared for work"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now=True)

    class Meta:
        ordering = ["date", "worker_id"]
        verbose_name = _("morning check")
        verbose_name_plural = _("morning checks")
        constraints = [
            models.UniqueConstraint(fields=["worker", "date"], name="morningcheck_one_per_day"),
        ]

    def __str__(self):
        return f"{self.worker} {self.date}"


class Fridge(models.Model):
    class Kind(models.TextChoices):
        FRIDGE = "fridge", _("Fridge (0 to 8 °C)")
        FREEZER = "freezer", _("Freezer (−18 °C or colder)")

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="fridges", verbose_name=_("canteen")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["canteen_id", "name"]
        verbose_name = _("fridge or freezer")
        verbose_name_plural = _("fridges and freezers")
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="fridge_unique_name"),
        ]

    def __str__(self):
        return self.name

    def in_range(self, celsius: Decimal) -> bool:
        if self.kind == self.Kind.FREEZER:
            return celsius <= Decimal("-18")
        return Decimal("0") <= celsius <= Decimal("8")


class TemperatureReading(models.Model):
    class Slot(models.TextChoices):
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")

    fridge = models.ForeignKey(
        Fridge, on_delete=models.CASCADE, related_name="readings", verbose_name=_("fridge")
    )
    date = models.DateField(_("date"))
    slot = models.CharField(_("reading"), max_length=20, choices=Slot.choices)
    celsius = models.DecimalField(_("temperature (°C)"), max_digits=5, decimal_places=1)
    in_range = models.BooleanField(_("in range"))
    action_note = models.CharField(_("action taken"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["date", "fridge_id", "slot"]
        verbose_name = _("temperature reading")
        verbose_name_plural = _("temperature readings")
        constraints = [
            models.UniqueConstraint(fields=["fridge", "date", "slot"], name="reading_unique"),
        ]

    def __str__(self):
        return f"{self.fridge} {self.date} {self.slot} {self.celsius} °C"


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    canteens = models.ManyToManyField(
        Canteen, blank=True, related_name="suppliers", verbose_name=_("canteens")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name


class SupplierCertificate(models.Model):
    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        FOOD_LICENCE = "food_licence", _("Food business licence")
        INSPECTION = "inspection", _("Inspection report")
        OTHER = "other", _("Other")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("supplier")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=100)
    expires_on = models.DateField(_("expires on"))

    class Meta:
        ordering = ["expires_on"]
        verbose_name = _("supplier certificate")
        verbose_name_plural = _("supplier certificates")

    def __str__(self):
        return f"{self.supplier} {self.number}"


class Intake(models.Model):
    """Goods received from a supplier (索证索票): refused while a certificate is expired."""

    canteen = models.ForeignKey(
        Canteen, on_delete=models.CASCADE, related_name="intakes", verbose_name=_("canteen")
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="intakes", verbose_name=_("supplier")
    )
    date = models.DateField(_("date"))
    goods = models.CharField(_("goods"), max_length=200)
    quantity = models.CharField(_("quantity"), max_length=100)
    invoice = models.CharField(_("invoice number"), max_length=100, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    received_at = models.DateTimeField(pgettext_lazy("intake", "received at"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")

    def __str__(self):
        return f"{self.supplier} {self.date} {self.goods}"

"""Buildings, rooms, beds and the residents who live in them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logistics.models import BilingualName, Campus, Role


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class GenderPolicy(models.TextChoices):
    MALE = "M", _("Men only")
    FEMALE = "F", _("Women only")
    MIXED = "X", _("Mixed")


class Category(models.TextChoices):
    """Resident categories; the keys are the API's (CONTRACT.md)."""

    UNDERGRADUATE = "undergraduate", _("Undergraduate")
    TOP_UP = "top_up", _("Top-up undergraduate")
    POSTGRADUATE = "postgraduate", _("Postgraduate")
    DOCTORAL = "doctoral", _("Doctoral student")
    ADULT_EDUCATION = "adult_education", _("Adult education")
    STAFF = "staff", _("Staff")


class Building(BilingualName):
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("campus")
    )
    code = models.CharField(_("code"), max_length=30)
    gender_policy = models.CharField(
        _("gender policy"), max_length=1, choices=GenderPolicy.choices, default=GenderPolicy.MIXED
    )
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    # Resident categories this building houses (e.g. only postgraduates); empty: any.
    categories = models.JSONField(_("resident categories"), default=list, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="BuildingAssignment",
        related_name="assigned_buildings",
        blank=True,
        verbose_name=_("staff"),
    )

    class Meta:
        ordering = ["campus__code", "code"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["campus", "code"], name="building_unique_code"),
        ]


class BuildingAssignment(models.Model):
    """A dorm manager or shift lead responsible for a building: their scope."""

    ROLES = [(Role.DORM_MANAGER, Role.DORM_MANAGER.label), (Role.SHIFT_LEAD, Role.SHIFT_LEAD.label)]

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("building")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="building_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=30, choices=ROLES)

    class Meta:
        verbose_name = _("building assignment")
        verbose_name_plural = _("building assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "user", "role"], name="buildingassignment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.building} ({self.get_role_display()})"


class RoomKind(models.TextChoices):
    DORMITORY = "dormitory", _("Dormitory")
    STAFF = "staff", _("Staff apartment")
    ACCESSIBLE = "accessible", _("Accessible room")
    GUEST = "guest", _("Guest room")


class Room(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("building")
    )
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("room number"), max_length=20)
    kind = models.CharField(
        _("room type"), max_length=20, choices=RoomKind.choices, default=RoomKind.DORMITORY
    )
    # Who may live here: a mixed building still has rooms for men and rooms for women.
    gender = models.CharField(
        _("gender"), max_length=1, choices=GenderPolicy.choices, default=GenderPolicy.MIXED
    )
    capacity = models.PositiveSmallIntegerField(_("beds"))
    # Ready for residents (docs/decisions.md, "Room readiness"): a readiness campaign of the
    # maintenance app clears it for the rooms it covers and sets it again when a room's
    # checklist is done and it has no open repair, through apartments.services.rooms_set_ready
    # (apartments never imports maintenance). The desk proposes only ready rooms
    # (selectors.beds_free_for); a manager can still give a bed in any room by choosing it.
    ready = models.BooleanField(_("ready for residents"), default=True)

    class Meta:
        ordering = ["building", "floor", "number"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="room_unique_number"),
        ]

    def __str__(self):
        return f"{self.building.code}-{self.number}"


class Bed(models.Model):
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="beds", verbose_name=_("room")
    )
    number = models.PositiveSmallIntegerField(_("bed number"))

    class Meta:
        ordering = ["room", "number"]
        verbose_name = _("bed")
        verbose_name_plural = _("beds")
        constraints = [
            models.UniqueConstraint(fields=["room", "number"], name="bed_unique_number"),
        ]

    def __str__(self):
        return f"{self.room}-{self.number}"


class Resident(models.Model):
    """A person who lives (or will live) in the apartments, as the registrar lists them."""

    student_id = models.CharField(_("student id"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The name's pinyin initials (王伟 → "ww"), for the staff's search (apartments.names). Kept
    # by save() and by the bulk paths (imports, demo), which call pinyin_initials themselves.
    name_initials = models.CharField(
        _("pinyin initials"), max_length=50, blank=True, editable=False
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="residents", verbose_name=_("campus")
    )
    college = models.CharField(_("college"), max_length=100, blank=True)
    class_name = models.CharField(_("class"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The graduating group a move-out notice and the move-out board address ("2026 graduates").
    graduation_year = models.PositiveSmallIntegerField(_("graduation year"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("portal account"),
    )

    class Meta:
        ordering = ["student_id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            # The move-in breakdown by campus × category (issue: move-in dashboard).
            models.Index(fields=["campus", "category"], name="resident_campus_cat_idx"),
            # The staff's search by the start of a student id, a name or its initials
            # (apartments.search): LIKE 'prefix%' uses an index in any collation only with
            # the pattern operator class (PostgreSQL; other databases ignore it).
            models.Index(
                fields=["student_id"],
                name="resident_sid_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["name"], name="resident_name_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["name_initials"],
                name="resident_initials_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.student_id} {self.name}"

    def save(self, *args, **kwargs):
        from apartments.names import pinyin_initials

        self.name_initials = pinyin_initials(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_initials"}
        super().save(*args, **kwargs)


class Stay(models.Model):
    """A resident in a bed: reserved before arrival, active from check-in, ended at move-out.

    The database allows one current (reserved or active) stay per bed and per resident, so two
    desks can never give one bed twice or check one resident in twice.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        ACTIVE = "active", _("Checked in")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")

    CURRENT = (Status.RESERVED, Status.ACTIVE)

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="stays", verbose_name=_("resident")
    )
    bed = models.ForeignKey(
        Bed, on_delete=models.PROTECT, related_name="stays", verbose_name=_("bed")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    reserved_at = models.DateTimeField(_("reserved at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    key_issued = models.BooleanField(_("key handed over"), default=False)
    kit_issued = models.BooleanField(_("bedding kit handed over"), default=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        constraints = [
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(status__in=["reserved", "active"]),
                name="stay_one_current_per_bed",
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status__in=["reserved", "active"]),
                name="stay_one_current_per_resident",
            ),
        ]
        indexes = [
            # Arrivals per hour and "checked in" counts on the move-in dashboard.
            models.Index(fields=["status", "checked_in_at"], name="stay_status_checkin_idx"),
        ]

    def __str__(self):
        return f"{self.resident} – {self.bed} ({self.get_status_display()})"


class BuildingTally(models.Model):
    """Beds, residents checked in, reservations and bedding kits of one building, kept current
    by database triggers on beds, rooms, stays and kits (apartments/tallies.py), so that the
    move-in dashboard reads a hundred small rows instead of counting every stay and kit.

    A building's figures are the sums over its rows: each database connection adds to its own
    slot, so twenty desks checking residents into one building do not queue for one row. No
    foreign key constraint: a trigger may add to a building that a cascade is deleting."""

    building = models.ForeignKey(
        Building, on_delete=models.DO_NOTHING, db_constraint=False, related_name="tallies"
    )
    slot = models.PositiveSmallIntegerField()
    beds = models.IntegerField(default=0)
    active = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    # Bedding kits by status, and their failed checks (BedKit.failures) added up.
    kits_placed = models.IntegerField(default=0, db_default=0)
    kits_failed = models.IntegerField(default=0, db_default=0)
    kits_issued = models.IntegerField(default=0, db_default=0)
    kit_failures = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["building", "slot"], name="buildingtally_unique"),
        ]

    def __str__(self):
        return f"{self.building_id}/{self.slot}: {self.beds} {self.active} {self.reserved}"


class ResidentTally(models.Model):
    """Residents expected and checked in per campus and category, kept current by database
    triggers on residents and stays (apartments/tallies.py): the move-in summary's cells
    without counting thirty thousand residents. Slots as in BuildingTally."""

    campus = models.ForeignKey(
        Campus, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    slot = models.PositiveSmallIntegerField()
    expected = models.IntegerField(default=0)
    checked_in = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campus", "category", "slot"], name="residenttally_unique"
            ),
        ]

    def __str__(self):
        return f"{self.campus_id}/{self.category}/{self.slot}: {self.expected} {self.checked_in}"


class ArrivalTally(models.Model):
    """Check-ins per building and quarter of an hour (UTC), kept current by database triggers
    on stays (apartments/tallies.py), so that the move-in dashboard's arrivals-per-hour chart
    sums at most a few hundred rows for a day instead of counting that day's check-ins.

    Quarter hours, not hours, so that a local day and its hours start on a bucket in every
    time zone in use. Slots as in BuildingTally. An arrival counts for the building its bed was
    in when the stay was saved with its check-in time."""

    building = models.ForeignKey(
        Building, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    bucket = models.DateTimeField()  # the start of the quarter hour
    slot = models.PositiveSmallIntegerField()
    arrivals = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # Its index serves the chart's read: one day's buckets, then the buildings.
            models.UniqueConstraint(
                fields=["bucket", "building", "slot"], name="arrivaltally_unique"
            ),
        ]

    def __str__(self):
        return f"{self.building_id}/{self.bucket:%Y-%m-%d %H:%M}/{self.slot}: {self.arrivals}"


class KitType(BilingualName):
    """A bedding kit (床上用品, 被褥): quilt, pillow, sheets… handed to a resident with the key."""

    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bedding kit type")
        verbose_name_plural = _("bedding kit types")


class KitItem(BilingualName):
    kit_type = models.ForeignKey(
        KitType, on_delete=models.CASCADE, related_name="items", verbose_name=_("kit type")
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)

    class Meta:
        ordering = ["kit_type", "id"]
        verbose_name = _("kit item")
        verbose_name_plural = _("kit items")


class BedKit(models.Model):
    """The kit in a bed's locker now: checked and placed, failed the check, or handed over."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Checked and placed")
        FAILED = "failed", _("Failed the check")
        ISSUED = "issued", _("Handed over")

    bed = models.OneToOneField(
        Bed, on_delete=models.CASCADE, related_name="kit", verbose_name=_("bed")
    )
    kit_type = models.ForeignKey(
        KitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("kit type")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    failures = models.PositiveSmallIntegerField(_("failed checks"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bed kit")
        verbose_name_plural = _("bed kits")
        indexes = [models.Index(fields=["status"], name="bedkit_status_idx")]

    def __str__(self):
        return f"{self.bed}: {self.get_status_display()}"


class KitCheck(models.Model):
    """One check of one bed's kit for quality and quantity (验质验量); kept as evidence."""

    class Result(models.TextChoices):
        PASSED = "passed", pgettext_lazy("kit check", "Passed")
        FAILED = "failed", pgettext_lazy("kit check", "Failed")

    # PROTECT: checks are evidence; a bed with checks on record is never deleted.
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="kit_checks")
    kit_type = models.ForeignKey(KitType, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("kit check")
        verbose_name_plural = _("kit checks")

    def __str__(self):
        return f"{self.bed}: {self.get_result_display()}"


class KitCheckLine(models.Model):
    """One item of the kit's list in one check, counted and looked at (逐一验质验量): how many
    the list asks for (copied, so editing the list never changes a past check), how many were
    there, and whether their quality is acceptable."""

    kit_check = models.ForeignKey(
        KitCheck, on_delete=models.CASCADE, related_name="lines", verbose_name=_("kit check")
    )
    item = models.ForeignKey(
        KitItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("kit item")
    )
    expected = models.PositiveSmallIntegerField(_("quantity expected"))
    found = models.PositiveSmallIntegerField(_("quantity found"))
    quality_ok = models.BooleanField(_("quality acceptable"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["kit_check", "id"]
        verbose_name = _("kit check line")
        verbose_name_plural = _("kit check lines")

    def __str__(self):
        return f"{self.kit_check_id}/{self.item_id}: {self.found}/{self.expected}"

    @property
    def passed(self) -> bool:
        return self.found >= self.expected and self.quality_ok


# --- Room assets and stocktakes (固定资产) ---------------------------------------------------


class AssetCondition(models.TextChoices):
    GOOD = "good", _("Good")
    WORN = "worn", _("Worn")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")
    RETIRED = "retired", _("Retired")


class AssetType(BilingualName):
    """A kind of fitting (bed frame, desk, chair…) with the damage price list: what a repair
    and a replacement cost. A charge copies the price when it is made, so changing the list
    never changes a past charge."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    repair_cost = models.DecimalField(_("repair cost"), max_digits=10, decimal_places=2)
    replacement_cost = models.DecimalField(_("replacement cost"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["code"]
        verbose_name = _("asset type")
        verbose_name_plural = _("asset types")
        constraints = [
            models.CheckConstraint(
                condition=Q(repair_cost__gte=0) & Q(replacement_cost__gte=0),
                name="assettype_costs_not_negative",
            ),
        ]


class Storeroom(BilingualName):
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="storerooms", verbose_name=_("campus")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="storerooms",
        verbose_name=_("building"),
    )
    code = models.CharField(_("code"), max_length=30)

    class Meta:
        ordering = ["campus", "code"]
        verbose_name = _("storeroom")
        verbose_name_plural = _("storerooms")
        constraints = [
            models.UniqueConstraint(fields=["campus", "code"], name="storeroom_unique_code"),
        ]


class Asset(models.Model):
    """One fitting with its tag number, in a room or a storeroom: the books (帐)."""

    tag = models.CharField(_("tag number"), max_length=40, unique=True)
    asset_type = models.ForeignKey(
        AssetType, on_delete=models.PROTECT, related_name="assets", verbose_name=_("asset type")
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("room"),
    )
    storeroom = models.ForeignKey(
        Storeroom,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("storeroom"),
    )
    condition = models.CharField(
        _("condition"), max_length=20, choices=AssetCondition.choices, default=AssetCondition.GOOD
    )
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["tag"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            # Every asset is somewhere: in exactly one room or one storeroom.
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(storeroom__isnull=True))
                | (Q(room__isnull=True) & Q(storeroom__isnull=False)),
                name="asset_in_room_or_storeroom",
            ),
        ]
        indexes = [
            # The staff's search by the start of a tag (apartments.search).
            models.Index(
                fields=["tag"], name="asset_tag_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        return f"{self.tag} {self.asset_type}"


class Stocktake(models.Model):
    """A count of a building's or a storeroom's assets against the books (帐物相符)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Counting")
        COMPLETED = "completed", _("Completed")

    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stocktakes",
        verbose_name=_("building"),
    )
    storeroom = models.ForeignKey(
        Storeroom,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stocktakes",
        verbose_name=_("storeroom"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        constraints = [
            models.CheckConstraint(
                condition=(Q(building__isnull=False) & Q(storeroom__isnull=True))
                | (Q(building__isnull=True) & Q(storeroom__isnull=False)),
                name="stocktake_of_building_or_storeroom",
            ),
        ]

    def __str__(self):
        place = self.building or self.storeroom
        return f"{place} {self.started_at:%Y-%m-%d}"


class StocktakeLine(models.Model):
    """One tag in a stocktake: an asset on the books (found or not) or one found that the
    books lack, with its condition as counted and who answers for a difference."""

    stocktake = models.ForeignKey(
        Stocktake, on_delete=models.CASCADE, related_name="lines", verbose_name=_("stocktake")
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stocktake_lines",
        verbose_name=_("asset"),
    )
    tag = models.CharField(_("tag number"), max_length=40)
    found = models.BooleanField(_("found"), default=False)
    condition = models.CharField(
        _("condition found"), max_length=20, choices=AssetCondition.choices, blank=True
    )
    responsible = models.CharField(_("responsible"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        ordering = ["tag"]
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "tag"], name="stocktakeline_unique_tag"),
        ]

    def __str__(self):
        return f"{self.stocktake}: {self.tag}"


# --- Move-out (送老 / 退宿) ---------------------------------------------------------------------


class ReviewReason(models.TextChoices):
    NO_NOTICE = "no_notice", _("No move-out notice concerns this resident at that date")
    NOT_THEIR_GRADUATION = (
        "not_their_graduation",
        _("Filed for graduation, but no graduation notice of the resident's class covers the date"),
    )


class MoveOutReason(models.TextChoices):
    """The API's keys (CONTRACT.md)."""

    GRADUATION = "graduation", _("Graduation")
    TRANSFER = "transfer", _("Transfer")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    OFF_CAMPUS = "off_campus", _("Moving off campus")
    OTHER = "other", _("Other")


class MoveOutNotice(models.Model):
    """A move-out notice (退宿须知) for a term or group, in both languages; shown to the
    residents it concerns while published."""

    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200)
    body = models.TextField(_("text"))
    body_en = models.TextField(_("text in English"))
    campus = models.ForeignKey(
        Campus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="move_out_notices",
        verbose_name=_("campus"),
        help_text=_("Leave empty for every campus."),
    )
    # Resident categories concerned; empty: every category.
    categories = models.JSONField(_("resident categories"), default=list, blank=True)
    graduation_year = models.PositiveSmallIntegerField(
        _("graduation year"),
        null=True,
        blank=True,
        help_text=_("For a graduating group only; leave empty for everyone."),
    )
    move_out_from = models.DateField(_("move out from"))
    move_out_until = models.DateField(_("move out until"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-move_out_from", "-id"]
        verbose_name = _("move-out notice")
        verbose_name_plural = _("move-out notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(move_out_until__gte=models.F("move_out_from")),
                name="moveoutnotice_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.title


class MoveOutRequest(models.Model):
    """A resident's request to move out, followed from filing to leaving."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SCHEDULED = "scheduled", _("Inspection scheduled")
        INSPECTED = "inspected", _("Room inspected")
        CLEARED = "cleared", _("Cleared")
        LEFT = "left", _("Left")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.REQUESTED, Status.SCHEDULED, Status.INSPECTED, Status.CLEARED)

    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="move_out_requests",
        verbose_name=_("resident"),
    )
    stay = models.ForeignKey(
        Stay, on_delete=models.PROTECT, related_name="move_out_requests", verbose_name=_("stay")
    )
    planned_date = models.DateField(_("planned date"))
    reason = models.CharField(_("reason"), max_length=20, choices=MoveOutReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    inspection_at = models.DateTimeField(_("inspection at"), null=True, blank=True)
    keys_returned_at = models.DateTimeField(_("keys returned at"), null=True, blank=True)
    # The night the resident was reminded of the keys (apartments.reminders): once only.
    keys_reminded_on = models.DateField(_("keys reminder sent for"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    # Why a manager must look at it before it goes ahead: filed outside every move-out notice
    # that concerns the resident (apartments.move_out.outside_notice); "" when inside one.
    review = models.CharField(
        _("to be reviewed"), max_length=30, choices=ReviewReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("move-out request")
        verbose_name_plural = _("move-out requests")
        constraints = [
            # One request under way per resident: a second while one is open is refused.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status__in=["requested", "scheduled", "inspected", "cleared"]),
                name="moveoutrequest_one_open_per_resident",
            ),
        ]
        indexes = [
            # The move-out board: requests by status per building and group.
            models.Index(fields=["status", "planned_date"], name="moveout_status_date_idx"),
        ]

    def __str__(self):
        return f"{self.resident} {self.planned_date} ({self.get_status_display()})"


class RoomInspection(models.Model):
    """The check of a room against its asset list when residents move out (退宿验房)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Under way")
        COMPLETED = "completed", _("Completed")

    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("room")
    )
    requests = models.ManyToManyField(
        MoveOutRequest, related_name="inspections", verbose_name=_("move-out requests")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inspector"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Residents may dispute a charge until then (settings.MOVE_OUT_DISPUTE_DAYS after completion).
    dispute_until = models.DateTimeField(_("disputes until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("room inspection")
        verbose_name_plural = _("room inspections")

    def __str__(self):
        return f"{self.room} {self.started_at:%Y-%m-%d}"


class InspectionResult(models.TextChoices):
    OK = "ok", _("OK")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")


class InspectionItem(models.Model):
    """One asset of the room, as the inspector found it."""

    inspection = models.ForeignKey(RoomInspection, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="inspection_items", verbose_name=_("asset")
    )
    result = models.CharField(
        _("result"), max_length=20, choices=InspectionResult.choices, default=InspectionResult.OK
    )
    photo = models.ForeignKey(
        "logistics.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["asset__tag"]
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "asset"], name="inspectionitem_unique"),
        ]

    def __str__(self):
        return f"{self.asset}: {self.get_result_display()}"


class Charge(models.Model):
    """A damage charge to one resident: a damaged or missing item, or their share of it."""

    class Status(models.TextChoices):
        OPEN = "open", _("To be paid")
        DISPUTED = "disputed", _("Disputed")
        PAID = "paid", _("Paid")
        WAIVED = "waived", _("Waived")

    SETTLED = (Status.PAID, Status.WAIVED)

    item = models.ForeignKey(
        InspectionItem, on_delete=models.PROTECT, related_name="charges", verbose_name=_("item")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="charges", verbose_name=_("resident")
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    # The price list's figure for the whole item when the charge was made, and why the item's
    # charge differs from it, if it does.
    list_price = models.DecimalField(_("price list amount"), max_digits=10, decimal_places=2)
    price_reason = models.CharField(_("reason for the price"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    dispute_text = models.CharField(_("dispute"), max_length=500, blank=True)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settled by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
            models.UniqueConstraint(fields=["item", "resident"], name="charge_one_per_resident"),
        ]

    def __str__(self):
        return f"{self.resident} {self.amount} ({self.get_status_display()})"


class ConditionReport(models.Model):
    """After check-in, the resident confirms the room's asset list or disputes items: what
    move-out is later judged against."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the resident")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")
        RESOLVED = "resolved", _("Dispute resolved")

    stay = models.OneToOneField(
        Stay, on_delete=models.PROTECT, related_name="condition_report", verbose_name=_("stay")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    due_by = models.DateField(_("due by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    # The night the resident was reminded that it is due (apartments.reminders): once only.
    reminded_on = models.DateField(_("reminder sent for"), null=True, blank=True)

    class Meta:
        verbose_name = _("condition report")
        verbose_name_plural = _("condition reports")

    def __str__(self):
        return f"{self.stay}: {self.get_status_display()}"


class ConditionItem(models.Model):
    """An asset the resident says was not as listed when they moved in."""

    report = models.ForeignKey(ConditionReport, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=300)
    photo = models.ForeignKey(
        "logistics.Photo", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("disputed item")
        verbose_name_plural = _("disputed items")
        constraints = [
            models.UniqueConstraint(fields=["report", "asset"], name="conditionitem_unique"),
        ]

    def __str__(self):
        return f"{self.report}: {self.asset}"


class ZeroReport(models.Model):
    """A building's nightly safety report (零报告制): filed every night by its dorm manager or
    shift lead, "nothing to report" included, so that a missing report is itself an alarm
    (the nightly job raises `zero_report_missing`; apartments.safety)."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="zero_reports", verbose_name=_("building")
    )
    date = models.DateField(_("night of"))
    nothing_to_report = models.BooleanField(_("nothing to report"))
    note = models.TextField(_("note"), blank=True)
    # Counted by the portal, not typed in: late returns and hazards found that night. They stay
    # empty (not yet counted) until the late-return and safety-round features fill them in.
    late_returns = models.PositiveIntegerField(_("late returns"), null=True, blank=True)
    hazards_found = models.PositiveIntegerField(_("hazards found"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("zero report")
        verbose_name_plural = _("zero reports")
        constraints = [
            # One report per building and night, even from two phones at once.
            models.UniqueConstraint(fields=["building", "date"], name="zeroreport_one_per_night"),
        ]
        indexes = [
            # The nightly job and the per-night board read one date's reports.
            models.Index(fields=["date"], name="zeroreport_date_idx"),
        ]

    def __str__(self):
        return f"{self.building.code} {self.date}"


# --- Dorm safety: day and night rounds, hazards followed to the fix (apartments.rounds) -------


class RoundKind(models.TextChoices):
    DAY = "day", pgettext_lazy("safety round", "Day check")
    NIGHT = "night", pgettext_lazy("safety round", "Night check")


class SafetyRound(models.Model):
    """One building's day check (日检) or night check (夜检) on one date: the rooms to walk,
    planned by the nightly safety-inspection job (apartments.rounds.rounds_plan)."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="safety_rounds", verbose_name=_("building")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=RoundKind.choices)
    planned_at = models.DateTimeField(_("planned at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finished by"),
    )

    class Meta:
        ordering = ["-date", "building", "kind"]
        verbose_name = _("safety round")
        verbose_name_plural = _("safety rounds")
        constraints = [
            # One day round and one night round per building and date, however often (and
            # however concurrently) the nightly job plans them.
            models.UniqueConstraint(
                fields=["building", "date", "kind"], name="safetyround_one_per_kind"
            ),
        ]
        indexes = [
            # The API and the planning step read one date's rounds.
            models.Index(fields=["date"], name="safetyround_date_idx"),
        ]

    def __str__(self):
        return f"{self.building.code} {self.date} {self.get_kind_display()}"


class RoundRoom(models.Model):
    """A room on a round: pending until the staff record it as ok or with findings; rooms not
    reached when the round is finished are `not_reached` and come back on a later round."""

    class State(models.TextChoices):
        PENDING = "pending", _("To check")
        OK = "ok", _("All in order")
        FINDINGS = "findings", pgettext_lazy("safety round room", "Findings")
        NOT_REACHED = "not_reached", _("Not reached")

    CHECKED = (State.OK, State.FINDINGS)

    round = models.ForeignKey(
        SafetyRound, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("round")
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="round_rooms", verbose_name=_("room")
    )
    # Planned because of an open hazard (a re-check), not only because the room was due.
    recheck = models.BooleanField(_("re-check"), default=False)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    residents_present = models.PositiveSmallIntegerField(
        _("residents present"), null=True, blank=True
    )

    class Meta:
        ordering = ["round", "room__floor", "room__number"]
        verbose_name = _("room on a round")
        verbose_name_plural = _("rooms on a round")
        constraints = [
            models.UniqueConstraint(fields=["round", "room"], name="roundroom_one_per_round"),
            # A checked room says when it was checked.
            models.CheckConstraint(
                condition=~Q(state__in=["ok", "findings"]) | Q(checked_at__isnull=False),
                name="roundroom_checked_has_time",
            ),
        ]
        indexes = [
            # Planning: when each room was last checked.
            models.Index(fields=["room", "state"], name="roundroom_room_state_idx"),
        ]

    def __str__(self):
        return f"{self.round}: {self.room.number} ({self.get_state_display()})"


class HazardKind(models.TextChoices):
    BANNED_APPLIANCE = "banned_appliance", _("Banned appliance")
    BLOCKED_EXIT = "blocked_exit", _("Blocked fire exit")
    SMOKING = "smoking", _("Smoking")
    TAMPERED_WIRING = "tampered_wiring", _("Tampered wiring")
    EXTINGUISHER = "extinguisher", _("Extinguisher missing or expired")
    OTHER = "other", _("Other hazard")


class ApplianceKind(models.TextChoices):
    KETTLE = "kettle", _("Kettle")
    HEATER = "heater", _("Heater")
    HOT_PLATE = "hot_plate", _("Hot plate")
    HAIR_STRAIGHTENER = "hair_straightener", _("Hair straightener or curler")
    OTHER = "other", _("Other appliance")


class Hazard(models.Model):
    """A finding of a round (安全隐患), followed to the fix: open → rectified (by a resident of
    the room or the staff) → verified on a re-check, or reopened. Its deadline comes from
    SAFETY_HAZARD_DEADLINE_DAYS for its kind; past it, the nightly job escalates."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("hazard state", "Open")
        RECTIFIED = "rectified", pgettext_lazy("hazard state", "Rectified, to verify")
        VERIFIED = "verified", pgettext_lazy("hazard state", "Verified")
        REOPENED = "reopened", pgettext_lazy("hazard state", "Reopened")

    # The states in which the hazard is still there to fix (and its room is re-checked).
    UNFIXED = (State.OPEN, State.REOPENED)
    UNCLOSED = (State.OPEN, State.REOPENED, State.RECTIFIED)

    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="hazards", verbose_name=_("room")
    )
    round_room = models.ForeignKey(
        RoundRoom,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hazards",
        verbose_name=_("found on"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=HazardKind.choices)
    appliance = models.CharField(
        _("appliance"), max_length=30, choices=ApplianceKind.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    photo = models.ForeignKey(
        "logistics.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("found by"),
    )
    found_at = models.DateTimeField(_("found at"))
    deadline = models.DateField(_("rectify by"))
    # Who follows it to the fix: the staff member who found it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rectified by"),
    )
    rectification_note = models.TextField(_("what was done"), blank=True)
    rectification_photo = models.ForeignKey(
        "logistics.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo of the fix"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    last_note = models.TextField(_("re-check note"), blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        constraints = [
            # Closed means someone verified it, on a known day.
            models.CheckConstraint(
                condition=~Q(state="verified")
                | Q(verified_by__isnull=False, verified_at__isnull=False),
                name="hazard_verified_has_verifier",
            ),
            models.CheckConstraint(
                condition=~Q(state="rectified") | Q(rectified_at__isnull=False),
                name="hazard_rectified_has_time",
            ),
            # An appliance kind exactly for banned appliances.
            models.CheckConstraint(
                condition=(Q(kind="banned_appliance") & ~Q(appliance=""))
                | (~Q(kind="banned_appliance") & Q(appliance="")),
                name="hazard_appliance_for_banned_only",
            ),
        ]
        indexes = [
            # Escalation: unfixed hazards past their deadline.
            models.Index(fields=["state", "deadline"], name="hazard_state_deadline_idx"),
        ]

    def __str__(self):
        return f"{self.room} {self.get_kind_display()} ({self.get_state_display()})"


class Confiscation(models.Model):
    """An appliance taken from a room (没收): what, from whom, and when it was given back."""

    hazard = models.ForeignKey(
        Hazard, on_delete=models.PROTECT, related_name="confiscations", verbose_name=_("hazard")
    )
    item = models.CharField(_("what"), max_length=200)
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confiscations",
        verbose_name=_("from"),
    )
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("confiscated appliance")
        verbose_name_plural = _("confiscated appliances")
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_by__isnull=True) | Q(returned_at__isnull=False),
                name="confiscation_returned_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.item} ({self.hazard.room})"


class LateReturn(models.Model):
    """A resident who came back to their building after hours (晚归), recorded by its desk.

    A return belongs to a night: the date of the evening it started. One after midnight but
    before SAFETY_NIGHT_ENDS (default 06:00, local) belongs to the night before
    (apartments.late_returns.night_of). One record per resident and night: a second scan, or
    two desks at once, records nothing more."""

    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="late_returns",
        verbose_name=_("resident"),
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="late_returns", verbose_name=_("building")
    )
    night = models.DateField(_("night of"))
    returned_at = models.DateTimeField(_("returned at"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("late return")
        verbose_name_plural = _("late returns")
        constraints = [
            # One record per resident and night, even from two desks at once.
            models.UniqueConstraint(fields=["resident", "night"], name="latereturn_one_per_night"),
        ]
        indexes = [
            # The night's list of a building and the zero report's count.
            models.Index(fields=["building", "night"], name="latereturn_building_night_idx"),
        ]

    def __str__(self):
        return f"{self.resident.student_id} {self.night}"


class FireEquipment(models.Model):
    """An extinguisher (灭火器), a hydrant (消火栓) or other fire equipment of a building, with
    the date of its next monthly check and its expiry (apartments.fire_equipment)."""

    class Kind(models.TextChoices):
        EXTINGUISHER = "extinguisher", _("Fire extinguisher")
        HYDRANT = "hydrant", _("Fire hydrant")
        OTHER = "other", _("Other fire equipment")

    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        related_name="fire_equipment",
        verbose_name=_("building"),
    )
    floor = models.SmallIntegerField(_("floor"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=40, help_text=_("The number on its label."))
    location = models.CharField(
        _("location"), max_length=200, blank=True, help_text=_("Where it is, e.g. by room 305.")
    )
    next_inspection = models.DateField(_("next inspection"))
    expires_on = models.DateField(
        _("expires on"),
        null=True,
        blank=True,
        help_text=_("Empty for equipment that does not expire."),
    )

    class Meta:
        ordering = ["building", "floor", "code"]
        verbose_name = _("fire equipment")
        verbose_name_plural = _("fire equipment")
        constraints = [
            models.UniqueConstraint(fields=["building", "code"], name="fireequipment_unique_code"),
        ]
        indexes = [
            # The nightly job's due and expiring equipment.
            models.Index(fields=["next_inspection"], name="fireequipment_next_idx"),
            models.Index(fields=["expires_on"], name="fireequipment_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.building.code} {self.code}"


class FireEquipmentCheck(models.Model):
    """One monthly check of a piece of fire equipment: fine, or an issue with a note."""

    equipment = models.ForeignKey(
        FireEquipment,
        on_delete=models.PROTECT,
        related_name="checks",
        verbose_name=_("fire equipment"),
    )
    checked_on = models.DateField(_("checked on"))
    checked_at = models.DateTimeField(_("checked at"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    ok = models.BooleanField(_("in order"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("fire equipment check")
        verbose_name_plural = _("fire equipment checks")
        constraints = [
            # One check per item and day: a double tap records once.
            models.UniqueConstraint(
                fields=["equipment", "checked_on"], name="fireequipmentcheck_one_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.equipment} {self.checked_on}"


class Handover(models.Model):
    """A shift hand-over (交接班) of a building: the outgoing shift lead writes what the next
    shift must know (open items, keys and equipment counted, notes); the incoming lead
    acknowledges it, after which it is read-only: the service refuses any change and, on
    PostgreSQL, so does the database (a trigger, migration 0013)."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("building")
    )
    outgoing = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("outgoing shift lead"),
    )
    incoming = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("incoming shift lead"),
    )
    written_at = models.DateTimeField(_("written at"))
    open_items = models.TextField(
        _("open items"),
        blank=True,
        help_text=_("One per line: hazards, repairs waiting, residents to follow up."),
    )
    keys_counted = models.PositiveIntegerField(_("keys counted"))
    equipment_counted = models.PositiveIntegerField(_("equipment counted"))
    notes = models.TextField(_("notes"), blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shift hand-over")
        verbose_name_plural = _("shift hand-overs")
        constraints = [
            # One hand-over waiting per building: a double tap (or two phones) writes once.
            models.UniqueConstraint(
                fields=["building"],
                condition=Q(acknowledged_at__isnull=True),
                name="handover_one_pending_per_building",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="handover_acknowledged_by_and_at",
            ),
        ]
        indexes = [
            models.Index(fields=["building", "-written_at"], name="handover_building_idx"),
        ]

    def __str__(self):
        return f"{self.building.code} {self.written_at:%Y-%m-%d %H:%M}"

    @property
    def open_item_lines(self) -> list[str]:
        return [line.strip() for line in self.open_items.splitlines() if line.strip()]


class AgreementLevel(models.TextChoices):
    """The levels at which safety responsibility agreements (安全责任状) are signed."""

    CENTER_DEPARTMENT = "center_department", _("Center → department")
    DEPARTMENT_MANAGER = "department_manager", _("Department → building manager")
    MANAGER_STAFF = "manager_staff", _("Building manager → service staff")
    MANAGER_STUDENT = "manager_student", _("Building manager → student")


class AgreementText(models.Model):
    """The text of a level's responsibility agreement for a year, versioned, in both
    languages. A new version is a new row; signatures name the version they signed."""

    level = models.CharField(_("level"), max_length=30, choices=AgreementLevel.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    text = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["-year", "level", "-version"]
        verbose_name = _("responsibility agreement text")
        verbose_name_plural = _("responsibility agreement texts")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "year", "version"], name="agreementtext_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.get_level_display()} {self.year} v{self.version}"


class AgreementSignature(models.Model):
    """Someone's signature of an agreement text: in the portal, or on paper recorded at the
    desk by `recorded_by`. One per person and version (a double tap signs once)."""

    agreement = models.ForeignKey(
        AgreementText,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("agreement"),
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agreement_signatures",
        verbose_name=_("signer"),
    )
    # The building the signer signed for (the building levels), for the coverage board.
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement_signatures",
        verbose_name=_("building"),
    )
    signed_at = models.DateTimeField(_("signed at"))
    on_paper = models.BooleanField(_("signed on paper"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("agreement signature")
        verbose_name_plural = _("agreement signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "signer"], name="agreementsignature_once_per_version"
            ),
        ]

    def __str__(self):
        return f"{self.signer} {self.agreement}"

"""Buildings, rooms, beds and the residents who live in them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class Room(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("building")
    )
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("room number"), max_length=20)
    capacity = models.PositiveSmallIntegerField(_("beds"))

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
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="residents", verbose_name=_("campus")
    )
    college = models.CharField(_("college"), max_length=100, blank=True)
    class_name = models.CharField(_("class"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
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
        ]

    def __str__(self):
        return f"{self.student_id} {self.name}"

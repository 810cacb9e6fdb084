from django.contrib import admin

from apartments.models import (
    Bed,
    BedKit,
    Building,
    BuildingAssignment,
    KitCheck,
    KitItem,
    KitType,
    Resident,
    Room,
    Stay,
)
from logistics.admin import ReadOnlyAdmin


class AssignmentInline(admin.TabularInline):
    model = BuildingAssignment
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "campus", "gender_policy", "floors"]
    list_filter = ["campus", "gender_policy"]
    search_fields = ["code", "name", "name_en"]
    inlines = [AssignmentInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["__str__", "floor", "capacity"]
    list_filter = ["building__campus", "building"]
    search_fields = ["number", "building__code"]
    list_select_related = ["building"]


@admin.register(Bed)
class BedAdmin(admin.ModelAdmin):
    list_display = ["__str__"]
    list_select_related = ["room__building"]
    search_fields = ["room__number", "room__building__code"]
    raw_id_fields = ["room"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["student_id", "name", "gender", "category", "campus", "college"]
    list_filter = ["campus", "category", "gender"]
    search_fields = ["student_id", "name", "phone"]
    list_select_related = ["campus"]
    raw_id_fields = ["user"]


# --- move-in: stays and bedding kits ---


class KitItemInline(admin.TabularInline):
    model = KitItem
    extra = 1


@admin.register(KitType)
class KitTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]
    inlines = [KitItemInline]


@admin.register(BedKit)
class BedKitAdmin(ReadOnlyAdmin):
    list_display = ["bed", "kit_type", "status", "failures", "updated_at"]
    list_filter = ["status", "kit_type", "bed__room__building"]
    list_select_related = ["bed__room__building", "kit_type"]
    search_fields = ["bed__room__number", "bed__room__building__code"]


@admin.register(KitCheck)
class KitCheckAdmin(ReadOnlyAdmin):
    list_display = ["bed", "kit_type", "result", "reason", "checked_by", "checked_at"]
    list_filter = ["result", "kit_type", "bed__room__building"]
    list_select_related = ["bed__room__building", "kit_type", "checked_by"]
    search_fields = ["bed__room__number", "bed__room__building__code", "reason"]
    date_hierarchy = "checked_at"


@admin.register(Stay)
class StayAdmin(admin.ModelAdmin):
    list_display = ["resident", "bed", "status", "checked_in_at", "key_issued", "kit_issued"]
    list_filter = ["status", "bed__room__building__campus", "bed__room__building"]
    list_select_related = ["resident", "bed__room__building"]
    search_fields = ["resident__student_id", "resident__name", "bed__room__building__code"]
    raw_id_fields = ["resident", "bed", "checked_in_by"]
    date_hierarchy = "checked_in_at"

from django.contrib import admin

from apartments.models import Bed, Building, BuildingAssignment, Resident, Room


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

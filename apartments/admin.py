from django.contrib import admin

from apartments.models import (
    AgreementSignature,
    AgreementText,
    Bed,
    BedKit,
    Building,
    BuildingAssignment,
    Confiscation,
    FireEquipment,
    FireEquipmentCheck,
    Handover,
    Hazard,
    KitCheck,
    KitItem,
    KitType,
    LateReturn,
    Resident,
    Room,
    SafetyRound,
    Stay,
    ZeroReport,
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


# --- stocktakes: records, looked at here, changed only through the stocktake pages ---
# (imported here, not above, so that this section stays one appended block)
from apartments.models import Stocktake, StocktakeLine  # noqa: E402


class StocktakeLineInline(admin.TabularInline):
    model = StocktakeLine
    fields = ["tag", "asset", "found", "condition", "responsible", "note", "counted_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset__asset_type", "counted_by")


@admin.register(Stocktake)
class StocktakeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "building", "storeroom", "status", "started_by", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["building", "storeroom", "started_by"]
    date_hierarchy = "started_at"
    inlines = [StocktakeLineInline]


# --- room assets: the damage price list, storerooms and the asset register ---
# (imported here, not above, so that this section stays one appended block)
from apartments.models import Asset, AssetType, Storeroom  # noqa: E402


@admin.register(AssetType)
class AssetTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "repair_cost", "replacement_cost"]
    # The price list is kept here: prices are edited in the list itself.
    list_editable = ["repair_cost", "replacement_cost"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Storeroom)
class StoreroomAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "campus", "building"]
    list_filter = ["campus"]
    list_select_related = ["campus", "building"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["building"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["tag", "asset_type", "room", "storeroom", "condition", "acquired_on"]
    list_filter = ["asset_type", "condition", "room__building__campus", "room__building"]
    list_select_related = ["asset_type", "room__building", "storeroom"]
    search_fields = ["tag"]
    raw_id_fields = ["room", "storeroom"]
    date_hierarchy = "acquired_on"


# --- move-out: notices and requests ---

from apartments.models import MoveOutNotice, MoveOutRequest  # noqa: E402


@admin.register(MoveOutNotice)
class MoveOutNoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "campus", "graduation_year", "move_out_from", "move_out_until"]
    list_filter = ["campus", "graduation_year"]
    list_select_related = ["campus"]
    search_fields = ["title", "title_en"]
    readonly_fields = ["published_at", "created_by", "created_at"]
    date_hierarchy = "move_out_from"


@admin.register(MoveOutRequest)
class MoveOutRequestAdmin(ReadOnlyAdmin):
    list_display = ["resident", "stay", "planned_date", "reason", "status", "inspection_at"]
    list_filter = ["status", "reason", "stay__bed__room__building"]
    list_select_related = ["resident", "stay__bed__room__building"]
    search_fields = ["resident__student_id", "resident__name"]
    date_hierarchy = "planned_date"


@admin.register(ZeroReport)
class ZeroReportAdmin(ReadOnlyAdmin):
    """The nightly reports are evidence (零报告制): filed on the portal, never changed here."""

    list_display = ["date", "building", "nothing_to_report", "filed_by", "filed_at"]
    list_filter = ["nothing_to_report", "building__campus"]
    date_hierarchy = "date"
    search_fields = ["building__code", "note"]
    list_select_related = ["building", "filed_by"]


@admin.register(SafetyRound)
class SafetyRoundAdmin(ReadOnlyAdmin):
    """Planned by the nightly job and walked on the portal: evidence, never changed here."""

    list_display = ["date", "kind", "building", "finished_at", "finished_by"]
    list_filter = ["kind", "building__campus"]
    date_hierarchy = "date"
    search_fields = ["building__code"]
    list_select_related = ["building", "finished_by"]


@admin.register(Hazard)
class HazardAdmin(ReadOnlyAdmin):
    """Followed to the fix on the portal (apartments.rounds), never changed here."""

    list_display = ["room", "kind", "appliance", "state", "deadline", "found_at"]
    list_filter = ["state", "kind", "room__building__campus"]
    date_hierarchy = "found_at"
    search_fields = ["room__building__code", "room__number", "note"]
    list_select_related = ["room__building"]


@admin.register(Confiscation)
class ConfiscationAdmin(ReadOnlyAdmin):
    list_display = ["item", "hazard", "resident", "taken_at", "returned_at"]
    list_select_related = ["hazard__room__building", "resident"]
    search_fields = ["item", "resident__student_id"]


@admin.register(LateReturn)
class LateReturnAdmin(ReadOnlyAdmin):
    """Late returns are recorded at the building's desk (or the API), not here."""

    list_display = ["night", "resident", "building", "returned_at", "recorded_by"]
    list_filter = ["building__campus"]
    date_hierarchy = "night"
    search_fields = ["resident__student_id", "resident__name", "building__code"]
    list_select_related = ["resident", "building", "recorded_by"]


@admin.register(FireEquipment)
class FireEquipmentAdmin(admin.ModelAdmin):
    """The back office enters and retires a building's fire equipment here; the monthly checks
    are recorded on the portal's pages."""

    list_display = ["code", "building", "floor", "kind", "next_inspection", "expires_on"]
    list_filter = ["kind", "building__campus"]
    search_fields = ["code", "location", "building__code"]
    list_select_related = ["building"]


@admin.register(FireEquipmentCheck)
class FireEquipmentCheckAdmin(ReadOnlyAdmin):
    list_display = ["equipment", "checked_on", "ok", "checked_by"]
    list_filter = ["ok"]
    date_hierarchy = "checked_on"
    list_select_related = ["equipment__building", "checked_by"]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    """Written and acknowledged on the portal; acknowledged ones the database keeps read-only."""

    list_display = ["building", "written_at", "outgoing", "incoming", "acknowledged_at"]
    list_filter = ["building__campus"]
    date_hierarchy = "written_at"
    list_select_related = ["building", "outgoing", "incoming"]


@admin.register(AgreementText)
class AgreementTextAdmin(admin.ModelAdmin):
    """The back office publishes each level's agreement text per year; a change of wording is
    a new version (a new row), so that signatures keep naming what was signed."""

    list_display = ["level", "year", "version", "title", "published_at"]
    list_filter = ["level", "year"]

    def get_readonly_fields(self, request, obj=None):
        # A published text that has been signed is never reworded: publish a new version.
        if obj is not None and obj.signatures.exists():
            return ["level", "year", "version", "title", "title_en", "text", "text_en"]
        return []


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(ReadOnlyAdmin):
    list_display = ["signer", "agreement", "building", "signed_at", "on_paper", "recorded_by"]
    list_filter = ["on_paper", "agreement__level", "agreement__year"]
    search_fields = ["signer__username"]
    list_select_related = ["signer", "agreement", "building", "recorded_by"]

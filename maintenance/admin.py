"""The back office's view of repairs. Reference data (categories, public areas, the roster,
materials) is edited here; repair requests and the storeroom ledger are records, changed only
through the services (maintenance.services, maintenance.stores) and never here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from logistics.admin import ReadOnlyAdmin
from maintenance.models import (
    Campaign,
    Category,
    Material,
    Meter,
    MeterReading,
    PublicArea,
    RepairItem,
    RoomTask,
    Schedule,
    Stock,
    StockMovement,
    Technician,
    Ticket,
    TicketEvent,
    TicketItem,
    TicketPhoto,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "response_minutes", "completion_hours", "position"]
    list_display_links = ["code", "name"]
    # The promised limits are what the center adjusts most; a ticket keeps the deadlines it was
    # filed with, so editing them here never moves a past promise.
    list_editable = ["response_minutes", "completion_hours", "position"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(PublicArea)
class PublicAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "campus", "building"]
    list_filter = ["campus", "building"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["campus", "building"]
    autocomplete_fields = ["campus"]
    raw_id_fields = ["building"]


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["user", "campus", "is_active"]
    list_filter = ["campus", "is_active", "skills"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user", "campus"]
    filter_horizontal = ["skills"]
    raw_id_fields = ["user"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = readonly_fields = ["at", "kind", "actor", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TicketItemInline(ReadOnlyInline):
    model = TicketItem
    fields = readonly_fields = ["item", "quantity", "points", "by", "at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "by")


class TicketPhotoInline(ReadOnlyInline):
    model = TicketPhoto
    fields = readonly_fields = ["kind", "photo"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("photo")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "status",
        "urgency",
        "campus",
        "building",
        "category",
        "reporter",
        "technician",
        "created_at",
        "complete_by",
        "rating",
    ]
    list_filter = [
        "status",
        "urgency",
        "campus",
        "category",
        "follow_up_needed",
        "auto_confirmed",
    ]
    search_fields = [
        "=id",
        "description",
        "reporter__username",
        "reporter__full_name",
        "technician__username",
        "technician__full_name",
    ]
    list_select_related = ["campus", "building", "category", "reporter", "technician"]
    date_hierarchy = "created_at"
    inlines = [TicketEventInline, TicketItemInline, TicketPhotoInline]

    @admin.display(description=_("number"), ordering="id")
    def number(self, ticket):
        return ticket.number


@admin.register(RepairItem)
class RepairItemAdmin(admin.ModelAdmin):
    """The center's points table (维修项目计票表). A job's lines keep the points they were
    counted at: changing an item's points changes future jobs only."""

    list_display = ["code", "name", "name_en", "category", "points", "position", "is_active"]
    list_display_links = ["code", "name"]
    list_editable = ["points", "position", "is_active"]
    list_filter = ["is_active", "category"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["category"]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "unit", "unit_cost", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    """The low-stock level is set here; the balance only moves through the ledger."""

    list_display = ["material", "storeroom", "balance", "low_at", "is_low"]
    list_filter = ["storeroom__campus", "storeroom"]
    search_fields = ["material__code", "material__name", "storeroom__code"]
    list_select_related = ["material", "storeroom"]
    autocomplete_fields = ["material"]
    readonly_fields = ["balance"]

    def get_readonly_fields(self, request, obj=None):
        # A stock's storeroom and material are its identity in the ledger: fixed once made.
        if obj is not None:
            return ["storeroom", "material", "balance"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("low"), boolean=True)
    def is_low(self, stock):
        return stock.is_low


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    """The ledger: a mistake is corrected by an adjustment with a reason, never by an edit."""

    list_display = ["at", "kind", "stock", "quantity", "unit_cost", "ticket", "by", "reason"]
    list_filter = ["kind", "stock__storeroom"]
    search_fields = ["stock__material__code", "stock__material__name", "reason", "=ticket__id"]
    list_select_related = ["stock__material", "stock__storeroom", "ticket", "by"]
    date_hierarchy = "at"


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Campaigns are started and closed on their pages (maintenance.campaigns), which keep the
    rooms' readiness; here they are only looked at."""

    list_display = ["name", "campus", "move_in_date", "status", "created_at"]
    list_filter = ["status", "campus"]
    list_select_related = ["campus"]


@admin.register(RoomTask)
class RoomTaskAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "building", "room", "status", "done_at"]
    list_filter = ["status"]
    list_select_related = ["campaign", "building", "room__building"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "campus", "unit", "every", "next_due", "owner", "is_active"]
    list_filter = ["is_active", "unit", "campus"]
    search_fields = ["name"]
    list_select_related = ["campus", "owner"]
    raw_id_fields = ["building", "room", "area", "owner", "asset_type", "meter"]


class MeterReadingInline(admin.TabularInline):
    model = MeterReading
    extra = 0
    can_delete = False
    fields = ["at", "value", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # readings go through maintenance.meters.reading_record (checked)


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ["name", "campus", "unit", "reading", "read_at", "is_active"]
    list_filter = ["is_active", "unit", "campus"]
    search_fields = ["name"]
    list_select_related = ["campus"]
    raw_id_fields = ["building", "room", "area"]
    readonly_fields = ["reading", "read_at"]
    inlines = [MeterReadingInline]

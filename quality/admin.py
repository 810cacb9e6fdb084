"""The back office of the quality app.

Inspection records are evidence: the admin shows them and never adds, changes or deletes one
(a draft is discarded by its auditor in the portal; a sealed record is never deleted). The
Inspection changelist links to "Verify the seal chain". A checklist version's items may be
edited here only while the version is a draft.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from logistics.admin import ReadOnlyAdmin
from quality import checklists, seals
from quality.inspections import chain_verdict
from quality.models import (
    ChainAnchor,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
)

# --- Service standards ---------------------------------------------------------------------


class VersionInline(admin.TabularInline):
    model = ChecklistVersion
    fields = ["number", "status", "note", "published_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "area", "created_at"]
    list_filter = ["area"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["area"]
    inlines = [VersionInline]

    def has_delete_permission(self, request, obj=None):
        # A checklist with versions is the history of a standard; nothing to delete.
        return obj is None or not obj.versions.exists()


class ItemInline(admin.TabularInline):
    model = ChecklistItem
    fields = [
        "position",
        "text",
        "text_en",
        "weight",
        "rule",
        "max_score",
        "allow_na",
        "servqual",
        "characteristic",
    ]
    extra = 0

    def _is_draft(self, obj) -> bool:
        return obj is None or obj.status == ChecklistVersion.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    list_display = ["checklist", "number", "status", "published_at", "published_by"]
    list_filter = ["status", "checklist__area"]
    list_select_related = ["checklist", "published_by"]
    search_fields = ["checklist__code", "checklist__name", "note"]
    readonly_fields = [
        "checklist",
        "number",
        "status",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    ]
    fields = [*readonly_fields, "note"]
    inlines = [ItemInline]
    actions = ["publish"]

    def has_add_permission(self, request):
        return False  # new versions are drafts made from the checklist (portal or service)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != ChecklistVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != ChecklistVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                checklists.version_publish(actor=request.user, version=version)
            except checklists.ChecklistError as error:
                self.message_user(request, f"{version}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(v)s published.") % {"v": version})


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "version", "position", "weight", "rule", "servqual"]
    list_filter = ["rule", "servqual", "characteristic", "version__status"]
    list_select_related = ["version__checklist"]
    search_fields = ["text", "text_en"]


# --- Inspection records and the seal chain ---------------------------------------------------


class AnswerInline(admin.TabularInline):
    model = InspectionAnswer
    fields = ["item", "result", "score", "comment", "photo", "photo_sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "status",
        "sequence",
        "department",
        "area",
        "place",
        "auditor",
        "submitted_at",
        "score",
    ]
    list_filter = ["status", "area", "department", "campus"]
    list_select_related = ["department", "area", "auditor"]
    search_fields = ["place", "seal"]
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]
    change_list_template = "admin/quality/inspection/change_list.html"

    def get_urls(self):
        verify = path(
            "verify-chain/",
            self.admin_site.admin_view(self.verify_chain_view),
            name="quality_inspection_verify_chain",
        )
        return [verify, *super().get_urls()]

    def verify_chain_view(self, request):
        """Run the verification of the whole chain and show its result."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        check_photos = request.GET.get("photos") == "1"
        report = seals.verify_chain(check_photos=check_photos)
        headline, details = chain_verdict(report)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Verify the seal chain"),
            "opts": self.model._meta,
            "report": report,
            "headline": headline,
            "details": details,
            "check_photos": check_photos,
            "anchors": list(ChainAnchor.objects.order_by("-at", "-id")[:5]),
        }
        return TemplateResponse(request, "admin/quality/chain_verify.html", context)


@admin.register(InspectionAnswer)
class InspectionAnswerAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "inspection", "item", "result", "score"]
    list_filter = ["result"]
    list_select_related = ["inspection", "item"]
    raw_id_fields = ["inspection", "item", "photo"]


@admin.register(ChainAnchor)
class ChainAnchorAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "seal", "at"]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from logistics.models import (
    AuditEvent,
    Campus,
    Department,
    JobRun,
    RoleGrant,
    ServiceArea,
    SignInGuard,
    User,
)

admin.site.site_header = _("Logistics portal administration")
admin.site.site_title = _("Logistics portal")


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["campus", "department"]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "full_name", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "full_name", "email", "phone"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "email", "phone"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    inlines = [RoleGrantInline]


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "position"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]
    filter_horizontal = ["service_areas"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as evidence: looked at in the admin, never changed there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target_repr"]
    list_filter = ["action"]
    search_fields = ["target_repr", "actor__username", "action"]
    list_select_related = ["actor"]
    date_hierarchy = "at"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "for_date", "status", "items", "started_at", "finished_at", "trigger"]
    list_filter = ["status", "job"]
    date_hierarchy = "for_date"


@admin.register(SignInGuard)
class SignInGuardAdmin(admin.ModelAdmin):
    """The per-account sign-in limit (logistics.signin): who failed to sign in lately, which
    accounts are locked. Deleting a row lifts the lock and forgets the failures."""

    list_display = ["username", "locked_until", "failure_count", "updated_at"]
    search_fields = ["username"]
    readonly_fields = ["username", "failures", "locked_until", "updated_at"]

    @admin.display(description=_("recent failures"))
    def failure_count(self, guard):
        return len(guard.failures)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

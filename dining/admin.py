from django.contrib import admin

from dining import models


class CanteenAssignmentInline(admin.TabularInline):
    model = models.CanteenAssignment
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Canteen)
class CanteenAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "campus", "active"]
    list_filter = ["campus", "active"]
    search_fields = ["name", "name_en"]
    inlines = [CanteenAssignmentInline]


@admin.register(models.Dish)
class DishAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "canteen", "category"]
    list_filter = ["canteen", "category"]
    search_fields = ["name", "name_en"]


@admin.register(models.DishPrice)
class DishPriceAdmin(admin.ModelAdmin):
    list_display = ["dish", "price", "valid_from", "valid_to", "set_by", "reason"]
    readonly_fields = ["set_at"]


@admin.register(models.FoodWorker)
class FoodWorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "canteen", "job", "on_roster"]
    list_filter = ["canteen", "on_roster"]


@admin.register(models.Fridge)
class FridgeAdmin(admin.ModelAdmin):
    list_display = ["name", "canteen", "kind", "active"]


class CertificateInline(admin.TabularInline):
    model = models.SupplierCertificate
    extra = 0


@admin.register(models.Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "contact"]
    inlines = [CertificateInline]

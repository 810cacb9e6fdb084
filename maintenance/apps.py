from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = _("Maintenance")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from maintenance import photos  # noqa: F401 - registers who may see repair photos
        from maintenance.models import Category
        from maintenance.selectors import categories_forget

        # The cached categories (selectors.categories_all) are dropped on every change.
        post_save.connect(categories_forget, sender=Category, dispatch_uid="categories_forget")
        post_delete.connect(categories_forget, sender=Category, dispatch_uid="categories_forget_d")

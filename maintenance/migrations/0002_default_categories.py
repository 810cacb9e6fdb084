"""The fault categories every installation starts with, so that repair requests (and the API's
ticket categories) work from the first start. The center edits them afterwards."""

from django.db import migrations

CATEGORIES = [
    # (code, Chinese name, English name, response minutes, completion hours)
    ("plumbing", "水管/下水", "Plumbing and drains", 60, 24),
    ("electrical", "电路/照明", "Electrical and lighting", 60, 24),
    ("doors_locks", "门窗/门锁", "Doors, windows and locks", 30, 8),
    ("furniture", "家具", "Furniture", 240, 72),
    ("air_conditioning", "空调", "Air conditioning", 240, 48),
    ("water_heater", "热水器", "Water heater", 120, 24),
    ("network", "网络", "Network", 240, 48),
    ("other", "其他", "Other", 240, 72),
]


def create_categories(apps, schema_editor):
    Category = apps.get_model("maintenance", "Category")
    for position, (code, name, name_en, response, completion) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "response_minutes": response,
                "completion_hours": completion,
                "position": position,
            },
        )


def remove_categories(apps, schema_editor):
    Category = apps.get_model("maintenance", "Category")
    Ticket = apps.get_model("maintenance", "Ticket")
    used = set(Ticket.objects.values_list("category__code", flat=True))
    Category.objects.filter(code__in=[c[0] for c in CATEGORIES]).exclude(code__in=used).delete()


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0001_initial")]

    operations = [migrations.RunPython(create_categories, remove_categories)]

"""The fault categories a fresh installation starts with, and their promised time limits
(限时承诺). Migration 0002 keeps its own frozen copy, as migrations should; code that needs the
categories and may find them missing (a flushed test database) restores them from here. The
center edits the limits afterwards on the categories page."""

DEFAULT_CATEGORIES = [
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


def categories_ensure():
    """The default categories, created where missing (edited ones are left as they are)."""
    from maintenance.models import Category

    categories = {}
    for position, (code, name, name_en, response, completion) in enumerate(
        DEFAULT_CATEGORIES, start=1
    ):
        categories[code], _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "response_minutes": response,
                "completion_hours": completion,
                "position": position,
            },
        )
    return categories


# The category of the jobs preventive schedules generate (migration 0005 keeps its own copy):
# inactive, so people cannot file under it; only schedules do.
PREVENTIVE = ("preventive", "计划维护", "Preventive maintenance", 3 * 24 * 60, 7 * 24)


def preventive_category_ensure():
    """The preventive-maintenance category, created if missing."""
    from maintenance.models import Category

    code, name, name_en, response, completion = PREVENTIVE
    category, _ = Category.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "name_en": name_en,
            "response_minutes": response,
            "completion_hours": completion,
            "position": 90,
            "is_active": False,
        },
    )
    return category

"""The category of the jobs preventive schedules generate (maintenance.preventive), with its own
time limits. It takes no requests from people (inactive): only schedules file under it."""

from django.db import migrations

CODE = "preventive"


def create_category(apps, schema_editor):
    Category = apps.get_model("maintenance", "Category")
    Category.objects.get_or_create(
        code=CODE,
        defaults={
            "name": "计划维护",
            "name_en": "Preventive maintenance",
            # A planned job is started within three days and done within a week.
            "response_minutes": 3 * 24 * 60,
            "completion_hours": 7 * 24,
            "position": 90,
            "is_active": False,
        },
    )


def remove_category(apps, schema_editor):
    Category = apps.get_model("maintenance", "Category")
    Ticket = apps.get_model("maintenance", "Ticket")
    Schedule = apps.get_model("maintenance", "Schedule")
    category = Category.objects.filter(code=CODE).first()
    if category is None:
        return
    if Ticket.objects.filter(category=category).exists():
        return
    if Schedule.objects.filter(category=category).exists():
        return
    category.delete()


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0004_planned_maintenance")]

    operations = [migrations.RunPython(create_category, remove_category)]

"""The service areas of the ISO 9001 service standards: reference data every installation
needs (checklists, departments and scorecards refer to them)."""

from django.db import migrations

AREAS = [
    ("dining", "饮食服务", "Dining"),
    ("reception", "接待服务", "Reception"),
    ("commerce", "商贸服务", "Commerce"),
    ("transport", "交通服务", "Transport"),
    ("health_care", "医疗保健", "Health care"),
    ("apartments", "学生公寓", "Apartments"),
    ("maintenance_utilities", "维修与水电", "Maintenance and utilities"),
    ("cleaning_greening", "保洁绿化", "Cleaning and greening"),
]


def create_areas(apps, schema_editor):
    ServiceArea = apps.get_model("logistics", "ServiceArea")
    for position, (code, name, name_en) in enumerate(AREAS, start=1):
        ServiceArea.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": position}
        )


def remove_areas(apps, schema_editor):
    ServiceArea = apps.get_model("logistics", "ServiceArea")
    ServiceArea.objects.filter(code__in=[code for code, _, _ in AREAS]).delete()


class Migration(migrations.Migration):
    dependencies = [("logistics", "0001_initial")]

    operations = [migrations.RunPython(create_areas, remove_areas)]

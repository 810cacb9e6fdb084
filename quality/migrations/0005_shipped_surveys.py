"""The shipped surveys: the repair and move-out follow-ups and the semester SERVQUAL survey,
each with a published version 1 (quality/survey_reference.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from quality.survey_reference import survey_templates_ensure

    survey_templates_ensure(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0004_surveys_and_scorecards"),
        ("logistics", "0002_service_areas"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

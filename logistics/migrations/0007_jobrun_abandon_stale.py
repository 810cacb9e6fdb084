"""Runs the earlier engine left "running" when its worker died can never finish: mark them
abandoned (a data migration, before the next one allows one running run per job and date)."""

from django.db import migrations


def abandon(apps, schema_editor):
    JobRun = apps.get_model("logistics", "JobRun")
    JobRun.objects.filter(status="running").update(status="abandoned")


class Migration(migrations.Migration):

    dependencies = [
        ("logistics", "0006_jobrun_engine"),
    ]

    operations = [
        # Reversing leaves them abandoned: nothing was running then either.
        migrations.RunPython(abandon, migrations.RunPython.noop),
    ]

"""apartments_bed.taken, kept by a trigger on stays, and the partial index of the beds not
taken: the check-in's free-bed search reads them (apartments/tallies.py, "Taken beds").
PostgreSQL only; nothing on SQLite."""

from django.db import migrations


def install(apps, schema_editor):
    from apartments import tallies

    tallies.install_taken(schema_editor.connection)


def uninstall(apps, schema_editor):
    from apartments import tallies

    tallies.uninstall_taken(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("apartments", "0020_resident_reminders"),
    ]

    operations = [migrations.RunPython(install, uninstall)]

"""The triggers that keep the move-in tallies current, and their first count (apartments/tallies.py:
PostgreSQL and SQLite each in their own dialect)."""

from django.db import migrations


def install(apps, schema_editor):
    from apartments import tallies

    tallies.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from apartments import tallies

    tallies.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("apartments", "0007_move_in_tallies")]

    operations = [migrations.RunPython(install, uninstall)]

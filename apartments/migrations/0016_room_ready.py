"""Room.ready: whether a room is ready for residents (docs/decisions.md, "Room readiness").

On SQLite, adding a column rebuilds the table (a new table, the rows copied, the old one dropped,
the new one renamed), which the move-in tallies' triggers that read apartments_room do not
survive: they are dropped first and installed again after (apartments/tallies.py, which also
recounts). PostgreSQL adds the column in place and keeps its triggers."""

from django.db import migrations, models


def _sqlite_triggers_off(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from apartments import tallies

    tallies.uninstall(schema_editor.connection)
    tallies.uninstall_arrivals(schema_editor.connection)


def _sqlite_triggers_on(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from apartments import tallies

    tallies.install(schema_editor.connection)
    tallies.install_arrivals(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("apartments", "0015_agreements"),
    ]

    operations = [
        migrations.RunPython(_sqlite_triggers_off, _sqlite_triggers_on),
        migrations.AddField(
            model_name="room",
            name="ready",
            field=models.BooleanField(default=True, verbose_name="ready for residents"),
        ),
        migrations.RunPython(_sqlite_triggers_on, _sqlite_triggers_off),
    ]

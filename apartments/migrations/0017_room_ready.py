"""Room.ready: whether a room is ready for residents (docs/decisions.md, "Room readiness").

On SQLite, adding a column rebuilds the table (a new table, the rows copied, the old one dropped,
the new one renamed), which the move-in tallies' triggers that read apartments_room do not
survive: they are dropped first and installed again after (apartments/tallies.py, which also
recounts). PostgreSQL adds the column in place and keeps its triggers."""

from django.db import migrations, models

from apartments.tallies import lift_sqlite_triggers, restore_sqlite_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("apartments", "0016_resident_search"),
    ]

    operations = [
        migrations.RunPython(lift_sqlite_triggers, restore_sqlite_triggers),
        migrations.AddField(
            model_name="room",
            name="ready",
            field=models.BooleanField(default=True, verbose_name="ready for residents"),
        ),
        migrations.RunPython(restore_sqlite_triggers, lift_sqlite_triggers),
    ]

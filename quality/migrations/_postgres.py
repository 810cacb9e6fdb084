"""RunSQL applied only on PostgreSQL (a copy of migration 0003's, importable by later ones)."""

from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL applied only where the database is PostgreSQL (SQLite keeps the services' guard)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

"""On PostgreSQL, a published scorecard is frozen by the database itself: UPDATE and DELETE of
a row whose status is 'published' are refused (SQLSTATE 23001, restrict_violation, an
IntegrityError in Django), like a sealed inspection record (migration 0003). The one change a
scorecard takes on publishing is the UPDATE from 'draft' to 'published'."""

from django.db import migrations

GUARD = r"""
CREATE FUNCTION quality_scorecard_published_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'Scorecard % is published: a published scorecard is never changed or deleted (% refused).', OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER quality_scorecard_published_guard
    BEFORE UPDATE OR DELETE ON quality_scorecard
    FOR EACH ROW EXECUTE FUNCTION quality_scorecard_published_guard();
"""

UNDO = r"""
DROP TRIGGER IF EXISTS quality_scorecard_published_guard ON quality_scorecard;
DROP FUNCTION IF EXISTS quality_scorecard_published_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO, params=None)


class Migration(migrations.Migration):
    dependencies = [("quality", "0005_shipped_surveys")]

    operations = [migrations.RunPython(forwards, backwards)]

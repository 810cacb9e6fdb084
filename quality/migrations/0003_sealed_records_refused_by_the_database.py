"""On PostgreSQL, the database itself refuses to rewrite the quality records' story.

- A sealed inspection record (status 'sealed') refuses UPDATE and DELETE. The one change a
  record ever takes is its sealing: the UPDATE from 'draft' to 'sealed' (a draft is free).
- An answer of a sealed record refuses UPDATE and DELETE, and no answer may be added to a
  sealed record or moved into one. The parent row is read FOR SHARE, so a raw write that
  races a sealing waits for it and then sees it.
- The chain's anchors are written once: UPDATE and DELETE refused.
- The complaint and nonconformity histories are written once: a committed history row
  refuses UPDATE and DELETE. The transaction that wrote a row may still correct it until it
  commits (nobody else can have seen it yet): the demo university dates its made-up history
  that way.

Every refusal is SQLSTATE 23001 (restrict_violation), an IntegrityError in Django. TRUNCATE
(the test suite's flush; it needs the table owner's rights) and a table owner who disables the
triggers are not stopped: the seal chain and its anchors catch that (docs/quality.md).
SQLite has none of this; the services' own guard holds there.
"""

from django.db import migrations

WRITTEN_BY_THIS_TRANSACTION = r"""
CREATE FUNCTION quality_written_by_this_transaction(inserter xid) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    -- This (top-level) transaction's id, 64 bits wide; we are writing, so it has one.
    top bigint := pg_current_xact_id()::text::bigint;
    x bigint := inserter::text::bigint;
    ahead bigint;
    wide bigint;
BEGIN
    IF x < 3 THEN  -- frozen or bootstrap: written long ago
        RETURN false;
    END IF;
    -- Widen the row's 32-bit xmin next to our id (ids compare modulo 2^32): a savepoint's id
    -- is a little ahead of ours, an older transaction's behind.
    ahead := (x - (top & 4294967295) + 4294967296) % 4294967296;
    wide := CASE WHEN ahead < 2147483648 THEN top + ahead ELSE top + ahead - 4294967296 END;
    -- A row we can see whose writer is still in progress was written by us (or one of our
    -- savepoints): another transaction's uncommitted rows are invisible to us.
    RETURN pg_xact_status(wide::text::xid8) IS NOT DISTINCT FROM 'in progress';
END $$
"""

INSPECTION_GUARD = r"""
CREATE FUNCTION quality_inspection_sealed_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'sealed' THEN
        RAISE EXCEPTION 'QI-% is sealed: a sealed inspection record is never changed or deleted (% refused); amend it instead.', OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

ANSWER_GUARD = r"""
CREATE FUNCTION quality_answer_sealed_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent bigint;
    parent_status text;
BEGIN
    FOREACH parent IN ARRAY ARRAY[
        CASE WHEN TG_OP <> 'INSERT' THEN OLD.inspection_id END,
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.inspection_id END
    ] LOOP
        CONTINUE WHEN parent IS NULL;
        SELECT status INTO parent_status FROM quality_inspection WHERE id = parent FOR SHARE;
        IF parent_status = 'sealed' THEN
            RAISE EXCEPTION 'QI-% is sealed: the answers of a sealed inspection record are never added, changed or deleted (% refused); amend it instead.', parent, TG_OP
                USING ERRCODE = 'restrict_violation';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

ANCHOR_GUARD = r"""
CREATE FUNCTION quality_anchor_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'A chain anchor is written once: it is never changed or deleted (% refused).', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$
"""

HISTORY_GUARD = r"""
CREATE FUNCTION quality_history_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT quality_written_by_this_transaction(OLD.xmin) THEN
        RAISE EXCEPTION '%: a history row is written once: row % is never changed or deleted (% refused).', TG_TABLE_NAME, OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

TRIGGERS = [
    ("quality_inspection", "BEFORE UPDATE OR DELETE", "quality_inspection_sealed_guard"),
    ("quality_inspectionanswer", "BEFORE INSERT OR UPDATE OR DELETE", "quality_answer_sealed_guard"),
    ("quality_chainanchor", "BEFORE UPDATE OR DELETE", "quality_anchor_guard"),
    ("quality_complaintevent", "BEFORE UPDATE OR DELETE", "quality_history_guard"),
    ("quality_nonconformityevent", "BEFORE UPDATE OR DELETE", "quality_history_guard"),
]

FORWARDS = [
    WRITTEN_BY_THIS_TRANSACTION,
    INSPECTION_GUARD,
    ANSWER_GUARD,
    ANCHOR_GUARD,
    HISTORY_GUARD,
    *(
        f"CREATE TRIGGER {table}_guard {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        for table, when, function in TRIGGERS
    ),
]

BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}" for table, _when, _function in TRIGGERS),
    "DROP FUNCTION IF EXISTS quality_history_guard()",
    "DROP FUNCTION IF EXISTS quality_anchor_guard()",
    "DROP FUNCTION IF EXISTS quality_answer_sealed_guard()",
    "DROP FUNCTION IF EXISTS quality_inspection_sealed_guard()",
    "DROP FUNCTION IF EXISTS quality_written_by_this_transaction(xid)",
]


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """RunSQL applied only where the database is PostgreSQL (SQLite keeps the services' guard)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0002_history_protects_what_it_names"),
    ]

    operations = [
        RunSQLOnPostgreSQL(sql=FORWARDS, reverse_sql=BACKWARDS),
    ]

"""On PostgreSQL, the database itself refuses to edit an effective document version or an
issued audit report (like the sealed inspection records of migration 0003).

- A document version that is effective, superseded or withdrawn refuses DELETE and every
  UPDATE but one: its retirement, effective → superseded or withdrawn, with its text, file,
  number, author, approval and effective date unchanged.
- An issued audit refuses UPDATE and DELETE; its findings and its auditors can no longer be
  added, changed or removed. Issuing itself (planned → issued) is the one change it takes.

Every refusal is SQLSTATE 23001 (restrict_violation), an IntegrityError in Django. SQLite
has none of this; the services' own guard holds there.
"""

from django.db import migrations

from quality.migrations._postgres import RunSQLOnPostgreSQL

VERSION_GUARD = r"""
CREATE FUNCTION quality_document_version_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('effective', 'superseded', 'withdrawn') THEN
        IF TG_OP = 'UPDATE'
           AND OLD.status = 'effective'
           AND NEW.status IN ('superseded', 'withdrawn')
           AND ROW(NEW.document_id, NEW.number, NEW.text, NEW.text_en, NEW.pdf, NEW.change_note,
                   NEW.author_id, NEW.created_at, NEW.submitted_at, NEW.approved_by_id,
                   NEW.approved_at, NEW.effective_from)
               IS NOT DISTINCT FROM
               ROW(OLD.document_id, OLD.number, OLD.text, OLD.text_en, OLD.pdf, OLD.change_note,
                   OLD.author_id, OLD.created_at, OLD.submitted_at, OLD.approved_by_id,
                   OLD.approved_at, OLD.effective_from)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'Version % of document % is %: an effective version is never edited in place (% refused); write a new version instead.', OLD.number, OLD.document_id, OLD.status, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

AUDIT_GUARD = r"""
CREATE FUNCTION quality_audit_issued_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'Audit % is issued: an issued audit report is never changed or deleted (% refused).', OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

AUDIT_CHILD_GUARD = r"""
CREATE FUNCTION quality_audit_child_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent bigint;
    parent_status text;
BEGIN
    FOREACH parent IN ARRAY ARRAY[
        CASE WHEN TG_OP <> 'INSERT' THEN OLD.audit_id END,
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.audit_id END
    ] LOOP
        CONTINUE WHEN parent IS NULL;
        SELECT status INTO parent_status FROM quality_audit WHERE id = parent FOR SHARE;
        IF parent_status = 'issued' THEN
            RAISE EXCEPTION 'Audit % is issued: its findings and auditors are never added, changed or deleted (% refused).', parent, TG_OP
                USING ERRCODE = 'restrict_violation';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$
"""

TRIGGERS = [
    ("quality_documentversion", "BEFORE UPDATE OR DELETE", "quality_document_version_guard"),
    ("quality_audit", "BEFORE UPDATE OR DELETE", "quality_audit_issued_guard"),
    ("quality_auditfinding", "BEFORE INSERT OR UPDATE OR DELETE", "quality_audit_child_guard"),
    ("quality_audit_auditors", "BEFORE INSERT OR UPDATE OR DELETE", "quality_audit_child_guard"),
]

FORWARDS = [
    VERSION_GUARD,
    AUDIT_GUARD,
    AUDIT_CHILD_GUARD,
    *(
        f"CREATE TRIGGER {table}_guard {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        for table, when, function in TRIGGERS
    ),
]

BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}" for table, _when, _function in TRIGGERS),
    "DROP FUNCTION IF EXISTS quality_audit_child_guard()",
    "DROP FUNCTION IF EXISTS quality_audit_issued_guard()",
    "DROP FUNCTION IF EXISTS quality_document_version_guard()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0007_iso_documents_audits_objectives"),
    ]

    operations = [
        RunSQLOnPostgreSQL(sql=FORWARDS, reverse_sql=BACKWARDS),
    ]

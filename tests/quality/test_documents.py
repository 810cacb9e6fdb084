"""Controlled documents: numbering, the author never approves their own version, an effective
version is never edited (by the services, and on PostgreSQL by the database), a new version
supersedes the old one on its date, the periodic review alert, acknowledgements and the
coverage board, the Markdown rendering and the PDF check, the diff between versions."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from logistics.models import Alert, Role
from quality import documents
from quality.markdown import render
from quality.models import DocumentAcknowledgement, DocumentKind, DocumentVersion
from tests import factories as f
from tests.conftest import requires_postgres
from tests.quality.iso_data import DAY, effective_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The services' messages are asserted in English (Chinese is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


JOB = "quality.documents_and_objectives"


def run_job(day):
    call_command("run_nightly_jobs", "--date", day.isoformat(), "--job", JOB)


def test_numbers_follow_type_department_sequence(head, auditor, apartments_dept):
    first = documents.document_create(
        actor=head, kind=DocumentKind.PROCEDURE, department=apartments_dept, title="一", owner=head
    )
    second = documents.document_create(
        actor=head, kind=DocumentKind.PROCEDURE, department=apartments_dept, title="二", owner=head
    )
    plan = documents.document_create(
        actor=auditor,
        kind=DocumentKind.EMERGENCY_PLAN,
        department=apartments_dept,
        title="火灾疏散预案",
        owner=head,
    )
    assert [first.number, second.number, plan.number] == [
        "PR-APARTMENTS-001",
        "PR-APARTMENTS-002",
        "EP-APARTMENTS-001",
    ]
    assert first.versions.get().status == DocumentVersion.Status.DRAFT


def test_a_head_of_another_department_may_not_write_its_documents(dining_head, apartments_dept):
    with pytest.raises(documents.DocumentNotAllowed):
        documents.document_create(
            actor=dining_head,
            kind=DocumentKind.PROCEDURE,
            department=apartments_dept,
            title="一",
            owner=dining_head,
        )


def test_an_author_cannot_approve_their_own_version(auditor, other_auditor, apartments_dept, head):
    # Given an auditor who wrote a version and sent it for review
    document = documents.document_create(
        actor=auditor,
        kind=DocumentKind.MANUAL,
        department=apartments_dept,
        title="质量手册",
        owner=head,
        text="手册正文",
    )
    version = documents.version_submit(actor=auditor, version=document.versions.get())
    # When they approve it themselves: refused, and nothing changed
    with pytest.raises(documents.DocumentNotAllowed, match="someone other than its author"):
        documents.version_approve(actor=auditor, version=version, effective_from=DAY, today=DAY)
    version.refresh_from_db()
    assert version.status == DocumentVersion.Status.IN_REVIEW and version.approved_by is None
    # Another auditor may; effective today, it takes effect at once
    documents.version_approve(actor=other_auditor, version=version, effective_from=DAY, today=DAY)
    version.refresh_from_db()
    assert version.status == DocumentVersion.Status.EFFECTIVE
    assert version.approved_by == other_auditor
    document.refresh_from_db()
    assert document.review_due == dt.date(2027, 3, 10)  # 12 months later


def test_a_department_head_cannot_approve(head, apartments_dept):
    document = documents.document_create(
        actor=head,
        kind=DocumentKind.PROCEDURE,
        department=apartments_dept,
        title="一",
        owner=head,
        text="x",
    )
    version = documents.version_submit(actor=head, version=document.versions.get())
    other_head = f.user_with_role(Role.DEPARTMENT_HEAD, department=apartments_dept, username="h9")
    with pytest.raises(documents.DocumentNotAllowed):
        documents.version_approve(actor=other_head, version=version, effective_from=DAY, today=DAY)


def test_an_effective_version_is_never_edited_by_the_services(head, auditor, apartments_dept):
    document = effective_document(head, auditor, apartments_dept)
    version = document.versions.get()
    with pytest.raises(documents.VersionFrozen):
        documents.version_edit(actor=head, version=version, text="改过的")
    version.refresh_from_db()
    assert version.text == "# 目的\n\n第一版"


@requires_postgres
def test_an_effective_version_is_never_edited_in_the_database(head, auditor, apartments_dept):
    document = effective_document(head, auditor, apartments_dept)
    version = document.versions.get()

    def raw(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    for sql in (
        "UPDATE quality_documentversion SET text = 'rewritten' WHERE id = %s",
        "UPDATE quality_documentversion SET status = 'draft' WHERE id = %s",
        "DELETE FROM quality_documentversion WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="never edited in place"), transaction.atomic():
            raw(sql, [version.pk])
    # Retiring it, text unchanged, is the one change it takes; then it is frozen for good.
    raw("UPDATE quality_documentversion SET status = 'superseded' WHERE id = %s", [version.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("UPDATE quality_documentversion SET status = 'effective' WHERE id = %s", [version.pk])
    version.refresh_from_db()
    assert version.text == "# 目的\n\n第一版"


def test_a_new_version_supersedes_the_old_one_on_its_date(head, auditor, apartments_dept):
    # Given version 1 in force, and version 2 approved to take effect five days later
    document = effective_document(head, auditor, apartments_dept)
    v1 = document.versions.get()
    v2 = documents.version_new(actor=head, document=document)
    assert v2.number == 2 and v2.text == v1.text
    documents.version_edit(actor=head, version=v2, text="# 目的\n\n第二版", change_note="改")
    documents.version_submit(actor=head, version=v2)
    later = DAY + dt.timedelta(days=5)
    documents.version_approve(actor=auditor, version=v2, effective_from=later, today=DAY)
    # The night before its date, version 1 is still in force
    run_job(later - dt.timedelta(days=1))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("effective", "approved")
    # On its date, version 2 takes effect and version 1 is superseded that day
    run_job(later)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v1.retired_on) == ("superseded", later)
    assert v2.status == "effective"
    document.refresh_from_db()
    assert document.review_due == dt.date(2027, 3, 15)
    # and the change history shows what changed
    lines = documents.diff(v1, v2)
    assert [(line.kind, line.text) for line in lines if line.kind in ("add", "remove")] == [
        ("remove", "第一版"),
        ("add", "第二版"),
    ]


def test_the_review_date_alert_is_raised_once_and_closed_by_the_review(
    head, auditor, apartments_dept
):
    document = effective_document(head, auditor, apartments_dept)  # review due 2027-03-10
    run_job(dt.date(2027, 3, 10))  # due that day: not overdue yet
    assert not Alert.objects.filter(kind="document_review_due").exists()
    run_job(dt.date(2027, 3, 11))
    run_job(dt.date(2027, 3, 12))
    alert = Alert.objects.get(kind="document_review_due", role=Role.DEPARTMENT_HEAD)
    assert alert.resolved_at is None
    assert alert.department_id == apartments_dept.pk
    assert document.number in alert.params["number"]
    from logistics.alerts import alerts_for
    from logistics.models import Notification

    assert list(alerts_for(head)) == [alert]
    # the quality department has its own, once too
    quality_alert = Alert.objects.get(kind="document_review_due", role=Role.AUDITOR)
    assert list(alerts_for(auditor).filter(kind="document_review_due")) == [quality_alert]
    # and the document's owner is told once, however often the job runs
    assert document.owner == head
    assert (
        Notification.objects.filter(recipient=head, kind="quality.document_review_due").count() == 1
    )
    # The head confirms the review: the alert closes, the next review is a year on
    documents.document_reviewed(actor=head, document=document, today=dt.date(2027, 3, 12))
    alert.refresh_from_db()
    quality_alert.refresh_from_db()
    assert alert.resolved_at is not None and quality_alert.resolved_at is not None
    document.refresh_from_db()
    assert document.review_due == dt.date(2028, 3, 12)


def test_acknowledgements_and_the_coverage_board(head, auditor, apartments_dept):
    # Given two dorm managers of the department the procedure applies to, and one elsewhere
    a = f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="dm_a")
    b = f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="dm_b")
    outsider = f.user_with_role(Role.DORM_MANAGER, username="dm_c")
    document = effective_document(head, auditor, apartments_dept)
    version = document.versions.get()
    assert documents.pending_for(a) == [version]
    # When one acknowledges (twice: once counts)
    documents.acknowledge(actor=a, version=version)
    documents.acknowledge(actor=a, version=version)
    assert DocumentAcknowledgement.objects.count() == 1
    assert documents.pending_for(a) == []
    # the outsider may not: it does not apply to them
    with pytest.raises(documents.DocumentNotAllowed):
        documents.acknowledge(actor=outsider, version=version)
    # Then the board shows who has not, per department
    (board,) = documents.coverage(auditor)
    assert board.department == apartments_dept
    (row,) = board.rows
    assert row.required == [a, b] and row.missing == [b] and row.percent == 50
    assert documents.coverage(head)[0].rows[0].missing == [b]
    assert documents.coverage(a) == []


def test_a_superseded_version_cannot_be_acknowledged(head, auditor, apartments_dept):
    a = f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="dm_a")
    document = effective_document(head, auditor, apartments_dept)
    documents.document_withdraw(actor=auditor, document=document, today=DAY)
    version = document.versions.get()
    assert version.status == DocumentVersion.Status.WITHDRAWN
    with pytest.raises(documents.WrongState):
        documents.acknowledge(actor=a, version=version)


def test_markdown_is_rendered_escaped():
    html = render(
        "# 标题\n\n- **一** <script>alert(1)</script>\n- 二\n\n"
        "[x](javascript:alert(1)) <img src=x onerror=y>"
    )
    assert "<h3>标题</h3>" in html
    assert "<ul><li><strong>一</strong> &lt;script&gt;" in html.replace("\n", "")
    assert "<script" not in html and "<img" not in html and "<a " not in html


def test_only_a_real_pdf_is_attached(head, apartments_dept):
    fake = SimpleUploadedFile("plan.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(documents.DocumentInvalid, match="not a PDF"):
        documents.document_create(
            actor=head,
            kind=DocumentKind.FORM,
            department=apartments_dept,
            title="表",
            owner=head,
            pdf=fake,
        )
    real = SimpleUploadedFile("x.bin", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    document = documents.document_create(
        actor=head,
        kind=DocumentKind.FORM,
        department=apartments_dept,
        title="表",
        owner=head,
        pdf=real,
    )
    assert document.versions.get().pdf.read().startswith(b"%PDF-")

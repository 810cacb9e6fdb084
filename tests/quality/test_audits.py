"""Internal audits: the auditor is never from the audited department and must hold a valid
qualification; findings; a nonconformity finding becomes an NC in the existing flow with one
click (once); the issued report is sealed (by the services, and on PostgreSQL the database);
the programme page at a fixed number of queries; who sees what."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from logistics.models import Role
from quality import audits
from quality.models import Audit, AuditFinding, Nonconformity, NonconformityEvent
from tests import factories as f
from tests.conftest import requires_postgres
from tests.quality.iso_data import qualified_auditor

pytestmark = pytest.mark.django_db
DATE = dt.date(2026, 5, 20)


@pytest.fixture
def lead(auditor):
    """The quality department's lead auditor (plans audits, grants qualifications)."""
    return auditor


@pytest.fixture
def ia(lead):
    return qualified_auditor(lead, username="ia_dining")


def plan(lead, department, auditors, **fields):
    return audits.audit_plan(
        actor=lead,
        year=DATE.year,
        department=department,
        planned_date=fields.pop("planned_date", DATE),
        scope=fields.pop("scope", "公寓服务"),
        clauses=fields.pop("clauses", "7.5, 8.5"),
        auditors=auditors,
        **fields,
    )


def test_an_auditor_from_the_audited_department_is_refused(lead, apartments_dept):
    insider = qualified_auditor(lead, username="ia_apt", department=apartments_dept)
    with translation.override("en"), pytest.raises(audits.AuditInvalid, match="audited department"):
        plan(lead, apartments_dept, [insider])
    assert not Audit.objects.exists()


def test_an_unqualified_auditor_is_refused(lead, ia, apartments_dept):
    novice = f.user_with_role(Role.AUDITOR, username="novice", full_name="novice")
    expired = qualified_auditor(lead, username="expired", until=DATE - dt.timedelta(days=1))
    with (
        translation.override("en"),
        pytest.raises(audits.AuditInvalid, match="qualification") as caught,
    ):
        plan(lead, apartments_dept, [ia, novice, expired])
    assert "novice" in str(caught.value) and "expired" in str(caught.value)
    assert not Audit.objects.exists()
    # a qualified auditor from elsewhere may
    audit = plan(lead, apartments_dept, [ia])
    assert list(audit.auditors.all()) == [ia] and audit.clause_list() == ["7.5", "8.5"]


def test_unknown_clauses_are_refused(lead, ia, apartments_dept):
    with pytest.raises(audits.AuditInvalid):
        plan(lead, apartments_dept, [ia], clauses="7.5, 99")


def test_a_finding_becomes_a_nonconformity_once(lead, ia, apartments_dept, head):
    audit = plan(lead, apartments_dept, [ia])
    finding = audits.finding_add(
        actor=ia,
        audit=audit,
        clause="7.5",
        kind=AuditFinding.Kind.MAJOR,
        text="文件未受控",
        evidence="现场发现旧版流程",
    )
    conformity = audits.finding_add(
        actor=ia, audit=audit, clause="8.5", kind="conformity", text="符合"
    )
    # When the lead turns it into a nonconformity
    nc = audits.finding_to_nc(actor=lead, finding=finding)
    # Then it is in the existing flow: open, for the audited department, major, with its story
    assert nc.source == Nonconformity.Source.AUDIT and nc.audit_finding == finding
    assert (nc.department, nc.severity, nc.status) == (apartments_dept, "major", "open")
    assert "文件未受控" in nc.description and "现场发现旧版流程" in nc.description
    assert NonconformityEvent.objects.filter(nonconformity=nc, kind="raised").exists()
    # again: the same one
    assert audits.finding_to_nc(actor=lead, finding=finding) == nc
    assert Nonconformity.objects.count() == 1
    with pytest.raises(audits.AuditInvalid):
        audits.finding_to_nc(actor=lead, finding=conformity)
    # a head may see it in their list
    from quality.selectors import nonconformities_for

    assert nc in nonconformities_for(head)


def test_only_the_audits_auditors_record_findings(lead, ia, apartments_dept):
    audit = plan(lead, apartments_dept, [ia])
    stranger = qualified_auditor(lead, username="other_ia")
    stranger.role_grants.update(role=Role.DORM_MANAGER)  # not the quality department either
    stranger = type(stranger).objects.get(pk=stranger.pk)
    with pytest.raises(audits.AuditNotAllowed):
        audits.finding_add(actor=stranger, audit=audit, clause="7.5", kind="minor", text="x")


def test_an_issued_report_is_sealed(lead, ia, apartments_dept):
    audit = plan(lead, apartments_dept, [ia])
    audits.finding_add(actor=ia, audit=audit, clause="7.5", kind="minor", text="x")
    audits.audit_issue(actor=lead, audit=audit, summary="总体符合", strengths="记录完整")
    audit.refresh_from_db()
    assert audit.status == Audit.Status.ISSUED and audit.issued_by == lead
    with pytest.raises(audits.AuditIssued):
        audits.finding_add(actor=ia, audit=audit, clause="7.5", kind="minor", text="y")
    with pytest.raises(audits.AuditIssued):
        audits.audit_issue(actor=lead, audit=audit, summary="改写")
    # the NC of an issued audit's finding can still be raised: the finding itself is not touched
    nc = audits.finding_to_nc(actor=lead, finding=audit.findings.get())
    assert nc.audit_finding.audit == audit


@requires_postgres
def test_an_issued_report_is_sealed_in_the_database(lead, ia, apartments_dept):
    audit = plan(lead, apartments_dept, [ia])
    finding = audits.finding_add(actor=ia, audit=audit, clause="7.5", kind="minor", text="x")
    audits.audit_issue(actor=lead, audit=audit, summary="总体符合")

    def raw(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    for sql, params in (
        ("UPDATE quality_audit SET summary = 'rewritten' WHERE id = %s", [audit.pk]),
        ("DELETE FROM quality_audit WHERE id = %s", [audit.pk]),
        ("UPDATE quality_auditfinding SET text = 'rewritten' WHERE id = %s", [finding.pk]),
        ("DELETE FROM quality_auditfinding WHERE id = %s", [finding.pk]),
        ("DELETE FROM quality_audit_auditors WHERE audit_id = %s", [audit.pk]),
    ):
        with pytest.raises(IntegrityError, match="issued"), transaction.atomic():
            raw(sql, params)
    finding.refresh_from_db()
    assert finding.text == "x"


def test_the_pages(client, lead, ia, apartments_dept, head, staff_member):
    audit = plan(lead, apartments_dept, [ia])
    client.force_login(staff_member)
    assert client.get(reverse("quality:audit_programme")).status_code == 404
    assert client.get(reverse("quality:audit_detail", args=[audit.pk])).status_code == 404
    # the audit's auditor records a finding through the page
    client.force_login(ia)
    response = client.post(
        reverse("quality:audit_detail", args=[audit.pk]),
        {"clause": "7.5", "kind": "minor", "text": "记录缺失", "evidence": "抽查3份"},
    )
    assert response.status_code == 302
    finding = audit.findings.get()
    # the lead raises the NC with one click
    client.force_login(lead)
    response = client.post(reverse("quality:finding_to_nc", args=[finding.pk]))
    nc = Nonconformity.objects.get()
    assert response.url == reverse("quality:nc_detail", args=[nc.pk])
    assert client.get(response.url).status_code == 200
    html = client.get(reverse("quality:audit_detail", args=[audit.pk])).content.decode()
    assert 'data-testid="nc-link"' in html and "记录缺失" in html
    # and issues the report
    client.post(reverse("quality:audit_report", args=[audit.pk]), {"summary": "总体符合"})
    audit.refresh_from_db()
    assert audit.status == "issued"
    # the head reads the report
    client.force_login(head)
    response = client.get(reverse("quality:audit_report", args=[audit.pk]))
    assert response.status_code == 200 and 'data-testid="sealed"' in response.content.decode()


def test_the_programme_query_count_does_not_grow(
    client, lead, ia, apartments_dept, django_assert_num_queries
):
    plan(lead, apartments_dept, [ia])
    client.force_login(lead)
    url = reverse("quality:audit_programme") + f"?year={DATE.year}"
    client.get(url)
    # session, user with grants, the audits (with department, programme, finding counts),
    # their auditors, the departments (for what the programme does not cover yet)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["rows"]) == 1
    for n in range(4):
        other = f.DepartmentFactory(code=f"d{n}")
        audit = plan(lead, other, [ia, qualified_auditor(lead, username=f"x{n}")])
        audits.finding_add(actor=ia, audit=audit, clause="8.5", kind="minor", text="x")
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["rows"]) == 5


def test_a_findings_photo_is_seen_by_who_sees_the_audit(
    lead, ia, apartments_dept, head, dining_head
):
    from logistics.uploads import may_see_photo
    from tests.quality.data import jpeg_upload

    audit = plan(lead, apartments_dept, [ia])
    finding = audits.finding_add(
        actor=ia, audit=audit, clause="8.5", kind="minor", text="x", photo_file=jpeg_upload()
    )
    assert finding.photo is not None
    assert may_see_photo(head, finding.photo) and may_see_photo(lead, finding.photo)
    assert not may_see_photo(dining_head, finding.photo)

"""PDF downloads of quality records (issues 18 and 16): a sealed inspection record and an
internal audit report. Each answers only to who may read its page (404 otherwise), comes in
the reader's language, carries the record's key data (the seal in full), and costs a fixed
number of queries whatever the record's size."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from quality import audits
from quality import inspections as quality_inspections
from quality.models import Inspection
from tests.pdfs import pdf_text, squeezed
from tests.quality.data import published_checklist, sealed_inspection
from tests.quality.iso_data import qualified_auditor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_maker")]

ITEMS = [
    ("地面干净无杂物", "score", "2", "tangibles", "comfort"),
    ("值班人员在岗", "pass_fail", "1", "reliability", "safety"),
]


@pytest.fixture
def record(auditor, apartments_dept):
    version = published_checklist("apartments", code="pdf-std", items=ITEMS, by=auditor)
    return sealed_inspection(
        version, department=apartments_dept, auditor=auditor, results=[7, "fail"]
    )


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


# --- A sealed inspection record ------------------------------------------------------------


def test_a_sealed_record_downloads_as_a_pdf_in_english_with_its_seal(client, auditor, record):
    client.force_login(auditor)
    response = client.get(
        reverse("quality:inspection_pdf", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = pdf_text(response)
    assert f'filename="{record.number}.pdf"' in response["Content-Disposition"]
    assert f"Inspection {record.number}" in text
    assert "Item 1" in text and "7 / 10" in text  # the items in English, the score given
    assert f"{record.score}%" in text
    assert "1号楼大厅" in squeezed(text)  # the place as typed, in Chinese
    assert record.seal in squeezed(text) and record.previous_seal in squeezed(text)
    assert "Download PDF" not in text and "Raise a nonconformity" not in text  # no buttons


def test_a_sealed_record_downloads_in_chinese_for_a_chinese_reader(client, head, record):
    client.force_login(head)  # the head of the inspected department reads it too
    response = client.get(
        reverse("quality:inspection_pdf", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = squeezed(pdf_text(response))
    assert "地面干净无杂物" in text and "值班人员在岗" in text
    assert squeezed(zh("Findings")) in text and zh("Findings") != "Findings"
    assert record.seal in text


def test_an_amended_records_pdf_says_so(client, auditor, record):
    # (print.css hides alerts; the amendment notice is part of the record and stays)
    amendment = quality_inspections.inspection_amend(
        actor=auditor, original=record, reason="第2项应为合格"
    )
    quality_inspections.inspection_submit(actor=auditor, inspection=amendment)
    client.force_login(auditor)
    response = client.get(
        reverse("quality:inspection_pdf", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = pdf_text(response)
    assert f"Amended by {amendment.number}" in text and "第2项应为合格" in squeezed(text)


def test_who_may_not_read_the_record_gets_404(
    client, record, dining_head, staff_member, student, auditor, apartments_dept
):
    url = reverse("quality:inspection_pdf", args=[record.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in (dining_head, staff_member, student):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    # a draft leaves nothing on paper, not even for its own auditor
    draft = Inspection.objects.create(
        version=record.version,
        area=record.area,
        department=apartments_dept,
        place="草稿",
        auditor=auditor,
    )
    client.force_login(auditor)
    assert client.get(reverse("quality:inspection_pdf", args=[draft.pk])).status_code == 404
    assert client.get(reverse("quality:inspection_pdf", args=[999999])).status_code == 404


def test_the_record_page_offers_the_download_next_to_print(client, auditor, record):
    client.force_login(auditor)
    page = client.get(reverse("quality:inspection_detail", args=[record.pk])).content.decode()
    assert 'data-testid="print"' in page
    assert reverse("quality:inspection_pdf", args=[record.pk]) in page


def test_the_record_pdf_queries_do_not_grow_with_the_findings(
    client, auditor, apartments_dept, django_assert_num_queries
):
    small = published_checklist("apartments", code="pdf-1", items=ITEMS[:1], by=auditor)
    large = published_checklist("dining", code="pdf-6", items=ITEMS * 3, by=auditor)
    one = sealed_inspection(small, department=apartments_dept, auditor=auditor)
    six = sealed_inspection(large, department=apartments_dept, auditor=auditor)
    client.force_login(auditor)
    # session, user with grants, the record (with version, checklist, area, department,
    # campus, auditor), its answers with items and photos, its sealed amendments
    for record in (one, six):
        with django_assert_num_queries(5):
            response = client.get(reverse("quality:inspection_pdf", args=[record.pk]))
        assert response.status_code == 200


# --- An internal audit report ----------------------------------------------------------------


@pytest.fixture
def issued_audit(auditor, apartments_dept):
    ia = qualified_auditor(auditor, username="ia_pdf", department=None)
    audit = audits.audit_plan(
        actor=auditor,
        year=2026,
        department=apartments_dept,
        planned_date=dt.date(2026, 5, 20),
        scope="公寓服务",
        clauses="7.5, 8.5",
        auditors=[ia],
    )
    audits.finding_add(actor=ia, audit=audit, clause="7.5", kind="minor", text="交接班记录缺失")
    audits.audit_issue(
        actor=auditor, audit=audit, summary="总体符合 overall conforming", strengths="记录完整"
    )
    audit.refresh_from_db()
    return audit


def test_an_issued_audit_report_downloads_with_its_seal(client, head, issued_audit):
    client.force_login(head)
    response = client.get(
        reverse("quality:audit_report_pdf", args=[issued_audit.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = pdf_text(response)
    assert f"Internal audit report {issued_audit.number}" in text
    assert "overall conforming" in text
    flat = squeezed(text)
    assert "总体符合" in flat and "交接班记录缺失" in flat and "记录完整" in flat
    issued = timezone.localtime(issued_audit.issued_at).strftime("%Y-%m-%d %H:%M")
    assert "sealed, never changed" in text and issued in text
    assert f'filename="{issued_audit.number}.pdf"' in response["Content-Disposition"]


def test_a_draft_audit_report_says_it_is_a_draft_in_chinese(client, auditor, apartments_dept):
    ia = qualified_auditor(auditor, username="ia_pdf2")
    audit = audits.audit_plan(
        actor=auditor,
        year=2026,
        department=apartments_dept,
        planned_date=dt.date(2026, 6, 1),
        scope="公寓服务",
        clauses="7.5",
        auditors=[ia],
    )
    client.force_login(auditor)
    response = client.get(
        reverse("quality:audit_report_pdf", args=[audit.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = squeezed(pdf_text(response))
    assert squeezed(zh("Draft: not issued yet.")) in text
    assert zh("Draft: not issued yet.") != "Draft: not issued yet."


def test_who_may_not_read_the_report_gets_404(
    client, issued_audit, dining_head, staff_member, student
):
    url = reverse("quality:audit_report_pdf", args=[issued_audit.pk])
    assert client.get(url).status_code == 302
    for user in (dining_head, staff_member, student):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_the_report_page_offers_the_download_next_to_print(client, head, issued_audit):
    client.force_login(head)
    page = client.get(reverse("quality:audit_report", args=[issued_audit.pk])).content.decode()
    assert 'data-testid="print"' in page
    assert reverse("quality:audit_report_pdf", args=[issued_audit.pk]) in page


def test_the_report_pdf_queries_do_not_grow_with_the_findings(
    client, auditor, issued_audit, django_assert_num_queries
):
    client.force_login(auditor)
    url = reverse("quality:audit_report_pdf", args=[issued_audit.pk])
    # session, user with grants, the audit (with department, programme), who issued it,
    # its auditors, its findings with their creators, their nonconformities
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200
    # (an issued audit takes no more findings: a second audit with several, still a draft)
    ia = issued_audit.auditors.get()
    audit = audits.audit_plan(
        actor=auditor,
        year=2026,
        department=issued_audit.department,
        planned_date=dt.date(2026, 9, 1),
        scope="x",
        clauses="7.5, 8.5",
        auditors=[ia],
    )
    for n in range(4):
        audits.finding_add(actor=ia, audit=audit, clause="8.5", kind="minor", text=f"f{n}")
    with django_assert_num_queries(6):  # no issuer yet
        assert client.get(reverse("quality:audit_report_pdf", args=[audit.pk])).status_code == 200

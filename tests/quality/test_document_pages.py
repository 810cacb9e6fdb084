"""The controlled-document pages: who sees what, the whole flow through the pages, the list
and the coverage board at a fixed number of queries."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from logistics.models import Role
from quality import documents
from quality.models import DocumentKind, DocumentVersion
from tests import factories as f
from tests.quality.iso_data import effective_document

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_a(apartments_dept):
    return f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="dm_a")


def test_who_sees_the_list(client, head, auditor, staff_a, student, apartments_dept):
    document = effective_document(head, auditor, apartments_dept)
    draft = documents.document_create(
        actor=head, kind=DocumentKind.FORM, department=apartments_dept, title="草稿表", owner=head
    )
    url = reverse("quality:document_list")
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    assert as_user(client, student).get(url).status_code == 404
    # staff read what is in force, not drafts
    response = as_user(client, staff_a).get(url)
    assert [d.number for d in response.context["rows"]] == [document.number]
    assert response.context["pending"] == [document.versions.get()]
    assert (
        as_user(client, staff_a)
        .get(reverse("quality:document_detail", args=[draft.pk]))
        .status_code
        == 404
    )
    # the head sees the draft too
    response = as_user(client, head).get(url)
    assert {d.number for d in response.context["rows"]} == {document.number, draft.number}
    # another department's staff see nothing of it
    other = f.user_with_role(
        Role.CANTEEN_STAFF, department=f.DepartmentFactory(code="dining"), username="cs"
    )
    assert (
        as_user(client, other)
        .get(reverse("quality:document_detail", args=[document.pk]))
        .status_code
        == 404
    )


def test_the_flow_through_the_pages(client, head, auditor, other_auditor, staff_a, apartments_dept):
    # A head drafts a procedure
    response = as_user(client, head).post(
        reverse("quality:document_new"),
        {
            "kind": "PR",
            "department": apartments_dept.pk,
            "title": "迎宾员工作流程",
            "owner": head.pk,
            "applies_to": ["dorm_manager"],
            "review_months": 24,
            "text": "# 职责\n\n- 微笑迎宾 <b>x</b>",
        },
    )
    version = DocumentVersion.objects.get()
    assert response.status_code == 302
    assert client.post(reverse("quality:version_submit", args=[version.pk])).status_code == 302
    # The head cannot approve (not the quality department); the auditor approves in English
    client.post(
        reverse("quality:version_approve", args=[version.pk]),
        {"effective_from": timezone.localdate().isoformat()},
    )
    version.refresh_from_db()
    assert version.status == "in_review"
    with translation.override("en"):
        as_user(client, auditor).post(
            reverse("quality:version_approve", args=[version.pk]),
            {"effective_from": timezone.localdate().isoformat()},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    version.refresh_from_db()
    assert version.status == "effective" and version.approved_by == auditor
    # Staff read it, escaped, and acknowledge it
    response = as_user(client, staff_a).get(reverse("quality:version_detail", args=[version.pk]))
    html = response.content.decode()
    assert "<li>微笑迎宾 &lt;b&gt;x&lt;/b&gt;</li>" in html
    assert 'data-testid="acknowledge"' in html
    client.post(reverse("quality:document_acknowledge", args=[version.pk]))
    assert version.acknowledgements.filter(user=staff_a).exists()
    # An effective version's edit is refused through the page too
    as_user(client, head).post(
        reverse("quality:version_edit_text", args=[version.pk]), {"text": "改"}
    )
    version.refresh_from_db()
    assert version.text.startswith("# 职责")


def test_an_own_version_page_offers_no_approval(client, auditor, head, apartments_dept):
    document = documents.document_create(
        actor=auditor,
        kind=DocumentKind.MANUAL,
        department=apartments_dept,
        title="质量手册",
        owner=head,
        text="x",
    )
    version = documents.version_submit(actor=auditor, version=document.versions.get())
    with translation.override("en"):
        response = as_user(client, auditor).get(
            reverse("quality:version_detail", args=[version.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    html = response.content.decode()
    assert 'data-testid="approve"' not in html and 'data-testid="own-version"' in html


def _documents(head, auditor, department, n, start=0):
    for i in range(start, start + n):
        f.user_with_role(Role.DORM_MANAGER, department=department, username=f"dm{i}")
        document = effective_document(head, auditor, department, text=f"第{i}版")
        documents.version_new(actor=head, document=document)


def test_the_list_query_count_does_not_grow(
    client, head, auditor, apartments_dept, django_assert_num_queries
):
    _documents(head, auditor, apartments_dept, 1)
    as_user(client, auditor)
    url = reverse("quality:document_list")
    client.get(url)
    # session, user with grants, the documents (department, area, owner), their versions (an
    # auditor works in no department: nothing to acknowledge, no query for it)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["rows"]) == 1
    _documents(head, auditor, apartments_dept, 5, start=1)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(response.context["rows"]) == 6


def test_the_coverage_board_query_count_does_not_grow(
    client, head, auditor, apartments_dept, django_assert_num_queries
):
    _documents(head, auditor, apartments_dept, 1)
    as_user(client, head)
    url = reverse("quality:document_coverage")
    client.get(url)
    # session, user with grants, the effective versions (with document and department), the
    # department's role grants (with users), the acknowledgements, the menu's service areas of
    # the head's departments
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["boards"][0].rows) == 1
    _documents(head, auditor, apartments_dept, 5, start=1)
    with django_assert_num_queries(6):
        response = client.get(url)
    (board,) = response.context["boards"]
    assert len(board.rows) == 6 and len(board.rows[0].missing) == 6

"""The quality system's API: documents (read, acknowledge), audits and objectives (read), the
caller's own acknowledgements and training, each scoped like the pages."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from logistics.models import Role
from quality import audits
from quality.models import QualityObjective
from tests import factories as f
from tests.quality.iso_data import effective_document, qualified_auditor

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_documents_read_and_acknowledge(head, auditor, apartments_dept, student):
    staff = f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="dm")
    outsider = f.user_with_role(
        Role.CANTEEN_STAFF, department=f.DepartmentFactory(code="dining"), username="cs"
    )
    document = effective_document(head, auditor, apartments_dept)
    response = api(staff).get(reverse("api-documents"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["number"] == document.number
    assert row["must_acknowledge"] is True and row["acknowledged"] is False
    assert row["effective"]["number"] == 1
    url = reverse("api-document-acknowledge", args=[document.pk])
    assert api(staff).post(url).status_code == 201
    assert api(staff).post(url).status_code == 200
    assert (
        api(staff).get(reverse("api-document", args=[document.pk])).json()["acknowledged"] is True
    )
    mine = api(staff).get(reverse("api-my-acknowledgements")).json()["results"]
    assert [(m["number"], m["version"]) for m in mine] == [(document.number, 1)]
    # another department's staff: as if it did not exist
    assert api(outsider).get(reverse("api-document", args=[document.pk])).status_code == 404
    assert api(outsider).post(url).status_code == 404
    assert api(outsider).get(reverse("api-documents")).json()["results"] == []
    # the head sees it but it does not apply to them
    assert api(head).post(url).status_code == 403
    assert APIClient().get(reverse("api-documents")).status_code in (401, 403)


def test_audits_and_objectives_are_scoped(
    head, auditor, apartments_dept, dining_head, staff_member
):
    ia = qualified_auditor(auditor, username="ia")
    audit = audits.audit_plan(
        actor=auditor,
        year=2026,
        department=apartments_dept,
        planned_date=dt.date(2026, 6, 1),
        scope="公寓",
        clauses="7.5, 8.5",
        auditors=[ia],
    )
    audits.finding_add(actor=ia, audit=audit, clause="8.5", kind="observation", text="建议")
    QualityObjective.objects.create(
        department=apartments_dept,
        title="维修及时率",
        measure="repairs_on_time",
        target=95,
        owner=head,
    )
    for user, count in ((auditor, 1), (head, 1), (ia, 1), (dining_head, 0), (staff_member, 0)):
        results = api(user).get(reverse("api-audits")).json()["results"]
        assert len(results) == count, user
    (row,) = api(head).get(reverse("api-audits")).json()["results"]
    assert row["clauses"] == ["7.5", "8.5"] and row["auditors"] == ["ia"]
    assert row["findings"][0]["kind"] == "observation"
    assert api(dining_head).get(reverse("api-audit", args=[audit.pk])).status_code == 404
    assert len(api(head).get(reverse("api-objectives")).json()["results"]) == 1
    assert api(dining_head).get(reverse("api-objectives")).json()["results"] == []
    assert api(staff_member).get(reverse("api-objectives")).json()["results"] == []
    assert api(staff_member).get(reverse("api-my-training")).json() == {
        "trainings": [],
        "qualifications": [],
    }

"""The demo university's quality system: a published checklist for every service area,
complaint categories routed to the departments, months of sealed inspections with one failed
item turned into an answered nonconformity, complaints from every channel; made through the
services, and loading it twice changes nothing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apartments.demo import DEMO_STUDENT_ID
from logistics.demo import seed_kernel
from logistics.models import AuditEvent, Notification, Role, ServiceArea
from quality import seals
from quality.demo import CATEGORIES, NC_TITLE, seed_quality
from quality.models import (
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Inspection,
    InspectionAnswer,
    Nonconformity,
    NonconformityEvent,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def _counts():
    models = [
        Checklist,
        ChecklistVersion,
        ChecklistItem,
        Inspection,
        InspectionAnswer,
        Nonconformity,
        NonconformityEvent,
        ComplaintCategory,
        Complaint,
        ComplaintEvent,
        AuditEvent,
        Notification,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def seeded():
    """Given the kernel's demo people (and the demo student the apartments part makes),
    the quality part loaded twice."""
    log = []
    seed_kernel(log.append)
    f.user_with_role(Role.STUDENT, username=DEMO_STUDENT_ID, full_name="王伟")
    seed_quality(log.append)
    first = _counts()
    seals_before = list(Inspection.objects.order_by("sequence").values_list("seal", flat=True))
    seed_quality(log.append)
    return {"first": first, "seals": seals_before, "log": log}


def test_loading_it_twice_changes_nothing(seeded):
    assert _counts() == seeded["first"]
    seals_now = list(Inspection.objects.order_by("sequence").values_list("seal", flat=True))
    assert seals_now == seeded["seals"]
    assert any(line.startswith("quality:") for line in seeded["log"])


def test_every_service_area_has_a_published_checklist_of_five_to_eight_items(seeded):
    published = ChecklistVersion.objects.filter(status="published")
    assert set(published.values_list("checklist__area__code", flat=True)) == set(
        ServiceArea.objects.values_list("code", flat=True)
    )
    assert published.count() == 8
    for version in published:
        items = list(version.items.all())
        assert 5 <= len(items) <= 8, version
        assert all(item.text and item.text_en for item in items)
        assert {item.servqual for item in items} <= {
            "tangibles",
            "reliability",
            "responsiveness",
            "assurance",
            "empathy",
        }
    texts = set(ChecklistItem.objects.values_list("text", flat=True))
    assert "消防通道畅通、无杂物堆放" in texts and "48小时留样≥125g、标签齐全" in texts


def test_complaint_categories_are_routed_to_the_departments(seeded):
    routed = dict(ComplaintCategory.objects.values_list("code", "department__code"))
    assert routed == {code: department for code, _n, _e, department, _h in CATEGORIES}
    assert routed["apartment-service"] == "apartments" and routed["other"] == "quality"


def test_the_inspections_span_months_and_the_chain_verifies(seeded):
    sealed = Inspection.objects.filter(status="sealed")
    assert sealed.count() >= 10
    assert set(sealed.values_list("auditor__username", flat=True)) == {"auditor"}
    months = {timezone.localtime(i.submitted_at).strftime("%Y-%m") for i in sealed}
    assert len(months) >= 4
    report = seals.verify_chain(check_photos=True)
    assert report.ok and report.checked == sealed.count()
    # Exactly one failed finding
    assert InspectionAnswer.objects.filter(result="fail").count() == 1


def test_the_failed_item_is_a_nonconformity_answered_by_the_apartments_head(seeded):
    (nc,) = Nonconformity.objects.all()
    assert nc.title == NC_TITLE and nc.source == "inspection"
    assert nc.answer.result == "fail" and nc.department.code == "apartments"
    assert nc.status == "answered" and nc.answered_by.username == "head"
    assert nc.raised_at < nc.answered_at < timezone.now()
    assert nc.due_date > timezone.localdate()


def test_complaints_come_from_every_channel(seeded):
    complaints = Complaint.objects.all()
    assert set(complaints.values_list("channel", flat=True)) == {"hotline", "box", "web"}
    anonymous = complaints.get(anonymous=True)
    assert anonymous.channel == "web" and anonymous.complainant.username == DEMO_STUDENT_ID
    rated = complaints.get(satisfied=True)
    assert rated.status == "closed" and rated.first_answered_at > rated.received_at
    assert (rated.first_answered_at - rated.received_at).total_seconds() == 20 * 3600
    # One is waiting past its answer time
    assert complaints.filter(first_answered_at__isnull=True, respond_by__lt=timezone.now()).exists()


def test_the_auditor_sees_the_demo_on_the_dashboard(seeded, client):
    from logistics.models import User

    client.force_login(User.objects.get(username="auditor"))
    board = client.get(reverse("quality:dashboard")).context["board"]
    assert board.nonconformity_total.open == 1
    assert sum(row.count for row in board.scores.rows) >= 10
    assert board.complaint_total.received == len(Complaint.objects.all())
    assert any(row.count for row in board.servqual.rows)

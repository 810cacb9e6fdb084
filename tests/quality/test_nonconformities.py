"""Nonconformities and corrective actions: the services (quality.nonconformities).

Raised from a failed finding (one per finding), from a complaint or by hand; answered by the
owner or the department's head; verified by an auditor other than the one who answered;
only a verification closes one (the database agrees); overdue ones come first."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from PIL import Image

from logistics.models import AuditEvent, Notification, Role
from logistics.uploads import may_see_photo, photo_create
from quality import nonconformities as ncs
from quality.models import Inspection, InspectionAnswer, Nonconformity, NonconformityEvent
from tests import factories as f
from tests.conftest import requires_postgres
from tests.quality.data import published_checklist, sealed_inspection
from tests.threads import race

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


TODAY = timezone.localdate


# --- Test data (imported by the other nonconformity and complaint tests) ---------------------


def png_file(name="evidence.png"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def failed_inspection(department, auditor, campus=None, details=None):
    """A sealed inspection of `department`: item 1 scored 5/10 (failed: under 60%), item 2
    failed, item 3 scored 8/10 (passed). `details`: more of an answer by item position."""
    version = published_checklist(code=f"std-{department.code}-{Inspection.objects.count()}")
    return sealed_inspection(
        version,
        department=department,
        auditor=auditor,
        results=[5, "fail", 8],
        campus=campus,
        details=details,
    )


def answer_at(inspection, position):
    return InspectionAnswer.objects.select_related("item", "inspection").get(
        inspection=inspection, item__position=position
    )


def department_staff_member(department, **fields):
    """A member of `department`'s staff: a role granted for that department."""
    return f.user_with_role(Role.DORM_MANAGER, department=department, **fields)


def raise_by_hand(actor, department, **fields):
    values = {
        "severity": "major",
        "title": "楼道消防通道堆放杂物",
        "description": "3号楼二层消防通道堆放纸箱。",
    }
    values.update(fields)
    return ncs.nc_raise(actor=actor, department=department, **values)


def answer_values(**fields):
    values = {
        "root_cause": "巡查频次不足",
        "correction": "已清理杂物",
        "corrective_action": "每日两次巡查并登记",
        "preventive_action": "其他楼栋同步检查",
        "due_date": TODAY() + dt.timedelta(days=14),
    }
    values.update(fields)
    return values


@pytest.fixture
def inspection(apartments_dept, auditor):
    return failed_inspection(apartments_dept, auditor)


@pytest.fixture
def second_auditor():
    return f.user_with_role(Role.AUDITOR, username="auditor2", full_name="陈审核")


# --- Raising from a failed finding ----------------------------------------------------------


def test_a_failed_finding_becomes_a_nonconformity_of_the_inspected_department(
    auditor, head, apartments_dept
):
    # Given a failed finding with a photo, and a member of the department's staff
    photo = photo_create(uploaded_by=auditor, file=png_file())
    inspection = failed_inspection(
        apartments_dept, auditor, details={2: {"photo": photo, "comment": "值班室无人"}}
    )
    answer = answer_at(inspection, 2)
    owner = department_staff_member(apartments_dept, full_name="张楼长")
    prefill = ncs.prefill_from_answer(answer)
    assert prefill["department"] == apartments_dept.pk
    assert prefill["title"] == answer.item.text and prefill["description"] == "值班室无人"

    # When the auditor raises it
    nc = ncs.nc_raise_from_answer(
        actor=auditor,
        answer=answer,
        severity="major",
        title=prefill["title"],
        description=prefill["description"],
        owner=owner,
    )

    # Then it belongs to the inspection's department, with the finding's photo as evidence
    assert nc.source == Nonconformity.Source.INSPECTION
    assert (nc.inspection, nc.answer, nc.department) == (inspection, answer, apartments_dept)
    assert nc.evidence == photo and nc.status == Nonconformity.Status.OPEN
    kinds = list(nc.events.values_list("kind", flat=True))
    assert kinds == [NonconformityEvent.Kind.RAISED, NonconformityEvent.Kind.ASSIGNED]
    assert AuditEvent.objects.filter(action="quality.nc_raise", target_id=str(nc.pk)).exists()
    # and the head and the owner are told
    told = set(
        Notification.objects.filter(kind="quality.nc_raised").values_list("recipient", flat=True)
    )
    assert told == {head.pk, owner.pk}
    # and whoever may see the nonconformity may see its evidence
    assert may_see_photo(owner, photo) and may_see_photo(head, photo)
    assert not may_see_photo(f.user_with_role(Role.STUDENT), photo)


def test_a_score_under_sixty_percent_counts_as_failed(inspection, auditor):
    nc = ncs.nc_raise_from_answer(
        actor=auditor, answer=answer_at(inspection, 1), severity="minor", title="t", description="d"
    )
    assert nc.answer.score == 5


def test_one_nonconformity_per_finding(inspection, auditor, second_auditor):
    answer = answer_at(inspection, 2)
    first = ncs.nc_raise_from_answer(
        actor=auditor, answer=answer, severity="minor", title="t", description="d"
    )
    with pytest.raises(ncs.AlreadyRaised) as error:
        ncs.nc_raise_from_answer(
            actor=second_auditor, answer=answer, severity="major", title="t2", description="d2"
        )
    assert error.value.existing == first
    assert Nonconformity.objects.count() == 1


def test_a_passed_finding_or_a_draft_is_refused(inspection, auditor, apartments_dept):
    with pytest.raises(ncs.NonconformityInvalid, match="did not fail"):
        ncs.nc_raise_from_answer(
            actor=auditor,
            answer=answer_at(inspection, 3),
            severity="minor",
            title="t",
            description="d",
        )
    version = published_checklist(code="draft-std")
    draft = Inspection.objects.create(
        version=version,
        area=version.checklist.area,
        department=apartments_dept,
        place="食堂",
        auditor=auditor,
    )
    item = version.items.get(position=2)
    answer = InspectionAnswer.objects.create(inspection=draft, item=item, result="fail")
    with pytest.raises(ncs.NonconformityInvalid, match="still a draft"):
        ncs.nc_raise_from_answer(
            actor=auditor, answer=answer, severity="minor", title="t", description="d"
        )
    assert not Nonconformity.objects.exists()


def test_only_auditors_raise(inspection, head, apartments_dept):
    with pytest.raises(ncs.NotAllowed):
        ncs.nc_raise_from_answer(
            actor=head,
            answer=answer_at(inspection, 2),
            severity="minor",
            title="t",
            description="d",
        )
    with pytest.raises(ncs.NotAllowed):
        raise_by_hand(head, apartments_dept)


def test_an_administrator_raises_like_an_auditor(inspection, admin):
    nc = ncs.nc_raise_from_answer(
        actor=admin, answer=answer_at(inspection, 2), severity="minor", title="t", description="d"
    )
    assert nc.raised_by == admin


# --- Raising by hand ---------------------------------------------------------------------------


def test_raising_by_hand_with_an_evidence_photo(auditor, head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept, evidence_file=png_file())
    assert nc.source == Nonconformity.Source.MANUAL and nc.evidence is not None
    assert nc.evidence.uploaded_by == auditor
    assert Notification.objects.filter(recipient=head, kind="quality.nc_raised").count() == 1


def test_a_double_tap_raises_once(auditor, apartments_dept):
    first = raise_by_hand(auditor, apartments_dept)
    again = raise_by_hand(auditor, apartments_dept)
    assert again == first and Nonconformity.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"severity": "huge"}, "severity"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(auditor, apartments_dept, fields, field):
    with pytest.raises(ncs.NonconformityInvalid) as error:
        raise_by_hand(auditor, apartments_dept, **fields)
    assert error.value.field == field
    assert not Nonconformity.objects.exists()


def test_the_owner_must_be_of_the_departments_staff(auditor, apartments_dept, dining_dept):
    outsider = department_staff_member(dining_dept)
    with pytest.raises(ncs.NonconformityInvalid) as error:
        raise_by_hand(auditor, apartments_dept, owner=outsider)
    assert error.value.field == "owner"


# --- The owner's answer ------------------------------------------------------------------------


def test_the_head_records_the_action_and_the_auditor_is_told(auditor, head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)

    answered = ncs.nc_answer(actor=head, nonconformity=nc, **answer_values())

    assert answered.status == Nonconformity.Status.ANSWERED
    assert answered.answered_by == head and answered.answered_at is not None
    assert answered.due_date == TODAY() + dt.timedelta(days=14)
    assert Notification.objects.filter(recipient=auditor, kind="quality.nc_answered").exists()
    assert answered.events.filter(kind=NonconformityEvent.Kind.ANSWERED).count() == 1


def test_the_owner_records_the_action(auditor, apartments_dept):
    owner = department_staff_member(apartments_dept)
    nc = raise_by_hand(auditor, apartments_dept, owner=owner)
    assert ncs.nc_answer(actor=owner, nonconformity=nc, **answer_values()).answered_by == owner


def test_a_head_of_another_department_may_not_answer(auditor, dining_head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    with pytest.raises(ncs.NotAllowed):
        ncs.nc_answer(actor=dining_head, nonconformity=nc, **answer_values())


@pytest.mark.parametrize(
    ("days", "message"), [(-1, "in the past"), (366, "within a year"), (None, "Enter the date")]
)
def test_the_due_date_is_between_today_and_a_year(auditor, head, apartments_dept, days, message):
    nc = raise_by_hand(auditor, apartments_dept)
    due = None if days is None else TODAY() + dt.timedelta(days=days)
    with pytest.raises(ncs.NonconformityInvalid, match=message) as error:
        ncs.nc_answer(actor=head, nonconformity=nc, **answer_values(due_date=due))
    assert error.value.field == "due_date"


def test_the_preventive_action_is_optional_the_others_are_not(auditor, head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    with pytest.raises(ncs.NonconformityInvalid) as error:
        ncs.nc_answer(actor=head, nonconformity=nc, **answer_values(root_cause=" "))
    assert error.value.field == "root_cause"
    ncs.nc_answer(actor=head, nonconformity=nc, **answer_values(preventive_action=""))


def test_an_answered_nonconformity_is_not_answered_again(auditor, head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    ncs.nc_answer(actor=head, nonconformity=nc, **answer_values())
    with pytest.raises(ncs.WrongStatus):
        ncs.nc_answer(actor=head, nonconformity=nc, **answer_values())


# --- Verification ------------------------------------------------------------------------------


@pytest.fixture
def answered(auditor, head, apartments_dept):
    owner = department_staff_member(apartments_dept, username="owner1")
    nc = raise_by_hand(auditor, apartments_dept, owner=owner)
    return ncs.nc_answer(actor=owner, nonconformity=nc, **answer_values())


def test_effective_closes_it(answered, auditor):
    closed = ncs.nc_verify(actor=auditor, nonconformity=answered, effective=True, note="已复查")
    assert closed.status == Nonconformity.Status.CLOSED
    assert closed.verified_by == auditor and closed.verified_at and closed.closed_at
    assert closed.verification_note == "已复查"
    assert Notification.objects.filter(recipient=answered.owner, kind="quality.nc_closed").exists()
    with pytest.raises(ncs.WrongStatus):
        ncs.nc_verify(actor=auditor, nonconformity=closed, effective=True)


def test_not_effective_sends_it_back_to_the_owner(answered, auditor):
    # When the auditor finds the action did not work
    back = ncs.nc_verify(actor=auditor, nonconformity=answered, effective=False, note="仍有堆放")

    # Then it is open again, counted, and the owner is told why
    assert back.status == Nonconformity.Status.OPEN and back.times_rejected == 1
    assert back.verified_at is None and back.verification_note == "仍有堆放"
    told = Notification.objects.get(recipient=answered.owner, kind="quality.nc_rejected")
    assert told.params["note"] == "仍有堆放"
    # and the owner may answer again
    again = ncs.nc_answer(actor=answered.owner, nonconformity=back, **answer_values())
    assert again.status == Nonconformity.Status.ANSWERED


def test_not_effective_needs_a_reason(answered, auditor):
    with pytest.raises(ncs.NonconformityInvalid) as error:
        ncs.nc_verify(actor=auditor, nonconformity=answered, effective=False, note="")
    assert error.value.field == "note"


def test_who_answered_does_not_verify(auditor, second_auditor, apartments_dept):
    # Given an auditor who also heads the department recorded the action
    both = f.user_with_role(Role.AUDITOR, username="both")
    f.RoleGrantFactory(user=both, role=Role.DEPARTMENT_HEAD, department=apartments_dept)
    nc = raise_by_hand(auditor, apartments_dept)
    ncs.nc_answer(actor=both, nonconformity=nc, **answer_values())
    # Then they may not verify it, another auditor may
    with pytest.raises(ncs.NotAllowed, match="another auditor"):
        ncs.nc_verify(actor=both, nonconformity=nc, effective=True)
    assert ncs.nc_verify(actor=second_auditor, nonconformity=nc, effective=True).is_open is False


def test_only_auditors_verify(answered, head):
    with pytest.raises(ncs.NotAllowed):
        ncs.nc_verify(actor=head, nonconformity=answered, effective=True)


def test_an_open_nonconformity_cannot_be_verified(auditor, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    with pytest.raises(ncs.WrongStatus):
        ncs.nc_verify(actor=auditor, nonconformity=nc, effective=True)


def test_the_database_refuses_a_closed_nonconformity_without_verification(auditor, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    with pytest.raises(IntegrityError), transaction.atomic():
        Nonconformity.objects.filter(pk=nc.pk).update(status=Nonconformity.Status.CLOSED)


# --- Owner -------------------------------------------------------------------------------------


def test_the_head_gives_it_to_a_member_of_the_staff(auditor, head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    member = department_staff_member(apartments_dept)
    ncs.nc_assign(actor=head, nonconformity=nc, owner=member)
    nc.refresh_from_db()
    assert nc.owner == member
    assert Notification.objects.filter(recipient=member, kind="quality.nc_assigned").exists()
    # and back to the heads
    ncs.nc_assign(actor=head, nonconformity=nc, owner=None)
    nc.refresh_from_db()
    assert nc.owner is None
    assert nc.events.filter(kind=NonconformityEvent.Kind.ASSIGNED).count() == 2


def test_a_stranger_does_not_choose_the_owner(auditor, dining_head, apartments_dept):
    nc = raise_by_hand(auditor, apartments_dept)
    with pytest.raises(ncs.NotAllowed):
        ncs.nc_assign(
            actor=dining_head, nonconformity=nc, owner=department_staff_member(apartments_dept)
        )


# --- Overdue -----------------------------------------------------------------------------------


def test_overdue_means_open_and_past_the_due_date(auditor, head, apartments_dept):
    # Given one nonconformity of each kind
    fresh = raise_by_hand(auditor, apartments_dept, title="fresh")
    late = raise_by_hand(auditor, apartments_dept, title="late")
    ncs.nc_answer(actor=head, nonconformity=late, **answer_values())
    due_today = raise_by_hand(auditor, apartments_dept, title="due today")
    ncs.nc_answer(actor=head, nonconformity=due_today, **answer_values())
    Nonconformity.objects.filter(pk=late.pk).update(due_date=TODAY() - dt.timedelta(days=1))
    Nonconformity.objects.filter(pk=due_today.pk).update(due_date=TODAY())

    # Then only the one past its date is overdue, and it comes first in the list
    overdue = Nonconformity.objects.filter(ncs.overdue_q(TODAY()))
    assert list(overdue) == [late]
    rows = list(ncs.nc_list(auditor))
    assert rows[0] == late and rows[0].is_overdue
    assert {r.pk for r in rows[1:]} == {fresh.pk, due_today.pk}
    assert not any(r.is_overdue for r in rows[1:])
    # and a closed one is never overdue
    Nonconformity.objects.filter(pk=late.pk).update(
        status=Nonconformity.Status.CLOSED, verified_at=timezone.now()
    )
    assert not Nonconformity.objects.filter(ncs.overdue_q(TODAY())).exists()


def test_the_list_filters(auditor, head, apartments_dept, dining_dept):
    raise_by_hand(auditor, apartments_dept, severity="critical", title="a")
    dining = raise_by_hand(auditor, dining_dept, severity="minor", title="b")
    assert list(ncs.nc_list(auditor, ncs.NonconformityFilter(department=dining_dept))) == [dining]
    assert list(ncs.nc_list(auditor, ncs.NonconformityFilter(severity="minor"))) == [dining]
    assert ncs.nc_list(auditor, ncs.NonconformityFilter(source="inspection")).count() == 0
    assert ncs.nc_list(auditor, ncs.NonconformityFilter(overdue=True)).count() == 0
    # and a head sees their department's only
    assert [n.department for n in ncs.nc_list(head)] == [apartments_dept]


# --- Two at once (PostgreSQL: SQLite serialises every write anyway) ----------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_auditors_raising_from_one_finding_at_once_raise_one(apartments_dept, auditor):
    # Given a failed finding and two auditors
    inspection = failed_inspection(apartments_dept, auditor)
    answer = answer_at(inspection, 2)
    auditors = [auditor, f.user_with_role(Role.AUDITOR, username="auditor-b")]

    # When both raise at the same instant
    def attempt(i):
        try:
            ncs.nc_raise_from_answer(
                actor=auditors[i], answer=answer, severity="minor", title="t", description="d"
            )
        except ncs.AlreadyRaised:
            return "already"
        return "raised"

    # Then the finding's row lock lets one through; the other finds it raised
    assert sorted(race(2, attempt)) == ["already", "raised"]
    assert Nonconformity.objects.filter(answer=answer).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_record_one(apartments_dept, auditor, head):
    # Given an open nonconformity, and its owner and head both recording the action at once
    owner = department_staff_member(apartments_dept)
    nc = raise_by_hand(auditor, apartments_dept, owner=owner)
    people = [owner, head]

    def attempt(i):
        try:
            ncs.nc_answer(actor=people[i], nonconformity=nc, **answer_values())
        except ncs.WrongStatus:
            return "refused"
        return "answered"

    # Then one is recorded, the other sees it is no longer open
    assert sorted(race(2, attempt)) == ["answered", "refused"]
    assert NonconformityEvent.objects.filter(kind="answered").count() == 1

"""Complaints from every channel: the services (quality.complaints).

Filed on the web (optionally anonymous) or recorded by staff from the hotline and the box;
routed by category to a department with an answer deadline; assigned, answered, judged by the
complainant once per answer; closed; turned into a nonconformity in one step."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from logistics.models import AuditEvent, Notification, Role
from quality import complaints as cps
from quality import nonconformities as ncs
from quality.models import Complaint, ComplaintCategory, ComplaintEvent, Nonconformity
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


# --- Test data (imported by the complaint page tests) -----------------------------------------


def category(department, code="dorm-service", hours=48, **fields):
    return ComplaintCategory.objects.create(
        code=code,
        name=fields.pop("name", "宿舍服务"),
        name_en=fields.pop("name_en", "Dorm service"),
        department=department,
        response_hours=hours,
        **fields,
    )


def file_complaint(user, cat, *, anonymous=False, subject="热水不热", text="3号楼热水一周不热。"):
    return cps.complaint_submit(
        actor=user, category=cat, subject=subject, text=text, anonymous=anonymous
    )


def record_call(actor, cat, **fields):
    values = {
        "channel": Complaint.Channel.HOTLINE,
        "received_at": timezone.now() - dt.timedelta(hours=1),
        "subject": "食堂饭菜偏咸",
        "text": "二食堂午餐偏咸。",
        "contact_name": "李老师",
        "contact_phone": "0571-8888 1234",
    }
    values.update(fields)
    return cps.complaint_record(actor=actor, category=cat, **values)


@pytest.fixture
def dorm_category(apartments_dept):
    return category(apartments_dept)


@pytest.fixture
def member(apartments_dept):
    """A member of the apartment center's staff."""
    return f.user_with_role(
        Role.DORM_MANAGER, department=apartments_dept, username="member1", full_name="赵楼长"
    )


# --- Filing on the web -------------------------------------------------------------------------


def test_a_web_complaint_is_routed_to_the_categorys_department(
    student, head, dorm_category, apartments_dept
):
    # When a student files a complaint
    before = timezone.now()
    complaint = file_complaint(student, dorm_category)

    # Then it goes to the category's department, due within the category's hours
    assert complaint.channel == Complaint.Channel.WEB and complaint.complainant == student
    assert complaint.department == apartments_dept and complaint.status == Complaint.Status.NEW
    assert complaint.respond_by - complaint.received_at == dt.timedelta(hours=48)
    assert complaint.received_at >= before
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == [ComplaintEvent.Kind.RECEIVED, ComplaintEvent.Kind.ROUTED]
    # and the head is told
    told = Notification.objects.get(kind="quality.complaint_routed")
    assert told.recipient == head and told.params["subject"] == "热水不热"
    assert AuditEvent.objects.get(action="quality.complaint_receive").actor == student


def test_a_double_tap_files_once(student, dorm_category):
    first = file_complaint(student, dorm_category)
    assert file_complaint(student, dorm_category) == first
    assert Complaint.objects.count() == 1


def test_an_inactive_category_is_refused(student, dorm_category):
    dorm_category.is_active = False
    dorm_category.save()
    with pytest.raises(cps.ComplaintInvalid) as error:
        file_complaint(student, dorm_category)
    assert error.value.field == "category"


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"subject": " "}, "subject"), ({"text": ""}, "text"), ({"text": "x" * 2001}, "text")],
)
def test_bad_input_is_refused(student, dorm_category, fields, field):
    with pytest.raises(cps.ComplaintInvalid) as error:
        file_complaint(student, dorm_category, **fields)
    assert error.value.field == field


def test_an_anonymous_complainants_name_reaches_no_handler(student, head, dorm_category, auditor):
    # Given an anonymous complaint, answered, judged unsatisfying
    complaint = file_complaint(student, dorm_category, anonymous=True)
    cps.complaint_answer(actor=head, complaint=complaint, text="已维修")
    cps.complaint_feedback(actor=student, complaint=complaint, satisfied=False, feedback="还是不热")

    # Then no event, audit record or staff notification names the complainant
    assert not complaint.events.filter(actor=student).exists()
    records = AuditEvent.objects.filter(target_id=str(complaint.pk))
    assert records.count() == 3 and not records.filter(actor=student).exists()
    for record in records:
        text = str(record.changes)
        assert student.full_name not in text and student.username not in text
        assert not {"complainant", "user", "actor"} & set(record.changes)
    for notification in Notification.objects.exclude(recipient=student):
        rendered = str(notification.params) + notification.url
        assert student.full_name not in rendered and student.username not in rendered
    # and the selectors hide them from every handler, not from themselves
    assert cps.complainant_shown(head, complaint) is None
    assert cps.complainant_shown(auditor, complaint) is None
    assert cps.complainant_shown(student, complaint) == student


# --- Recording hotline calls and box slips -----------------------------------------------------


def test_staff_record_a_hotline_call(auditor, dining_dept, dining_head):
    cat = category(dining_dept, code="canteen", hours=24)
    complaint = record_call(auditor, cat)
    assert complaint.channel == Complaint.Channel.HOTLINE and complaint.complainant is None
    assert complaint.entered_by == auditor and complaint.contact_name == "李老师"
    assert complaint.respond_by == complaint.received_at + dt.timedelta(hours=24)
    assert Notification.objects.filter(recipient=dining_head).count() == 1


def test_a_head_records_a_box_slip_of_any_department(head, dining_dept):
    cat = category(dining_dept, code="canteen")
    complaint = record_call(head, cat, channel=Complaint.Channel.SUGGESTION_BOX, contact_name="")
    assert complaint.department == dining_dept


def test_who_may_record(student, staff_member, dorm_category):
    for user in (student, staff_member):
        with pytest.raises(cps.NotAllowed):
            record_call(user, dorm_category)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": "web"}, "channel"),
        ({"received_at": timezone.now() + dt.timedelta(hours=2)}, "received_at"),
        ({"received_at": timezone.now() - dt.timedelta(days=400)}, "received_at"),
        ({"contact_phone": "1" * 31}, "contact_phone"),
    ],
)
def test_a_recorded_complaint_is_checked(auditor, dorm_category, fields, field):
    with pytest.raises(cps.ComplaintInvalid) as error:
        record_call(auditor, dorm_category, **fields)
    assert error.value.field == field


# --- Handling ----------------------------------------------------------------------------------


def test_the_head_assigns_a_member_of_the_staff(student, head, member, dorm_category):
    complaint = file_complaint(student, dorm_category)
    cps.complaint_assign(actor=head, complaint=complaint, assignee=member)
    complaint.refresh_from_db()
    assert complaint.assignee == member
    assert Notification.objects.filter(recipient=member, kind="quality.complaint_assigned").exists()
    # and the member now handles it
    assert list(cps.handled_complaints(member)) == [complaint]


def test_only_the_departments_staff_are_assignable(student, head, staff_member, dorm_category):
    complaint = file_complaint(student, dorm_category)
    with pytest.raises(cps.ComplaintInvalid):
        cps.complaint_assign(actor=head, complaint=complaint, assignee=staff_member)


def test_a_head_of_another_department_does_not_assign(student, dining_head, member, dorm_category):
    complaint = file_complaint(student, dorm_category)
    with pytest.raises(cps.NotAllowed):
        cps.complaint_assign(actor=dining_head, complaint=complaint, assignee=member)


def test_the_answer_reaches_the_complainant(student, member, head, dorm_category):
    complaint = file_complaint(student, dorm_category)
    cps.complaint_assign(actor=head, complaint=complaint, assignee=member)

    answered = cps.complaint_answer(actor=member, complaint=complaint, text="已更换热水器。")

    assert answered.status == Complaint.Status.ANSWERED and answered.answered_by == member
    first = answered.first_answered_at
    assert first is not None and answered.answered_at == first
    assert Notification.objects.filter(
        recipient=student, kind="quality.complaint_answered"
    ).exists()
    # and answering again keeps the first answer's time
    again = cps.complaint_answer(actor=member, complaint=answered, text="补充：已检修管道。")
    assert again.first_answered_at == first and again.answered_at > first


def test_the_answer_is_at_most_2000_characters(student, head, dorm_category):
    complaint = file_complaint(student, dorm_category)
    with pytest.raises(cps.ComplaintInvalid):
        cps.complaint_answer(actor=head, complaint=complaint, text="x" * 2001)


def test_a_stranger_does_not_answer(student, staff_member, dorm_category):
    complaint = file_complaint(student, dorm_category)
    with pytest.raises(cps.NotAllowed):
        cps.complaint_answer(actor=staff_member, complaint=complaint, text="?")


def test_a_call_without_a_known_complainant_is_answered_without_notification(
    auditor, dorm_category
):
    complaint = record_call(auditor, dorm_category)
    cps.complaint_answer(actor=auditor, complaint=complaint, text="已回电")
    assert not Notification.objects.filter(kind="quality.complaint_answered").exists()


# --- The complainant's verdict -----------------------------------------------------------------


def test_satisfied_closes_it(student, head, dorm_category):
    complaint = file_complaint(student, dorm_category)
    cps.complaint_answer(actor=head, complaint=complaint, text="已修好")
    closed = cps.complaint_feedback(actor=student, complaint=complaint, satisfied=True)
    assert closed.status == Complaint.Status.CLOSED and closed.satisfied is True
    assert closed.closed_at is not None
    assert closed.events.filter(kind=ComplaintEvent.Kind.SATISFIED, actor=student).exists()


def test_unsatisfied_sends_it_back_and_tells_the_head(student, head, member, dorm_category):
    complaint = file_complaint(student, dorm_category)
    cps.complaint_assign(actor=head, complaint=complaint, assignee=member)
    cps.complaint_answer(actor=member, complaint=complaint, text="已修好")

    back = cps.complaint_feedback(
        actor=student, complaint=complaint, satisfied=False, feedback="还是不热"
    )

    assert back.status == Complaint.Status.NEW and back.satisfied is False
    told = set(
        Notification.objects.filter(kind="quality.complaint_unsatisfied").values_list(
            "recipient", flat=True
        )
    )
    assert told == {head.pk, member.pk}
    # and it is not overdue (it has an answer), it waits for a new one
    assert not cps.complaint_list(head, cps.ComplaintFilter(overdue=True)).exists()
    # once per answer
    with pytest.raises(cps.WrongStatus, match="already"):
        cps.complaint_feedback(actor=student, complaint=back, satisfied=True)
    # a new answer asks for a new verdict
    cps.complaint_answer(actor=member, complaint=back, text="已更换热水器")
    assert cps.complaint_feedback(actor=student, complaint=back, satisfied=True).satisfied


def test_only_the_complainant_judges_and_only_an_answer(student, head, dorm_category):
    complaint = file_complaint(student, dorm_category)
    with pytest.raises(cps.WrongStatus):
        cps.complaint_feedback(actor=student, complaint=complaint, satisfied=True)
    cps.complaint_answer(actor=head, complaint=complaint, text="已修好")
    with pytest.raises(cps.NotAllowed):
        cps.complaint_feedback(actor=head, complaint=complaint, satisfied=True)


# --- Closing -----------------------------------------------------------------------------------


def test_staff_close_an_answered_complaint_only(auditor, dorm_category):
    complaint = record_call(auditor, dorm_category)
    with pytest.raises(cps.WrongStatus, match="Answer the complaint"):
        cps.complaint_close(actor=auditor, complaint=complaint)
    cps.complaint_answer(actor=auditor, complaint=complaint, text="已回电说明")
    closed = cps.complaint_close(actor=auditor, complaint=complaint)
    assert closed.status == Complaint.Status.CLOSED
    with pytest.raises(cps.WrongStatus):
        cps.complaint_answer(actor=auditor, complaint=closed, text="again")


# --- Overdue and lists -------------------------------------------------------------------------


def test_overdue_is_past_the_deadline_without_an_answer(auditor, head, student, dorm_category):
    late = record_call(auditor, dorm_category, received_at=timezone.now() - dt.timedelta(days=3))
    answered_late = record_call(
        auditor, dorm_category, subject="b", received_at=timezone.now() - dt.timedelta(days=3)
    )
    cps.complaint_answer(actor=head, complaint=answered_late, text="ok")
    fresh = file_complaint(student, dorm_category)

    rows = list(cps.complaint_list(head))
    assert rows[0] == late and rows[0].is_overdue
    assert {r.pk for r in rows[1:]} == {answered_late.pk, fresh.pk}
    assert list(cps.complaint_list(head, cps.ComplaintFilter(overdue=True))) == [late]


def test_who_handles_what(student, head, dining_head, member, auditor, dorm_category):
    complaint = file_complaint(student, dorm_category)
    assert list(cps.handled_complaints(auditor)) == [complaint]
    assert list(cps.handled_complaints(head)) == [complaint]
    assert not cps.handled_complaints(dining_head).exists()
    assert not cps.handled_complaints(member).exists()
    # the complainant follows it, but does not handle it
    assert not cps.handled_complaints(student).exists()
    assert list(cps.complaints_of(student)) == [complaint]


# --- Turning a complaint into a nonconformity --------------------------------------------------


def test_one_step_turns_a_complaint_into_a_nonconformity(student, head, dorm_category):
    complaint = file_complaint(student, dorm_category, anonymous=True)
    complaint.campus = f.CampusFactory()
    complaint.save()

    nc, created = ncs.nc_raise_from_complaint(actor=head, complaint=complaint)

    assert created and nc.source == Nonconformity.Source.COMPLAINT and nc.complaint == complaint
    assert (nc.department, nc.campus) == (complaint.department, complaint.campus)
    assert nc.title == "热水不热" and "3号楼热水一周不热。" in nc.description
    assert nc.severity == "minor" and nc.raised_by == head
    assert student.full_name not in nc.description
    assert complaint.events.filter(kind=ComplaintEvent.Kind.NONCONFORMITY, note=nc.number).exists()
    # and a second click leads to the same one
    again, created = ncs.nc_raise_from_complaint(actor=head, complaint=complaint)
    assert again == nc and not created


def test_a_head_of_another_department_does_not_raise_from_a_complaint(
    student, dining_head, dorm_category
):
    complaint = file_complaint(student, dorm_category)
    with pytest.raises(ncs.NotAllowed):
        ncs.nc_raise_from_complaint(actor=dining_head, complaint=complaint)


# --- Categories --------------------------------------------------------------------------------


def test_categories_are_saved_by_auditors_with_an_audit_record(auditor, head, apartments_dept):
    new = ComplaintCategory(code="noise", name="噪音", department=apartments_dept)
    cps.category_save(actor=auditor, category=new)
    assert AuditEvent.objects.filter(action="quality.category_create").exists()
    with pytest.raises(cps.NotAllowed):
        cps.category_save(actor=head, category=new)

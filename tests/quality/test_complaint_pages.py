"""Complaint pages: filing, recording, the complainant's list, the handlers' list, one
complaint with its forms, the categories. Who may open and use each, that an anonymous
complainant's name appears on no page a handler sees, and the lists' query budgets."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from logistics.models import Notification, Role
from logistics.notifications import notification_text
from quality import complaints as cps
from quality.models import Complaint, ComplaintCategory, Nonconformity
from tests import factories as f
from tests.quality.test_complaints import category, file_complaint, record_call

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(apartments_dept, dining_dept, auditor, head, dining_head, staff_member, student, admin):
    dorm = category(apartments_dept)
    member = f.user_with_role(
        Role.DORM_MANAGER, department=apartments_dept, username="member1", full_name="赵楼长"
    )
    colleague = f.user_with_role(
        Role.DORM_MANAGER, department=apartments_dept, username="member2", full_name="孙楼长"
    )
    complaint = file_complaint(student, dorm)
    cps.complaint_assign(actor=head, complaint=complaint, assignee=member)
    return {
        "dorm": dorm,
        "complaint": complaint,
        "member": member,  # assigned
        "colleague": colleague,  # same department, not assigned
        "other_student": f.user_with_role(Role.STUDENT, username="2025000002"),
        "auditor": auditor,
        "head": head,
        "dining_head": dining_head,
        "staff_member": staff_member,
        "student": student,
        "admin": admin,
    }


def as_user(client, user):
    client.force_login(user)
    return client


def url(name, complaint=None):
    return reverse(f"quality:{name}", args=[complaint.pk] if complaint else [])


# --- Anonymous visitors ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    c = world["complaint"]
    pages = [url(n) for n in ("complaint_list", "my_complaints", "complaint_new")]
    pages += [url("complaint_record"), url("complaint_categories"), url("complaint_detail", c)]
    pages += [reverse("quality:complaint_category_edit", args=[0])]
    for address in pages:
        response = client.get(address)
        assert response.status_code == 302 and "/login" in response.url, address
    for name in ("complaint_assign", "complaint_answer", "complaint_feedback"):
        response = client.post(url(name, c))
        assert response.status_code == 302 and "/login" in response.url, name
    for name in ("complaint_close", "complaint_to_nc"):
        assert client.post(url(name, c)).status_code == 302
    assert not Nonconformity.objects.exists()


# --- Filing on the web -------------------------------------------------------------------------


def test_any_signed_in_user_files_a_complaint(client, world, apartments_dept):
    as_user(client, world["staff_member"])
    form = client.get(url("complaint_new")).content.decode()
    assert "your name is hidden from the staff who handle it" in form.lower()
    assert "Apartment Center" in form  # the category shows its department
    response = client.post(
        url("complaint_new"),
        {"category": world["dorm"].pk, "subject": "门禁坏了", "text": "5号楼门禁刷不开。"},
    )
    complaint = Complaint.objects.get(subject="门禁坏了")
    assert response.status_code == 302 and response.url == url("complaint_detail", complaint)
    assert complaint.complainant == world["staff_member"] and complaint.channel == "web"
    assert complaint.department == apartments_dept


def test_a_form_with_errors_keeps_what_was_typed(client, world):
    as_user(client, world["student"])
    response = client.post(
        url("complaint_new"),
        {"category": world["dorm"].pk, "subject": "<i>太吵</i>", "text": "x" * 2001},
    )
    assert response.status_code == 400
    assert "text" in response.context["form"].errors
    html = response.content.decode()
    assert "&lt;i&gt;太吵&lt;/i&gt;" in html and "<i>太吵</i>" not in html


def test_an_inactive_category_is_not_offered(client, world, apartments_dept):
    category(apartments_dept, code="old", name="旧类别", is_active=False)
    as_user(client, world["student"])
    assert "旧类别" not in client.get(url("complaint_new")).content.decode()


# --- Recording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 404),
        ("staff_member", 404),
        ("member", 404),
        ("head", 200),
        ("dining_head", 200),
        ("auditor", 200),
        ("admin", 200),
    ],
)
def test_who_records_calls_and_slips(client, world, who, status):
    assert as_user(client, world[who]).get(url("complaint_record")).status_code == status


def test_recording_a_hotline_call(client, world):
    as_user(client, world["auditor"])
    received = timezone.localtime() - dt.timedelta(hours=3)
    response = client.post(
        url("complaint_record"),
        {
            "channel": "hotline",
            "received_at": received.strftime("%Y-%m-%dT%H:%M"),
            "category": world["dorm"].pk,
            "subject": "洗衣机故障",
            "text": "2号楼洗衣机不脱水。",
            "contact_name": "周同学",
            "contact_phone": "138 0000 0000",
        },
    )
    complaint = Complaint.objects.get(subject="洗衣机故障")
    assert response.status_code == 302
    assert complaint.entered_by == world["auditor"] and complaint.complainant is None
    assert complaint.respond_by == complaint.received_at + dt.timedelta(hours=48)


def test_a_call_in_the_future_is_refused(client, world):
    as_user(client, world["auditor"])
    future = timezone.localtime() + dt.timedelta(days=1)
    response = client.post(
        url("complaint_record"),
        {
            "channel": "box",
            "received_at": future.strftime("%Y-%m-%dT%H:%M"),
            "category": world["dorm"].pk,
            "subject": "建议",
            "text": "多开自习室。",
            "contact_phone": "<script>",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "received_at" in errors and "contact_phone" in errors


# --- My complaints -----------------------------------------------------------------------------


def test_my_complaints_lists_mine_only(client, world):
    file_complaint(world["other_student"], world["dorm"], subject="别人的投诉")
    response = as_user(client, world["student"]).get(url("my_complaints"))
    assert [c.pk for c in response.context["page"]] == [world["complaint"].pk]
    assert "别人的投诉" not in response.content.decode()
    # someone who never complained sees an empty list, not an error
    response = as_user(client, world["staff_member"]).get(url("my_complaints"))
    assert response.status_code == 200 and not response.context["page"].object_list


def test_my_complaints_query_count_does_not_grow(client, world, django_assert_num_queries):
    as_user(client, world["student"])
    client.get(url("my_complaints"))  # warm up: the unread count of the bell is cached
    # session, user, count, the page's rows (with category and department); the top bar's
    # hall entries read the role grants
    with django_assert_num_queries(4):
        client.get(url("my_complaints"))
    for n in range(10):
        file_complaint(world["student"], world["dorm"], subject=f"投诉{n}")
    client.get(url("my_complaints"))
    with django_assert_num_queries(4):
        response = client.get(url("my_complaints"))
    assert len(response.context["page"].object_list) == 11


# --- The handlers' list ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "rows"),
    [
        ("student", 404, None),  # a complainant follows theirs under "my complaints"
        ("staff_member", 404, None),
        ("colleague", 404, None),
        ("member", 200, 1),
        ("head", 200, 1),
        ("dining_head", 200, 0),
        ("auditor", 200, 1),
        ("admin", 200, 1),
    ],
)
def test_who_sees_the_handlers_list(client, world, who, status, rows):
    response = as_user(client, world[who]).get(url("complaint_list"))
    assert response.status_code == status
    if rows is not None:
        assert len(response.context["page"].object_list) == rows


def test_the_list_filters_and_puts_overdue_first(client, world):
    late = record_call(
        world["auditor"], world["dorm"], received_at=timezone.now() - dt.timedelta(days=5)
    )
    as_user(client, world["head"])
    response = client.get(url("complaint_list"))
    assert response.context["page"].object_list[0] == late
    assert response.content.decode().count('data-testid="overdue"') == 1
    response = client.get(url("complaint_list"), {"channel": "hotline"})
    assert list(response.context["page"].object_list) == [late]
    response = client.get(url("complaint_list"), {"overdue": "on"})
    assert list(response.context["page"].object_list) == [late]
    response = client.get(url("complaint_list"), {"status": "closed"})
    assert not response.context["page"].object_list


def test_the_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    as_user(client, world["auditor"])
    client.get(url("complaint_list"))  # warm up: the unread count of the bell is cached
    # session, user with role grants, count, the page's rows (with category, department, campus,
    # complainant, assignee), the category and department filter choices
    with django_assert_num_queries(6):
        client.get(url("complaint_list"))
    for n in range(10):
        user = f.user_with_role(Role.STUDENT)
        file_complaint(user, world["dorm"], subject=f"投诉{n}", anonymous=n % 2 == 0)
        record_call(world["auditor"], world["dorm"], subject=f"电话{n}")
    client.get(url("complaint_list"))
    with django_assert_num_queries(6):
        response = client.get(url("complaint_list"))
    assert len(response.context["page"].object_list) == 21


# --- One complaint -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),  # the complainant
        ("other_student", 404),
        ("staff_member", 404),
        ("colleague", 404),  # same department, not assigned
        ("member", 200),  # assigned
        ("head", 200),
        ("dining_head", 404),
        ("auditor", 200),
        ("admin", 200),
    ],
)
def test_who_sees_a_complaint(client, world, who, status):
    response = as_user(client, world[who]).get(url("complaint_detail", world["complaint"]))
    assert response.status_code == status


def test_the_complainant_sees_no_handling_forms(client, world):
    html = as_user(client, world["student"]).get(url("complaint_detail", world["complaint"]))
    html = html.content.decode()
    for testid in ("answer-form", "assign-form", "to-nc", "close", "history", "feedback-form"):
        assert f'data-testid="{testid}"' not in html, testid


def test_each_handler_gets_their_forms(client, world):
    c = world["complaint"]
    html = as_user(client, world["member"]).get(url("complaint_detail", c)).content.decode()
    assert 'data-testid="answer-form"' in html and 'data-testid="assign-form"' not in html
    assert 'data-testid="to-nc"' not in html
    html = as_user(client, world["head"]).get(url("complaint_detail", c)).content.decode()
    assert 'data-testid="answer-form"' in html and 'data-testid="assign-form"' in html
    assert 'data-testid="to-nc"' in html and world["student"].full_name in html


def test_an_anonymous_complainants_name_is_on_no_page_a_handler_sees(client, world):
    # Given an anonymous complaint that went through every step
    student = world["other_student"]
    student.full_name = "匿名的李同学"
    student.save()
    complaint = file_complaint(student, world["dorm"], anonymous=True, subject="宿管态度差")
    cps.complaint_assign(actor=world["head"], complaint=complaint, assignee=world["member"])
    cps.complaint_answer(actor=world["member"], complaint=complaint, text="已批评教育")
    cps.complaint_feedback(actor=student, complaint=complaint, satisfied=False, feedback="不满意")
    as_user(client, world["auditor"])
    client.post(url("complaint_to_nc", complaint))
    nc = Nonconformity.objects.get(complaint=complaint)

    # Then no handler's page names them
    for who in ("member", "head", "auditor", "admin"):
        as_user(client, world[who])
        pages = [
            url("complaint_detail", complaint),
            url("complaint_list"),
            reverse("quality:nc_detail", args=[nc.pk]),
            reverse("notifications"),
        ]
        for address in pages:
            html = client.get(address).content.decode()
            assert student.full_name not in html and student.username not in html, (who, address)
    # nor any notification to someone else
    for notification in Notification.objects.exclude(recipient=student):
        assert student.full_name not in notification_text(notification)
    # while the complainant sees their own complaint, and that it is anonymous
    as_user(client, student)
    html = client.get(url("complaint_detail", complaint)).content.decode()
    assert "Your name is hidden from the staff who handle it." in html


# --- Acting on a complaint ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 404),
        ("member", 404),  # the handler does not reassign
        ("dining_head", 404),
        ("head", 302),
        ("auditor", 302),
        ("admin", 302),
    ],
)
def test_who_assigns(client, world, who, status):
    c = world["complaint"]
    response = as_user(client, world[who]).post(
        url("complaint_assign", c), {"assignee": world["colleague"].pk}
    )
    assert response.status_code == status
    c.refresh_from_db()
    assert c.assignee == (world["colleague"] if status == 302 else world["member"])


def test_assigning_outside_the_department_is_refused(client, world):
    response = as_user(client, world["head"]).post(
        url("complaint_assign", world["complaint"]), {"assignee": world["staff_member"].pk}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 404),
        ("colleague", 404),
        ("dining_head", 404),
        ("member", 302),
        ("head", 302),
        ("auditor", 302),
        ("admin", 302),
    ],
)
def test_who_answers(client, world, who, status):
    c = world["complaint"]
    response = as_user(client, world[who]).post(url("complaint_answer", c), {"answer": "已处理"})
    assert response.status_code == status
    c.refresh_from_db()
    assert c.status == ("answered" if status == 302 else "new")


def test_an_empty_answer_is_shown_on_the_form(client, world):
    response = as_user(client, world["member"]).post(
        url("complaint_answer", world["complaint"]), {"answer": ""}
    )
    assert response.status_code == 400 and "answer" in response.context["answer_form"].errors


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_student", 404), ("member", 404), ("head", 404), ("auditor", 404), ("student", 302)],
)
def test_only_the_complainant_says_whether_it_satisfies(client, world, who, status):
    c = world["complaint"]
    cps.complaint_answer(actor=world["member"], complaint=c, text="已处理")
    response = as_user(client, world[who]).post(url("complaint_feedback", c), {"satisfied": "yes"})
    assert response.status_code == status
    c.refresh_from_db()
    assert c.status == ("closed" if status == 302 else "answered")


def test_the_complainant_judges_once_per_answer(client, world):
    c = world["complaint"]
    cps.complaint_answer(actor=world["member"], complaint=c, text="已处理")
    as_user(client, world["student"])
    html = client.get(url("complaint_detail", c)).content.decode()
    assert 'data-testid="feedback-form"' in html
    client.post(url("complaint_feedback", c), {"satisfied": "no", "feedback": "没修好"})
    c.refresh_from_db()
    assert c.status == "new" and c.satisfied is False and c.feedback == "没修好"
    html = client.get(url("complaint_detail", c)).content.decode()
    assert 'data-testid="feedback-form"' not in html
    response = client.post(url("complaint_feedback", c), {"satisfied": "yes"}, follow=True)
    assert "already given your view" in response.content.decode()
    c.refresh_from_db()
    assert c.status == "new"


@pytest.mark.parametrize(
    ("who", "status"),
    [("student", 404), ("colleague", 404), ("dining_head", 404), ("member", 302), ("head", 302)],
)
def test_who_closes(client, world, who, status):
    c = world["complaint"]
    cps.complaint_answer(actor=world["member"], complaint=c, text="已处理")
    response = as_user(client, world[who]).post(url("complaint_close", c))
    assert response.status_code == status
    c.refresh_from_db()
    assert c.status == ("closed" if status == 302 else "answered")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 404),
        ("member", 404),  # a handler, not an auditor or head
        ("dining_head", 404),
        ("head", 302),
        ("auditor", 302),
        ("admin", 302),
    ],
)
def test_who_turns_a_complaint_into_a_nonconformity(client, world, who, status):
    response = as_user(client, world[who]).post(url("complaint_to_nc", world["complaint"]))
    assert response.status_code == status
    assert Nonconformity.objects.count() == (1 if status == 302 else 0)
    if status == 302:
        nc = Nonconformity.objects.get()
        assert response.url == reverse("quality:nc_detail", args=[nc.pk])


def test_a_second_click_leads_to_the_same_nonconformity(client, world):
    as_user(client, world["head"])
    first = client.post(url("complaint_to_nc", world["complaint"]))
    second = client.post(url("complaint_to_nc", world["complaint"]))
    assert first.url == second.url and Nonconformity.objects.count() == 1


def test_get_on_an_action_is_refused(client, world):
    as_user(client, world["head"])
    for name in (
        "complaint_assign",
        "complaint_answer",
        "complaint_feedback",
        "complaint_close",
        "complaint_to_nc",
    ):
        assert client.get(url(name, world["complaint"])).status_code == 405


# --- Categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "may_edit"),
    [
        ("student", 404, None),
        ("staff_member", 404, None),
        ("head", 200, False),
        ("auditor", 200, True),
        ("admin", 200, True),
    ],
)
def test_who_sees_the_categories(client, world, who, status, may_edit):
    response = as_user(client, world[who]).get(url("complaint_categories"))
    assert response.status_code == status
    if may_edit is not None:
        assert ('data-testid="new-category"' in response.content.decode()) is may_edit


@pytest.mark.parametrize(("who", "status"), [("student", 404), ("head", 404), ("auditor", 200)])
def test_who_edits_a_category(client, world, who, status):
    edit = reverse("quality:complaint_category_edit", args=[world["dorm"].pk])
    assert as_user(client, world[who]).get(edit).status_code == status


def test_zero_creates_a_category_and_a_bad_one_is_refused(client, world, dining_dept):
    as_user(client, world["auditor"])
    new = reverse("quality:complaint_category_edit", args=[0])
    values = {
        "code": "canteen",
        "name": "饮食服务",
        "name_en": "Dining",
        "department": dining_dept.pk,
        "response_hours": 24,
        "position": 1,
        "is_active": "on",
    }
    assert client.post(new, values).status_code == 302
    created = ComplaintCategory.objects.get(code="canteen")
    assert created.department == dining_dept and created.response_hours == 24
    # the same code again, or no hours, is refused with the form shown again
    response = client.post(new, {**values, "response_hours": 0})
    assert response.status_code == 400 and ComplaintCategory.objects.count() == 2
    response = client.post(new, values)
    assert response.status_code == 400 and "code" in response.context["form"].errors
    assert client.get(reverse("quality:complaint_category_edit", args=[9999])).status_code == 404

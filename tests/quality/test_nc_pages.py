"""Nonconformity pages: who may open and use each of them, the forms, and the list's query
budget. The story the issue asks for runs here too: an auditor raises a nonconformity from a
failed inspection item, the department head answers it, another auditor verifies and closes."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from logistics.models import Role
from quality import nonconformities as ncs
from quality.models import Nonconformity
from tests import factories as f
from tests.quality.test_nonconformities import (
    answer_at,
    answer_values,
    department_staff_member,
    failed_inspection,
    png_file,
    raise_by_hand,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


TODAY = timezone.localdate


@pytest.fixture
def world(apartments_dept, dining_dept, auditor, head, dining_head, staff_member, student, admin):
    owner = department_staff_member(apartments_dept, username="owner1", full_name="钱楼长")
    nc = raise_by_hand(auditor, apartments_dept, owner=owner)
    other = department_staff_member(apartments_dept, username="other1")
    return {
        "nc": nc,
        "owner": owner,
        "colleague": other,  # same department, not the owner
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


# --- Anonymous visitors ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    pk = world["nc"].pk
    for name, args, method in [
        ("quality:nc_list", [], "get"),
        ("quality:nc_new", [], "get"),
        ("quality:nc_detail", [pk], "get"),
        ("quality:nc_assign", [pk], "post"),
        ("quality:nc_answer", [pk], "post"),
        ("quality:nc_verify", [pk], "post"),
    ]:
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 302 and "/login" in response.url, name
    assert Nonconformity.objects.get().status == "open"


# --- The list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "rows"),
    [
        ("student", 404, None),
        ("staff_member", 404, None),  # no quality role, owns nothing
        ("colleague", 404, None),  # same department, owns nothing
        ("owner", 200, 1),
        ("head", 200, 1),
        ("dining_head", 200, 0),  # a quality role: an empty list, not a missing page
        ("auditor", 200, 1),
        ("admin", 200, 1),
    ],
)
def test_who_sees_the_list(client, world, who, status, rows):
    response = as_user(client, world[who]).get(reverse("quality:nc_list"))
    assert response.status_code == status
    if rows is not None:
        assert len(response.context["page"].object_list) == rows


def test_the_list_puts_overdue_first_with_a_badge(client, world, apartments_dept):
    late = raise_by_hand(world["auditor"], apartments_dept, title="逾期未整改")
    ncs.nc_answer(actor=world["head"], nonconformity=late, **answer_values())
    Nonconformity.objects.filter(pk=late.pk).update(due_date=TODAY() - dt.timedelta(days=2))
    response = as_user(client, world["auditor"]).get(reverse("quality:nc_list"))
    rows = response.context["page"].object_list
    assert rows[0] == late and rows[0].is_overdue
    html = response.content.decode()
    assert html.count('data-testid="overdue"') == 1
    assert html.index("逾期未整改") < html.index(world["nc"].title)
    # and the overdue filter shows it alone
    response = client.get(reverse("quality:nc_list"), {"overdue": "on"})
    assert list(response.context["page"].object_list) == [late]


def test_a_bad_filter_shows_nothing_and_says_why(client, world):
    response = as_user(client, world["auditor"]).get(
        reverse("quality:nc_list"), {"status": "bogus"}
    )
    assert response.status_code == 200
    assert not response.context["page"].object_list
    assert response.context["form"].errors


def test_the_list_query_count_does_not_grow(
    client, world, apartments_dept, django_assert_num_queries
):
    as_user(client, world["auditor"])
    url = reverse("quality:nc_list")
    client.get(url)  # warm up: the unread count of the bell is cached
    # session, user with role grants, count, the page's rows (with department, campus, owner),
    # the department filter's choices
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 1
    for n in range(12):
        raise_by_hand(
            world["auditor"],
            apartments_dept,
            title=f"问题{n}",
            owner=world["owner"] if n % 2 else None,
        )
    client.get(url)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 13


def test_an_owners_list_costs_one_more_query(
    client, world, apartments_dept, django_assert_num_queries
):
    as_user(client, world["owner"])
    url = reverse("quality:nc_list")
    client.get(url)
    # session, user with role grants, "owns any?", count, rows, the department choices
    with django_assert_num_queries(6):
        client.get(url)
    for n in range(5):
        raise_by_hand(world["auditor"], apartments_dept, title=f"问题{n}", owner=world["owner"])
    client.get(url)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 6


# --- One nonconformity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 404),
        ("staff_member", 404),
        ("colleague", 404),
        ("dining_head", 404),
        ("owner", 200),
        ("head", 200),
        ("auditor", 200),
        ("admin", 200),
    ],
)
def test_who_sees_a_nonconformity(client, world, who, status):
    response = as_user(client, world[who]).get(reverse("quality:nc_detail", args=[world["nc"].pk]))
    assert response.status_code == status


def test_the_page_offers_each_viewer_their_forms(client, world):
    url = reverse("quality:nc_detail", args=[world["nc"].pk])
    html = as_user(client, world["owner"]).get(url).content.decode()
    assert 'data-testid="answer-form"' in html and 'data-testid="owner-form"' not in html
    html = as_user(client, world["head"]).get(url).content.decode()
    assert 'data-testid="answer-form"' in html and 'data-testid="owner-form"' in html
    html = as_user(client, world["auditor"]).get(url).content.decode()
    assert 'data-testid="answer-form"' not in html and 'data-testid="owner-form"' in html
    assert 'data-testid="verify-form"' not in html  # nothing to verify yet


def test_text_is_escaped(client, world, apartments_dept):
    nc = raise_by_hand(
        world["auditor"], apartments_dept, title="<script>alert(1)</script>", description="<b>x</b>"
    )
    html = as_user(client, world["head"]).get(reverse("quality:nc_detail", args=[nc.pk]))
    assert "<script>alert(1)</script>" not in html.content.decode()
    assert "&lt;script&gt;" in html.content.decode()


# --- Raising -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("student", 404), ("staff_member", 404), ("head", 404), ("auditor", 200), ("admin", 200)],
)
def test_who_may_raise(client, world, who, status):
    response = as_user(client, world[who]).get(reverse("quality:nc_new"))
    assert response.status_code == status


def test_raising_by_hand_with_a_photo(client, world, apartments_dept):
    as_user(client, world["auditor"])
    response = client.post(
        reverse("quality:nc_new"),
        {
            "department": apartments_dept.pk,
            "severity": "critical",
            "title": "灭火器过期",
            "description": "5号楼一层灭火器过期。",
            "evidence": png_file(),
            "owner": world["owner"].pk,
        },
    )
    nc = Nonconformity.objects.get(title="灭火器过期")
    assert response.status_code == 302 and response.url == reverse(
        "quality:nc_detail", args=[nc.pk]
    )
    assert nc.evidence is not None and nc.owner == world["owner"] and nc.severity == "critical"
    # and the owner may see the evidence photo, a student may not
    photo_url = reverse("photo", args=[nc.evidence_id])
    assert as_user(client, world["owner"]).get(photo_url).status_code == 200
    assert as_user(client, world["student"]).get(photo_url).status_code == 404


def test_a_form_with_errors_keeps_what_was_typed(client, world, apartments_dept, dining_dept):
    as_user(client, world["auditor"])
    response = client.post(
        reverse("quality:nc_new"),
        {
            "department": dining_dept.pk,
            "severity": "minor",
            "title": "食堂地面湿滑",
            "description": "",
            "owner": world["owner"].pk,  # of the apartment center, not the dining center
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "description" in form.errors and "owner" in form.errors
    assert "食堂地面湿滑" in response.content.decode()
    assert Nonconformity.objects.count() == 1


def test_a_failed_finding_prefills_the_form(client, world, apartments_dept):
    inspection = failed_inspection(
        apartments_dept, world["auditor"], details={2: {"comment": "值班室无人值守"}}
    )
    answer = answer_at(inspection, 2)
    as_user(client, world["auditor"])
    response = client.get(reverse("quality:nc_new"), {"answer": answer.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["title"].value() == answer.item.text
    assert form["description"].value() == "值班室无人值守"
    assert form.fields["department"].disabled


def test_a_passed_finding_is_refused(client, world, apartments_dept):
    inspection = failed_inspection(apartments_dept, world["auditor"])
    as_user(client, world["auditor"])
    response = client.get(reverse("quality:nc_new"), {"answer": answer_at(inspection, 3).pk})
    assert response.status_code == 302
    assert response.url == reverse("quality:inspection_detail", args=[inspection.pk])
    response = client.post(
        reverse("quality:nc_new"),
        {
            "answer": answer_at(inspection, 3).pk,
            "severity": "minor",
            "title": "t",
            "description": "d",
        },
    )
    assert response.status_code == 302 and Nonconformity.objects.count() == 1


def test_a_finding_already_raised_leads_to_its_nonconformity(client, world, apartments_dept):
    inspection = failed_inspection(apartments_dept, world["auditor"])
    answer = answer_at(inspection, 2)
    nc = ncs.nc_raise_from_answer(
        actor=world["auditor"], answer=answer, severity="minor", title="t", description="d"
    )
    as_user(client, world["admin"])
    response = client.get(reverse("quality:nc_new"), {"answer": answer.pk})
    assert response.status_code == 302 and response.url == reverse(
        "quality:nc_detail", args=[nc.pk]
    )


@pytest.mark.parametrize("answer", ["abc", "999999"])
def test_an_unknown_finding_is_404(client, world, answer):
    response = as_user(client, world["auditor"]).get(reverse("quality:nc_new"), {"answer": answer})
    assert response.status_code == 404


# --- Choosing the owner, answering, verifying --------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("student", 404), ("owner", 404), ("dining_head", 404), ("head", 302), ("auditor", 302)],
)
def test_who_chooses_the_owner(client, world, who, status):
    response = as_user(client, world[who]).post(
        reverse("quality:nc_assign", args=[world["nc"].pk]), {"owner": world["colleague"].pk}
    )
    assert response.status_code == status
    world["nc"].refresh_from_db()
    expected = world["colleague"] if status == 302 else world["owner"]
    assert world["nc"].owner == expected


def test_an_owner_outside_the_department_is_refused(client, world):
    response = as_user(client, world["head"]).post(
        reverse("quality:nc_assign", args=[world["nc"].pk]), {"owner": world["staff_member"].pk}
    )
    assert response.status_code == 400
    world["nc"].refresh_from_db()
    assert world["nc"].owner == world["owner"]


def _answer_post(due=None):
    values = answer_values()
    values["due_date"] = (due or values["due_date"]).isoformat()
    return values


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 404),
        ("colleague", 404),
        ("dining_head", 404),
        ("auditor", 404),  # auditors verify; they do not answer
        ("owner", 302),
        ("head", 302),
    ],
)
def test_who_records_the_action(client, world, who, status):
    response = as_user(client, world[who]).post(
        reverse("quality:nc_answer", args=[world["nc"].pk]), _answer_post()
    )
    assert response.status_code == status
    world["nc"].refresh_from_db()
    assert world["nc"].status == ("answered" if status == 302 else "open")


def test_a_due_date_in_the_past_is_shown_next_to_the_field(client, world):
    response = as_user(client, world["owner"]).post(
        reverse("quality:nc_answer", args=[world["nc"].pk]),
        _answer_post(due=TODAY() - dt.timedelta(days=1)),
    )
    assert response.status_code == 400
    assert "due_date" in response.context["answer_form"].errors
    assert "巡查频次不足" in response.content.decode()  # what was typed is kept


@pytest.mark.parametrize(
    ("who", "status"),
    [("student", 404), ("owner", 404), ("head", 404), ("auditor", 302), ("admin", 302)],
)
def test_who_verifies(client, world, who, status):
    ncs.nc_answer(actor=world["owner"], nonconformity=world["nc"], **answer_values())
    response = as_user(client, world[who]).post(
        reverse("quality:nc_verify", args=[world["nc"].pk]), {"effective": "yes", "note": "ok"}
    )
    assert response.status_code == status
    world["nc"].refresh_from_db()
    assert world["nc"].status == ("closed" if status == 302 else "answered")


def test_not_effective_without_a_reason_is_shown_on_the_form(client, world):
    ncs.nc_answer(actor=world["owner"], nonconformity=world["nc"], **answer_values())
    response = as_user(client, world["auditor"]).post(
        reverse("quality:nc_verify", args=[world["nc"].pk]), {"effective": "no", "note": ""}
    )
    assert response.status_code == 400
    assert "note" in response.context["verify_form"].errors


def test_who_answered_is_told_another_auditor_verifies(client, world, apartments_dept):
    both = f.user_with_role(Role.AUDITOR, username="both")
    f.RoleGrantFactory(user=both, role=Role.DEPARTMENT_HEAD, department=apartments_dept)
    ncs.nc_answer(actor=both, nonconformity=world["nc"], **answer_values())
    as_user(client, both)
    html = client.get(reverse("quality:nc_detail", args=[world["nc"].pk])).content.decode()
    assert 'data-testid="verify-by-another"' in html and 'data-testid="verify-form"' not in html
    response = client.post(
        reverse("quality:nc_verify", args=[world["nc"].pk]), {"effective": "yes"}, follow=True
    )
    assert "another auditor" in response.content.decode()
    world["nc"].refresh_from_db()
    assert world["nc"].status == "answered"


def test_get_on_an_action_is_refused(client, world):
    as_user(client, world["auditor"])
    for name in ("quality:nc_assign", "quality:nc_answer", "quality:nc_verify"):
        assert client.get(reverse(name, args=[world["nc"].pk])).status_code == 405


# --- The story ---------------------------------------------------------------------------------


def test_from_failed_item_to_verified_closure(client, apartments_dept, auditor, head):
    # Given a sealed inspection with a failed item
    inspection = failed_inspection(apartments_dept, auditor)
    answer = answer_at(inspection, 2)

    # When the auditor raises a nonconformity from it
    as_user(client, auditor)
    form = client.get(reverse("quality:nc_new"), {"answer": answer.pk}).context["form"]
    response = client.post(
        reverse("quality:nc_new"),
        {
            "answer": answer.pk,
            "severity": "major",
            "title": form["title"].value(),
            "description": form["description"].value(),
        },
    )
    nc = Nonconformity.objects.get(answer=answer)
    assert response.url == reverse("quality:nc_detail", args=[nc.pk])
    assert nc.department == apartments_dept and nc.inspection == inspection

    # and the department head answers it
    as_user(client, head)
    assert client.get(reverse("quality:nc_list")).context["page"].object_list[0] == nc
    client.post(reverse("quality:nc_answer", args=[nc.pk]), _answer_post())
    nc.refresh_from_db()
    assert nc.status == "answered"

    # Then the auditor verifies it and closes it
    as_user(client, auditor)
    detail = client.get(reverse("quality:nc_detail", args=[nc.pk])).content.decode()
    assert 'data-testid="verify-form"' in detail
    client.post(
        reverse("quality:nc_verify", args=[nc.pk]), {"effective": "yes", "note": "复查合格"}
    )
    nc.refresh_from_db()
    assert nc.status == "closed" and nc.verified_by == auditor
    history = [e.kind for e in nc.events.all()]
    assert history == ["raised", "answered", "closed"]

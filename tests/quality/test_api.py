"""The quality API: sealed inspection records, nonconformities with their corrective action
and verification, complaints with the complainant's feedback. Scoped as the pages: auditors
see everything, a department head their departments, staff what is theirs, a complainant
their own complaints; anything else answers 404."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from logistics.models import Role
from quality import complaints as complaint_services
from quality import nonconformities as nc_services
from quality.models import Complaint, ComplaintCategory, Inspection, Nonconformity
from tests import factories as f
from tests.quality.data import published_checklist, sealed_inspection, sealed_inspection_with_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def fresh(user):
    """The user as a new request loads them (no role grants cached on the object)."""
    return type(user).objects.get(pk=user.pk)


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def owner(apartments_dept):
    """A dorm manager of the apartment center, given a nonconformity to answer."""
    return f.user_with_role(
        Role.DORM_MANAGER, department=apartments_dept, username="owner1", full_name="赵楼长"
    )


@pytest.fixture
def other_student():
    return f.user_with_role(Role.STUDENT, username="2025000002", full_name="李娜")


@pytest.fixture
def world(auditor, head, dining_head, owner, student, apartments_dept, dining_dept):
    """Given a sealed inspection of each department (the apartments one failed an item and
    has a photo), a draft, a nonconformity in each department (the apartments one owned by
    `owner`), and complaint categories for both."""
    apartments = published_checklist("apartments", by=auditor)
    dining = published_checklist("dining", by=auditor)
    failed = sealed_inspection_with_photo(
        apartments, department=apartments_dept, auditor=auditor, results=[8, "fail", 6]
    )
    dining_record = sealed_inspection(dining, department=dining_dept, auditor=auditor)
    draft = Inspection.objects.create(
        version=apartments,
        area=apartments.checklist.area,
        department=apartments_dept,
        place="2号楼",
        auditor=auditor,
    )
    nc_apartments = nc_services.nc_raise_from_answer(
        actor=auditor,
        answer=failed.answers.get(result="fail"),
        severity="major",
        title="值班员不在岗",
        description="22:10 值班室无人",
        owner=owner,
    )
    nc_dining = nc_services.nc_raise(
        actor=auditor,
        department=dining_dept,
        severity="minor",
        title="留样标签不全",
        description="午餐留样缺少标签",
    )
    categories = {
        "apartments": ComplaintCategory.objects.create(
            code="apartment-service", name="公寓服务", department=apartments_dept
        ),
        "dining": ComplaintCategory.objects.create(
            code="dining-service", name="餐饮服务", name_en="Dining", department=dining_dept
        ),
    }
    return {
        "failed": failed,
        "dining_record": dining_record,
        "draft": draft,
        "nc_apartments": nc_apartments,
        "nc_dining": nc_dining,
        "categories": categories,
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Inspection records --------------------------------------------------------------------------


def test_anonymous_callers_are_refused(world):
    for url in ("/api/v1/inspections/", "/api/v1/nonconformities/", "/api/v1/complaints/"):
        response = api().get(url)
        assert response.status_code == 401
        assert "detail" in response.json()


def test_auditors_see_every_sealed_record_and_never_a_draft(world, auditor):
    listed = ids(api(auditor).get("/api/v1/inspections/"))
    assert listed == [world["dining_record"].pk, world["failed"].pk]
    assert api(auditor).get(f"/api/v1/inspections/{world['draft'].pk}/").status_code == 404


def test_a_record_shows_its_seal_and_its_findings(world, head):
    record = world["failed"]
    body = api(head).get(f"/api/v1/inspections/{record.pk}/").json()
    assert body["number"] == record.number
    assert (body["area"], body["department"], body["auditor"]) == (
        "apartments",
        "apartments",
        "刘审核",
    )
    assert body["seal"] == record.seal and body["sequence"] == record.sequence
    assert body["score"] == str(record.score) and body["amends"] is None
    first, duty, _attitude = body["answers"]
    assert first["item_text_zh"] == "地面干净无杂物" and first["item_text"] == "Item 1"
    assert (first["rule"], first["servqual"], first["result"], first["score"]) == (
        "score",
        "tangibles",
        "scored",
        8,
    )
    assert first["photo"].startswith("http://testserver/photos/")
    assert (duty["result"], duty["score"], duty["photo"]) == ("fail", None, None)


@pytest.mark.parametrize("person", ["dining_head", "student", "staff_member"])
def test_others_do_not_see_a_departments_records(world, request, person):
    caller = api(request.getfixturevalue(person))
    record = world["failed"]
    assert caller.get(f"/api/v1/inspections/{record.pk}/").status_code == 404
    assert record.pk not in ids(caller.get("/api/v1/inspections/"))


def test_a_head_lists_their_departments_records(world, head, dining_head):
    assert ids(api(head).get("/api/v1/inspections/")) == [world["failed"].pk]
    assert ids(api(dining_head).get("/api/v1/inspections/")) == [world["dining_record"].pk]


def test_inspections_filter_by_department_area_and_day(world, auditor):
    caller = api(auditor)
    assert ids(caller.get("/api/v1/inspections/?department=dining")) == [world["dining_record"].pk]
    assert ids(caller.get("/api/v1/inspections/?area=apartments")) == [world["failed"].pk]
    today = timezone.localdate()
    assert len(ids(caller.get(f"/api/v1/inspections/?from={today}&to={today}"))) == 2
    tomorrow = today + dt.timedelta(days=1)
    assert ids(caller.get(f"/api/v1/inspections/?from={tomorrow}")) == []
    assert ids(caller.get(f"/api/v1/inspections/?to={today - dt.timedelta(days=1)}")) == []


@pytest.mark.parametrize(
    "params, field",
    [
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("from=yesterday", "from"),
        ("department=nowhere", "department"),
        ("area=moon", "area"),
    ],
)
def test_bad_inspection_filters_answer_400_naming_the_field(world, auditor, params, field):
    response = api(auditor).get(f"/api/v1/inspections/?{params}")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["detail"]


@pytest.mark.parametrize("extra", [0, 5])
def test_the_inspection_list_costs_the_same_queries_however_many_rows(
    world, auditor, apartments_dept, extra, django_assert_num_queries
):
    version = world["failed"].version
    for _ in range(extra):
        sealed_inspection(version, department=apartments_dept, auditor=auditor)
    caller = api(fresh(auditor))
    # role grants; count; the page of records with checklist, area, department, campus and
    # auditor; their findings with their items
    with django_assert_num_queries(4):
        response = caller.get("/api/v1/inspections/")
    assert response.json()["count"] == 2 + extra


# --- Nonconformities -------------------------------------------------------------------------


def test_nonconformities_by_role(world, auditor, head, dining_head, owner, student):
    apartments, dining = world["nc_apartments"].pk, world["nc_dining"].pk
    assert sorted(ids(api(auditor).get("/api/v1/nonconformities/"))) == sorted([apartments, dining])
    assert ids(api(head).get("/api/v1/nonconformities/")) == [apartments]
    assert ids(api(dining_head).get("/api/v1/nonconformities/")) == [dining]
    assert ids(api(owner).get("/api/v1/nonconformities/")) == [apartments]
    assert ids(api(student).get("/api/v1/nonconformities/")) == []
    for caller, pk in ((dining_head, apartments), (owner, dining), (student, apartments)):
        assert api(caller).get(f"/api/v1/nonconformities/{pk}/").status_code == 404


def test_a_nonconformity_shows_its_source_and_its_people(world, owner):
    nc = world["nc_apartments"]
    body = api(owner).get(f"/api/v1/nonconformities/{nc.pk}/").json()
    assert body["number"] == nc.number and body["source"] == "inspection"
    assert body["inspection"] == world["failed"].pk
    assert (body["department"], body["owner"], body["raised_by"]) == (
        "apartments",
        "赵楼长",
        "刘审核",
    )
    assert body["status"] == "open" and body["is_overdue"] is False


def _answer(**overrides):
    values = {
        "root_cause": "值班员临时离岗未交接",
        "correction": "已安排补岗",
        "corrective_action": "离岗须交接并登记",
        "preventive_action": "每周抽查值班记录",
        "due_date": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
    }
    values.update(overrides)
    return values


def test_the_owner_records_the_action_and_another_auditor_closes_it(
    world, owner, auditor, other_auditor
):
    nc = world["nc_apartments"]
    # When the owner records the action
    response = api(owner).post(f"/api/v1/nonconformities/{nc.pk}/answer/", _answer())
    # Then it waits for verification
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["answered_by"]) == ("answered", "赵楼长")
    assert body["corrective_action"] == "离岗须交接并登记"
    # When an auditor finds it effective, it is closed
    response = api(other_auditor).post(
        f"/api/v1/nonconformities/{nc.pk}/verify/", {"effective": True, "note": "已复查"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert Nonconformity.objects.get(pk=nc.pk).verified_by == other_auditor


def test_an_action_found_not_effective_goes_back_with_a_note(world, head, auditor):
    nc = world["nc_apartments"]
    assert api(head).post(f"/api/v1/nonconformities/{nc.pk}/answer/", _answer()).status_code == 200
    response = api(auditor).post(f"/api/v1/nonconformities/{nc.pk}/verify/", {"effective": False})
    assert response.status_code == 400 and "note" in response.json()["errors"]
    response = api(auditor).post(
        f"/api/v1/nonconformities/{nc.pk}/verify/", {"effective": False, "note": "仍有离岗"}
    )
    assert response.json()["status"] == "open" and response.json()["times_rejected"] == 1


@pytest.mark.parametrize(
    "values, field",
    [
        ({"root_cause": ""}, "root_cause"),
        ({"corrective_action": "x" * 2001}, "corrective_action"),
        ({"due_date": "someday"}, "due_date"),
        ({"due_date": "2000-01-01"}, "due_date"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field(world, head, values, field):
    nc = world["nc_apartments"]
    response = api(head).post(f"/api/v1/nonconformities/{nc.pk}/answer/", _answer(**values))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Nonconformity.objects.get(pk=nc.pk).status == "open"


def test_who_may_not_answer_or_verify(world, dining_head, student, head, auditor):
    nc = world["nc_apartments"]
    # Those who cannot see it: 404
    for caller in (dining_head, student):
        response = api(caller).post(f"/api/v1/nonconformities/{nc.pk}/answer/", _answer())
        assert response.status_code == 404
    # A head who sees it may not verify it: 403; nor answer twice: 409
    api(head).post(f"/api/v1/nonconformities/{nc.pk}/answer/", _answer())
    response = api(head).post(f"/api/v1/nonconformities/{nc.pk}/verify/", {"effective": True})
    assert response.status_code == 403 and response.json()["detail"]
    response = api(head).post(f"/api/v1/nonconformities/{nc.pk}/answer/", _answer())
    assert response.status_code == 409


def test_nonconformities_filter_by_status_and_overdue(world, auditor):
    dining = world["nc_dining"]
    Nonconformity.objects.filter(pk=dining.pk).update(
        status="answered", due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    caller = api(auditor)
    assert ids(caller.get("/api/v1/nonconformities/?overdue=true")) == [dining.pk]
    assert ids(caller.get("/api/v1/nonconformities/?overdue=false")) == [world["nc_apartments"].pk]
    assert ids(caller.get("/api/v1/nonconformities/?status=answered")) == [dining.pk]
    assert ids(caller.get("/api/v1/nonconformities/?department=apartments")) == [
        world["nc_apartments"].pk
    ]
    assert caller.get("/api/v1/nonconformities/?status=lost").status_code == 400


@pytest.mark.parametrize("extra", [0, 5])
def test_the_nonconformity_list_costs_the_same_queries_however_many_rows(
    world, auditor, dining_dept, extra, django_assert_num_queries
):
    for n in range(extra):
        nc_services.nc_raise(
            actor=auditor,
            department=dining_dept,
            severity="minor",
            title=f"问题{n}",
            description="描述",
        )
    caller = api(fresh(auditor))
    # role grants; count; the page with department, campus and the four people
    with django_assert_num_queries(3):
        response = caller.get("/api/v1/nonconformities/")
    assert response.json()["count"] == 2 + extra


# --- Complaints ----------------------------------------------------------------------------------


def test_the_categories_are_listed_with_their_department(world, student):
    ComplaintCategory.objects.create(
        code="retired",
        name="停用",
        department=world["categories"]["dining"].department,
        is_active=False,
    )
    body = api(student).get("/api/v1/complaint-categories/").json()
    rows = {row["code"]: row for row in body["results"]}
    assert set(rows) == {"apartment-service", "dining-service"}
    assert rows["dining-service"]["department"] == "dining"
    assert rows["dining-service"]["name"] == "Dining"
    assert rows["dining-service"]["response_hours"] == 48


def test_a_student_files_an_anonymous_complaint_that_staff_cannot_trace(
    world, student, head, auditor
):
    # When a student files an anonymous complaint about the apartments
    response = api(student).post(
        "/api/v1/complaints/",
        {
            "category": "apartment-service",
            "subject": "热水不热",
            "text": "<script>alert(1)</script> 晚上没有热水",
            "anonymous": True,
        },
    )
    # Then it is routed to the apartment center, and they see it as theirs
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["channel"], body["department"], body["status"]) == ("web", "apartments", "new")
    assert body["anonymous"] is True and body["complainant"] == "王伟"
    # And neither the department's head nor an auditor learns who filed it
    for staff in (head, auditor):
        seen = api(staff).get(f"/api/v1/complaints/{body['id']}/").json()
        assert seen["complainant"] is None and seen["text"] == body["text"]
        listed = api(staff).get("/api/v1/complaints/").json()["results"]
        assert [row["complainant"] for row in listed if row["id"] == body["id"]] == [None]


def test_a_named_complaint_shows_its_complainant_to_the_department(world, student, head):
    complaint = complaint_services.complaint_submit(
        actor=student, category=world["categories"]["apartments"], subject="门锁坏", text="302门锁"
    )
    assert api(head).get(f"/api/v1/complaints/{complaint.pk}/").json()["complainant"] == "王伟"


def test_complaints_by_role(world, student, other_student, head, dining_head, auditor):
    own = complaint_services.complaint_submit(
        actor=student, category=world["categories"]["apartments"], subject="门锁坏", text="302门锁"
    )
    theirs = complaint_services.complaint_submit(
        actor=other_student, category=world["categories"]["dining"], subject="菜太咸", text="午餐"
    )
    assert ids(api(student).get("/api/v1/complaints/")) == [own.pk]
    assert ids(api(head).get("/api/v1/complaints/")) == [own.pk]
    assert ids(api(dining_head).get("/api/v1/complaints/")) == [theirs.pk]
    assert ids(api(auditor).get("/api/v1/complaints/")) == [theirs.pk, own.pk]
    for caller, pk in ((other_student, own.pk), (student, theirs.pk), (dining_head, own.pk)):
        assert api(caller).get(f"/api/v1/complaints/{pk}/").status_code == 404
    # `mine`: a head who also complained sees only their own
    assert ids(api(head).get("/api/v1/complaints/?mine=true")) == []


@pytest.mark.parametrize(
    "values, field",
    [
        ({"category": "nothing"}, "category"),
        ({"category": "retired"}, "category"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"text": "x" * 2001}, "text"),
        ({"campus": "mars"}, "campus"),
        ({"anonymous": "perhaps"}, "anonymous"),
    ],
)
def test_a_bad_complaint_is_refused_naming_the_field(world, student, values, field):
    ComplaintCategory.objects.create(
        code="retired",
        name="停用",
        department=world["categories"]["dining"].department,
        is_active=False,
    )
    data = {"category": "apartment-service", "subject": "热水", "text": "没有热水"}
    data.update(values)
    response = api(student).post("/api/v1/complaints/", data)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Complaint.objects.exists()


def test_the_same_complaint_sent_twice_is_filed_once(world, student):
    data = {"category": "apartment-service", "subject": "热水", "text": "没有热水"}
    first = api(student).post("/api/v1/complaints/", data).json()
    second = api(student).post("/api/v1/complaints/", data).json()
    assert first["id"] == second["id"] and Complaint.objects.count() == 1


def test_the_complainant_rates_the_answer(world, student, other_student, head):
    complaint = complaint_services.complaint_submit(
        actor=student, category=world["categories"]["apartments"], subject="热水", text="没有热水"
    )
    url = f"/api/v1/complaints/{complaint.pk}/feedback/"
    # Before any answer: nothing to judge
    assert api(student).post(url, {"satisfied": True}).status_code == 409
    complaint_services.complaint_answer(actor=head, complaint=complaint, text="已修复热水器")
    # Someone else may not judge it: the head sees it (403), another student does not (404)
    assert api(head).post(url, {"satisfied": True}).status_code == 403
    assert api(other_student).post(url, {"satisfied": True}).status_code == 404
    assert api(student).post(url, {}).status_code == 400
    # The complainant is satisfied: it is closed
    response = api(student).post(url, {"satisfied": True, "feedback": "谢谢"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["satisfied"], body["feedback"]) == ("closed", True, "谢谢")
    assert body["answer"] == "已修复热水器" and body["first_answered_at"]


def test_a_token_works_as_well_as_a_session(world, student, client):
    token = Token.objects.create(user=student)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/complaints/").status_code == 200


@pytest.mark.parametrize("extra", [0, 5])
def test_the_complaint_list_costs_the_same_queries_however_many_rows(
    world, auditor, student, extra, django_assert_num_queries
):
    for n in range(extra + 1):
        complaint_services.complaint_submit(
            actor=student,
            category=world["categories"]["apartments"],
            subject=f"问题{n}",
            text="描述",
            anonymous=n % 2 == 0,
        )
    caller = api(fresh(auditor))
    # role grants; count; the page with category, department, campus, complainant, handler
    with django_assert_num_queries(3):
        response = caller.get("/api/v1/complaints/")
    assert response.json()["count"] == 1 + extra

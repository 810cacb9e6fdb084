"""The dining manager is the head of the dining work in quality matters (issue 18, "scopes that
match the work"): they see and answer the complaints, nonconformities and inspections about
the dining department, and nothing of another department's."""

import pytest
from django.urls import reverse
from django.utils import translation

from logistics.models import Role
from quality import selectors
from tests import factories as f
from tests.quality.data import published_checklist, sealed_inspection
from tests.quality.test_complaints import category, file_complaint
from tests.quality.test_nonconformities import raise_by_hand

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(apartments_dept, dining_dept, auditor, student):
    dining_version = published_checklist("dining", code="dining-std", by=auditor)
    dorm_version = published_checklist("apartments", code="dorm-std", by=auditor)
    return {
        "dining_complaint": file_complaint(student, category(dining_dept, code="canteen-prices")),
        "dorm_complaint": file_complaint(student, category(apartments_dept)),
        "dining_nc": raise_by_hand(auditor, dining_dept, title="留样不足"),
        "dorm_nc": raise_by_hand(auditor, apartments_dept, title="楼道积灰"),
        "dining_inspection": sealed_inspection(
            dining_version, department=dining_dept, auditor=auditor, place="第一食堂后厨"
        ),
        "dorm_inspection": sealed_inspection(
            dorm_version, department=apartments_dept, auditor=auditor
        ),
    }


def dining_manager(department=None, username="dining1"):
    return f.user_with_role(Role.DINING_MANAGER, department=department, username=username)


@pytest.mark.parametrize("granted_department", [True, False])
def test_the_dining_manager_sees_dining_records_only(world, dining_dept, granted_department):
    """With the dining department in the grant, or with no department (then: the departments
    serving the "dining" area)."""
    manager = dining_manager(dining_dept if granted_department else None)
    assert selectors.head_departments(manager) == {dining_dept.pk}
    assert set(selectors.complaints_for(manager)) == {world["dining_complaint"]}
    assert set(selectors.nonconformities_for(manager)) == {world["dining_nc"]}
    assert set(selectors.inspections_for(manager)) == {world["dining_inspection"]}


def test_canteen_staff_and_other_staff_see_no_quality_records(world, dining_dept):
    for role in (Role.CANTEEN_STAFF, Role.TECHNICIAN):
        user = f.user_with_role(role, department=dining_dept, username=f"u-{role}")
        assert selectors.head_departments(user) == set()
        assert not selectors.complaints_for(user).exists()
        assert not selectors.nonconformities_for(user).exists()
        assert not selectors.inspections_for(user).exists()


def test_a_department_head_is_unchanged(world, apartments_dept, head):
    assert set(selectors.complaints_for(head)) == {world["dorm_complaint"]}
    assert set(selectors.nonconformities_for(head)) == {world["dorm_nc"]}
    assert set(selectors.inspections_for(head)) == {world["dorm_inspection"]}


def test_the_dining_manager_opens_the_quality_pages(client, world, dining_dept):
    client.force_login(dining_manager(dining_dept))
    for name in ("dashboard", "inspection_list", "nc_list", "complaint_list", "scorecard_list"):
        assert client.get(reverse(f"quality:{name}")).status_code == 200, name
    listing = client.get(reverse("quality:complaint_list")).content.decode()
    assert world["dining_complaint"].subject in listing
    for key in ("dining_complaint", "dining_nc", "dining_inspection"):
        name = {"c": "complaint_detail", "n": "nc_detail", "i": "inspection_detail"}[key[7]]
        assert client.get(reverse(f"quality:{name}", args=[world[key].pk])).status_code == 200
    for key in ("dorm_complaint", "dorm_nc", "dorm_inspection"):
        name = {"c": "complaint_detail", "n": "nc_detail", "i": "inspection_detail"}[key[5]]
        assert client.get(reverse(f"quality:{name}", args=[world[key].pk])).status_code == 404


def test_the_dining_manager_answers_a_dining_complaint(client, world, dining_dept):
    client.force_login(dining_manager(dining_dept))
    complaint = world["dining_complaint"]
    response = client.post(
        reverse("quality:complaint_answer", args=[complaint.pk]),
        {"answer": "已调整窗口价格并公示。"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.answer == "已调整窗口价格并公示。"
    other = world["dorm_complaint"]
    response = client.post(
        reverse("quality:complaint_answer", args=[other.pk]), {"answer": "不是我的"}
    )
    assert response.status_code == 404


def test_the_hall_shows_the_dining_manager_the_quality_tiles(client, world, dining_dept):
    client.force_login(dining_manager(dining_dept))
    page = client.get("/").content.decode()
    assert reverse("quality:complaint_list") in page
    assert reverse("quality:nc_list") in page


@pytest.mark.parametrize("granted_department", [True, False])
def test_the_dining_manager_is_told_of_a_new_dining_complaint(
    dining_dept, apartments_dept, student, granted_department
):
    from logistics.models import Notification
    from quality.notifications import department_heads

    manager = dining_manager(dining_dept if granted_department else None)
    assert department_heads(dining_dept.pk) == [manager]
    assert department_heads(apartments_dept.pk) == []
    file_complaint(student, category(dining_dept, code="canteen-hygiene"))
    assert Notification.objects.filter(recipient=manager).exists()

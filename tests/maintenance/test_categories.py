"""Fault categories and their promised time limits (限时承诺): dispatchers read them,
administrators and heads of maintenance edit them, and a request keeps its promise."""

import pytest
from django.urls import reverse

from logistics.models import AuditEvent, Role
from maintenance import services
from maintenance.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST = reverse("maintenance:categories")
NEW = reverse("maintenance:category_edit", args=[0])


@pytest.fixture(autouse=True)
def _in_english(client):
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(campus, other_campus, student, plumber, dispatcher, other_dispatcher, admin):
    maintenance = f.DepartmentFactory(code="repair_center", areas=["maintenance_utilities"])
    apartments = f.DepartmentFactory(code="apartment_center", areas=["apartments"])
    return {
        "student": student,
        "technician": plumber,
        "other_dispatcher": other_dispatcher,
        "dispatcher": dispatcher,
        "maintenance_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=maintenance, username="head_m"
        ),
        "apartments_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=apartments, username="head_a"
        ),
        "admin": admin,
    }


@pytest.fixture
def plumbing():
    return f.category("plumbing")


def edit_url(category):
    return reverse("maintenance:category_edit", args=[category.pk])


def form_data(category, **changes):
    data = {
        "code": category.code,
        "name": category.name,
        "name_en": category.name_en,
        "response_minutes": category.response_minutes,
        "completion_hours": category.completion_hours,
        "position": category.position,
        "is_active": "on" if category.is_active else "",
    }
    data.update(changes)
    return data


# --- Who -----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, plumbing):
    assert "login" in client.get(LIST)["Location"]
    assert "login" in client.get(edit_url(plumbing))["Location"]
    assert "login" in client.post(edit_url(plumbing), form_data(plumbing))["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "apartments_head"])
def test_people_who_do_not_dispatch_get_404(client, people, plumbing, who):
    client.force_login(people[who])
    assert client.get(LIST).status_code == 404
    assert client.get(edit_url(plumbing)).status_code == 404
    data = form_data(plumbing, response_minutes=5)
    assert client.post(edit_url(plumbing), data).status_code == 404


@pytest.mark.parametrize("who", ["dispatcher", "other_dispatcher"])
def test_dispatchers_read_the_list_but_do_not_edit(client, people, plumbing, who):
    client.force_login(people[who])
    html = client.get(LIST).content.decode()
    assert "Plumbing and drains" in html
    assert 'data-testid="category-edit"' not in html and 'data-testid="category-new"' not in html
    assert client.get(edit_url(plumbing)).status_code == 404
    assert (
        client.post(edit_url(plumbing), form_data(plumbing, response_minutes=5)).status_code == 404
    )
    plumbing.refresh_from_db()
    assert plumbing.response_minutes == 60


@pytest.mark.parametrize("who", ["maintenance_head", "admin"])
def test_heads_of_maintenance_and_admins_edit(client, people, plumbing, who):
    client.force_login(people[who])
    assert 'data-testid="category-edit"' in client.get(LIST).content.decode()
    response = client.post(edit_url(plumbing), form_data(plumbing, response_minutes=45))
    assert response.status_code == 302 and response["Location"] == LIST
    plumbing.refresh_from_db()
    assert plumbing.response_minutes == 45
    event = AuditEvent.objects.get(action="repair.category_edit")
    assert event.changes == {"response_minutes": ["60", "45"]}


def test_a_category_that_does_not_exist_is_404(client, admin):
    client.force_login(admin)
    assert client.get(reverse("maintenance:category_edit", args=[999999])).status_code == 404


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_limits_open_requests_and_that_changes_apply_to_new_requests(
    client, dispatcher, room, student, other_campus, plumbing
):
    # Given two open plumbing requests here, one closed, and one on another campus
    f.ticket(room=room, reporter=student)
    f.ticket(room=room, reporter=student, status="assigned")
    f.ticket(room=room, reporter=student, status="closed")
    f.ticket(room=f.RoomFactory(building=f.BuildingFactory(campus=other_campus)))
    client.force_login(dispatcher)
    response = client.get(LIST)
    html = response.content.decode()
    # Then the dispatcher's campus's open ones are counted
    rows = {c.code: c.open_count for c in response.context["categories"]}
    assert rows["plumbing"] == 2 and rows["electrical"] == 0
    assert "60 minutes" in html and "24 hours" in html
    assert "Changes apply to new requests only" in html


@pytest.mark.parametrize("extra", [0, 6])
def test_the_list_query_count_does_not_grow(
    client, dispatcher, room, student, extra, django_assert_num_queries
):
    for i in range(extra):
        Category.objects.create(
            code=f"extra{i}", name=f"类{i}", response_minutes=30, completion_hours=4
        )
        f.ticket(room=room, reporter=student, category_code="plumbing")
    client.force_login(dispatcher)
    client.get(LIST)  # warms the caches (the notification bell)
    # session, user with role grants, the categories with their open requests counted
    with django_assert_num_queries(3):
        response = client.get(LIST)
    # the eight defaults and the preventive one (its time limits are edited here too)
    assert response.content.decode().count('data-testid="category-row"') == 9 + extra


# --- Editing -------------------------------------------------------------------------------------


def test_a_request_keeps_its_promise_when_the_category_changes(
    client, admin, student, roommate, plumbing
):
    # Given a request filed under the 60-minute / 24-hour promise
    before = services.ticket_file(reporter=student, category=plumbing, description="漏水")
    # When the center halves the plumbing limits
    client.force_login(admin)
    client.post(edit_url(plumbing), form_data(plumbing, response_minutes=30, completion_hours=12))
    # Then the filed request keeps its deadlines, and a new one gets the new promise
    kept = type(before).objects.get(pk=before.pk)
    assert (kept.respond_by, kept.complete_by) == (before.respond_by, before.complete_by)
    plumbing.refresh_from_db()
    after = services.ticket_file(reporter=roommate, category=plumbing, description="下水堵了")
    assert (after.respond_by - after.created_at).total_seconds() == pytest.approx(30 * 60, abs=5)
    assert (after.complete_by - after.created_at).total_seconds() == pytest.approx(12 * 3600, abs=5)


def test_creating_a_category_with_pk_zero(client, admin):
    client.force_login(admin)
    assert client.get(NEW).status_code == 200
    response = client.post(
        NEW,
        {
            "code": "elevator",
            "name": "电梯",
            "name_en": "Elevator",
            "response_minutes": 15,
            "completion_hours": 4,
            "position": 9,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    created = Category.objects.get(code="elevator")
    assert (created.response_minutes, created.completion_hours) == (15, 4)
    assert AuditEvent.objects.filter(action="repair.category_create").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"response_minutes": "0"}, "greater than or equal to 1"),
        ({"response_minutes": "-5"}, "greater than or equal to 1"),
        ({"completion_hours": "0"}, "greater than or equal to 1"),
        ({"response_minutes": "1.5"}, "Enter a whole number."),
        ({"completion_hours": "abc"}, "Enter a whole number."),
        ({"response_minutes": "9999999999"}, "less than or equal to"),
        ({"response_minutes": "180", "completion_hours": "2"}, "cannot be shorter"),
        ({"code": "electrical"}, "already exists"),
        ({"code": "有空格 的"}, "Enter a valid"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_invalid_limits_are_refused_and_what_was_typed_is_kept(
    client, admin, plumbing, changes, message
):
    client.force_login(admin)
    response = client.post(edit_url(plumbing), form_data(plumbing, **changes))
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    for value in changes.values():
        if value:
            assert f'value="{value}"' in html
    plumbing.refresh_from_db()
    assert (plumbing.code, plumbing.response_minutes, plumbing.completion_hours) == (
        "plumbing",
        60,
        24,
    )


def test_completion_equal_to_response_is_allowed(client, admin, plumbing):
    client.force_login(admin)
    response = client.post(
        edit_url(plumbing), form_data(plumbing, response_minutes=120, completion_hours=2)
    )
    assert response.status_code == 302


def test_html_in_a_name_is_escaped(client, admin, plumbing):
    client.force_login(admin)
    client.post(edit_url(plumbing), form_data(plumbing, name="<b>水管</b>"))
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "&lt;b&gt;水管&lt;/b&gt;" in html

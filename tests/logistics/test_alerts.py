"""The kernel's alerts: one open alert per condition, shown to those who must act (by role and
scope, a building's own managers for a building), resolved once for everyone; the page and
`/api/v1/alerts/` (CONTRACT.md "Alerts")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from logistics.alerts import (
    JOB_FAILED,
    AlertClosed,
    AlertInvalid,
    AlertSpec,
    alert_kind,
    alert_raise,
    alert_resolve,
    alerts_clear,
    alerts_for,
    alerts_raise,
)
from logistics.models import Alert, AuditEvent, Notification, Role
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    DepartmentFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db
DAY = date(2026, 9, 1)
MISSING = alert_kind("test_report_missing", "Building %(building)s sent no report for %(date)s.")


@pytest.fixture
def campus():
    return CampusFactory(code="songbei")


@pytest.fixture
def other_campus():
    return CampusFactory(code="jiangnan")


@pytest.fixture
def building(campus):
    return BuildingFactory(campus=campus, code="S01")


@pytest.fixture
def other_building(campus):
    return BuildingFactory(campus=campus, code="S02")


@pytest.fixture
def manager(building):
    user = user_with_role(Role.DORM_MANAGER, campus=building.campus, email="m@example.edu.cn")
    BuildingAssignmentFactory(building=building, user=user, role=Role.DORM_MANAGER)
    return user


@pytest.fixture
def admin():
    return user_with_role(Role.ADMIN)


def _building_alert(building, role=Role.DORM_MANAGER, day=DAY):
    alert, _created = alert_raise(
        MISSING,
        key=f"test-missing:{building.pk}:{day}",
        role=role,
        campus=building.campus,
        subject=building,
        for_date=day,
        params={"building": building.code},
    )
    return alert


# --- Raising -----------------------------------------------------------------------------


def test_one_condition_has_one_open_alert_however_often_it_is_found(building, manager):
    first = _building_alert(building)
    again = _building_alert(building)
    assert first.pk == again.pk
    assert Alert.objects.count() == 1
    again.refresh_from_db()
    assert again.times_seen == 2 and again.last_seen_at >= first.created_at
    # Its audience was told once, not each time it was found.
    assert Notification.objects.filter(recipient=manager, kind="kernel.alert").count() == 1


def test_a_new_alert_notifies_who_must_act_and_the_administrators_only(
    building, other_building, manager, admin
):
    other_manager = user_with_role(Role.DORM_MANAGER, campus=building.campus)
    BuildingAssignmentFactory(building=other_building, user=other_manager, role=Role.DORM_MANAGER)
    bystander = user_with_role(Role.TECHNICIAN, campus=building.campus)

    _building_alert(building)

    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {manager.pk, admin.pk}
    assert other_manager.pk not in told and bystander.pk not in told
    text = Notification.objects.get(recipient=manager)
    assert "S01" in text.params["message"] and "2026-09-01" in text.params["message"]


@pytest.mark.parametrize("count", [3, 12])
def test_many_alerts_are_raised_with_a_fixed_number_of_queries(
    campus, count, django_assert_num_queries
):
    buildings = [BuildingFactory(campus=campus) for _ in range(count + 2)]
    managers = []
    for b in buildings:
        user = user_with_role(Role.DORM_MANAGER, campus=campus)
        BuildingAssignmentFactory(building=b, user=user, role=Role.DORM_MANAGER)
        managers.append(user)
    admin = user_with_role(Role.ADMIN)
    head = user_with_role(Role.DEPARTMENT_HEAD, campus=campus)
    specs = [
        AlertSpec(kind=MISSING, key=f"bulk:{b.pk}", role=Role.DORM_MANAGER, subject=b)
        for b in buildings
    ] + [AlertSpec(kind=MISSING, key="bulk:head", role=Role.DEPARTMENT_HEAD, campus_id=campus.pk)]
    alerts_raise(specs[:2])  # two exist already
    Notification.objects.all().delete()
    # open keys, mark the two seen, insert the new ones, read them back; then whom to tell:
    # the administrators, the holders of the unscoped roles (the head), the managers assigned
    # to the buildings; one insert of every notification; the savepoint around it all (2). The
    # same however many alerts are new.
    with django_assert_num_queries(10):
        created = alerts_raise(specs)
    assert len(created) == count + 1
    # each building's manager told of their building's alert only, the head of theirs, the
    # administrator of every one
    told = Notification.objects.filter(kind="kernel.alert")
    for manager in managers[2:]:
        assert told.filter(recipient=manager).count() == 1
    assert told.filter(recipient__in=managers[:2]).count() == 0
    assert told.filter(recipient=head).count() == 1
    assert told.filter(recipient=admin).count() == count + 1


def test_after_it_is_resolved_the_same_condition_raises_a_new_alert(building, manager):
    first = _building_alert(building)
    alert_resolve(actor=manager, alert=first, note="报告已补交")
    second = _building_alert(building)
    assert second.pk != first.pk and second.resolved_at is None


def test_the_system_clears_alerts_whose_condition_no_longer_holds(building, manager):
    alert = _building_alert(building)
    assert alerts_clear([alert.key]) == 1
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolved_by is None
    assert alerts_clear([alert.key]) == 0


# --- Who sees what -----------------------------------------------------------------------


def test_each_role_sees_the_alerts_of_its_scope(campus, other_campus, building, manager, admin):
    # Given alerts for dispatchers on two campuses, one for every campus, and a building's
    dispatch_here, _ = alert_raise(MISSING, key="d1", role=Role.DISPATCHER, campus=campus)
    alert_raise(MISSING, key="d2", role=Role.DISPATCHER, campus=other_campus)
    everywhere, _ = alert_raise(MISSING, key="d3", role=Role.DISPATCHER)
    building_alert = _building_alert(building)

    dispatcher = user_with_role(Role.DISPATCHER, campus=campus)
    unassigned_manager = user_with_role(Role.DORM_MANAGER, campus=campus)
    student = user_with_role(Role.STUDENT)

    assert set(alerts_for(dispatcher)) == {dispatch_here, everywhere}
    assert set(alerts_for(manager)) == {building_alert}
    assert set(alerts_for(unassigned_manager)) == set()  # not their building
    assert set(alerts_for(student)) == set()
    assert alerts_for(admin).count() == 4


def test_an_alert_for_a_department_reaches_that_departments_head_only(campus):
    kitchen, repairs = DepartmentFactory(code="dining"), DepartmentFactory(code="repairs")
    alert, _ = alert_raise(MISSING, key="dept", role=Role.DEPARTMENT_HEAD, department=kitchen)
    head = user_with_role(Role.DEPARTMENT_HEAD, department=kitchen)
    other_head = user_with_role(Role.DEPARTMENT_HEAD, department=repairs)
    assert list(alerts_for(head)) == [alert]
    assert list(alerts_for(other_head)) == []


# --- Resolving ---------------------------------------------------------------------------


def test_resolving_needs_a_note_closes_it_for_everyone_and_is_audited(building, manager, admin):
    alert = _building_alert(building)
    with pytest.raises(AlertInvalid):
        alert_resolve(actor=manager, alert=alert, note="   ")
    with pytest.raises(AlertInvalid):
        alert_resolve(actor=manager, alert=alert, note="x" * 2001)

    alert_resolve(actor=manager, alert=alert, note="  值班员已补报  ")

    alert.refresh_from_db()
    assert (alert.resolved_by, alert.resolution_note) == (manager, "值班员已补报")
    assert not alerts_for(admin).filter(resolved_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="alert.resolve", actor=manager).exists()
    with pytest.raises(AlertClosed):
        alert_resolve(actor=admin, alert=alert, note="again")


# --- The API -----------------------------------------------------------------------------


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_lists_open_alerts_newest_first_in_the_contracts_shape(
    building, manager, django_assert_num_queries
):
    older = _building_alert(building, day=DAY)
    newer = _building_alert(building, day=DAY + timedelta(days=1))
    client = _api(manager)

    # the caller's roles, count, the page, the alerts' subjects (one query per kind of subject)
    with django_assert_num_queries(4):
        response = client.get("/api/v1/alerts/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [newer.pk, older.pk]
    row = rows[1]
    assert {
        "id",
        "kind",
        "severity",
        "date",
        "campus",
        "building",
        "canteen",
        "message",
        "created_at",
    } <= set(row)
    assert row["kind"] == "test_report_missing"
    assert (row["date"], row["campus"], row["building"], row["canteen"]) == (
        "2026-09-01",
        building.campus_id,
        building.pk,
        None,
    )
    assert "S01" in row["message"]


def test_the_api_filters_by_kind_date_and_state(building, manager):
    first = _building_alert(building, day=DAY)
    second = _building_alert(building, day=DAY + timedelta(days=1))
    other, _ = alert_raise(
        alert_kind("test_other", "Other."), key="o", role=Role.DORM_MANAGER, subject=building
    )
    alert_resolve(actor=manager, alert=first, note="done")
    client = _api(manager)

    def ids(query):
        response = client.get(f"/api/v1/alerts/{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("") == [other.pk, second.pk]
    assert ids("?kind=test_other") == [other.pk]
    assert ids("?date=2026-09-02") == [second.pk]
    assert ids("?state=resolved") == [first.pk]
    assert client.get("/api/v1/alerts/?state=maybe").status_code == 400
    assert client.get("/api/v1/alerts/?date=yesterday").status_code == 400


def test_the_api_shows_residents_and_strangers_nothing(building, manager):
    _building_alert(building)
    assert _api(user_with_role(Role.STUDENT)).get("/api/v1/alerts/").json()["results"] == []
    assert APIClient().get("/api/v1/alerts/").status_code in (401, 403)


def test_resolving_through_the_api(building, manager):
    alert = _building_alert(building)
    client = _api(manager)
    url = f"/api/v1/alerts/{alert.pk}/resolve/"

    assert client.post(url, {}, format="json").status_code == 400
    response = client.post(url, {"note": "补报完成"}, format="json")
    assert response.status_code == 200
    assert response.json()["resolved_by"] == manager.username
    assert response.json()["resolution_note"] == "补报完成"
    assert client.post(url, {"note": "again"}, format="json").status_code == 409


def test_an_alert_the_caller_does_not_act_on_is_404_to_resolve(building, other_building):
    alert = _building_alert(other_building)
    outsider = user_with_role(Role.DORM_MANAGER, campus=building.campus)
    BuildingAssignmentFactory(building=building, user=outsider, role=Role.DORM_MANAGER)
    response = _api(outsider).post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "x"})
    assert response.status_code == 404
    assert _api(outsider).post("/api/v1/alerts/999999/resolve/", {"note": "x"}).status_code == 404
    alert.refresh_from_db()
    assert alert.resolved_at is None


# --- The page ----------------------------------------------------------------------------


def test_the_alerts_page_lists_what_to_act_on_with_a_fixed_number_of_queries(
    client, building, manager, django_assert_num_queries
):
    for n in range(5):
        _building_alert(building, day=DAY + timedelta(days=n))
    client.force_login(manager)
    client.get(reverse("alerts"))  # warm the caches (the bell, content types)
    # session, user with role grants, count, the page with campuses, the subjects (the bell's count
    # is cached)
    with django_assert_num_queries(5):
        response = client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="alert-row"') == 5


def test_the_alerts_page_is_for_staff_only(client, building, manager):
    assert client.get(reverse("alerts")).status_code == 302  # to sign in
    client.force_login(user_with_role(Role.STUDENT))
    assert client.get(reverse("alerts")).status_code == 404


def test_resolving_on_the_page(client, building, manager):
    alert = _building_alert(building)
    client.force_login(manager)
    url = reverse("alert_resolve", args=[alert.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"note": ""}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Say what was done about it." in response.content.decode()
    client.post(url, {"note": "已处理"})
    alert.refresh_from_db()
    assert alert.resolution_note == "已处理"
    response = client.get(reverse("alerts") + "?state=resolved", HTTP_ACCEPT_LANGUAGE="en")
    assert "已处理" in response.content.decode()


def test_the_empty_alerts_page_says_so(client, manager):
    client.force_login(manager)
    english = client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing to act on" in english


def test_the_alerts_page_pages_and_keeps_its_filters(client, building, manager):
    for n in range(35):
        _building_alert(building, day=DAY + timedelta(days=n))
    client.force_login(manager)
    page = client.get(reverse("alerts") + "?kind=test_report_missing").content.decode()
    assert page.count('data-testid="alert-row"') == 30
    assert "?kind=test_report_missing&amp;page=2" in page
    second = client.get(reverse("alerts") + "?kind=test_report_missing&page=2").content.decode()
    assert second.count('data-testid="alert-row"') == 5


def test_the_alerts_page_names_each_kind_in_the_readers_language(client, building, manager):
    alert_raise(
        JOB_FAILED,
        key="job-failed-test",
        role=Role.DORM_MANAGER,
        subject=building,
        campus=building.campus,
        for_date=DAY,
        params={"job": "demo", "attempts": 4, "failures": 1, "error": ""},
    )
    client.force_login(manager)
    english = client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="job_failed">Nightly job failed</option>' in english
    assert (
        '<span class="small fw-semibold text-break" data-testid="alert-kind">Nightly job failed'
        in english
    )
    chinese = client.get(reverse("alerts"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<option value="job_failed">夜间任务失败</option>' in chinese
    # a kind without a name shows its key rather than nothing
    assert '<option value="test_report_missing">test_report_missing</option>' in english

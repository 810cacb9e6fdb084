"""The dining manager sets up canteens in the portal: the canteen (names, windows, hours), its
food workers and roster, its fridges, its staff accounts; only on their campuses; every change
audited; bad input refused with a clear message and nothing saved."""

import pytest
from django.urls import reverse

from dining.models import Canteen, CanteenAssignment, FoodWorker, Fridge
from logistics.models import AuditEvent, Role
from tests.dining.data import dining_world
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


@pytest.fixture
def manager(client, world):
    """The north campus's dining manager, browsing in English."""
    user = user_with_role(Role.DINING_MANAGER, campus=world["north"], username="dining_north")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def test_the_list_shows_only_the_managers_campus(client, world, manager, django_assert_num_queries):
    client.get(reverse("dining:setup"))  # the bell's unread count cached
    # session, user with grants; the canteens with their counts; the departments serving
    # dining (the menu's quality entries for a dining manager)
    with django_assert_num_queries(4):
        html = client.get(reverse("dining:setup")).content.decode()
    assert "Canteen One" in html and "Canteen Two" not in html
    assert "2 workers · 2 fridges · 1 staff accounts" in html


def test_a_new_canteen_with_hours(client, world, manager):
    response = client.post(
        reverse("dining:setup_new"),
        {
            "campus": world["north"].pk,
            "name": "三食堂",
            "name_en": "Canteen Three",
            "windows": "面食\n清真",
            "breakfast_hours": "06:30-09:00",
            "lunch_hours": "11:00 – 13:00",
            "dinner_hours": "",
            "active": "on",
        },
    )
    canteen = Canteen.objects.get(name="三食堂")
    assert response.status_code == 302
    assert response["Location"] == reverse("dining:setup_canteen", args=[canteen.pk])
    assert canteen.lunch_hours == "11:00-13:00" and canteen.window_list == ["面食", "清真"]
    assert AuditEvent.objects.filter(action="dining.canteen_create").count() == 1


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("lunch_hours", "13:00-11:00", "the opening before the closing"),
        ("lunch_hours", "noon", "Write the hours as 11:00-13:00"),
        ("name", "", "This field is required."),
        ("name", "一食堂", "A canteen of that name exists already."),
        ("campus", "south", "Select a valid choice."),
    ],
)
def test_bad_canteen_input_is_refused_and_nothing_saved(
    client, world, manager, field, value, message
):
    data = {"campus": world["north"].pk, "name": "四食堂", "lunch_hours": "11:00-13:00"}
    data[field] = world["south"].pk if value == "south" else value
    before = Canteen.objects.count()
    response = client.post(reverse("dining:setup_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Canteen.objects.count() == before


def test_editing_the_canteen(client, world, manager):
    url = reverse("dining:setup_canteen", args=[world["A"].pk])
    data = {"campus": world["north"].pk, "name": "一食堂", "name_en": "No. 1", "active": ""}
    assert client.post(url, data).status_code == 302
    world["A"].refresh_from_db()
    assert world["A"].name_en == "No. 1" and world["A"].active is False


def test_another_campus_canteen_and_its_parts_are_404(client, world, manager):
    b = world["B"]
    worker = FoodWorker.objects.create(canteen=b, name="张三")
    fridge = Fridge.objects.create(canteen=b, name="冰箱", kind="fridge")
    assignment = CanteenAssignment.objects.get(canteen=b)
    for url in (
        reverse("dining:setup_canteen", args=[b.pk]),
        reverse("dining:setup_worker_add", args=[b.pk]),
        reverse("dining:setup_worker_roster", args=[worker.pk]),
        reverse("dining:setup_fridge_in_use", args=[fridge.pk]),
        reverse("dining:setup_staff_remove", args=[assignment.pk]),
    ):
        assert client.post(url, {"on_roster": "0", "active": "0"}).status_code == 404, url
    worker.refresh_from_db()
    fridge.refresh_from_db()
    assert worker.on_roster and fridge.active
    assert CanteenAssignment.objects.filter(pk=assignment.pk).exists()


@pytest.mark.parametrize("who", ["student", "staff_a", "technician"])
def test_only_dining_managers_set_up(client, world, who):
    client.force_login(world[who])
    assert client.get(reverse("dining:setup")).status_code == 404
    assert client.get(reverse("dining:setup_canteen", args=[world["A"].pk])).status_code == 404


def test_workers_and_the_roster(client, world, manager):
    a = world["A"]
    response = client.post(
        reverse("dining:setup_worker_add", args=[a.pk]),
        {"worker-name": "赵厨", "worker-job": "厨师", "worker-health_certificate_expires": ""},
    )
    assert response.status_code == 302
    worker = FoodWorker.objects.get(name="赵厨")
    assert worker.canteen == a and worker.on_roster
    client.post(reverse("dining:setup_worker_roster", args=[worker.pk]), {"on_roster": "0"})
    worker.refresh_from_db()
    assert worker.on_roster is False
    response = client.post(reverse("dining:setup_worker_add", args=[a.pk]), {"worker-name": ""})
    assert response.status_code == 400


def test_fridges(client, world, manager):
    a = world["A"]
    client.post(
        reverse("dining:setup_fridge_add", args=[a.pk]),
        {"fridge-name": "新冷柜", "fridge-kind": "freezer"},
    )
    fridge = Fridge.objects.get(name="新冷柜")
    assert fridge.canteen == a and fridge.kind == "freezer"
    client.post(reverse("dining:setup_fridge_in_use", args=[fridge.pk]), {"active": "0"})
    fridge.refresh_from_db()
    assert fridge.active is False


def test_staff_accounts(client, world, manager):
    a = world["A"]
    url = reverse("dining:setup_staff_add", args=[a.pk])
    assert client.post(url, {"staff-username": "cook_b"}).status_code == 302
    assert CanteenAssignment.objects.filter(canteen=a, user=world["staff_b"]).exists()
    # Twice, or someone without the role: refused with the reason
    again = client.post(url, {"staff-username": "cook_b"})
    assert again.status_code == 400 and "work in this canteen already" in again.content.decode()
    student = client.post(url, {"staff-username": "20260001"})
    assert student.status_code == 400
    assert "holds the canteen staff role" in student.content.decode()
    assignment = CanteenAssignment.objects.get(canteen=a, user=world["staff_b"])
    client.post(reverse("dining:setup_staff_remove", args=[assignment.pk]))
    assert not CanteenAssignment.objects.filter(pk=assignment.pk).exists()


def test_get_changes_nothing(client, world, manager):
    worker = world["worker1"]
    assert client.get(reverse("dining:setup_worker_roster", args=[worker.pk])).status_code == 405
    worker.refresh_from_db()
    assert worker.on_roster


def test_the_canteen_page_query_count(client, world, manager, django_assert_num_queries):
    for n in range(5):
        FoodWorker.objects.create(canteen=world["A"], name=f"工{n}")
    url = reverse("dining:setup_canteen", args=[world["A"].pk])
    client.get(url)  # the bell's unread count cached
    # session, user; the canteen with its workers, fridges and staff; the campus choices; the
    # departments serving dining (the menu's quality entries for a dining manager)
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.content.decode().count('data-testid="setup-worker"') == 7

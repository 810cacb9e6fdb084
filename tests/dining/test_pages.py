"""The dining pages: who may open which (anonymous → sign-in, others → 404), the students' menu
with its allergen filter, ratings and anonymous comments, the day board on a tablet, the
manager's moderation, import upload and approvals; query counts pinned."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dining import safety
from dining.models import (
    Canteen,
    Dish,
    DishRating,
    FoodSample,
    FoodWorker,
    Menu,
    MenuItem,
    MorningCheck,
    PriceRequest,
    Supplier,
    SupplierCertificate,
)
from tests.dining.data import dining_world, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


def client_for(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_go_to_sign_in(client, world):
    for url in ("/dining/", "/dining/canteens/", "/dining/prices/", "/dining/report/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "who, board_a, board_b, prices",
    [
        ("staff_a", 200, 404, 404),
        ("staff_b", 404, 200, 404),
        ("manager", 200, 200, 200),
        ("south_manager", 404, 200, 200),
        ("admin", 200, 200, 200),
        ("student", 404, 404, 404),
        ("technician", 404, 404, 404),
    ],
)
def test_who_opens_which_page(client, world, who, board_a, board_b, prices):
    c = client_for(client, world[who])
    assert c.get("/dining/").status_code == 200
    assert c.get(f"/dining/canteens/{world['A'].pk}/day/").status_code == board_a
    assert c.get(f"/dining/canteens/{world['B'].pk}/day/").status_code == board_b
    assert c.get("/dining/prices/").status_code == prices
    assert c.get("/dining/report/").status_code == prices
    assert c.get("/dining/import/").status_code == prices


def test_the_menu_shows_prices_allergens_and_ratings_and_hides_peanuts(client, world):
    DishRating.objects.create(
        dish=world["kungpao"], date=today(), meal="lunch", user=world["student2"], stars=4
    )
    c = client_for(client, world["student"])
    page = c.get("/dining/").content.decode()
    assert "宫保鸡丁" in page and "¥12.00" in page and "★ 4.0 (1)" in page
    assert "11:00-13:00" in page  # the canteen's lunch hours
    filtered = c.get("/dining/?hide=peanuts").content.decode()
    assert "宫保鸡丁" not in filtered and "番茄炒蛋" in filtered
    assert 'data-testid="menu-hidden-count"' in filtered


def test_the_week_view_lists_every_day_with_a_menu(client, world):
    later = today() + dt.timedelta(days=1)
    menu = Menu.objects.create(canteen=world["B"], date=later, meal="dinner")
    MenuItem.objects.create(menu=menu, dish=world["noodles_b"], price=Decimal("10.00"))
    page = client_for(client, world["student"]).get(f"/dining/?view=week&date={today()}")
    content = page.content.decode()
    if later.isocalendar()[1] == today().isocalendar()[1]:
        assert "牛肉面" in content
    assert "宫保鸡丁" in content


@pytest.mark.parametrize("extra", [0, 8])
def test_the_menu_page_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    for n in range(extra):
        canteen = Canteen.objects.create(campus=world["north"], name=f"食堂{n}")
        menu = Menu.objects.create(canteen=canteen, date=today(), meal="lunch")
        for k in range(3):
            dish = Dish.objects.create(canteen=canteen, name=f"菜{k}")
            MenuItem.objects.create(menu=menu, dish=dish, price=Decimal("3.00"))
            DishRating.objects.create(
                dish=dish, date=today(), meal="lunch", user=world["student"], stars=3
            )
    c = client_for(client, world["student"])
    # session, user with grants; campuses; canteens; menus; items with dishes; ratings; the
    # student's own ratings; the bell's unread count (a student manages no canteen: no query)
    with django_assert_num_queries(9):
        response = c.get("/dining/")
    assert response.status_code == 200


def test_a_student_rates_a_dish_and_changes_it(client, world):
    c = client_for(client, world["student"])
    body = {"dish": world["tomato"].pk, "date": today().isoformat(), "meal": "lunch"}
    c.post("/dining/rate/", body | {"stars": "2", "comment": "太咸了"})
    c.post("/dining/rate/", body | {"stars": "4", "comment": "好多了"})
    rating = DishRating.objects.get()
    assert (rating.stars, rating.comment) == (4, "好多了")
    assert c.get("/dining/rate/").status_code == 405


def test_students_see_comments_without_names_and_the_manager_hides_one(client, world):
    rating = DishRating.objects.create(
        dish=world["kungpao"],
        date=today(),
        meal="lunch",
        user=world["student2"],
        stars=1,
        comment="垃圾！",
    )
    world["student2"].full_name = "张三丰"
    world["student2"].save()
    c = client_for(client, world["student"])
    page = c.get(f"/dining/dishes/{world['kungpao'].pk}/").content.decode()
    assert "垃圾！" in page and "张三丰" not in page and "20260002" not in page
    # A student cannot hide it.
    assert c.post(f"/dining/ratings/{rating.pk}/hide/").status_code == 404

    m = client_for(client, world["manager"])
    manager_page = m.get(f"/dining/dishes/{world['kungpao'].pk}/").content.decode()
    assert "张三丰" in manager_page
    m.post(f"/dining/ratings/{rating.pk}/hide/", {"hidden": "1"})
    rating.refresh_from_db()
    assert rating.hidden and rating.hidden_by == world["manager"]
    c = client_for(client, world["student"])
    assert "垃圾！" not in c.get(f"/dining/dishes/{world['kungpao'].pk}/").content.decode()
    # The manager of another campus may not.
    rating.hidden = False
    rating.save()
    s = client_for(client, world["south_manager"])
    assert s.post(f"/dining/ratings/{rating.pk}/hide/").status_code == 404


@pytest.mark.parametrize("extra", [0, 6])
def test_the_day_board_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    for n in range(extra):
        dish = Dish.objects.create(canteen=world["A"], name=f"加菜{n}")
        MenuItem.objects.create(menu=world["lunch"], dish=dish, price=Decimal("3.00"))
        safety.sample_record(
            actor=world["staff_a"],
            canteen=world["A"],
            date=today(),
            meal="lunch",
            dish=dish,
            grams=130,
        )
        worker = FoodWorker.objects.create(canteen=world["A"], name=f"工人{n}")
        safety.morning_check_record(actor=world["staff_a"], worker=worker, date=today())
    if extra:
        safety.temperature_record(
            actor=world["staff_a"],
            fridge=world["fridge"],
            date=today(),
            slot="morning",
            celsius=Decimal("4"),
        )
    c = client_for(client, world["staff_a"])
    # session, user with grants; the canteen (scoped); menu items with dishes; samples with
    # takers; workers; checks with checkers; fridges; readings; the bell's unread count
    with django_assert_num_queries(10):
        response = c.get(f"/dining/canteens/{world['A'].pk}/day/")
    assert response.status_code == 200


def test_staff_record_lunch_samples_and_a_morning_check_on_the_board(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # its messages are asserted in English
    c = client_for(client, world["staff_a"])
    url = f"/dining/canteens/{world['A'].pk}/samples/"
    base = {"date": today().isoformat(), "meal": "lunch", "fridge": world["fridge"].pk}
    c.post(url, base | {"dish": world["kungpao"].pk, "grams": "150"})
    c.post(url, base | {"dish": world["tomato"].pk, "grams": "124"})
    assert list(FoodSample.objects.values_list("dish_id", flat=True)) == [world["kungpao"].pk]
    page = c.get(f"/dining/canteens/{world['A'].pk}/day/").content.decode()
    states = re.findall(r'data-testid="sample-row" data-dish="\d+" data-state="(\w+)"', page)
    assert states == ["kept", "missing", "missing"]
    c.post(
        f"/dining/canteens/{world['A'].pk}/checks/",
        {"date": today().isoformat(), "worker": world["worker1"].pk, "symptom": ["cough"]},
    )
    response = c.post(
        f"/dining/canteens/{world['A'].pk}/checks/",
        {"date": today().isoformat(), "worker": world["worker1"].pk},
        follow=True,
    )
    assert "cannot be put back on duty" in response.content.decode()
    assert MorningCheck.objects.get().cleared is False
    # Another canteen's staff cannot record here.
    other = client_for(client, world["staff_b"])
    assert other.post(url, base | {"dish": world["tomato"].pk, "grams": "150"}).status_code == 404


def test_an_expired_certificate_refuses_the_intake_on_the_page(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # its messages are asserted in English
    supplier = Supplier.objects.create(name="老王肉铺")
    supplier.canteens.add(world["A"])
    SupplierCertificate.objects.create(
        supplier=supplier,
        kind="food_licence",
        number="X",
        expires_on=today() - dt.timedelta(days=1),
    )
    c = client_for(client, world["staff_a"])
    assert "老王肉铺" in c.get("/dining/suppliers/").content.decode()
    response = c.post(
        "/dining/intakes/",
        {"canteen": world["A"].pk, "supplier": supplier.pk, "goods": "猪肉", "quantity": "20 kg"},
        follow=True,
    )
    assert "the intake is refused" in response.content.decode()
    assert not supplier.intakes.exists()


def test_the_manager_uploads_a_menu_and_approves_a_rise(client, world):
    c = client_for(client, world["manager"])
    day = (today() + dt.timedelta(days=1)).isoformat()
    data = f"食堂,日期,餐别,菜品,价格\n一食堂,{day},午餐,宫保鸡丁,15.00\n".encode()
    response = c.post("/dining/import/", {"file": SimpleUploadedFile("m.csv", data)})
    assert 'data-testid="import-needs-approval"' in response.content.decode()
    request = PriceRequest.objects.get()
    assert "宫保鸡丁" in c.get("/dining/prices/").content.decode()
    c.post(f"/dining/prices/{request.pk}/decide/", {"decision": "approve", "reason": ""})
    request.refresh_from_db()
    assert request.status == "pending"  # a reason is required
    c.post(f"/dining/prices/{request.pk}/decide/", {"decision": "approve", "reason": "肉价上涨"})
    request.refresh_from_db()
    assert request.status == "approved"
    response = c.post("/dining/import/", {"file": SimpleUploadedFile("m.csv", data)})
    assert 'data-testid="import-done"' in response.content.decode()
    assert c.get("/dining/import/template.xlsx").status_code == 200


def test_staff_cannot_decide_prices(client, world):
    PriceRequest.objects.create(
        dish=world["kungpao"],
        price=Decimal("20"),
        reference_price=Decimal("12"),
        valid_from=today(),
    )
    c = client_for(client, world["staff_a"])
    request = PriceRequest.objects.get()
    assert (
        c.post(
            f"/dining/prices/{request.pk}/decide/", {"decision": "approve", "reason": "x"}
        ).status_code
        == 404
    )
    south = client_for(client, world["south_manager"])
    assert (
        south.post(
            f"/dining/prices/{request.pk}/decide/", {"decision": "approve", "reason": "x"}
        ).status_code
        == 404
    )


def test_sample_destruction_on_the_board_waits_48_hours(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # its messages are asserted in English
    sample = safety.sample_record(
        actor=world["staff_a"],
        canteen=world["A"],
        date=today(),
        meal="lunch",
        dish=world["kungpao"],
        grams=150,
    )
    c = client_for(client, world["staff_a"])
    response = c.post(f"/dining/samples/{sample.pk}/destroy/", follow=True)
    assert "at least 48 hours" in response.content.decode()
    sample.refresh_from_db()
    assert sample.destroyed_at is None


def test_the_service_hall_shows_each_role_its_dining_entries(world):
    from logistics.hall import entries_for

    def keys(user):
        return {e.key for e in entries_for(user) if e.key.startswith("dining.")}

    assert keys(world["student"]) == {"dining.menu"}
    assert keys(world["staff_a"]) == {"dining.menu", "dining.board", "dining.suppliers"}
    assert keys(world["manager"]) == {
        "dining.menu",
        "dining.board",
        "dining.suppliers",
        "dining.prices",
        "dining.report",
        "dining.setup",
    }


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_manager_adds_a_dishs_photo_that_every_diner_sees(client, world):
    url = f"/dining/dishes/{world['kungpao'].pk}/photo/"
    client_for(client, world["student"])
    assert client.post(url, {"photo": SimpleUploadedFile("a.png", _png())}).status_code == 404
    client_for(client, world["manager"])
    client.post(url, {"photo": SimpleUploadedFile("not.png", b"not an image")})
    world["kungpao"].refresh_from_db()
    assert world["kungpao"].photo is None
    client.post(url, {"photo": SimpleUploadedFile("a.png", _png())})
    world["kungpao"].refresh_from_db()
    photo = world["kungpao"].photo
    assert photo is not None and (photo.width, photo.height) == (40, 30)
    client_for(client, world["student2"])
    assert f"/photos/{photo.pk}/" in client.get("/dining/").content.decode()
    assert client.get(f"/photos/{photo.pk}/").status_code == 200

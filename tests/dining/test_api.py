"""The dining API (CONTRACT.md "Dining"): canteens and menus for any signed-in user with pinned
query counts, ratings 201/200/400, food samples 201/400/404 by who works the canteen."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dining.models import Canteen, Dish, DishRating, FoodSample, Menu, MenuItem
from tests.dining.data import dining_world, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_api(user):
    token = Token.objects.create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_anonymous_callers_are_refused(world):
    for url in ("/api/v1/canteens/", f"/api/v1/menus/?date={today()}"):
        assert APIClient().get(url).status_code in (401, 403)
    assert APIClient().post("/api/v1/dish-ratings/", {}, format="json").status_code in (401, 403)


def test_canteens_list_id_name_and_campus(world):
    response = api_for(world["student"]).get("/api/v1/canteens/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": world["A"].pk, "name": "一食堂", "campus": world["north"].pk},
        {"id": world["B"].pk, "name": "二食堂", "campus": world["south"].pk},
    ]


def test_the_menus_of_a_day_with_prices_allergens_and_ratings(world):
    DishRating.objects.create(
        dish=world["kungpao"], date=today(), meal="lunch", user=world["student"], stars=5
    )
    DishRating.objects.create(
        dish=world["kungpao"], date=today(), meal="lunch", user=world["student2"], stars=4
    )
    response = api_for(world["student"]).get(f"/api/v1/menus/?date={today()}")
    assert response.status_code == 200
    [menu] = response.json()["results"]
    assert menu["canteen"] == world["A"].pk
    assert menu["date"] == today().isoformat() and menu["meal"] == "lunch"
    assert menu["items"][0] == {
        "dish": world["kungpao"].pk,
        "name": "宫保鸡丁",
        "price": "12.00",
        "allergens": ["peanuts", "soy"],
        "rating": 4.5,
        "ratings": 2,
    }
    assert menu["items"][1]["rating"] is None and menu["items"][1]["ratings"] == 0


def test_menus_filter_by_campus_and_canteen_and_need_a_date(world):
    Menu.objects.create(canteen=world["B"], date=today(), meal="dinner")
    api = api_for(world["student"])
    assert api.get(f"/api/v1/menus/?date={today()}").json()["count"] == 2
    south = api.get(f"/api/v1/menus/?date={today()}&campus={world['south'].pk}").json()
    assert [m["canteen"] for m in south["results"]] == [world["B"].pk]
    one = api.get(f"/api/v1/menus/?date={today()}&canteen={world['A'].pk}").json()
    assert [m["canteen"] for m in one["results"]] == [world["A"].pk]
    assert api.get("/api/v1/menus/").status_code == 400
    assert api.get("/api/v1/menus/?date=tomorrow").status_code == 400


@pytest.mark.parametrize("extra", [0, 10])
def test_the_menus_query_count_does_not_grow(world, extra, django_assert_num_queries):
    for n in range(extra):
        canteen = Canteen.objects.create(campus=world["north"], name=f"食堂{n}")
        menu = Menu.objects.create(canteen=canteen, date=today(), meal="lunch")
        for k in range(3):
            dish = Dish.objects.create(canteen=canteen, name=f"菜{k}", allergens=["milk"])
            MenuItem.objects.create(menu=menu, dish=dish, price=Decimal("3.00"))
            DishRating.objects.create(
                dish=dish, date=today(), meal="lunch", user=world["student"], stars=3
            )
    api = token_api(world["student"])
    # the token with its user and grants; menus with canteens; items with dishes; ratings
    with django_assert_num_queries(4):
        response = api.get(f"/api/v1/menus/?date={today()}")
    assert response.json()["count"] == 1 + extra


@pytest.mark.parametrize("extra", [0, 10])
def test_the_canteens_query_count_does_not_grow(world, extra, django_assert_num_queries):
    for n in range(extra):
        Canteen.objects.create(campus=world["north"], name=f"食堂{n}")
    api = token_api(world["student"])
    # the token with its user and grants; count; page
    with django_assert_num_queries(3):
        response = api.get("/api/v1/canteens/")
    assert response.json()["count"] == 2 + extra


def rate(user, dish, stars=4, **fields):
    body = {"dish": dish.pk, "date": today().isoformat(), "meal": "lunch", "stars": stars}
    return api_for(user).post("/api/v1/dish-ratings/", body | fields, format="json")


def test_a_rating_is_created_then_replaced(world):
    first = rate(world["student"], world["kungpao"], 2, comment="太咸")
    assert first.status_code == 201
    assert first.json()["stars"] == 2
    again = rate(world["student"], world["kungpao"], 5, comment="好吃")
    assert again.status_code == 200
    rating = DishRating.objects.get()
    assert (rating.stars, rating.comment, rating.user) == (5, "好吃", world["student"])
    # Another diner's rating is their own.
    assert rate(world["student2"], world["kungpao"], 3).status_code == 201
    assert DishRating.objects.count() == 2


@pytest.mark.parametrize("stars", [0, 6, "five"])
def test_stars_outside_1_to_5_are_400(world, stars):
    response = rate(world["student"], world["kungpao"], stars)
    assert response.status_code == 400
    assert not DishRating.objects.exists()


def test_a_dish_not_on_that_menu_is_400(world):
    assert rate(world["student"], world["noodles_b"]).status_code == 400
    assert rate(world["student"], world["kungpao"], meal="dinner").status_code == 400
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    assert rate(world["student"], world["kungpao"], date=yesterday).status_code == 400
    body = {"dish": 999999, "date": today().isoformat(), "meal": "lunch", "stars": 3}
    response = api_for(world["student"]).post("/api/v1/dish-ratings/", body, format="json")
    assert response.status_code == 400
    assert not DishRating.objects.exists()


def sample(user, world, grams=150, dish="kungpao", canteen="A"):
    body = {
        "canteen": world[canteen].pk,
        "date": today().isoformat(),
        "meal": "lunch",
        "dish": world[dish].pk,
        "grams": grams,
    }
    return api_for(user).post("/api/v1/food-samples/", body, format="json")


@pytest.mark.parametrize("who", ["staff_a", "manager", "admin"])
def test_the_canteens_staff_or_the_dining_manager_record_a_sample(world, who):
    response = sample(world[who], world)
    assert response.status_code == 201, response.json()
    stored = FoodSample.objects.get()
    assert response.json()["id"] == stored.pk
    assert (stored.grams, stored.taken_by, stored.dish) == (150, world[who], world["kungpao"])


def test_a_sample_under_the_minimum_is_400(world, settings):
    settings.FOOD_SAMPLE_MIN_GRAMS = 125
    response = sample(world["staff_a"], world, grams=124)
    assert response.status_code == 400
    assert "125" in str(response.json())
    assert sample(world["staff_a"], world, grams=125).status_code == 201


@pytest.mark.parametrize("who", ["staff_b", "south_manager", "student", "technician", "nobody"])
def test_anyone_else_gets_404(world, who):
    assert sample(world[who], world).status_code == 404
    assert not FoodSample.objects.exists()


def test_a_second_sample_of_the_dish_and_meal_is_409(world):
    assert sample(world["staff_a"], world).status_code == 201
    assert sample(world["staff_a"], world).status_code == 409


def test_a_dish_not_on_the_menu_is_400(world):
    assert sample(world["staff_a"], world, dish="noodles_b").status_code == 400

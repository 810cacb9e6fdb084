"""The OpenAPI description tells the truth: pagination parameters are checked as declared, the
API reads the media types it declares and no others, and every operation declares the errors
the ground rules make it answer (401, 403, 404, 400, 415, 429), in the shape they come in.
tests/logistics/test_api_schemathesis.py checks the same against the running API, for two
roles."""

import pytest
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from logistics.models import Role
from tests.factories import CampusFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

CAMPUSES = "/api/v1/campuses/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def api():
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(UserFactory())
    return client


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# --- Pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("page_size=2&page_size=3", "page_size", "Give this parameter once."),
        ("page=1&page=2", "page", "Give this parameter once."),
        ("page_size=abc", "page_size", "A whole number from 1 is required."),
        ("page_size=0", "page_size", "A whole number from 1 is required."),
        ("page_size=-5", "page_size", "A whole number from 1 is required."),
        ("page_size=", "page_size", "A whole number from 1 is required."),
        ("page_size=201", "page_size", "At most 200 results fit on a page."),
        ("page=abc", "page", "A whole number from 1 is required."),
        ("page=0", "page", "A whole number from 1 is required."),
        ("page=", "page", "A whole number from 1 is required."),
        ("page=last", "page", "A whole number from 1 is required."),
        ("page=1.0", "page", "A whole number from 1 is required."),
    ],
)
def test_malformed_pagination_parameters_answer_400_naming_them(api, query, parameter, message):
    response = api.get(f"{CAMPUSES}?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"{parameter}: {message}",
        "errors": {parameter: [message]},
    }


def test_good_pagination_parameters_still_page(api):
    for i in range(3):
        CampusFactory(code=f"c{i}")

    assert len(api.get(f"{CAMPUSES}?page_size=200").json()["results"]) == 3
    body = api.get(f"{CAMPUSES}?page=2&page_size=2").json()
    assert [len(body["results"]), body["count"]] == [1, 3]
    # A page past the last is 404, as documented.
    assert api.get(f"{CAMPUSES}?page=3&page_size=2").status_code == 404


def test_the_pagination_parameters_are_declared_with_their_limits(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/campuses/"]["get"]["parameters"]}

    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


# --- Media types -------------------------------------------------------------------------------


def test_the_api_reads_json_and_says_so(schema):
    manager = user_with_role(Role.DORM_MANAGER)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(manager)

    # A form post, which cannot say `"bed": null`, is refused rather than half-understood.
    form = client.post("/api/v1/check-ins/", {"student_id": "x", "bed": "null"}, format="multipart")

    assert form.status_code == 415
    assert form.json()["detail"].startswith("Unsupported media type")
    body = schema["paths"]["/api/v1/check-ins/"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json"}


def test_only_the_operations_with_photos_take_multipart(schema):
    takes = {
        (path, method): set(operation["requestBody"]["content"])
        for path, method, operation in operations(schema)
        if "requestBody" in operation
    }

    both = {"application/json", "multipart/form-data"}
    # filing a repair, finishing one, a finding on a safety round, a hazard rectified: each
    # with its photo
    assert takes.pop(("/api/v1/tickets/", "post")) == both
    assert takes.pop(("/api/v1/tickets/{id}/finish/", "post")) == both
    assert takes.pop(("/api/v1/safety-rounds/{id}/rooms/{room_id}/", "post")) == both
    assert takes.pop(("/api/v1/hazards/{id}/rectify/", "post")) == both
    assert set(map(frozenset, takes.values())) == {frozenset({"application/json"})}


# --- Documented errors -------------------------------------------------------------------------


# Operations that need no login: the token in their path is the key (no session, so no CSRF).
NO_LOGIN = {"/api/v1/auth/token/", "/api/v1/surveys/answer/{token}/"}


def test_every_operation_declares_the_errors_of_the_ground_rules(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        needed = set()
        if path not in NO_LOGIN:
            needed.add("401")  # no token, or a bad one
        if "{" in path:
            needed.add("404")  # nothing by that id among what the caller may see
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "page" in parameters:
            needed |= {"400", "404"}  # bad page parameters or filters; a page past the last
        if "requestBody" in operation:
            needed |= {"400", "415"}
        if method == "post" and path not in NO_LOGIN:
            needed.add("403")  # at least: a browser session's write without its CSRF token
        if not needed <= codes:
            missing.append((method.upper(), path, sorted(needed - codes)))

    assert missing == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/beds/",
        "/api/v1/buildings/",
        "/api/v1/move-in/summary/",
        "/api/v1/my-stay/",
        "/api/v1/residents/",
        "/api/v1/rooms/",
    ],
)
def test_operations_limited_to_roles_declare_403(schema, path):
    assert "403" in schema["paths"][path]["get"]["responses"]


def test_open_to_every_signed_in_user_declares_no_403(schema):
    assert "403" not in schema["paths"]["/api/v1/campuses/"]["get"]["responses"]
    assert "403" not in schema["paths"]["/api/v1/me/"]["get"]["responses"]


def test_the_token_endpoint_declares_its_refusals(schema):
    responses = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]

    assert {"200", "400", "429"} <= set(responses)
    assert "401" not in responses


def test_errors_are_declared_in_the_shape_they_come_in(schema, api):
    error = schema["components"]["schemas"]["ApiError"]
    assert error["required"] == ["detail"]
    assert error["properties"]["errors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    not_found = schema["paths"]["/api/v1/tickets/{id}/"]["get"]["responses"]["404"]
    assert not_found["content"]["application/json"]["schema"]["$ref"].startswith(
        "#/components/schemas/"
    )


# --- Filters -----------------------------------------------------------------------------------


@pytest.fixture
def manager_api():
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user_with_role(Role.DORM_MANAGER))
    return client


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("free=true&free=false", "free", "Give this parameter once."),
        ("free=null", "free", "true or false is required."),
        ("free=1", "free", "true or false is required."),
        ("free=", "free", "A value is required."),
        ("room=0.5", "room", "A whole number is required."),
        ("building=1&building=2", "building", "Give this parameter once."),
    ],
)
def test_malformed_filters_answer_400_naming_them(manager_api, query, parameter, message):
    response = manager_api.get(f"/api/v1/beds/?{query}")

    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: [message]}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/rooms/", "floor=0.5"),
        ("/api/v1/residents/", "checked_in=null"),
        ("/api/v1/residents/", "category="),
        ("/api/v1/residents/", "category=undergraduate&category=staff"),
    ],
)
def test_the_same_on_every_list(manager_api, path, query):
    assert manager_api.get(f"{path}?{query}").status_code == 400


@pytest.mark.parametrize(
    "query", ["free=true", "free=false", "room=12", "building=3", "search=", "campus="]
)
def test_well_formed_filters_pass(manager_api, query):
    path = "/api/v1/residents/" if query.startswith(("search", "campus")) else "/api/v1/beds/"

    assert manager_api.get(f"{path}?{query}").status_code == 200


# --- Text ----------------------------------------------------------------------------------------


def test_a_text_that_may_not_be_blank_declares_a_character_that_is_not_a_space(schema, api):
    """DRF trims text before checking it, so "   " is refused like "" (minLength alone would
    call it valid)."""
    token = schema["components"]["schemas"]["TokenRequestRequest"]["properties"]["username"]
    note = schema["components"]["schemas"]["MoveOutRequestCreateRequest"]["properties"]["note"]

    assert token["pattern"] == r"\S" and token["minLength"] == 1
    assert "pattern" not in note  # may be blank

    blank = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", {"username": "   ", "password": "x"}, format="json"
    )
    assert blank.status_code == 400
    assert blank.json()["errors"]["username"] == ["This field may not be blank."]

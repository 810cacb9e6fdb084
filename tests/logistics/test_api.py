"""The API's ground rules (CONTRACT.md): token and session auth, JSON errors, pagination,
authenticated by default, OpenAPI schema and a docs page served from the portal."""

import re

import pytest
from rest_framework.test import APIClient

from logistics.models import Role
from tests.factories import PASSWORD, CampusFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_token_is_issued_for_good_credentials_and_works(api):
    user = UserFactory(username="dispatcher1")
    response = api.post(
        "/api/v1/auth/token/", {"username": "dispatcher1", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40

    # The same token again for the same user; it authenticates the next call.
    again = api.post(
        "/api/v1/auth/token/", {"username": "dispatcher1", "password": PASSWORD}, format="json"
    )
    assert again.json()["token"] == token
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == user.username


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "username"),
        ({"username": "x"}, "password"),
        ({"username": "x" * 500, "password": "y"}, "username"),
    ],
)
def test_token_request_with_bad_fields_is_a_json_error(api, payload, field):
    response = api.post("/api/v1/auth/token/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["detail"].startswith(field)


def test_wrong_password_gets_a_readable_json_error(api):
    UserFactory(username="someone")
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "someone", "password": "nope"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "The username or password is wrong."


def test_malformed_json_is_a_json_error(api):
    response = api.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_token_endpoint_is_throttled(api, settings):
    UserFactory(username="victim")
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["auth-token"] == "10/min"
    # Different usernames each time, so this is the address-wide throttle at work and not
    # the per-username lockout (tested below).
    codes = [
        api.post(
            "/api/v1/auth/token/", {"username": f"nobody{i}", "password": "x"}, format="json"
        ).status_code
        for i in range(11)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


def test_repeated_failures_lock_the_username_out_of_the_api_too(api, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="target")
    for _ in range(3):
        api.post("/api/v1/auth/token/", {"username": "target", "password": "x"}, format="json")
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "target", "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many failed sign-ins. Please try again later."}


def test_api_needs_authentication_by_default(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"].startswith("Token")


def test_bad_token_is_refused(api):
    response = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40).get("/api/v1/me/")
    assert response.status_code == 401


def test_a_token_loads_its_user_with_their_grants_in_one_query(django_assert_num_queries):
    # Given a dispatcher of one campus with a token
    from rest_framework.authtoken.models import Token

    user = user_with_role(Role.DISPATCHER, campus=CampusFactory(code="songbei"))
    token = Token.objects.create(user=user)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    # Then /me/ answers with their roles: one query for the token, the user and the grants
    # (DRF's own authentication made two), then the campus and department codes
    with django_assert_num_queries(3):
        body = client.get("/api/v1/me/").json()
    assert body["username"] == user.username
    assert [r["role"] for r in body["roles"]] == ["dispatcher"]
    # and a deactivated account's token is refused, with DRF's words
    user.is_active = False
    user.save()
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_session_auth_works_for_the_browser_but_writes_need_csrf():
    user = UserFactory()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/me/").status_code == 200


def test_me_lists_roles_with_scopes(api):
    campus = CampusFactory(code="songbei")
    user = user_with_role(Role.DISPATCHER, campus=campus)
    api.force_authenticate(user)
    body = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["roles"] == [
        {
            "role": "dispatcher",
            "role_label": "Repair dispatcher",
            "campus": "songbei",
            "department": None,
        }
    ]


def test_lists_are_paginated(api, django_assert_num_queries):
    for i in range(3):
        CampusFactory(code=f"c{i}")
    api.force_authenticate(UserFactory())
    with django_assert_num_queries(2):  # count, page
        body = api.get("/api/v1/campuses/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")
    assert api.get("/api/v1/campuses/?page=9").status_code == 404


def test_department_list_query_count_is_fixed(api, django_assert_num_queries):
    from tests.factories import DepartmentFactory

    for i in range(4):
        DepartmentFactory(code=f"d{i}", areas=["dining", "apartments"])
    api.force_authenticate(UserFactory())
    with django_assert_num_queries(3):  # count, page, service areas of the page (prefetch)
        body = api.get("/api/v1/departments/").json()
    assert {tuple(sorted(d["service_areas"])) for d in body["results"]} == {
        ("apartments", "dining")
    }


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_schema_and_docs_are_served_from_the_portal(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Every script and stylesheet of the docs page comes from the portal itself, no CDN.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    assert any("swagger-ui" in s for s in sources)


def test_schema_validates_cleanly():
    from django.core.management import call_command

    # --fail-on-warn raises on any warning; --validate checks against the OpenAPI 3 spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")

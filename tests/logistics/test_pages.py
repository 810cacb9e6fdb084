"""The pages every user meets: sign in, the service hall, the account page, sign out."""

import pytest
from django.urls import reverse

from apartments.models import BuildingAssignment
from logistics.models import AuditEvent, Role
from tests.factories import (
    PASSWORD,
    BuildingFactory,
    ResidentFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_login_page_follows_the_browser_language(client):
    zh = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert zh.status_code == 200
    assert "登录" in zh.content.decode()
    assert zh["Content-Language"] == "zh-hans"

    en = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Sign in" in en.content.decode()
    assert en["Content-Language"] == "en"


def test_chinese_is_the_default_language(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "zh-hans"


def test_language_switch_is_a_post_form_on_every_page(client):
    page = client.get(reverse("login")).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="language" value="en"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Sign in" in client.get(reverse("login")).content.decode()


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_student_signs_in_with_student_id_and_sees_their_hall(client):
    resident = ResidentFactory(student_id="2025000123", name="王芳")

    response = client.post(
        reverse("login"), {"username": "2025000123", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/"
    page = response.content.decode()
    assert resident.name in page
    keys = [e.key for e in response.context["entries"]]
    assert "kernel.account" in keys
    assert "apartments.buildings" not in keys  # a student has no buildings to look after


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="someone")
    response = client.post(
        reverse("login"),
        {"username": "someone", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "student id or work id and password do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_username_out(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="target")
    for _ in range(3):
        client.post(reverse("login"), {"username": "target", "password": "guess"})

    # Even the right password is refused while the lockout lasts.
    response = client.post(
        reverse("login"), {"username": "target", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (Role.DORM_MANAGER, {"apartments.buildings", "kernel.account"}, {"kernel.admin"}),
        (Role.TECHNICIAN, {"kernel.account"}, {"apartments.buildings", "kernel.admin"}),
        (Role.AUDITOR, {"apartments.buildings", "kernel.account"}, {"kernel.admin"}),
        (Role.ADMIN, {"apartments.buildings", "kernel.api_docs"}, set()),
    ],
)
def test_hall_shows_each_role_its_own_entries(client, role, expected, absent):
    user = user_with_role(role, is_staff=role == Role.ADMIN)
    client.force_login(user)
    keys = {e.key for e in client.get(reverse("home")).context["entries"]}
    assert expected <= keys
    assert not keys & absent


def test_hall_lists_roles_with_their_scope(client):
    from tests.factories import CampusFactory, DepartmentFactory

    campus = CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")
    department = DepartmentFactory(code="maintenance", name="维修中心", name_en="Maintenance")
    client.force_login(user_with_role(Role.TECHNICIAN, campus=campus, department=department))
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Technician" in page
    assert "Songbei campus" in page
    assert "Maintenance" in page


def test_hall_query_count_does_not_grow_with_roles_or_buildings(
    client, django_assert_max_num_queries
):
    user = user_with_role(Role.DORM_MANAGER)
    for _ in range(5):
        BuildingAssignment.objects.create(
            building=BuildingFactory(), user=user, role="dorm_manager"
        )
    client.force_login(user)
    # session, user with role grants, campuses/departments of the scopes (2 at most); the menu and
    # the tiles reuse the grants read once; what waits for them (logistics.waiting): their
    # repairs to confirm, their surveys to answer.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_logout_is_post_only(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_validates_and_is_audited(client):
    user = UserFactory()
    client.force_login(user)

    weak = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert weak.status_code == 200  # refused: too short, too common, entirely numeric
    assert "too short" in weak.content.decode()

    new = "a-much-better-passphrase"
    done = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    event = AuditEvent.objects.get(action="account.password_change")
    assert event.actor == user
    assert event.target_id == str(user.pk)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_health_check_reaches_the_database_and_says_what_else_it_uses(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    if settings.REDIS_URL:
        assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "not used"}
    else:
        assert body["checks"] == {"database": "ok", "cache": "not used", "broker": "not used"}

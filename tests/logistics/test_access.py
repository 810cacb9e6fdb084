"""Role checks: one place (logistics.access) decides, and what a caller may not see is 404."""

import pytest
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from logistics.access import (
    ALL,
    campus_scope,
    client_ip,
    department_scope,
    grants_of,
    has_role,
    role_required,
    roles_of,
    user_with_grants,
)
from logistics.models import Role, RoleGrant
from tests.factories import CampusFactory, DepartmentFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_roles_are_read_once_per_request(django_assert_num_queries):
    user = user_with_role(Role.TECHNICIAN)
    with django_assert_num_queries(1):  # the role grants
        assert has_role(user, Role.TECHNICIAN)
        assert not has_role(user, Role.DISPATCHER)
        assert roles_of(user) == {Role.TECHNICIAN}


def test_a_signed_in_request_loads_its_user_with_their_grants_in_one_query(
    client, django_assert_num_queries
):
    campus, other = CampusFactory(), CampusFactory()
    user = user_with_role(Role.DISPATCHER, campus=campus)
    RoleGrant.objects.create(user=user, role=Role.TECHNICIAN, campus=other)
    with django_assert_num_queries(1):
        loaded = user_with_grants(user.pk)
        assert loaded == user
        assert roles_of(loaded) == {Role.DISPATCHER, Role.TECHNICIAN}
        assert campus_scope(loaded, Role.DISPATCHER) == {campus.pk}
    # a user with no grants, a superuser (an administrator everywhere), nobody, nonsense
    plain = UserFactory()
    assert grants_of(user_with_grants(plain.pk)) == ()
    boss = UserFactory(is_superuser=True)
    assert roles_of(user_with_grants(boss.pk)) == {Role.ADMIN}
    assert user_with_grants(10**9) is None
    assert user_with_grants("not-a-number") is None


def test_a_revoked_role_or_a_deactivated_account_counts_from_the_next_request(client):
    campus = CampusFactory()
    user = user_with_role(Role.DISPATCHER, campus=campus)
    client.force_login(user)
    assert client.get("/repairs/dispatch/").status_code == 200
    RoleGrant.objects.filter(user=user).delete()
    assert client.get("/repairs/dispatch/").status_code == 404
    RoleGrant.objects.create(user=user, role=Role.DISPATCHER, campus=campus)
    assert client.get("/repairs/dispatch/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/repairs/dispatch/").status_code == 302  # signed out: to sign in


def test_administrator_holds_every_staff_role_but_not_a_residents():
    admin = user_with_role(Role.ADMIN)
    assert has_role(admin, Role.DORM_MANAGER, Role.AUDITOR)
    assert not has_role(admin, Role.STUDENT)


def test_superuser_counts_as_administrator():
    user = UserFactory(is_superuser=True)
    assert Role.ADMIN in roles_of(user)


def test_inactive_or_anonymous_users_hold_no_role():
    from django.contrib.auth.models import AnonymousUser

    user = user_with_role(Role.AUDITOR, is_active=False)
    assert roles_of(user) == frozenset()
    assert roles_of(AnonymousUser()) == frozenset()


def test_scopes_follow_the_grants():
    songbei, jiangnan = CampusFactory(code="songbei"), CampusFactory(code="jiangnan")
    repairs = DepartmentFactory(code="maintenance")
    dispatcher = user_with_role(Role.DISPATCHER, campus=songbei, department=repairs)

    assert campus_scope(dispatcher, Role.DISPATCHER) == {songbei.pk}
    assert department_scope(dispatcher, Role.DISPATCHER) == {repairs.pk}
    assert campus_scope(dispatcher, Role.AUDITOR) == set()  # no such grant: nothing

    auditor = user_with_role(Role.AUDITOR)  # no campus: every campus
    assert campus_scope(auditor, Role.AUDITOR) is ALL
    assert jiangnan.pk  # two campuses exist; ALL covers both


def test_role_required_sends_anonymous_users_to_login_and_others_to_404():
    @role_required(Role.AUDITOR)
    def view(request):
        return HttpResponse("ok")

    rf = RequestFactory()
    request = rf.get("/quality/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = view(request)
    assert response.status_code == 302
    assert "/accounts/login/?next=/quality/" in response["Location"]

    request.user = user_with_role(Role.STUDENT)
    with pytest.raises(Http404):
        view(request)

    request.user = user_with_role(Role.AUDITOR)
    assert view(request).status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.9"),  # no proxy trusted: the header is the client's own words
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # one proxy: its view of the client, not a spoof
        (1, "", "10.0.0.9"),
    ],
)
def test_client_ip_trusts_only_our_own_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.9")
    assert client_ip(request) == expected


def test_a_superuser_with_an_admin_grant_holds_it_once():
    from logistics.access import grants_of

    user = user_with_role(Role.ADMIN, is_superuser=True)
    assert [g.role for g in grants_of(user)] == [Role.ADMIN]

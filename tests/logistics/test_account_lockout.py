"""The per-account sign-in limit across addresses (logistics.signin), on top of django-axes'
per-(username, address) lockout: many addresses together get no more than
ACCOUNT_LOCKOUT_FAILURE_LIMIT guesses at one account within ACCOUNT_LOCKOUT_WINDOW, on the
login page and on the API's token endpoint; the lock names the account only, so a colleague
behind the same campus NAT address still signs in."""

import datetime as dt
import threading

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from logistics.models import SignInGuard
from tests.conftest import requires_postgres
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _limits(settings):
    # The per-pair lockout as in production (5); the per-account one small enough to test.
    settings.AXES_FAILURE_LIMIT = 5
    settings.ACCOUNT_LOCKOUT_FAILURE_LIMIT = 8
    settings.ACCOUNT_LOCKOUT_WINDOW = dt.timedelta(hours=1)
    settings.ACCOUNT_LOCKOUT_COOLOFF = dt.timedelta(hours=1)
    settings.TRUSTED_PROXY_COUNT = 0
    # Hundreds of password checks: a fast hasher (the accounts below are made with it).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def account(username):
    return UserFactory(username=username, password=make_password(PASSWORD))


def sign_in(client, username, password, address, **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


def ask_token(username, password, address):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def was_checked(response) -> bool:
    """The password was compared (a wrong one: the form's error), not refused unasked."""
    return response.status_code in (200, 400)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_n_addresses_no_longer_make_4n_guesses_at_one_account(client):
    # Given an account, and guessers at 6 addresses, each staying under the per-pair limit
    # (4 guesses each: 24 in all)
    account("target")
    results = [
        was_checked(sign_in(client, "target", f"guess-{n}", f"10.0.{n}.1"))
        for n in range(6)
        for _guess in range(4)
    ]
    # Then only the first 8 passwords were checked; every later try was refused unasked
    assert results == [True] * 8 + [False] * 16
    # And while the lock lasts, even the right password from a new address is refused, with a
    # message that says why
    response = sign_in(client, "target", PASSWORD, "10.9.9.9")
    assert response.status_code == 429 and not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and "this account" in page
    # and on the API
    response = ask_token("target", PASSWORD, "10.9.9.10")
    assert response.status_code == 429
    assert "this account" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 3600


def test_the_token_endpoint_counts_towards_the_same_limit(client):
    account("target")
    # 4 guesses on the page and 4 on the API, from different addresses: 8, the limit
    for n in range(4):
        assert was_checked(sign_in(client, "target", "x", f"10.1.{n}.1"))
        assert ask_token("target", "x", f"10.2.{n}.1").status_code == 400
    assert ask_token("target", PASSWORD, "10.3.0.1").status_code == 429
    assert sign_in(client, "target", PASSWORD, "10.3.0.2").status_code == 429


def test_a_colleague_behind_the_same_nat_address_still_signs_in(client):
    # Given an account attacked from a campus NAT address, until both limits hold
    account("target")
    colleague = account("colleague")
    nat = "202.118.1.1"
    for _ in range(5):
        sign_in(client, "target", "guess", nat)
    for n in range(3):
        sign_in(client, "target", "guess", f"10.4.{n}.1")
    assert sign_in(client, "target", PASSWORD, "10.4.9.1").status_code == 429
    # When a colleague signs in from the same NAT address, they are in
    response = sign_in(client, "colleague", PASSWORD, nat)
    assert response.status_code == 302 and signed_in(client)
    assert int(client.session["_auth_user_id"]) == colleague.pk
    # and the API gives them a token from there too
    assert ask_token("colleague", PASSWORD, nat).status_code == 200


def test_the_per_pair_lockout_still_comes_first(client):
    # Five failures from one address lock that pair long before the account limit
    account("target")
    codes = [sign_in(client, "target", "guess", "10.5.0.1").status_code for _ in range(5)]
    assert codes == [200] * 4 + [429]  # the fifth failure locks the pair at once
    response = sign_in(client, "target", PASSWORD, "10.5.0.1")
    assert response.status_code == 429 and "from this address" in response.content.decode()
    # Another address may still sign in as them: the account limit (8) is not reached
    assert sign_in(client, "target", PASSWORD, "10.5.0.2").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client):
    account("target")
    for n in range(8):
        sign_in(client, "target", "guess", f"10.6.{n}.1")
    assert sign_in(client, "target", PASSWORD, "10.6.9.1").status_code == 429
    # When the cool-off has passed (and the failures are older than the window)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1, seconds=1)
    guard = SignInGuard.objects.get(username="target")
    guard.locked_until = an_hour_ago
    guard.failures = [[an_hour_ago.isoformat(), address] for _at, address in guard.failures]
    guard.save()
    # Then the owner signs in again
    assert sign_in(client, "target", PASSWORD, "10.6.9.1").status_code == 302


def test_failures_older_than_the_window_do_not_count(client, settings):
    settings.ACCOUNT_LOCKOUT_WINDOW = dt.timedelta(minutes=10)
    account("target")
    for n in range(7):
        sign_in(client, "target", "guess", f"10.7.{n}.1")
    guard = SignInGuard.objects.get(username="target")
    long_ago = (timezone.now() - dt.timedelta(minutes=11)).isoformat()
    guard.failures = [[long_ago, address] for _at, address in guard.failures]
    guard.save()
    # 7 old ones and 7 new ones: never 8 within ten minutes
    for n in range(7):
        assert was_checked(sign_in(client, "target", "guess", f"10.8.{n}.1"))
    assert sign_in(client, "target", PASSWORD, "10.8.9.1").status_code == 302


def test_success_forgives_the_owners_own_typos_not_the_others(client):
    # Given 3 failures from elsewhere and 4 of the owner's own typos at their address
    account("target")
    for n in range(3):
        sign_in(client, "target", "guess", f"10.9.{n}.1")
    for _ in range(4):
        sign_in(client, "target", "typo", "10.10.0.1")
    # When the owner then signs in from their address
    assert sign_in(client, "target", PASSWORD, "10.10.0.1").status_code == 302
    # Then their typos are forgotten, the other failures are not
    assert [address for _at, address in SignInGuard.objects.get().failures] == [
        "10.9.0.1",
        "10.9.1.1",
        "10.9.2.1",
    ]


def test_an_unknown_username_is_counted_like_any_other(client):
    # Otherwise the answers would tell which accounts exist
    for n in range(8):
        assert was_checked(sign_in(client, "nobody", "guess", f"10.11.{n}.1"))
    assert sign_in(client, "nobody", "guess", "10.11.9.1").status_code == 429


def test_the_count_is_kept_in_the_database_not_the_cache(client):
    # Without Redis the cache is per process: a lock must not depend on it
    account("target")
    for n in range(8):
        sign_in(client, "target", "guess", f"10.12.{n}.1")
        cache.clear()
    assert sign_in(client, "target", PASSWORD, "10.12.9.1").status_code == 429


def test_a_limit_of_zero_turns_the_account_limit_off(client, settings):
    settings.ACCOUNT_LOCKOUT_FAILURE_LIMIT = 0
    account("target")
    for n in range(10):
        sign_in(client, "target", "guess", f"10.13.{n}.1")
    assert sign_in(client, "target", PASSWORD, "10.13.9.1").status_code == 302
    assert not SignInGuard.objects.exists()


def test_the_locked_out_page_is_in_chinese_by_default(client):
    account("target")
    for n in range(8):
        sign_in(client, "target", "guess", f"10.14.{n}.1")
    response = client.post(
        reverse("login"), {"username": "target", "password": PASSWORD}, REMOTE_ADDR="10.14.9.1"
    )
    assert response.status_code == 429
    assert response["Content-Language"] == "zh-hans"


def test_an_operator_lifts_the_lock_with_a_command(client):
    account("target")
    for n in range(8):
        sign_in(client, "target", "guess", f"10.15.{n}.1")
    call_command("signin_unlock", "target", verbosity=0)
    assert sign_in(client, "target", PASSWORD, "10.15.9.1").status_code == 302


def test_the_admin_lists_the_guards_and_deleting_one_lifts_the_lock(client):
    account("target")
    for n in range(8):
        sign_in(client, "target", "guess", f"10.16.{n}.1")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    changelist = client.get(reverse("admin:logistics_signinguard_changelist"))
    assert changelist.status_code == 200 and "target" in changelist.content.decode()
    guard = SignInGuard.objects.get(username="target")
    response = client.post(
        reverse("admin:logistics_signinguard_delete", args=[guard.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not SignInGuard.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_guesses_sent_all_at_once_get_no_more_than_the_limit():
    # Given an account and 16 guesses sent at the same moment from 16 addresses
    account("target")
    start = threading.Barrier(16)
    codes = []

    def guess(n):
        try:
            start.wait(timeout=10)
            codes.append(ask_token("target", f"guess-{n}", f"10.20.{n}.1").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Then exactly the limit of them had their password checked
    assert sorted(codes) == [400] * 8 + [429] * 8

"""The per-account sign-in limit, across addresses.

django-axes locks out one username *from one address* after AXES_FAILURE_LIMIT failures (5 in
15 minutes). On its own that lets N addresses make 4N guesses at one account per window. This
module adds a slower, longer limit per account whatever the address: after
ACCOUNT_LOCKOUT_FAILURE_LIMIT failures (20) within ACCOUNT_LOCKOUT_WINDOW (an hour) the account
is locked for ACCOUNT_LOCKOUT_COOLOFF (an hour), on the login page, the admin's login and the
API's token endpoint alike, because all of them authenticate through this backend. django-axes
cannot do this itself: its limit and cool-off are shared by every lockout parameter set, and it
forgets attempts older than its cool-off (docs/decisions.md).

The lock names the account only: a colleague behind the same campus NAT address signs in as
themselves. A success forgives the failures from the address it came from (the owner's own
typos), not those from elsewhere. Failures are counted in the database (SignInGuard), so the
limit holds in every process with or without Redis; the guard row is locked while the password
is checked, so guesses sent all at once get no more than the limit either.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from logistics.access import client_ip, user_with_grants
from logistics.models import SignInGuard

USERNAME_MAX_LENGTH = 150


def limit() -> int:
    """Failures within the window that lock an account; 0 turns the account limit off."""
    return settings.ACCOUNT_LOCKOUT_FAILURE_LIMIT


def _recent(failures: list, since: dt.datetime) -> list:
    return [entry for entry in failures if dt.datetime.fromisoformat(entry[0]) >= since]


def _guard_locked(username: str) -> SignInGuard:
    """The username's guard row, created if needed and locked until the transaction ends, so
    that the attempts at one account are checked one after the other."""
    guard, _created = SignInGuard.objects.select_for_update().get_or_create(username=username)
    return guard


def signin_failure_record(*, guard: SignInGuard, address: str, now: dt.datetime) -> None:
    """Count a failed sign-in (the password was checked and was wrong, or the account does not
    exist) and lock the account when the failures within the window reach the limit."""
    failures = _recent(guard.failures, now - settings.ACCOUNT_LOCKOUT_WINDOW)
    failures.append([now.isoformat(), address])
    guard.failures = failures[-limit() :]
    if len(guard.failures) >= limit():
        guard.locked_until = now + settings.ACCOUNT_LOCKOUT_COOLOFF
    guard.save()
    _purge(now, keep=guard.pk)


def signin_success_record(*, guard: SignInGuard, address: str) -> None:
    """A success forgives the failures from its own address (the owner's typos); failures from
    other addresses still count. Writes nothing when there is nothing to forgive."""
    kept = [entry for entry in guard.failures if entry[1] != address]
    if kept != guard.failures:
        guard.failures = kept
        guard.save(update_fields=["failures", "updated_at"])


def _purge(now: dt.datetime, *, keep: int) -> None:
    """Rows untouched for longer than the window and the cool-off hold nothing that counts."""
    horizon = now - max(settings.ACCOUNT_LOCKOUT_WINDOW, settings.ACCOUNT_LOCKOUT_COOLOFF)
    SignInGuard.objects.filter(updated_at__lt=horizon).exclude(pk=keep).delete()


def signin_unlock(*, usernames: list[str]) -> int:
    """Lift the per-account lock of `usernames` and forget their failures (an operator's
    decision: `manage.py signin_unlock`, or deleting the guard in the admin)."""
    deleted, _by_model = SignInGuard.objects.filter(username__in=usernames).delete()
    return deleted


class UserWithGrantsMixin:
    """Loads a signed-in request's user together with their role grants: one query where
    Django's ModelBackend and the first role check would make two, on every page."""

    def get_user(self, user_id):
        user = user_with_grants(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class AccountLockoutBackend(UserWithGrantsMixin, ModelBackend):
    """Django's ModelBackend behind the per-account limit. It comes after django-axes'
    backend in AUTHENTICATION_BACKENDS: a pair axes has locked out never reaches it, so
    attempts refused unasked are not counted as guesses.

    A locked account is refused before its password is checked: the request is marked the way
    django-axes marks its own lockouts (`axes_locked_out`), so axes' middleware answers with
    logistics.access.lockout_response (429: a page, or JSON on the API), which reads
    `account_locked_until` to say that the account, not the address, is paused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if request is None or not username or limit() <= 0:
            return super().authenticate(request, username=username, password=password, **kwargs)
        key = str(username)[:USERNAME_MAX_LENGTH]
        with transaction.atomic():
            guard = _guard_locked(key)
            now = timezone.now()
            if guard.is_locked(now):
                request.axes_locked_out = True
                request.account_locked_until = guard.locked_until
                raise PermissionDenied  # stops the backend chain; authenticate() gives None
            user = super().authenticate(request, username=username, password=password, **kwargs)
            address = client_ip(request)
            if user is None:
                signin_failure_record(guard=guard, address=address, now=now)
            else:
                signin_success_record(guard=guard, address=address)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD

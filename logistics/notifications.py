"""In-app notifications, and e-mail where the recipient has an address.

An app registers the kinds of message it sends, once, at import (usually in
`<app>/notifications.py`, which the kernel imports at start-up):

    ASSIGNED = notification_kind(
        "maintenance.assigned", _("Repair request %(number)s was assigned to %(technician)s.")
    )

and sends with `notify(users, ASSIGNED, url=..., number="#12", technician="王师傅")` inside the
service's transaction. The text is rendered when read, in the reader's language; params must be
plain values (numbers, names), not words that need translating. E-mails, in Chinese and
English, go through the outbox (logistics.outbox): due once the transaction commits, sent by a
worker at once and, whatever happens to that message, by the periodic sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from logistics.db import insert_together
from logistics.models import Notification
from logistics.publishing import publish

UNREAD_CACHE_SECONDS = 300


@dataclass(frozen=True)
class NotificationKind:
    key: str
    text: str  # a lazy translation with %(name)s placeholders

    def render(self, params: dict) -> str:
        text = str(self.text)
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text


KINDS: dict[str, NotificationKind] = {}


def notification_kind(key: str, text) -> NotificationKind:
    kind = NotificationKind(key, text)
    KINDS[key] = kind
    return kind


def notification_text(notification: Notification) -> str:
    """The notification's message in the active language."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return notification.kind
    return kind.render(notification.params or {})


def notify(
    recipients, kind: NotificationKind, *, url: str = "", together=(), **params
) -> list[Notification]:
    """Tell each of `recipients` (users; None and repeats are skipped) about something. Call it
    inside the transaction of the change it reports: if that rolls back, nobody is told.
    `together`: other new rows (an audit record) inserted in the same round trip."""
    return notify_many([(recipients, kind, url, params)], together=together)


def notify_many(messages, *, together=()) -> list[Notification]:
    """notify() for many messages at once, `(recipients, kind, url, params)` each, with a fixed
    number of statements (one insert) however many there are: what a job raising hundreds of
    alerts in one night sends. `together`: other new rows inserted in the same statement
    (logistics.db.insert_together), whether or not anybody is told."""
    rows, users = [], {}
    for recipients, kind, url, params in messages:
        seen = set()
        for user in recipients:
            if user is None or user.pk in seen or not user.is_active:
                continue
            seen.add(user.pk)
            users[user.pk] = user
            rows.append(
                Notification(
                    recipient=user,
                    kind=kind.key,
                    params=params,
                    url=url,
                    email_due_at=timezone.now() if user.email else None,
                )
            )
    if not rows:
        insert_together(*together)
        return []
    if together:
        insert_together(*rows, *together)
        created = rows
    else:
        created = Notification.objects.bulk_create(rows)
    cache.delete_many([_unread_key(pk) for pk in users])
    to_email = [n.pk for n in created if n.email_due_at is not None and n.pk]
    if to_email:
        # Best effort, at once; the periodic sender covers a message the broker did not take.
        transaction.on_commit(
            lambda: publish("logistics.tasks.send_due_emails", kwargs={"ids": to_email})
        )
    return created


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user) -> int:
    """The user's unread notifications: kept in the cache, so the top bar of every page costs
    no query; notify() and mark_read() invalidate it."""
    if not user.is_authenticated:
        return 0
    return cache.get_or_set(
        _unread_key(user.pk),
        lambda: Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count(),
        UNREAD_CACHE_SECONDS,
    )


def mark_read(user, ids=None) -> int:
    """Mark the user's notifications (all, or those of `ids`) read; returns how many."""
    rows = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    count = rows.update(read_at=timezone.now())
    cache.delete(_unread_key(user.pk))
    return count


def email_content(notification: Notification) -> tuple[str, str]:
    """Subject and body of a notification's e-mail: Chinese first, then English (we do not
    know which the recipient reads)."""
    texts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts.append((str(settings.PORTAL_NAME), notification_text(notification)))
    link = ""
    if notification.url and settings.PORTAL_BASE_URL:
        link = "\n\n" + settings.PORTAL_BASE_URL.rstrip("/") + notification.url
    subject = f"{texts[0][0]}: {texts[0][1]}"[:150]
    body = f"{texts[0][1]}\n\n{texts[1][1]}{link}\n\n— {texts[0][0]} / {texts[1][0]}"
    return subject, body

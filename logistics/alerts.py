"""The kernel's alerts: conditions someone must act on, raised by any app's jobs and services.

An app declares its kinds once, at import (in `<app>/alerts.py`, which the kernel imports at
start-up):

    ZERO_REPORT_MISSING = alert_kind(
        "zero_report_missing",
        label=_("Zero report missing"),
        text=_("Building %(building)s has not sent its zero report for %(date)s."),
        severity=Alert.Severity.CRITICAL,
    )

and raises them with `alert_raise(ZERO_REPORT_MISSING, key=..., role=Role.DORM_MANAGER,
subject=building, campus=building.campus, for_date=day, building=building.code)` (or many at
once with `alerts_raise`). The key names the condition: raising it again while its alert is open
changes nothing but the alert's "last found" time, however often the job runs. A new alert is
also a notification (the bell, and e-mail through the outbox) to those who must act.

Who must act is a role, limited like the role's own grants: an alert with a campus reaches the
role's holders for that campus (or for every campus), one with a department those of that
department. Roles scoped to places (a dorm manager's buildings) register an audience that narrows
it further by the alert's subject (`alert_audience`, apartments/alerts.py). Administrators see
every alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.access import grants_of, roles_of
from logistics.models import Alert, JobRun, Role, RoleGrant, User
from logistics.notifications import notification_kind, notify_many
from logistics.services import audit_record

logger = logging.getLogger("logistics.alerts")


@dataclass(frozen=True)
class AlertKind:
    key: str
    text: str  # a lazy translation with %(name)s placeholders
    severity: str = Alert.Severity.WARNING
    label: str = ""  # a short lazy name for lists and filters ("Nightly job failed")

    @property
    def name(self) -> str:
        """The kind's name in the active language; its key where it has none."""
        return str(self.label) if self.label else self.key

    def render(self, params: dict) -> str:
        text = str(self.text)
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text


KINDS: dict[str, AlertKind] = {}


def alert_kind(key: str, text, *, severity: str = Alert.Severity.WARNING, label="") -> AlertKind:
    kind = AlertKind(key, text, severity, label)
    KINDS[key] = kind
    return kind


def kind_choices() -> list[tuple[str, str]]:
    """(key, name) of every kind, by name in the active language, for a filter."""
    return sorted(((k.key, k.name) for k in KINDS.values()), key=lambda c: c[1])


def kind_name(key: str) -> str:
    kind = KINDS.get(key)
    return kind.name if kind else key


def alert_text(alert: Alert) -> str:
    """The alert's message in the active language."""
    kind = KINDS.get(alert.kind)
    return kind.render(alert.params or {}) if kind else alert.kind


JOB_FAILED = alert_kind(
    "job_failed",
    label=_("Nightly job failed"),
    text=_(
        "The nightly job %(job)s did not finish its work for %(date)s after %(attempts)s "
        "attempts (%(failures)s items failed). %(error)s"
    ),
    severity=Alert.Severity.CRITICAL,
)
JOB_ABANDONED = alert_kind(
    "job_abandoned",
    label=_("Nightly job abandoned"),
    text=_(
        "The nightly job %(job)s for %(date)s was stopped before it finished %(attempts)s "
        "times (its worker was killed or ran out of time); it is no longer retried."
    ),
    severity=Alert.Severity.CRITICAL,
)
ALERT_RAISED = notification_kind("kernel.alert", _("Alert: %(message)s"))


# What an alert's subject is, as the API names it: {"app_label.model": field}. Apps are named
# as data, so the kernel imports none of them.
SUBJECT_FIELDS = {"apartments.building": "building", "dining.canteen": "canteen"}


def subject_field(alert: Alert) -> str | None:
    """ "building", "canteen"… for the alert's subject, or None."""
    if alert.subject_type_id is None:
        return None
    kind = ContentType.objects.get_for_id(alert.subject_type_id)
    return SUBJECT_FIELDS.get(f"{kind.app_label}.{kind.model}")


# --- Audiences: who must act ---------------------------------------------------------------


@dataclass(frozen=True)
class AlertAudience:
    """How a role scoped to places narrows the alerts it must act on.

    `visible(user)`: a Q over Alert for the alerts of this role the user must act on.
    `recipients(alert)`: the users who must act on one alert of this role.
    `recipients_many(alerts)`: the same for many alerts of this role in a fixed number of
    queries, as {alert id: users} (optional: without it, `recipients` is asked per alert)."""

    visible: Callable[[User], Q]
    recipients: Callable[[Alert], Iterable[User]]
    recipients_many: Callable[[list[Alert]], dict[int, list[User]]] | None = None


AUDIENCES: dict[str, AlertAudience] = {}


def alert_audience(role: str, audience: AlertAudience) -> None:
    AUDIENCES[role] = audience


def _grant_q(role: str, campus_id: int | None, department_id: int | None) -> Q:
    q = Q(role=role)
    if campus_id is not None:
        q &= Q(campus_id__isnull=True) | Q(campus_id=campus_id)
    if department_id is not None:
        q &= Q(department_id__isnull=True) | Q(department_id=department_id)
    return q


def alerts_for(user) -> QuerySet[Alert]:
    """Every alert (open or resolved) `user` must act on; none for anyone without a role."""
    if not user.is_authenticated:
        return Alert.objects.none()
    if Role.ADMIN in roles_of(user):
        return Alert.objects.all()
    q = Q(pk__in=[])
    for grant in grants_of(user):
        audience = AUDIENCES.get(grant.role)
        if audience is not None:
            q |= audience.visible(user)
        else:
            q |= _grant_q(grant.role, grant.campus_id, grant.department_id)
    return Alert.objects.filter(q)


def may_see_alerts(user) -> bool:
    """Who has an alerts page: staff (residents have nothing to act on)."""
    return bool(roles_of(user) - {Role.STUDENT})


def recipients_of(alert: Alert) -> list[User]:
    """The users who must act on `alert` (its role's holders in its scope) and the
    administrators."""
    return recipients_of_many([alert])[alert.pk]


def recipients_of_many(alerts: list[Alert]) -> dict[int, list[User]]:
    """recipients_of() for many alerts, {alert id: users}, in a fixed number of queries: the
    administrators, the holders of the alerts' unscoped roles, and one per scoped audience."""
    admins = list(
        User.objects.filter(
            Q(pk__in=RoleGrant.objects.filter(role=Role.ADMIN).values("user_id"))
            | Q(is_superuser=True),
            is_active=True,
        )
    )
    result: dict[int, list[User]] = {alert.pk: [] for alert in alerts}
    by_role: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_role.setdefault(alert.role, []).append(alert)
    plain_roles = [role for role in by_role if role not in AUDIENCES]
    if plain_roles:
        grants = list(
            RoleGrant.objects.filter(role__in=plain_roles, user__is_active=True).select_related(
                "user"
            )
        )
        for role in plain_roles:
            for alert in by_role[role]:
                result[alert.pk] = [
                    grant.user
                    for grant in grants
                    if grant.role == role
                    and grant.campus_id in (None, alert.campus_id)
                    and grant.department_id in (None, alert.department_id)
                ]
    for role, group in by_role.items():
        audience = AUDIENCES.get(role)
        if audience is None:
            continue
        if audience.recipients_many is not None:
            found = audience.recipients_many(group)
            for alert in group:
                result[alert.pk] = list(found.get(alert.pk, []))
        else:
            for alert in group:
                result[alert.pk] = list(audience.recipients(alert))
    for users in result.values():
        users += admins
    return result


# --- Raising and resolving -----------------------------------------------------------------


@dataclass(frozen=True)
class AlertSpec:
    """One condition found by a job: the arguments of alert_raise."""

    kind: AlertKind
    key: str
    role: str
    for_date: date | None = None
    campus_id: int | None = None
    department_id: int | None = None
    subject: object | None = None
    url: str = ""
    params: dict | None = None

    def build(self, now) -> Alert:
        subject_type, subject_id = None, None
        if self.subject is not None:
            subject_type = ContentType.objects.get_for_model(self.subject)
            subject_id = self.subject.pk
        return Alert(
            kind=self.kind.key,
            severity=self.kind.severity,
            key=self.key[:200],
            role=self.role,
            for_date=self.for_date,
            campus_id=self.campus_id,
            department_id=self.department_id,
            subject_type=subject_type,
            subject_id=subject_id,
            url=self.url,
            params={
                **(self.params or {}),
                **({"date": str(self.for_date)} if self.for_date else {}),
            },
            created_at=now,
            last_seen_at=now,
        )


def alert_raise(kind: AlertKind, *, key: str, role: str, **fields) -> tuple[Alert, bool]:
    """Raise one alert (see the module's docstring); returns it and whether it is new."""
    campus = fields.pop("campus", None)
    department = fields.pop("department", None)
    spec = AlertSpec(
        kind=kind,
        key=key,
        role=role,
        campus_id=campus.pk if campus is not None else fields.pop("campus_id", None),
        department_id=department.pk
        if department is not None
        else fields.pop("department_id", None),
        **fields,
    )
    created = alerts_raise([spec])
    alert = Alert.objects.get(key=spec.key[:200], resolved_at__isnull=True)
    return alert, bool(created)


@transaction.atomic
def alerts_raise(specs: Iterable[AlertSpec]) -> list[Alert]:
    """Raise many alerts with a fixed number of statements: those whose condition already has
    an open alert are only marked seen again; the new ones are created and their audience
    notified. Returns the new alerts."""
    now = timezone.now()
    by_key = {spec.key[:200]: spec for spec in specs}
    if not by_key:
        return []
    open_keys = set(
        Alert.objects.filter(key__in=list(by_key), resolved_at__isnull=True).values_list(
            "key", flat=True
        )
    )
    if open_keys:
        Alert.objects.filter(key__in=open_keys, resolved_at__isnull=True).update(
            last_seen_at=now, times_seen=F("times_seen") + 1
        )
    fresh = [spec.build(now) for key, spec in by_key.items() if key not in open_keys]
    if not fresh:
        return []
    # A concurrent raiser may have created one of them meanwhile: the database keeps one open
    # alert per condition, and those we lost the race for are simply not ours to announce.
    Alert.objects.bulk_create(fresh, ignore_conflicts=True)
    created = list(
        Alert.objects.filter(
            key__in=[a.key for a in fresh], resolved_at__isnull=True, created_at=now
        )
    )
    recipients = recipients_of_many(created)
    messages = []
    for alert in created:
        logger.warning("alert %s raised: %s", alert.key, alert_text(alert))
        messages.append(
            (
                recipients[alert.pk],
                ALERT_RAISED,
                alert.url or "/alerts/",
                {"message": alert_text(alert)},
            )
        )
    notify_many(messages)
    return created


class AlertClosed(Exception):
    """The alert was resolved already."""


class AlertInvalid(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


@transaction.atomic
def alert_resolve(*, actor: User, alert: Alert, note: str) -> Alert:
    """Close an open alert for everyone, saying what was done."""
    note = (note or "").strip()
    if not note:
        raise AlertInvalid(_("Say what was done about it."), field="note")
    if len(note) > 2000:
        raise AlertInvalid(_("The note is too long (2,000 characters at most)."), field="note")
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.resolved_at is not None:
        raise AlertClosed(_("This alert was resolved already."))
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.resolution_note = note
    locked.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    audit_record(actor=actor, action="alert.resolve", target=locked, changes={"note": note})
    return locked


def alerts_clear(keys: Iterable[str]) -> int:
    """Resolve the open alerts of conditions that no longer hold: the system closes them (no
    one in `resolved_by`, no note; pages say "resolved automatically"). Returns how many."""
    keys = list(keys)
    if not keys:
        return 0
    return Alert.objects.filter(key__in=keys, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


# --- The engine's own ------------------------------------------------------------------------


def _job_key(job: str, for_date: date) -> str:
    return f"job:{job}:{for_date.isoformat()}"


def job_alert_raise(run: JobRun) -> None:
    """A nightly job gave up on a date: tell the administrators (once per job and date)."""
    kind = JOB_ABANDONED if run.status == JobRun.Status.ABANDONED else JOB_FAILED
    alerts_raise(
        [
            AlertSpec(
                kind=kind,
                key=_job_key(run.job, run.for_date),
                role=Role.ADMIN,
                for_date=run.for_date,
                url=f"/jobs/runs/{run.pk}/",
                params={
                    "job": run.job,
                    "attempts": run.attempt,
                    "failures": run.failures,
                    "error": run.error.strip().splitlines()[-1][:300] if run.error.strip() else "",
                },
            )
        ]
    )


def job_alerts_resolve(job: str, for_date: date) -> None:
    alerts_clear([_job_key(job, for_date)])

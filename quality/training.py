"""Competence and training (培训): sessions (a training or a knowledge contest, 岗位知识竞赛),
attendance with each person's quiz or assessment score, qualifications with their validity
(an internal auditor must hold a valid one to be chosen for an audit: quality.audits), and
each staff member's record.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.errors import ServiceError
from logistics.models import User
from logistics.services import audit_record
from quality.documents import head_of, is_quality
from quality.models import Qualification, TrainingAttendance, TrainingPlanItem, TrainingSession

PASS_MARK = Decimal(60)


class TrainingError(ServiceError):
    pass


class TrainingInvalid(TrainingError):
    status_code = 400
    code = "invalid"


class TrainingNotAllowed(TrainingError):
    status_code = 403
    code = "forbidden"


def _require_quality(actor: User) -> None:
    if not is_quality(actor):
        raise TrainingNotAllowed(_("Only the quality department keeps training records."))


@transaction.atomic
def qualification_grant(
    *,
    actor: User,
    user: User,
    kind: str,
    valid_from: dt.date,
    valid_until: dt.date,
    session: TrainingSession | None = None,
) -> Qualification:
    _require_quality(actor)
    if kind not in Qualification.Kind.values:
        raise TrainingInvalid(_("Choose a qualification from the list."), field="kind")
    if valid_until < valid_from:
        raise TrainingInvalid(_("The end of validity is before its start."), field="valid_until")
    qualification = Qualification.objects.create(
        user=user,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        session=session,
        granted_by=actor,
    )
    audit_record(
        actor=actor,
        action="quality.qualification_grant",
        target=qualification,
        changes={"user": user.pk, "kind": kind, "valid_until": str(valid_until)},
    )
    return qualification


@transaction.atomic
def session_create(
    *,
    actor: User,
    topic: str,
    trainer: str,
    date: dt.date,
    kind: str = TrainingSession.Kind.TRAINING,
    department=None,
    documents=(),
    plan_item: TrainingPlanItem | None = None,
) -> TrainingSession:
    _require_quality(actor)
    topic = (topic or "").strip()
    if not topic:
        raise TrainingInvalid(_("This field is required."), field="topic")
    if kind not in TrainingSession.Kind.values:
        raise TrainingInvalid(_("Choose a kind from the list."), field="kind")
    session = TrainingSession.objects.create(
        kind=kind,
        topic=topic[:200],
        trainer=(trainer or "").strip()[:100],
        date=date,
        department=department,
        plan_item=plan_item,
        planned=plan_item is not None,
        created_by=actor,
    )
    session.documents.set(documents)
    return session


@transaction.atomic
def attendance_record(
    *, actor: User, session: TrainingSession, user: User, score=None
) -> TrainingAttendance:
    """Who attended, with their quiz score (0–100) if any; recording again replaces it."""
    _require_quality(actor)
    if score not in (None, ""):
        try:
            score = Decimal(str(score))
        except ArithmeticError as error:
            raise TrainingInvalid(_("Enter a number."), field="score") from error
        if not 0 <= score <= 100:
            raise TrainingInvalid(_("A score is from 0 to 100."), field="score")
    else:
        score = None
    attendance, _created = TrainingAttendance.objects.update_or_create(
        session=session,
        user=user,
        defaults={"score": score, "passed": None if score is None else score >= PASS_MARK},
    )
    return attendance


def ranking(session: TrainingSession) -> list[TrainingAttendance]:
    """A contest's results, best first, with their rank (ties share it)."""
    rows = list(session.attendance.select_related("user").order_by("-score", "user__username"))
    rank = 0
    previous = object()
    for position, row in enumerate(rows, start=1):
        if row.score != previous:
            rank = position
            previous = row.score
        row.rank = rank if row.score is not None else None
    return rows


def record_of(user: User) -> dict:
    """A staff member's training record: sessions with their scores, and qualifications."""
    return {
        "trainings": list(
            TrainingAttendance.objects.filter(user=user)
            .select_related("session")
            .order_by("-session__date")
        ),
        "qualifications": qualifications_with_validity(user),
    }


def sessions_for(user) -> QuerySet[TrainingSession]:
    if is_quality(user):
        return TrainingSession.objects.all()
    return TrainingSession.objects.filter(attendance__user=user).distinct()


# --- The year's training plan ----------------------------------------------------------------


class PlanStatus:
    PLANNED = "planned"
    DONE = "done"


def may_see_plan(user) -> bool:
    return is_quality(user) or bool(head_of(user))


def plan_items_for(user) -> QuerySet[TrainingPlanItem]:
    """Quality sees the whole plan; a department head their departments' entries and the
    company-wide ones; anyone else nothing."""
    scope = head_of(user)
    if scope is ALL:
        return TrainingPlanItem.objects.all()
    if not scope:
        return TrainingPlanItem.objects.none()
    return TrainingPlanItem.objects.filter(Q(department_id__in=scope) | Q(department__isnull=True))


def plan_of(user, year: int, *, today: dt.date | None = None) -> list[TrainingPlanItem]:
    """The year's plan with each entry's sessions held and its status: two queries whatever
    the numbers. An entry is done once a session held for it (dated today or before) is
    linked; planned otherwise, and late when its month has passed."""
    today = today or timezone.localdate()
    items = list(
        plan_items_for(user)
        .filter(year=year)
        .select_related("department")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=TrainingSession.objects.order_by("date", "pk"),
                to_attr="held",
            )
        )
        .order_by("month", "department__code", "pk")
    )
    for item in items:
        done = [s for s in item.held if s.date <= today]
        item.status = PlanStatus.DONE if done else PlanStatus.PLANNED
        month_end = (
            dt.date(item.year + 1, 1, 1)
            if item.month == 12
            else dt.date(item.year, item.month + 1, 1)
        )
        item.late = item.status == PlanStatus.PLANNED and month_end <= today
    return items


@transaction.atomic
def plan_item_add(
    *,
    actor: User,
    year: int,
    month: int,
    topic: str,
    kind: str = TrainingSession.Kind.TRAINING,
    department=None,
    audience: str = "",
) -> TrainingPlanItem:
    _require_quality(actor)
    topic = (topic or "").strip()
    if not topic:
        raise TrainingInvalid(_("This field is required."), field="topic")
    if not 1 <= int(month or 0) <= 12:
        raise TrainingInvalid(_("Choose a month from 1 to 12."), field="month")
    if kind not in TrainingSession.Kind.values:
        raise TrainingInvalid(_("Choose a kind from the list."), field="kind")
    item = TrainingPlanItem.objects.create(
        year=year,
        month=month,
        topic=topic[:200],
        kind=kind,
        department=department,
        audience=(audience or "").strip()[:200],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="quality.training_plan_add",
        target=item,
        changes={"year": year, "month": month, "topic": item.topic},
    )
    return item


@transaction.atomic
def session_link(*, actor: User, session: TrainingSession, plan_item) -> TrainingSession:
    """Link a session held to the plan entry it fulfils (or unlink it with None)."""
    _require_quality(actor)
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    session.plan_item = plan_item
    session.planned = plan_item is not None
    session.save(update_fields=["plan_item", "planned"])
    return session


def qualifications_with_validity(user: User, *, today: dt.date | None = None):
    today = today or timezone.localdate()
    rows = list(Qualification.objects.filter(user=user).order_by("-valid_until"))
    for row in rows:
        row.valid_now = row.valid_from <= today <= row.valid_until
    return rows

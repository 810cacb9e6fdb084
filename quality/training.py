"""Competence and training (培训): sessions (a training or a knowledge contest, 岗位知识竞赛),
attendance with each person's quiz or assessment score, qualifications with their validity
(an internal auditor must hold a valid one to be chosen for an audit: quality.audits), and
each staff member's record.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from logistics.errors import ServiceError
from logistics.models import User
from logistics.services import audit_record
from quality.documents import is_quality
from quality.models import Qualification, TrainingAttendance, TrainingSession

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
        "qualifications": list(Qualification.objects.filter(user=user).order_by("-valid_until")),
    }


def sessions_for(user) -> QuerySet[TrainingSession]:
    if is_quality(user):
        return TrainingSession.objects.all()
    return TrainingSession.objects.filter(attendance__user=user).distinct()

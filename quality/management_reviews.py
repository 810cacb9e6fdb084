"""Management review (管理评审): a meeting record whose inputs — audit results, objectives,
complaints, satisfaction, nonconformities and their actions — are gathered on one page from the
portal's own records for the period it reviews; attendees, minutes, decisions and actions are
written by the quality department. A decided action becomes a nonconformity (raised by hand in
the existing flow) or an objective (quality.objectives)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.errors import ServiceError
from logistics.models import User
from logistics.services import audit_record
from quality.documents import head_of, is_quality
from quality.models import (
    Audit,
    AuditFinding,
    Complaint,
    ManagementReview,
    Nonconformity,
    ObjectiveReview,
    SurveyAnswer,
    SurveyQuestion,
)
from quality.objectives import ANSWER_WITHIN, _bounds


class ReviewError(ServiceError):
    pass


class ReviewInvalid(ReviewError):
    status_code = 400
    code = "invalid"


def may_see(user) -> bool:
    heads = head_of(user)
    return is_quality(user) or heads is None or bool(heads)


def reviews_for(user):
    if not may_see(user):
        return ManagementReview.objects.none()
    return ManagementReview.objects.all()


def review_get(user, pk: int) -> ManagementReview:
    review = reviews_for(user).filter(pk=pk).first()
    if review is None:
        raise Http404
    return review


@transaction.atomic
def review_create(
    *,
    actor: User,
    date: dt.date,
    period_start: dt.date,
    period_end: dt.date,
    attendees: str,
    minutes: str = "",
    decisions: str = "",
    actions: str = "",
) -> ManagementReview:
    if not is_quality(actor):
        raise ReviewInvalid(_("Only the quality department records management reviews."))
    if period_end < period_start:
        raise ReviewInvalid(_("The period ends before it starts."), field="period_end")
    if not (attendees or "").strip():
        raise ReviewInvalid(_("This field is required."), field="attendees")
    review = ManagementReview.objects.create(
        date=date,
        period_start=period_start,
        period_end=period_end,
        attendees=attendees.strip(),
        minutes=(minutes or "").strip(),
        decisions=(decisions or "").strip(),
        actions=(actions or "").strip(),
        created_by=actor,
    )
    audit_record(actor=actor, action="quality.management_review", target=review, changes={})
    return review


def inputs(review: ManagementReview) -> dict:
    """Everything the meeting reviews, for its period: a fixed number of queries."""
    start, end = review.period_start, review.period_end
    since, until = _bounds(start, end)
    audits = list(
        Audit.objects.filter(planned_date__gte=start, planned_date__lte=end)
        .select_related("department", "programme")
        .annotate(
            n=Count("findings"),
            ncs=Count("findings", filter=Q(findings__kind__in=AuditFinding.NONCONFORMING)),
        )
        .order_by("planned_date")
    )
    objective_reviews = list(
        ObjectiveReview.objects.filter(period_end__gte=start, period_end__lte=end)
        .select_related("objective__department")
        .order_by("objective__department__code", "objective_id", "period_start")
    )
    complaints = list(
        Complaint.objects.filter(received_at__gte=since, received_at__lt=until)
        .values("department__name", "department__name_en")
        .annotate(n=Count("pk"), answered=Count("pk", filter=Q(first_answered_at__isnull=False)))
        .order_by("department__name")
    )
    in_time = sum(
        1
        for got, answered in Complaint.objects.filter(
            received_at__gte=since, received_at__lt=until
        ).values_list("received_at", "first_answered_at")
        if answered and answered - got <= ANSWER_WITHIN
    )
    total = sum(c["n"] for c in complaints)
    satisfaction = SurveyAnswer.objects.filter(
        Q(question__kind=SurveyQuestion.Kind.STARS)
        & ~Q(question__aspect=SurveyQuestion.Aspect.EXPECTATION),
        response__answered_on__gte=start,
        response__answered_on__lte=end,
    ).aggregate(mean=Avg("stars"), n=Count("response_id", distinct=True))
    ncs = list(
        Nonconformity.objects.filter(raised_at__gte=since, raised_at__lt=until)
        .values("source")
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=Q(status=Nonconformity.Status.CLOSED)),
        )
        .order_by("source")
    )
    sources = dict(Nonconformity.Source.choices)
    for row in ncs:
        row["label"] = sources.get(row["source"], row["source"])
    return {
        "audits": audits,
        "objective_reviews": objective_reviews,
        "objectives_met": sum(1 for r in objective_reviews if r.met is True),
        "objectives_missed": sum(1 for r in objective_reviews if r.met is False),
        "complaints": complaints,
        "complaints_total": total,
        "complaints_in_time": round(100 * in_time / total, 1) if total else None,
        "satisfaction": round(satisfaction["mean"], 2) if satisfaction["mean"] else None,
        "satisfaction_n": satisfaction["n"] or 0,
        "ncs": ncs,
        "ncs_open": Nonconformity.objects.filter(status__in=Nonconformity.OPEN_STATUSES).count(),
        "today": timezone.localdate(),
    }

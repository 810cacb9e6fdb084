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
from quality import nonconformities as ncs
from quality import objectives as goals
from quality.documents import head_of, is_quality
from quality.models import (
    Audit,
    AuditFinding,
    Complaint,
    DocumentVersion,
    ManagementReview,
    ManagementReviewAction,
    Nonconformity,
    ObjectiveReview,
    QualityObjective,
    Severity,
    SurveyAnswer,
    SurveyQuestion,
)
from quality.objectives import ANSWER_WITHIN, _bounds


class ReviewError(ServiceError):
    pass


class ReviewInvalid(ReviewError):
    status_code = 400
    code = "invalid"


class ReviewNotAllowed(ReviewError):
    status_code = 403
    code = "forbidden"


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
    # Changes that could affect the system: the controlled documents released or revised in
    # the period (the versions that took effect, with what changed).
    changes = list(
        DocumentVersion.objects.filter(
            effective_from__gte=start,
            effective_from__lte=end,
            status__in=[DocumentVersion.Status.EFFECTIVE, DocumentVersion.Status.SUPERSEDED],
        )
        .select_related("document__department")
        .order_by("effective_from", "pk")
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
        "changes": changes,
        "ncs_open": Nonconformity.objects.filter(status__in=Nonconformity.OPEN_STATUSES).count(),
        "today": timezone.localdate(),
    }


# --- Decisions and actions: each becomes a nonconformity or an objective, once ---------------


def items_of(review: ManagementReview) -> list[ManagementReviewAction]:
    """The review's decisions and actions with what they became: one query."""
    return list(
        review.items.select_related("department", "owner", "nonconformity", "objective").order_by(
            "pk"
        )
    )


def _require_quality(actor: User) -> None:
    if not is_quality(actor):
        raise ReviewNotAllowed(_("Only the quality department records management reviews."))


@transaction.atomic
def action_add(
    *,
    actor: User,
    review: ManagementReview,
    kind: str,
    text: str,
    department,
    owner: User | None = None,
    due_date: dt.date | None = None,
    target=None,
    unit: str = "%",
) -> ManagementReviewAction:
    """Record a decision or action taken in the meeting."""
    _require_quality(actor)
    if kind not in ManagementReviewAction.Kind.values:
        raise ReviewInvalid(_("Choose a kind from the list."), field="kind")
    text = (text or "").strip()
    if not text:
        raise ReviewInvalid(_("This field is required."), field="text")
    if department is None:
        raise ReviewInvalid(_("This field is required."), field="department")
    item = ManagementReviewAction.objects.create(
        review=review,
        kind=kind,
        text=text[:300],
        department=department,
        owner=owner,
        due_date=due_date,
        target=target,
        unit=(unit or "").strip()[:20],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="quality.management_review_action",
        target=item,
        changes={"review": review.pk, "kind": kind, "text": item.text},
    )
    return item


def _locked(item: ManagementReviewAction) -> ManagementReviewAction:
    """The item's row is the lock: a second click (or a concurrent one) waits, then finds the
    link made and gets the same record back."""
    return (
        ManagementReviewAction.objects.select_for_update(of=("self",))
        .select_related("review", "department", "owner")
        .get(pk=item.pk)
    )


@transaction.atomic
def action_to_nc(*, actor: User, item: ManagementReviewAction) -> Nonconformity:
    """The action enters the nonconformity flow (its department answers it with a corrective
    action, an auditor verifies it). Once: again gives the same one back."""
    _require_quality(actor)
    item = _locked(item)
    if item.nonconformity_id:
        return item.nonconformity
    review = item.review
    owner = item.owner
    if (
        owner is not None
        and not ncs.department_staff(item.department_id).filter(pk=owner.pk).exists()
    ):
        owner = None  # the owner named in the meeting is not on the department's staff
    nonconformity = ncs._create(
        actor=actor,
        source=Nonconformity.Source.REVIEW,
        department=item.department,
        campus=None,
        severity=Severity.MINOR,
        title=(
            _("Management review %(date)s: %(text)s") % {"date": review.date, "text": item.text}
        )[:200],
        description="\n\n".join(
            p
            for p in (
                item.text,
                (_("To be done by %(date)s.") % {"date": item.due_date}) if item.due_date else "",
            )
            if p
        ),
        owner=owner,
    )
    item.nonconformity = nonconformity
    item.save(update_fields=["nonconformity"])
    return nonconformity


@transaction.atomic
def action_to_objective(*, actor: User, item: ManagementReviewAction) -> QualityObjective:
    """The decision becomes a quality objective of its department (entered by hand, reviewed
    quarterly; its owner or the quality department may change the measure later). Once: again
    gives the same one back. Needs a target."""
    _require_quality(actor)
    item = _locked(item)
    if item.objective_id:
        return item.objective
    if item.target is None:
        raise ReviewInvalid(
            _("Give the decision a target before making it an objective."), field="target"
        )
    objective = goals.objective_create(
        actor=actor,
        department=item.department,
        title=item.text[:200],
        measure=QualityObjective.Measure.MANUAL,
        target=item.target,
        unit=item.unit,
        frequency=QualityObjective.Frequency.QUARTERLY,
        owner=item.owner or actor,
    )
    item.objective = objective
    item.save(update_fields=["objective"])
    audit_record(
        actor=actor,
        action="quality.management_review_objective",
        target=item,
        changes={"objective": objective.pk},
    )
    return objective

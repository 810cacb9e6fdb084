"""Quality objectives (质量目标): a department's measure of the portal's own data, its target and
how often it is reviewed. The nightly job creates each period's review with the measured value
and met / not met; an objective missed twice in a row raises a nonconformity (a corrective
action is asked for in the existing flow).

Measures (for the period, both days included):
- repairs_on_time: the share of repairs finished by their promised time
  (maintenance.selectors.repair_time_limits);
- complaints_48h: the share of the department's complaints received in the period that were
  first answered within 48 hours of being received (one not answered yet counts as late);
- satisfaction: the mean of the star answers (1–5) of the department's survey responses;
- food_samples: the share of food-safety records kept (dining.selectors.food_safety_compliance);
- manual: none; the owner writes the value in the review.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.errors import ServiceError
from logistics.models import User
from quality import nonconformities as ncs
from quality.documents import head_of, is_quality
from quality.models import (
    Complaint,
    Nonconformity,
    ObjectiveReview,
    QualityObjective,
    Severity,
    SurveyAnswer,
    SurveyQuestion,
)

Measure = QualityObjective.Measure
Frequency = QualityObjective.Frequency
ANSWER_WITHIN = dt.timedelta(hours=48)
MISSED_IN_A_ROW = 2


class ObjectiveError(ServiceError):
    pass


class ObjectiveInvalid(ObjectiveError):
    status_code = 400
    code = "invalid"


class ObjectiveNotAllowed(ObjectiveError):
    status_code = 403
    code = "forbidden"


# --- Periods -----------------------------------------------------------------------------------


def period_of(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of that frequency containing the day: (first day, last day)."""
    if frequency == Frequency.YEARLY:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    first_month = day.month if frequency == Frequency.MONTHLY else 3 * ((day.month - 1) // 3) + 1
    months = 1 if frequency == Frequency.MONTHLY else 3
    start = dt.date(day.year, first_month, 1)
    next_month = first_month + months
    next_start = (
        dt.date(day.year + 1, next_month - 12, 1)
        if next_month > 12
        else dt.date(day.year, next_month, 1)
    )
    return start, next_start - dt.timedelta(days=1)


def last_completed_period(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The latest period that has ended by the end of `day`."""
    start, end = period_of(frequency, day)
    if end == day:
        return start, end
    return period_of(frequency, start - dt.timedelta(days=1))


# --- Measures ----------------------------------------------------------------------------------


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )


def _two(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def complaints_answered_within(department_id: int, start: dt.date, end: dt.date):
    since, until = _bounds(start, end)
    rows = list(
        Complaint.objects.filter(
            department_id=department_id, received_at__gte=since, received_at__lt=until
        ).values_list("received_at", "first_answered_at")
    )
    if not rows:
        return None, 0
    on_time = sum(1 for got, answered in rows if answered and answered - got <= ANSWER_WITHIN)
    return 100 * Decimal(on_time) / len(rows), len(rows)


def satisfaction_mean(department_id: int, start: dt.date, end: dt.date):
    row = SurveyAnswer.objects.filter(
        Q(question__kind=SurveyQuestion.Kind.STARS)
        & ~Q(question__aspect=SurveyQuestion.Aspect.EXPECTATION),
        response__department_id=department_id,
        response__answered_on__gte=start,
        response__answered_on__lte=end,
    ).aggregate(mean=Avg("stars"), n=Count("response_id", distinct=True))
    return row["mean"], row["n"] or 0


def measure(objective: QualityObjective, start: dt.date, end: dt.date):
    """(value rounded to two decimals or None when nothing was measured, records measured)."""
    if objective.measure == Measure.REPAIRS_ON_TIME:
        from maintenance.selectors import repair_time_limits

        found = repair_time_limits(start, end)
        return _two(found["score"]), found["n"]
    if objective.measure == Measure.FOOD_SAMPLES:
        from dining.selectors import food_safety_compliance

        found = food_safety_compliance(start, end)
        return _two(found["score"]), found["n"]
    if objective.measure == Measure.COMPLAINTS_48H:
        value, n = complaints_answered_within(objective.department_id, start, end)
        return _two(value), n
    if objective.measure == Measure.SATISFACTION:
        value, n = satisfaction_mean(objective.department_id, start, end)
        return _two(value), n
    return None, 0


def is_met(objective: QualityObjective, value: Decimal | None) -> bool | None:
    if value is None:
        return None
    return value >= objective.target if objective.at_least else value <= objective.target


# --- Reviews -----------------------------------------------------------------------------------


def review_create(
    objective: QualityObjective, start: dt.date, end: dt.date
) -> ObjectiveReview | None:
    """The period's review, measured now; None if it exists already (safe to run twice, and
    twice at the same time: the unique constraint decides). A second miss in a row raises a
    nonconformity for the department."""
    value, n = measure(objective, start, end)
    try:
        with transaction.atomic():
            review = ObjectiveReview.objects.create(
                objective=objective,
                period_start=start,
                period_end=end,
                measured=value,
                sample=n,
                met=is_met(objective, value),
            )
    except IntegrityError:
        return None
    if review.met is False:
        _corrective_action_if_missed_again(objective, review)
    return review


def _corrective_action_if_missed_again(objective, review) -> None:
    recent = list(
        ObjectiveReview.objects.filter(objective=objective, period_start__lte=review.period_start)
        .order_by("-period_start")
        .values_list("met", "nonconformity_id")[:MISSED_IN_A_ROW]
    )
    if len(recent) < MISSED_IN_A_ROW or any(met is not False for met, _nc in recent):
        return
    if any(nc for _met, nc in recent):
        return  # the run of misses already has its corrective action
    with transaction.atomic():
        nonconformity = ncs._create(
            actor=objective.owner,
            source=Nonconformity.Source.OBJECTIVE,
            department=objective.department,
            campus=None,
            severity=Severity.MINOR,
            title=(_("Quality objective missed twice: %(title)s") % {"title": objective.title})[
                :200
            ],
            description=_(
                "Target %(target)s %(unit)s; measured %(value)s %(unit)s for %(start)s – %(end)s, "
                "the second period in a row. Find the cause and a corrective action."
            )
            % {
                "target": objective.target,
                "unit": objective.unit,
                "value": review.measured,
                "start": review.period_start,
                "end": review.period_end,
            },
        )
        ObjectiveReview.objects.filter(pk=review.pk).update(nonconformity=nonconformity)
        review.nonconformity = nonconformity


def reviews_due(today: dt.date) -> int:
    """For every active objective, the review of its latest period ended by `today`, once.
    Returns how many reviews were created."""
    made = 0
    for objective in QualityObjective.objects.filter(active=True).select_related(
        "department", "owner"
    ):
        start, end = last_completed_period(objective.frequency, today)
        if objective.created_at and timezone.localtime(objective.created_at).date() > end:
            continue  # the objective did not exist yet in that period
        if review_create(objective, start, end) is not None:
            made += 1
    return made


@transaction.atomic
def review_comment(*, actor: User, review: ObjectiveReview, comment: str, value=None):
    objective = review.objective
    if not (is_quality(actor) or objective.owner_id == actor.pk or _heads(actor, objective)):
        raise ObjectiveNotAllowed(_("Only the objective's owner comments on its reviews."))
    review = ObjectiveReview.objects.select_for_update().get(pk=review.pk)
    review.comment = (comment or "").strip()[:2000]
    fields = ["comment"]
    if objective.measure == Measure.MANUAL and value not in (None, ""):
        try:
            review.measured = _two(Decimal(str(value)))
        except ArithmeticError as error:
            raise ObjectiveInvalid(_("Enter a number."), field="value") from error
        review.met = is_met(objective, review.measured)
        fields += ["measured", "met"]
    review.save(update_fields=fields)
    return review


def _heads(user, objective) -> bool:
    heads = head_of(user)
    return heads is ALL or objective.department_id in heads


# --- Reads -----------------------------------------------------------------------------------


def objectives_for(user) -> QuerySet[QualityObjective]:
    if not user.is_authenticated or not user.is_active:
        return QualityObjective.objects.none()
    queryset = QualityObjective.objects.select_related("department", "owner")
    scope = head_of(user)
    if scope is ALL:
        return queryset
    return queryset.filter(department_id__in=scope)


def objectives_page(user, *, reviews: int = 12) -> list[QualityObjective]:
    """Active objectives with their latest reviews: two queries whatever the numbers."""
    objectives = list(
        objectives_for(user)
        .filter(active=True)
        .select_related("review_action__review")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=ObjectiveReview.objects.order_by("-period_start"),
                to_attr="recent_reviews",
            )
        )
    )
    for objective in objectives:
        objective.recent_reviews = objective.recent_reviews[:reviews]
        objective.latest = objective.recent_reviews[0] if objective.recent_reviews else None
    return objectives


def objective_get(user, pk: int) -> QualityObjective:
    objective = objectives_for(user).filter(pk=pk).first()
    if objective is None:
        raise Http404
    return objective


@transaction.atomic
def objective_create(
    *,
    actor: User,
    department,
    title: str,
    measure: str,
    target,
    unit: str,
    frequency: str,
    owner: User,
    at_least: bool = True,
    title_en: str = "",
) -> QualityObjective:
    if not _heads(actor, type("O", (), {"department_id": department.pk})()):
        raise ObjectiveNotAllowed(
            _("Only the quality department and the department's head set its objectives.")
        )
    if measure not in Measure.values:
        raise ObjectiveInvalid(_("Choose a measure from the list."), field="measure")
    if frequency not in Frequency.values:
        raise ObjectiveInvalid(_("Choose a frequency from the list."), field="frequency")
    title = (title or "").strip()
    if not title:
        raise ObjectiveInvalid(_("This field is required."), field="title")
    try:
        target = Decimal(str(target))
    except ArithmeticError as error:
        raise ObjectiveInvalid(_("Enter a number."), field="target") from error
    return QualityObjective.objects.create(
        department=department,
        title=title[:200],
        title_en=(title_en or "").strip()[:200],
        measure=measure,
        target=target,
        at_least=at_least,
        unit=(unit or "").strip()[:20],
        frequency=frequency,
        owner=owner,
    )

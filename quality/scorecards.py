"""Department scorecards (部门考核) per month and per semester: a weighted score from
components, each 0–100 with the number of records behind it:

- `inspections`: the mean score of the department's sealed inspection records submitted in
  the period;
- `complaints`: the share of the complaints received in the period that were answered by
  their due time (an unanswered one counts as late);
- `nonconformities`: the share of the nonconformities raised in the period that were not
  overdue (closed by their due date, or still within it at the period's end or today);
- `surveys`: the mean satisfaction (stars, and perceptions of the semester survey) of the
  responses about the department answered in the period, from 1 star = 0 to 5 stars = 100;
  none below SURVEY_MIN_RESPONSES responses;
- `repair_time_limits`: for a department serving maintenance, the share of repairs finished
  in the period within their promised time (maintenance.selectors);
- `food_safety`: for a department serving dining (the dining center) only, the food-safety
  compliance the dining app reports (dining.selectors).

A component without records has score None and does not count; the score is the weighted mean
of the others (None if none). The weights are the quality department's (ScorecardWeights,
latest) and are copied into each scorecard. Computing is repeatable; a published scorecard is
frozen (the database refuses to change it, migration 0006) and is left alone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.errors import ServiceError
from logistics.models import Department
from quality.models import (
    Complaint,
    Inspection,
    Nonconformity,
    Scorecard,
    ScorecardWeights,
    SurveyAnswer,
    SurveyQuestion,
)
from quality.selectors import head_departments, is_auditor

COMPONENTS = (
    "inspections",
    "complaints",
    "nonconformities",
    "surveys",
    "repair_time_limits",
    "food_safety",
)
DEFAULT_WEIGHTS = {
    "inspections": 30,
    "complaints": 15,
    "nonconformities": 15,
    "surveys": 25,
    "repair_time_limits": 15,
    "food_safety": 15,
}
MAINTENANCE_AREA = "maintenance_utilities"
DINING_AREA = "dining"


class ScorecardError(ServiceError):
    pass


class ScorecardInvalid(ScorecardError):
    status_code = 400
    code = "invalid"


# --- Periods -----------------------------------------------------------------------------------


def month_period(day: dt.date) -> tuple[str, dt.date, dt.date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return f"{day.year:04d}-{day.month:02d}", day.replace(day=1), day.replace(day=last)


def parse_period(text: str) -> tuple[str, dt.date, dt.date]:
    """ "YYYY-MM" (a month) or "YYYY-S1" (February to July) / "YYYY-S2" (August to January)."""
    text = (text or "").strip()
    try:
        year, rest = text.split("-", 1)
        year = int(year)
        if rest in ("S1", "S2"):
            if rest == "S1":
                return text, dt.date(year, 2, 1), dt.date(year, 7, 31)
            return text, dt.date(year, 8, 1), dt.date(year + 1, 1, 31)
        if len(year_text := f"{year:04d}") == 4 and len(rest) == 2:
            return month_period(dt.date(int(year_text), int(rest), 1))
    except (ValueError, TypeError):
        pass
    raise ScorecardInvalid(
        _("A period is a month such as 2026-11, or a semester such as 2026-S2."), field="period"
    )


# --- Weights -----------------------------------------------------------------------------------


def current_weights() -> dict[str, float]:
    latest = ScorecardWeights.objects.order_by("-set_at", "-id").first()
    weights = dict(DEFAULT_WEIGHTS)
    if latest is not None:
        weights.update(latest.weights)
    return weights


def weights_set(*, actor, weights: dict) -> ScorecardWeights:
    """The quality department (auditors) sets the weights of the next computations."""
    if not is_auditor(actor):
        raise ScorecardError(_("Only the quality department sets the weights."))
    cleaned = {}
    for name in COMPONENTS:
        value = weights.get(name, DEFAULT_WEIGHTS[name])
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ScorecardInvalid(_("A weight is a number."), field=name) from None
        if not 0 <= value <= 100:
            raise ScorecardInvalid(_("A weight is from 0 to 100."), field=name)
        cleaned[name] = value
    if not any(cleaned.values()):
        raise ScorecardInvalid(_("At least one weight must be above 0."))
    return ScorecardWeights.objects.create(weights=cleaned, set_by=actor)


# --- Computing ---------------------------------------------------------------------------------


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )


def _pct(part, whole) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def components_for(departments: list[Department], start: dt.date, end: dt.date) -> dict:
    """{department id: {component: {"score", "n"}}} for the period, a fixed number of queries
    whatever the number of departments and records."""
    since, until = _bounds(start, end)
    ids = [d.pk for d in departments]
    result = {pk: {} for pk in ids}

    inspections = {
        row["department_id"]: row
        for row in Inspection.objects.filter(
            department_id__in=ids,
            status=Inspection.Status.SEALED,
            submitted_at__gte=since,
            submitted_at__lt=until,
        )
        .values("department_id")
        .annotate(mean=Avg("score"), n=Count("pk"))
    }
    complaints = {
        row["department_id"]: row
        for row in Complaint.objects.filter(
            department_id__in=ids, received_at__gte=since, received_at__lt=until
        )
        .values("department_id")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(first_answered_at__lte=F("respond_by"))),
        )
    }
    ncs: dict[int, list[int]] = {}
    # An open one is late once its due date has passed (by the period's end, or today).
    cutoff = min(end, timezone.localdate())
    for department_id, due, closed_at in Nonconformity.objects.filter(
        department_id__in=ids, raised_at__gte=since, raised_at__lt=until
    ).values_list("department_id", "due_date", "closed_at"):
        if closed_at is not None:
            late = due is not None and timezone.localtime(closed_at).date() > due
        else:
            late = due is not None and due < cutoff
        counts = ncs.setdefault(department_id, [0, 0])
        counts[0] += 1
        counts[1] += 0 if late else 1
    satisfaction = Q(question__kind=SurveyQuestion.Kind.STARS) & ~Q(
        question__aspect=SurveyQuestion.Aspect.EXPECTATION
    )
    surveys = {
        row["response__department_id"]: row
        for row in SurveyAnswer.objects.filter(
            satisfaction,
            response__department_id__in=ids,
            response__answered_on__gte=start,
            response__answered_on__lte=end,
        )
        .values("response__department_id")
        .annotate(mean=Avg("stars"), n=Count("response_id", distinct=True))
    }
    area_codes: dict[int, set[str]] = {}
    for department_id, code in Department.service_areas.through.objects.filter(
        department_id__in=ids
    ).values_list("department_id", "servicearea__code"):
        area_codes.setdefault(department_id, set()).add(code)
    repairs = dining = None
    if any(MAINTENANCE_AREA in codes for codes in area_codes.values()):
        from maintenance.selectors import repair_time_limits

        repairs = repair_time_limits(start, end)
    if any(DINING_AREA in codes for codes in area_codes.values()):
        from dining.selectors import food_safety_compliance

        dining = food_safety_compliance(start, end)

    minimum = settings.SURVEY_MIN_RESPONSES
    for pk in ids:
        row = inspections.get(pk)
        result[pk]["inspections"] = {
            "score": round(float(row["mean"]), 2) if row and row["mean"] is not None else None,
            "n": row["n"] if row else 0,
        }
        row = complaints.get(pk)
        result[pk]["complaints"] = {
            "score": _pct(row["on_time"], row["n"]) if row else None,
            "n": row["n"] if row else 0,
        }
        n, kept = ncs.get(pk, (0, 0))
        result[pk]["nonconformities"] = {"score": _pct(kept, n), "n": n}
        row = surveys.get(pk)
        n = row["n"] if row else 0
        result[pk]["surveys"] = {
            "score": round((float(row["mean"]) - 1) * 25, 2) if n >= minimum else None,
            "n": n,
        }
        codes = area_codes.get(pk, set())
        result[pk]["repair_time_limits"] = (
            dict(repairs) if MAINTENANCE_AREA in codes else {"score": None, "n": 0}
        )
        if DINING_AREA in codes:
            result[pk]["food_safety"] = {"score": dining["score"], "n": dining["n"]}
    return result


def weighted(components: dict, weights: dict) -> Decimal | None:
    """The weighted mean of the components that have a score."""
    total = Decimal(0)
    weight_sum = Decimal(0)
    for name, component in components.items():
        weight = Decimal(str(weights.get(name, 0)))
        if component["score"] is None or weight <= 0:
            continue
        total += weight * Decimal(str(component["score"]))
        weight_sum += weight
    if not weight_sum:
        return None
    return (total / weight_sum).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute(period: str, start: dt.date, end: dt.date) -> int:
    """(Re)compute every department's scorecard for the period with the current weights;
    published scorecards are frozen and left alone. Returns how many were written."""
    weights = current_weights()
    departments = list(Department.objects.order_by("code"))
    computed = components_for(departments, start, end)
    now = timezone.now()
    written = 0
    with transaction.atomic():
        existing = {
            card.department_id: card
            for card in Scorecard.objects.select_for_update().filter(period=period)
        }
        new, changed = [], []
        for department in departments:
            components = {
                name: {**value, "weight": weights.get(name, 0)}
                for name, value in computed[department.pk].items()
            }
            score = weighted(components, weights)
            card = existing.get(department.pk)
            if card is None:
                new.append(
                    Scorecard(
                        department=department,
                        period=period,
                        start=start,
                        end=end,
                        score=score,
                        components=components,
                        weights=weights,
                        computed_at=now,
                    )
                )
            elif card.status == Scorecard.Status.DRAFT:
                card.score, card.components, card.weights = score, components, weights
                card.computed_at = now
                changed.append(card)
        Scorecard.objects.bulk_create(new, ignore_conflicts=True)
        Scorecard.objects.bulk_update(changed, ["score", "components", "weights", "computed_at"])
        written = len(new) + len(changed)
    return written


def compute_month(day: dt.date) -> int:
    """The nightly recomputation: the scorecards of the month of `day`."""
    return compute(*month_period(day))


def publish(*, actor, period: str) -> int:
    """Publish (freeze) the period's computed scorecards: auditors only."""
    if not is_auditor(actor):
        raise ScorecardError(_("Only the quality department publishes scorecards."))
    count = Scorecard.objects.filter(period=period, status=Scorecard.Status.DRAFT).update(
        status=Scorecard.Status.PUBLISHED, published_at=timezone.now(), published_by=actor
    )
    cache.delete(AWARDS_CACHE_KEY)
    return count


AWARDS_CACHE_KEY = "quality:awards"


def published_awards() -> list[dict]:
    """The awards of the latest published period with any: [{"period", "department",
    "department_en", "award"}]; cached until the next publication."""

    def read():
        latest = (
            Scorecard.objects.filter(status=Scorecard.Status.PUBLISHED)
            .exclude(award="")
            .order_by("-end", "-period")
            .values_list("period", flat=True)
            .first()
        )
        if latest is None:
            return []
        return [
            {"period": period, "department": name, "department_en": name_en, "award": award}
            for period, name, name_en, award in Scorecard.objects.filter(
                period=latest, status=Scorecard.Status.PUBLISHED
            )
            .exclude(award="")
            .order_by("-score")
            .values_list("period", "department__name", "department__name_en", "award")
        ]

    return cache.get_or_set(AWARDS_CACHE_KEY, read, 600)


def award(*, actor, scorecard: Scorecard, text: str) -> None:
    """Mark a computed scorecard's department the best team of the period (before
    publishing)."""
    if not is_auditor(actor):
        raise ScorecardError(_("Only the quality department gives awards."))
    with transaction.atomic():
        current = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        if current.status != Scorecard.Status.DRAFT:
            raise ScorecardError(_("A published scorecard is frozen."))
        Scorecard.objects.filter(pk=scorecard.pk).update(award=text.strip()[:200])


# --- Reads -------------------------------------------------------------------------------------


def departments_visible(user) -> set[int] | None:
    """ALL for auditors and the leadership (heads of every department, administrators), the
    departments a head heads, else nothing."""
    if is_auditor(user):
        return ALL
    return head_departments(user)


def scorecards_for(user, period: str) -> list[Scorecard]:
    """The period's scorecards the user may see, best first. Computed on the fly (not saved)
    when the period has none yet."""
    scope = departments_visible(user)
    name, start, end = parse_period(period)
    cards = Scorecard.objects.filter(period=name).select_related("department")
    if scope is not ALL:
        cards = cards.filter(department_id__in=scope)
    cards = list(cards)
    if not cards and not Scorecard.objects.filter(period=name).exists():
        departments = list(Department.objects.order_by("code"))
        if scope is not ALL:
            departments = [d for d in departments if d.pk in scope]
        weights = current_weights()
        computed = components_for(departments, start, end)
        for department in departments:
            components = {
                k: {**v, "weight": weights.get(k, 0)} for k, v in computed[department.pk].items()
            }
            cards.append(
                Scorecard(
                    department=department,
                    period=name,
                    start=start,
                    end=end,
                    score=weighted(components, weights),
                    components=components,
                    weights=weights,
                    computed_at=timezone.now(),
                )
            )
    cards.sort(key=lambda c: (c.score is None, -(c.score or 0), c.department.code))
    return cards


def as_json(card: Scorecard) -> dict:
    return {
        "department": card.department_id,
        "period": card.period,
        "score": float(card.score) if card.score is not None else None,
        "components": {
            name: {"score": c["score"], "weight": c["weight"], "n": c["n"]}
            for name, c in card.components.items()
        },
    }


# --- A technician's own card (计票制: the basis of their assessment) ---------------------------


def technician_card(user_id: int, period: str) -> dict:
    """A technician's card for a period: jobs finished, time limits kept (percent), the
    reporters' mean rating and rework (maintenance.selectors.technician_card), and the
    follow-up surveys' mean satisfaction about them (withheld below SURVEY_MIN_RESPONSES)."""
    from maintenance.points import labour_yuan
    from maintenance.selectors import technician_card as jobs_card

    name, start, end = parse_period(period)
    jobs = jobs_card(user_id, start, end)
    survey = SurveyAnswer.objects.filter(
        response__technician_id=user_id,
        response__answered_on__gte=start,
        response__answered_on__lte=end,
        question__kind=SurveyQuestion.Kind.STARS,
    ).aggregate(mean=Avg("stars"), n=Count("response_id", distinct=True))
    n = survey["n"] or 0
    return {
        "period": name,
        "jobs": jobs["jobs"],
        "kept": _pct(jobs["kept"], jobs["jobs"]),
        "rating": (
            round(float(jobs["rating_mean"]), 2) if jobs["rating_mean"] is not None else None
        ),
        "rated": jobs["rated"],
        "rework": jobs["rework"],
        "labour_minutes": jobs["labour"] or 0,
        "labour_points": jobs["points"] or Decimal("0"),
        "labour_yuan": labour_yuan(jobs["points"]),
        "survey_mean": (
            round(float(survey["mean"]), 2)
            if n >= settings.SURVEY_MIN_RESPONSES and survey["mean"] is not None
            else None
        ),
        "survey_n": n,
    }

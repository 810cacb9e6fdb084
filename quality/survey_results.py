"""Survey results: per survey, and within it per service area, department, building and
technician, over a span of days. A fixed number of queries whatever the number of answers.

- response rate: invitations answered / invitations sent (by the day they were sent);
- mean per question and per SERVQUAL dimension, each with its number of answers;
- SERVQUAL gap (perception − expectation) per dimension: each response's mean perception
  minus its mean expectation over the dimension's items, then the mean and the standard
  deviation (spread) of those across responses;
- free-text answers for the department to read; the trend by month.

Anonymity: a figure resting on fewer than SURVEY_MIN_RESPONSES responses is withheld (shown
as "too few"), and so are the free-text answers of such a selection.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth

from logistics.access import ALL
from quality.models import Servqual, SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyResponse


@dataclass
class Figure:
    mean: float | None
    n: int

    @property
    def too_few(self) -> bool:
        return self.n < settings.SURVEY_MIN_RESPONSES

    @property
    def shown(self) -> float | None:
        return None if self.too_few or self.mean is None else round(self.mean, 2)


@dataclass
class Gap:
    dimension: str
    label: str
    mean: float | None
    spread: float | None
    n: int

    @property
    def too_few(self) -> bool:
        return self.n < settings.SURVEY_MIN_RESPONSES


@dataclass
class Results:
    invited: int
    answered: int
    responses: int
    questions: list = field(default_factory=list)  # (question, Figure, choice counts)
    dimensions: list = field(default_factory=list)  # (key, label, Figure)
    gaps: list[Gap] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    months: list = field(default_factory=list)  # (month, Figure)

    @property
    def rate(self) -> float | None:
        return round(100 * self.answered / self.invited, 1) if self.invited else None

    @property
    def too_few(self) -> bool:
        return self.responses < settings.SURVEY_MIN_RESPONSES


def results(
    version_ids,
    *,
    departments=ALL,
    department_id: int | None = None,
    area_id: int | None = None,
    building_id: int | None = None,
    technician_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Results:
    """The results of the responses to the versions `version_ids` (a survey's versions) within
    `departments` (ALL, or the ids a head may see), narrowed by the other filters."""
    where = Q(version_id__in=version_ids)
    if departments is not ALL:
        where &= Q(department_id__in=departments)
    for name, value in (
        ("department_id", department_id),
        ("area_id", area_id),
        ("building_id", building_id),
        ("technician_id", technician_id),
    ):
        if value is not None:
            where &= Q(**{name: value})
    responses = SurveyResponse.objects.filter(where)
    invitations = SurveyInvitation.objects.filter(where)
    if start:
        responses = responses.filter(answered_on__gte=start)
        invitations = invitations.filter(invited_on__gte=start)
    if end:
        responses = responses.filter(answered_on__lte=end)
        invitations = invitations.filter(invited_on__lte=end)

    counts = invitations.aggregate(
        invited=Count("pk"), answered=Count("pk", filter=Q(status="answered"))
    )
    out = Results(
        invited=counts["invited"], answered=counts["answered"], responses=responses.count()
    )
    answers = SurveyAnswer.objects.filter(response__in=responses)

    questions = list(
        SurveyQuestion.objects.filter(version_id__in=version_ids).order_by(
            "version__number", "position", "id"
        )
    )
    stars = {
        row["question_id"]: row
        for row in answers.filter(stars__isnull=False)
        .values("question_id")
        .annotate(mean=Avg("stars"), n=Count("pk"))
    }
    choices: dict[int, dict[str, int]] = {}
    for question_id, choice, n in (
        answers.exclude(choice="").values_list("question_id", "choice").annotate(n=Count("pk"))
    ):
        choices.setdefault(question_id, {})[choice] = n
    seen = set()
    for question in questions:
        # Versions of one survey share their keys: one line per key, the latest wording.
        if question.key in seen:
            continue
        seen.add(question.key)
        same = [q.pk for q in questions if q.key == question.key]
        n = sum(stars[pk]["n"] for pk in same if pk in stars)
        total = sum(float(stars[pk]["mean"]) * stars[pk]["n"] for pk in same if pk in stars)
        chosen: dict[str, int] = {}
        for pk in same:
            for key, count in choices.get(pk, {}).items():
                chosen[key] = chosen.get(key, 0) + count
        if question.kind == SurveyQuestion.Kind.CHOICE:
            n = sum(chosen.values())
        out.questions.append((question, Figure(total / n if n and total else None, n), chosen))

    # Per dimension: satisfaction and perception answers (not expectations).
    by_dimension = {
        row["question__dimension"]: row
        for row in answers.filter(stars__isnull=False)
        .exclude(question__dimension="")
        .exclude(question__aspect=SurveyQuestion.Aspect.EXPECTATION)
        .values("question__dimension")
        .annotate(mean=Avg("stars"), n=Count("response_id", distinct=True))
    }
    for key, label in Servqual.choices:
        row = by_dimension.get(key)
        if row:
            out.dimensions.append((key, label, Figure(float(row["mean"]), row["n"])))

    # SERVQUAL gaps: per response and dimension, mean perception − mean expectation.
    sums: dict[tuple[int, str], list[float]] = {}
    for response_id, dimension, aspect, value in answers.filter(
        stars__isnull=False,
        question__aspect__in=[
            SurveyQuestion.Aspect.EXPECTATION,
            SurveyQuestion.Aspect.PERCEPTION,
        ],
    ).values_list("response_id", "question__dimension", "question__aspect", "stars"):
        cell = sums.setdefault((response_id, dimension), [0, 0, 0, 0])
        if aspect == SurveyQuestion.Aspect.PERCEPTION:
            cell[0] += value
            cell[1] += 1
        else:
            cell[2] += value
            cell[3] += 1
    gaps: dict[str, list[float]] = {}
    for (_response, dimension), (p, pn, e, en) in sums.items():
        if pn and en:
            gaps.setdefault(dimension, []).append(p / pn - e / en)
    for key, label in Servqual.choices:
        values = gaps.get(key)
        if values:
            out.gaps.append(
                Gap(
                    key,
                    label,
                    round(statistics.fmean(values), 2),
                    round(statistics.pstdev(values), 2),
                    len(values),
                )
            )

    if not out.too_few:
        out.texts = list(
            answers.exclude(text="")
            .order_by("-response__answered_on", "text")
            .values_list("text", flat=True)[:200]
        )
    for row in (
        answers.filter(stars__isnull=False)
        .exclude(question__aspect=SurveyQuestion.Aspect.EXPECTATION)
        .annotate(month=TruncMonth("response__answered_on"))
        .values("month")
        .annotate(mean=Avg("stars"), n=Count("response_id", distinct=True))
        .order_by("month")
    ):
        out.months.append((row["month"], Figure(float(row["mean"]), row["n"])))
    return out

"""The demo university's satisfaction surveys: a semester of answered repair follow-ups, a
semester SERVQUAL survey answered by a building's residents, an open invitation in the demo
student's inbox, and the department scorecards of the last three months (the two earlier
published, with an award). Loading it twice changes nothing (it looks for its own mark)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from logistics.demo import demo_seeder
from logistics.models import Department, User
from quality.notifications import SURVEY_REPAIR

MARK = "demo:"
COMMENTS = [
    "师傅来得很及时，态度很好。",
    "修好了，但是约好的时间晚到了半小时。",
    "希望维修后能把地面清理干净。",
    "Quick and friendly, thank you!",
    "第二次才修好，希望一次解决。",
]


def _months_back(today: dt.date, n: int) -> dt.date:
    year, month = today.year, today.month - n
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1)


@demo_seeder(order=55)
def seed_surveys(log):
    from apartments.demo import DEMO_STUDENT_ID
    from quality import scorecards, surveys
    from quality.models import (
        SurveyAnswer,
        SurveyInvitation,
        SurveyResponse,
        SurveyWindow,
    )
    from quality.survey_reference import survey_templates_ensure

    if SurveyInvitation.objects.filter(service__startswith=MARK).exists():
        log("surveys: already loaded")
        return
    survey_templates_ensure()
    auditor = User.objects.filter(username="auditor").first()
    maintenance = Department.objects.filter(code="maintenance").first()
    apartments = Department.objects.filter(code="apartments").first()
    student = User.objects.filter(username=DEMO_STUDENT_ID).first()
    people = list(User.objects.filter(role_grants__role="student").order_by("pk").distinct()[:200])
    if maintenance is None or not people:
        log("surveys: no demo departments or residents, skipped")
        return
    rng = random.Random(2026)  # noqa: S311 - made-up demo answers, not secrets
    today = timezone.localdate()
    repair = surveys.published_version("repair")
    semester = surveys.published_version("semester")
    questions = {q.key: q for q in repair.questions.all()}
    with transaction.atomic():
        # A semester of answered follow-ups: about 15 a month for six months.
        invitations, answers = [], []
        n = 0
        for month_back in range(6, -1, -1):
            first = _months_back(today, month_back)
            for _ in range(15):
                day = min(first + dt.timedelta(days=rng.randrange(28)), today)
                person = people[n % len(people)]
                n += 1
                answered = rng.random() < 0.7
                invitations.append(
                    SurveyInvitation(
                        token=surveys.new_token(),
                        version=repair,
                        user=person,
                        service=f"{MARK}repair:{n}",
                        about=f"维修 #D{n}",
                        about_en=f"Repair #D{n}",
                        department=maintenance,
                        area=repair.template.area,
                        invited_on=day,
                        expires_on=day + dt.timedelta(days=14),
                        status="answered" if answered else "expired",
                    )
                )
                if not answered:
                    continue
                response = SurveyResponse.objects.create(
                    version=repair,
                    answered_on=day,
                    department=maintenance,
                    area=repair.template.area,
                )
                base = 3 + (month_back < 3) + (rng.random() < 0.5)
                for key in ("on_time", "fixed", "courtesy"):
                    answers.append(
                        SurveyAnswer(
                            response=response,
                            question=questions[key],
                            stars=max(1, min(5, base + rng.choice([-1, 0, 0, 1]))),
                        )
                    )
                answers.append(
                    SurveyAnswer(
                        response=response,
                        question=questions["tidy"],
                        choice=rng.choice(["yes", "yes", "partly", "no"]),
                    )
                )
                if rng.random() < 0.3:
                    answers.append(
                        SurveyAnswer(
                            response=response,
                            question=questions["comment"],
                            text=rng.choice(COMMENTS),
                        )
                    )
        SurveyInvitation.objects.bulk_create(invitations)
        # The last semester's SERVQUAL survey, closed, answered by 40 residents.
        start = _months_back(today, 2)
        window = SurveyWindow.objects.create(
            version=semester,
            title="学期服务质量调查",
            title_en="Semester service quality survey",
            start=start,
            end=start + dt.timedelta(days=20),
            department=apartments,
            created_by=auditor,
        )
        semester_questions = list(semester.questions.all())
        for i in range(40):
            response = SurveyResponse.objects.create(
                version=semester,
                window=window,
                answered_on=start + dt.timedelta(days=i % 20),
                department=apartments,
            )
            for question in semester_questions:
                if question.kind != "stars":
                    continue
                expected = rng.choice([4, 5, 5])
                shortfall = {"responsiveness": 1, "empathy": 1}.get(question.dimension, 0)
                value = expected if question.aspect == "expectation" else expected - shortfall
                value += rng.choice([-1, 0, 0])
                answers.append(
                    SurveyAnswer(response=response, question=question, stars=max(1, min(5, value)))
                )
        SurveyAnswer.objects.bulk_create(answers)
        # An open follow-up in the demo student's inbox.
        if student is not None:
            surveys.invite(
                [
                    SurveyInvitation(
                        token=surveys.new_token(),
                        version=repair,
                        user=student,
                        service=f"{MARK}repair:student",
                        about="维修 #D0",
                        about_en="Repair #D0",
                        department=maintenance,
                        area=repair.template.area,
                        invited_on=today,
                        expires_on=today + dt.timedelta(days=14),
                    )
                ],
                SURVEY_REPAIR,
                lambda inv: {"number": "D0"},
            )
    # The scorecards of the last three months; the two earlier published, with an award.
    for back in (2, 1, 0):
        period, first, last = scorecards.month_period(_months_back(today, back))
        scorecards.compute(period, first, last)
        if back and auditor is not None:
            from quality.models import Scorecard

            best = (
                Scorecard.objects.filter(period=period, score__isnull=False)
                .order_by("-score")
                .first()
            )
            if best is not None:
                scorecards.award(actor=auditor, scorecard=best, text="优质服务示范岗")
            scorecards.publish(actor=auditor, period=period)
    log(
        f"surveys: {len(invitations)} follow-ups, a semester survey of 40, "
        "three months of scorecards"
    )

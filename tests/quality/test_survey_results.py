"""Survey results: means with their counts, SERVQUAL gaps with their spread, withholding
below the minimum, the pages' scope and their query counts, the Excel export."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logistics.models import Role
from quality.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from quality.survey_results import results
from quality.surveys import published_version
from tests import factories as f
from tests.quality.survey_data import departments

pytestmark = pytest.mark.django_db


def semester_response(department, expectation: int, perception: int, comment=""):
    version = published_version("semester")
    made = SurveyResponse.objects.create(
        version=version, answered_on=timezone.localdate(), department=department
    )
    rows = []
    for question in version.questions.all():
        if question.aspect == "expectation":
            rows.append(SurveyAnswer(response=made, question=question, stars=expectation))
        elif question.aspect == "perception":
            rows.append(SurveyAnswer(response=made, question=question, stars=perception))
        elif comment:
            rows.append(SurveyAnswer(response=made, question=question, text=comment))
    SurveyAnswer.objects.bulk_create(rows)
    return made


def test_gap_is_perception_minus_expectation_with_its_spread(settings):
    settings.SURVEY_MIN_RESPONSES = 2
    maintenance, _apartments = departments()
    semester_response(maintenance, expectation=5, perception=3, comment="热水不稳定")
    semester_response(maintenance, expectation=4, perception=4)
    version = published_version("semester")

    out = results([version.pk])

    gaps = {gap.dimension: gap for gap in out.gaps}
    # response 1: 3 − 5 = −2; response 2: 4 − 4 = 0 → mean −1, spread (population SD) 1
    assert (gaps["tangibles"].mean, gaps["tangibles"].spread, gaps["tangibles"].n) == (-1, 1, 2)
    assert set(gaps) == {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    dimensions = {key: figure for key, _label, figure in out.dimensions}
    assert dimensions["empathy"].shown == 3.5  # perceptions only: (3 + 4) / 2
    assert dimensions["empathy"].n == 2
    figures = {q.key: figure for q, figure, _chosen in out.questions}
    assert (figures["p01"].shown, figures["p01"].n) == (3.5, 2)
    assert (figures["e01"].shown, figures["e01"].n) == (4.5, 2)
    assert out.texts == ["热水不稳定"]
    assert out.months[0][1].n == 2


def test_results_from_too_few_answers_are_withheld(settings):
    settings.SURVEY_MIN_RESPONSES = 3
    maintenance, _apartments = departments()
    semester_response(maintenance, 5, 3, comment="只有两个人回答")
    semester_response(maintenance, 4, 4)

    out = results([published_version("semester").pk])

    assert out.too_few
    assert all(gap.too_few for gap in out.gaps)
    assert all(figure.shown is None for _q, figure, _c in out.questions)
    assert out.texts == []


def test_the_response_rate_counts_invitations_answered():
    maintenance, _ = departments()
    version = published_version("repair")
    user = f.user_with_role(Role.STUDENT, username="s1")
    for i, status in enumerate(["answered", "open", "open", "expired"]):
        SurveyInvitation.objects.create(
            token=f"t{i}",
            version=version,
            user=user,
            service=f"x:{i}",
            about="a",
            invited_on=timezone.localdate(),
            expires_on=timezone.localdate(),
            status=status,
            department=maintenance,
        )
    assert results([version.pk]).rate == 25.0


def test_the_results_page_is_scoped_and_its_queries_do_not_grow(settings, client):
    settings.SURVEY_MIN_RESPONSES = 1
    maintenance, apartments = departments()
    auditor = f.user_with_role(Role.AUDITOR, username="aud")
    head = f.user_with_role(Role.DEPARTMENT_HEAD, department=apartments, username="head")
    semester_response(maintenance, 5, 2, comment="维修中心的意见")
    semester_response(apartments, 5, 4, comment="公寓中心的意见")

    client.force_login(auditor)
    client.get("/quality/surveys/")  # (the first page of a session fills its caches)
    with CaptureQueriesContext(connection) as few:
        page = client.get("/quality/surveys/semester/")
    assert page.status_code == 200
    assert "维修中心的意见" in page.content.decode()
    for _ in range(5):
        semester_response(maintenance, 3, 3, comment="更多")
    with CaptureQueriesContext(connection) as many:
        client.get("/quality/surveys/semester/")
    assert len(many) == len(few) <= 16

    # A head sees their department's answers only
    client.force_login(head)
    text = client.get("/quality/surveys/semester/").content.decode()
    assert "公寓中心的意见" in text and "维修中心的意见" not in text
    export = client.get("/quality/surveys/semester/results.xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    # Others: as if the page did not exist
    client.force_login(f.user_with_role(Role.STUDENT, username="s2"))
    assert client.get("/quality/surveys/semester/").status_code == 404
    assert client.get("/quality/surveys/").status_code == 404

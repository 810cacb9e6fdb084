"""Survey templates as shipped, answering with a token (the API and the page), and the
anonymity of the answers."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from logistics.models import Role
from quality.models import (
    SurveyAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
    SurveyResponse,
    SurveyTemplate,
)
from quality.surveys import published_version
from tests import factories as f
from tests.quality.survey_data import REPAIR_ANSWERS, invitation

pytestmark = pytest.mark.django_db


def api(user=None, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def student():
    return f.user_with_role(Role.STUDENT, username="2025000001", full_name="王伟", email="w@x.cn")


# --- Templates ---------------------------------------------------------------------------------


def test_the_shipped_surveys_are_published_in_both_languages_with_their_dimensions():
    repair = list(published_version("repair").questions.all())
    assert 4 <= len(repair) <= 5
    assert {q.kind for q in repair} == {"stars", "choice", "text"}
    assert all(q.text and q.text_en for q in repair)
    assert all(q.dimension for q in repair if q.kind != "text")
    assert published_version("move_out").questions.count() >= 3

    semester = list(published_version("semester").questions.all())
    expectations = [q for q in semester if q.aspect == "expectation"]
    perceptions = [q for q in semester if q.aspect == "perception"]
    # the 22 SERVQUAL items, each asked as an expectation and a perception
    assert [q.item for q in expectations] == list(range(1, 23))
    assert [q.item for q in perceptions] == list(range(1, 23))
    assert [q.dimension for q in expectations] == [q.dimension for q in perceptions]
    counts = {
        d: sum(q.dimension == d for q in perceptions) for d in {q.dimension for q in perceptions}
    }
    assert counts == {
        "tangibles": 4,
        "reliability": 5,
        "responsiveness": 4,
        "assurance": 4,
        "empathy": 5,
    }
    assert SurveyTemplate.objects.get(code="repair").area.code == "maintenance_utilities"


# --- The API -----------------------------------------------------------------------------------


def test_mine_lists_the_callers_open_invitations_only(student):
    mine = invitation(student)
    invitation(student, status=SurveyInvitation.Status.ANSWERED)
    invitation(f.user_with_role(Role.STUDENT, username="2025000002"))

    body = api(student).get("/api/v1/surveys/mine/").json()

    assert [row["token"] for row in body] == [mine.token]
    assert body[0]["about"] == "Repair #1"
    assert body[0]["survey"] == "Repair follow-up"
    assert body[0]["expires_at"].startswith((mine.expires_on + dt.timedelta(days=1)).isoformat())
    assert api().get("/api/v1/surveys/mine/").status_code == 401


def test_a_token_opens_its_survey_without_login(student):
    token = invitation(student).token

    response = api(language="zh-hans").get(f"/api/v1/surveys/answer/{token}/")

    assert response.status_code == 200
    body = response.json()
    assert body["survey"] == "维修回访"
    keys = [q["key"] for q in body["questions"]]
    assert keys == ["on_time", "fixed", "courtesy", "tidy", "comment"]
    tidy = body["questions"][3]
    assert tidy["kind"] == "choice" and {c["key"] for c in tidy["choices"]} == {
        "yes",
        "partly",
        "no",
    }
    assert body["questions"][0] == {
        "key": "on_time",
        "text": "维修人员是否按约定时间上门？",
        "kind": "stars",
        "required": True,
        "dimension": "reliability",
    }


def test_answering_once_201_again_409_unknown_404_expired_410(student):
    token = invitation(student).token
    url = f"/api/v1/surveys/answer/{token}/"

    assert api().post(url, {"answers": REPAIR_ANSWERS}, format="json").status_code == 201
    again = api().post(url, {"answers": REPAIR_ANSWERS}, format="json")
    assert again.status_code == 409
    assert SurveyResponse.objects.count() == 1
    stars = dict(
        SurveyAnswer.objects.filter(question__kind="stars").values_list("question__key", "stars")
    )
    assert stars == {"on_time": 5, "fixed": 4, "courtesy": 5}
    assert SurveyInvitation.objects.get(token=token).status == "answered"

    assert (
        api().post("/api/v1/surveys/answer/nope/", {"answers": {}}, format="json").status_code
        == 404
    )
    assert api().get("/api/v1/surveys/answer/nope/").status_code == 404

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    old = invitation(student, day=yesterday - dt.timedelta(days=14), expires=yesterday)
    expired = api().post(
        f"/api/v1/surveys/answer/{old.token}/", {"answers": REPAIR_ANSWERS}, format="json"
    )
    assert expired.status_code == 410
    assert api().get(f"/api/v1/surveys/answer/{old.token}/").status_code == 410
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(
    "answers, field",
    [
        ({"fixed": 4, "courtesy": 5}, "on_time"),  # a required answer missing
        ({**REPAIR_ANSWERS, "on_time": 0}, "on_time"),
        ({**REPAIR_ANSWERS, "fixed": 6}, "fixed"),
        ({**REPAIR_ANSWERS, "fixed": True}, "fixed"),
        ({**REPAIR_ANSWERS, "tidy": "maybe"}, "tidy"),
        ({**REPAIR_ANSWERS, "bogus": 1}, "answers"),
    ],
)
def test_bad_answers_are_refused_with_400_and_nothing_is_kept(student, answers, field):
    token = invitation(student).token

    response = api().post(f"/api/v1/surveys/answer/{token}/", {"answers": answers}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get(token=token).status == "open"


def test_a_body_without_answers_is_400(student):
    token = invitation(student).token
    response = api().post(f"/api/v1/surveys/answer/{token}/", {"answers": [1]}, format="json")
    assert response.status_code == 400


# --- The page ----------------------------------------------------------------------------------


def test_the_page_answers_with_csrf_and_without_login(student):
    token = invitation(student).token
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")

    page = browser.get(f"/s/{token}/")
    assert page.status_code == 200
    assert "维修人员是否按约定时间上门？" in page.content.decode()
    # Without the form's CSRF token: refused, nothing kept.
    assert browser.post(f"/s/{token}/", {"q_on_time": "5"}).status_code == 403
    csrf = page.cookies["csrftoken"].value
    form = {
        "csrfmiddlewaretoken": csrf,
        "q_on_time": "5",
        "q_fixed": "3",
        "q_courtesy": "4",
        "q_tidy": "partly",
        "q_comment": "师傅很耐心",
    }
    incomplete = browser.post(f"/s/{token}/", {**form, "q_fixed": ""})
    assert incomplete.status_code == 400
    assert "故障是否一次修好？" in incomplete.content.decode()
    assert not SurveyResponse.objects.exists()

    done = browser.post(f"/s/{token}/", form)
    assert done.status_code == 200
    assert 'data-state="thanks"' in done.content.decode()
    assert SurveyAnswer.objects.get(question__key="comment").text == "师傅很耐心"
    # The link again: already answered.
    assert 'data-state="answered"' in browser.get(f"/s/{token}/").content.decode()
    assert browser.get("/s/unknown-token/").status_code == 404


def test_the_page_is_in_english_too(student):
    token = invitation(student).token
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/s/{token}/")
    assert "Did the technician come when promised?" in page.content.decode()


def test_declining_marks_the_invitation_and_keeps_the_person_out_of_this_survey(student):
    inv = invitation(student)
    response = Client().post(f"/s/{inv.token}/decline/")
    assert response.status_code == 200
    inv.refresh_from_db()
    assert inv.status == "opted_out"
    assert SurveyOptOut.objects.filter(user=student, template__code="repair").exists()
    answer = api().post(
        f"/api/v1/surveys/answer/{inv.token}/", {"answers": REPAIR_ANSWERS}, format="json"
    )
    assert answer.status_code == 409


# --- Anonymity ---------------------------------------------------------------------------------


def test_from_the_database_alone_no_answer_can_be_joined_to_its_person(student):
    # Given an answered invitation
    inv = invitation(student, building_id=7, technician_id=3)
    api().post(f"/api/v1/surveys/answer/{inv.token}/", {"answers": REPAIR_ANSWERS}, format="json")

    # Then the response's and answers' tables have no column that points to a person or an
    # invitation, and no time finer than the day
    with connection.cursor() as cursor:
        for model in (SurveyResponse, SurveyAnswer):
            description = connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
            columns = {c.name for c in description}
            assert not columns & {"user_id", "invitation_id", "token", "service", "person_id"}
            relations = connection.introspection.get_relations(cursor, model._meta.db_table)
            targets = {table for _column, table in relations.values()}
            assert targets <= {
                "quality_surveyversion",
                "quality_surveywindow",
                "logistics_department",
                "logistics_servicearea",
                "quality_surveyresponse",
                "quality_surveyquestion",
            }
    for model in (SurveyResponse, SurveyAnswer):
        kinds = {type(field).__name__ for field in model._meta.concrete_fields}
        assert "DateTimeField" not in kinds
    # And the invitation keeps only "answered": no time of answering to match
    invitation_fields = {
        field.name
        for field in SurveyInvitation._meta.concrete_fields
        if type(field).__name__ == "DateTimeField"
    }
    assert invitation_fields == set()
    inv.refresh_from_db()
    assert inv.status == "answered"
    response = SurveyResponse.objects.get()
    # what the response keeps is where it counts, and the day
    assert (response.building_id, response.technician_id) == (7, 3)
    assert response.answered_on == timezone.localdate()
    assert SurveyQuestion.objects.filter(answers__response=response).count() == 5


def test_mine_costs_the_same_queries_for_one_invitation_or_many(student):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invitation(student)
    client = api(student)
    client.get("/api/v1/surveys/mine/")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/surveys/mine/").json()) == 1
    for _ in range(5):
        invitation(student)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/surveys/mine/").json()) == 6
    assert len(one) == len(many) <= 4

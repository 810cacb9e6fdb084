"""Department scorecards: hand-computed values for two departments, the weights kept with
each card, publishing freezes (the database refuses a change), the API's shape and scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from logistics.models import Role
from quality import scorecards
from quality.models import (
    Complaint,
    ComplaintCategory,
    Nonconformity,
    Scorecard,
    SurveyAnswer,
    SurveyResponse,
)
from quality.surveys import published_version
from tests import factories as f
from tests.conftest import is_postgres
from tests.quality.data import published_checklist, sealed_inspection

pytestmark = pytest.mark.django_db

WEIGHTS = {
    "inspections": 40,
    "complaints": 10,
    "nonconformities": 10,
    "surveys": 20,
    "repair_time_limits": 20,
    "food_safety": 0,
}


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def response(department, stars: list[int]):
    version = published_version("repair")
    keys = ["on_time", "fixed", "courtesy"]
    made = SurveyResponse.objects.create(
        version=version, answered_on=timezone.localdate(), department=department
    )
    questions = {q.key: q for q in version.questions.all()}
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(response=made, question=questions[key], stars=value)
            for key, value in zip(keys, stars, strict=False)
        ]
    )


@pytest.fixture
def scene(settings):
    settings.SURVEY_MIN_RESPONSES = 2
    now = timezone.now()
    today = timezone.localdate()
    auditor = f.user_with_role(Role.AUDITOR, username="aud")
    apartments = f.DepartmentFactory(code="apartments", name="公寓中心", areas=["apartments"])
    maintenance = f.DepartmentFactory(
        code="maintenance", name="维修中心", areas=["maintenance_utilities"]
    )
    dining = f.DepartmentFactory(code="dining", name="饮食中心", areas=["dining"])
    scorecards.weights_set(actor=auditor, weights=WEIGHTS)

    # Apartment center. Inspections: 80.00 (2·0.8 + 1 + 1·0.6 of 4) and 100.00 → 90.
    version = published_checklist("apartments", by=auditor)
    sealed_inspection(version, department=apartments, auditor=auditor, results=[8, "pass", 6])
    sealed_inspection(version, department=apartments, auditor=auditor)
    # Complaints: one answered in time, one not answered → 50.
    category = ComplaintCategory.objects.create(code="apt", name="公寓", department=apartments)
    for answered in (now, None):
        Complaint.objects.create(
            channel="hotline",
            category=category,
            department=apartments,
            subject="热水",
            text="没有热水",
            received_at=now,
            respond_by=now + dt.timedelta(hours=48),
            first_answered_at=answered,
        )
    # Nonconformities: one still within its due date, one past it → 50.
    for due in (today + dt.timedelta(days=3), today - dt.timedelta(days=1)):
        Nonconformity.objects.create(
            source="manual",
            severity="minor",
            title="杂物",
            description="楼道杂物",
            department=apartments,
            raised_by=auditor,
            due_date=due,
        )
    # Surveys: answers 5, 4 and 3 in two responses → mean 4 → (4 − 1) × 25 = 75.
    response(apartments, [5, 4])
    response(apartments, [3])
    # (an expectation answer would not count; none here)

    # Maintenance center. Inspection: 2·0.6 + 0 + 1·1 of 4 → 55.00.
    sealed_inspection(version, department=maintenance, auditor=auditor, results=[6, "fail", 10])
    # One survey response only: below the minimum of 2 → no score, n 1.
    response(maintenance, [1, 1, 1])
    # Repairs finished today: two within their time limit, one late → 66.67.
    campus = f.CampusFactory()
    room = f.RoomFactory(building=f.BuildingFactory(campus=campus))
    for late in (False, False, True):
        f.ticket(
            room=room,
            status="closed",
            finished_at=now,
            complete_by=now + dt.timedelta(hours=-1 if late else 1),
            respond_by=now - dt.timedelta(hours=2),
        )
    return {
        "auditor": auditor,
        "apartments": apartments,
        "maintenance": maintenance,
        "dining": dining,
        "period": scorecards.month_period(today)[0],
    }


def test_two_departments_scored_by_hand(scene):
    name, start, end = scorecards.parse_period(scene["period"])
    scorecards.compute(name, start, end)
    cards = {c.department.code: c for c in Scorecard.objects.select_related("department")}

    apartments = cards["apartments"]
    assert {k: (v["score"], v["n"]) for k, v in apartments.components.items()} == {
        "inspections": (90.0, 2),
        "complaints": (50.0, 2),
        "nonconformities": (50.0, 2),
        "surveys": (75.0, 2),
        "repair_time_limits": (None, 0),
    }
    # (40·90 + 10·50 + 10·50 + 20·75) / (40 + 10 + 10 + 20) = 6100 / 80
    assert apartments.score == Decimal("76.25")

    maintenance = cards["maintenance"]
    assert {k: (v["score"], v["n"]) for k, v in maintenance.components.items()} == {
        "inspections": (55.0, 1),
        "complaints": (None, 0),
        "nonconformities": (None, 0),
        "surveys": (None, 1),
        "repair_time_limits": (66.67, 3),
    }
    # (40·55 + 20·66.67) / (40 + 20) = 3533.4 / 60
    assert maintenance.score == Decimal("58.89")
    # the weights used are kept with the card, and with each component
    assert apartments.weights == {k: float(v) for k, v in WEIGHTS.items()}
    assert apartments.components["inspections"]["weight"] == 40.0
    # only the dining center has food safety (no dining records in this scene)
    assert cards["dining"].components["food_safety"] == {"score": None, "n": 0, "weight": 0.0}
    assert cards["dining"].score is None


def test_a_published_scorecard_is_frozen(scene):
    name, start, end = scorecards.parse_period(scene["period"])
    scorecards.compute(name, start, end)
    assert scorecards.publish(actor=scene["auditor"], period=name) == 3
    card = Scorecard.objects.get(department=scene["apartments"])

    # New weights and a recomputation leave it as published
    scorecards.weights_set(actor=scene["auditor"], weights={**WEIGHTS, "inspections": 100})
    scorecards.compute(name, start, end)
    card.refresh_from_db()
    assert card.score == Decimal("76.25")
    # and on PostgreSQL the database refuses a change or a deletion behind the services' back
    if is_postgres():
        with pytest.raises(IntegrityError), transaction.atomic():
            Scorecard.objects.filter(pk=card.pk).update(score=100)
        with pytest.raises(IntegrityError), transaction.atomic():
            Scorecard.objects.filter(pk=card.pk).delete()
    card.refresh_from_db()
    assert card.score == Decimal("76.25")


def test_the_api_gives_the_ranking_to_auditors_and_a_head_their_own(scene):
    period = scene["period"]
    body = api(scene["auditor"]).get(f"/api/v1/scorecards/?period={period}").json()

    assert [row["department"] for row in body] == [
        scene["apartments"].pk,
        scene["maintenance"].pk,
        scene["dining"].pk,
    ]
    first = body[0]
    assert first["period"] == period and first["score"] == 76.25
    assert first["components"]["inspections"] == {"score": 90.0, "weight": 40.0, "n": 2}
    assert set(body[2]["components"]) == {
        "inspections",
        "complaints",
        "nonconformities",
        "surveys",
        "repair_time_limits",
        "food_safety",
    }

    head = f.user_with_role(Role.DEPARTMENT_HEAD, department=scene["maintenance"], username="h")
    mine = api(head).get(f"/api/v1/scorecards/?period={period}").json()
    assert [row["department"] for row in mine] == [scene["maintenance"].pk]

    student = f.user_with_role(Role.STUDENT, username="student-x")
    assert api(student).get(f"/api/v1/scorecards/?period={period}").status_code == 403
    bad = api(scene["auditor"]).get("/api/v1/scorecards/?period=2026-13")
    assert bad.status_code == 400 and "period" in bad.json()["errors"]


def test_the_scorecard_pages_pin_their_queries(scene, client, django_assert_max_num_queries):
    name, start, end = scorecards.parse_period(scene["period"])
    scorecards.compute(name, start, end)
    client.force_login(scene["auditor"])
    with django_assert_max_num_queries(12):
        page = client.get(f"/quality/scorecards/?period={name}")
    assert page.status_code == 200
    assert "76.25" in page.content.decode()
    card = Scorecard.objects.get(department=scene["apartments"])
    assert client.get(f"/quality/scorecards/{card.pk}/").status_code == 200
    student = f.user_with_role(Role.STUDENT, username="student-x")
    client.force_login(student)
    assert client.get("/quality/scorecards/").status_code == 404
    assert client.get(f"/quality/scorecards/{card.pk}/").status_code == 404


def test_an_award_of_a_published_month_is_shown_in_everyones_hall(scene, client):
    name, start, end = scorecards.parse_period(scene["period"])
    scorecards.compute(name, start, end)
    card = Scorecard.objects.get(department=scene["apartments"])
    scorecards.award(actor=scene["auditor"], scorecard=card, text="优质服务示范岗")
    student = f.user_with_role(Role.STUDENT, username="student-y")
    client.force_login(student)
    assert "优质服务示范岗" not in client.get("/").content.decode()  # not yet published

    scorecards.publish(actor=scene["auditor"], period=name)

    home = client.get("/").content.decode()
    assert 'data-testid="awards-panel"' in home
    assert "公寓中心 — 优质服务示范岗" in home
    with pytest.raises(scorecards.ScorecardError):
        scorecards.award(actor=scene["auditor"], scorecard=card, text="改")


def test_a_technicians_own_card(settings, client):
    settings.SURVEY_MIN_RESPONSES = 2
    from tests.quality.survey_data import closed_ticket, world

    w = world(residents=3)
    tech = w["technician"]
    now = timezone.now()
    a, b, c = w["residents"]
    early = now - dt.timedelta(hours=2)
    closed_ticket(
        a,
        tech,
        finished_at=now,
        complete_by=now + dt.timedelta(hours=1),
        rating=5,
        respond_by=early,
    )
    closed_ticket(
        b,
        tech,
        finished_at=now,
        complete_by=now - dt.timedelta(hours=1),
        rating=3,
        respond_by=early,
    )
    closed_ticket(
        c,
        tech,
        finished_at=now,
        complete_by=now + dt.timedelta(hours=1),
        reopened_count=1,
        respond_by=early,
    )
    version = published_version("repair")
    question = version.questions.get(key="on_time")
    for stars in (4, 5):
        made = SurveyResponse.objects.create(
            version=version, answered_on=timezone.localdate(), technician_id=tech.pk
        )
        SurveyAnswer.objects.create(response=made, question=question, stars=stars)

    card = scorecards.technician_card(tech.pk, scorecards.month_period(timezone.localdate())[0])

    assert (card["jobs"], card["kept"], card["rating"], card["rated"], card["rework"]) == (
        3,
        66.67,
        4.0,
        2,
        1,
    )
    assert (card["survey_mean"], card["survey_n"]) == (4.5, 2)
    client.force_login(tech)
    page = client.get("/quality/technicians/me/")
    assert page.status_code == 200 and "66.67%" in page.content.decode()
    client.force_login(w["residents"][0].user)
    assert client.get(f"/quality/technicians/{tech.pk}/").status_code == 404
    assert client.get("/quality/technicians/me/").status_code == 404
    client.force_login(w["head"])  # the maintenance center's head
    assert client.get(f"/quality/technicians/{tech.pk}/").status_code == 200


def test_the_scorecards_api_costs_the_same_queries_for_more_departments(scene):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    name, start, end = scorecards.parse_period(scene["period"])
    scorecards.compute(name, start, end)
    client = api(scene["auditor"])
    client.get(f"/api/v1/scorecards/?period={name}")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"/api/v1/scorecards/?period={name}").json()) == 3
    for i in range(4):
        f.DepartmentFactory(code=f"extra{i}")
    scorecards.compute(name, start, end)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"/api/v1/scorecards/?period={name}").json()) == 7
    assert len(few) == len(many) <= 4


def test_the_dining_centers_food_safety_comes_from_the_dining_records():
    """The dining center's food_safety component is dining.selectors.food_safety_compliance
    over the month: here today's lunch of three dishes with two samples, two workers with one
    morning check, two fridges with three of their four readings: 6 of 9 records → 66.7."""
    from dining import safety
    from tests.dining.data import dining_world

    world = dining_world()
    auditor = f.user_with_role(Role.AUDITOR, username="aud")
    dining = f.DepartmentFactory(code="dining", name="饮食中心", areas=["dining"])
    scorecards.weights_set(actor=auditor, weights={**WEIGHTS, "food_safety": 50})
    cook, day = world["staff_a"], timezone.localdate()
    for dish in (world["kungpao"], world["tomato"]):
        safety.sample_record(
            actor=cook, canteen=world["A"], date=day, meal="lunch", dish=dish, grams=150
        )
    safety.morning_check_record(actor=cook, worker=world["worker1"], date=day)
    for fridge, slot, celsius in (
        (world["fridge"], "morning", "4"),
        (world["fridge"], "afternoon", "5"),
        (world["freezer"], "morning", "-20"),
    ):
        safety.temperature_record(
            actor=cook, fridge=fridge, date=day, slot=slot, celsius=Decimal(celsius)
        )

    name, start, end = scorecards.parse_period(day.strftime("%Y-%m"))
    scorecards.compute(name, start, end)
    card = Scorecard.objects.get(department=dining, period=name)
    assert card.components["food_safety"] == {"score": 66.7, "n": 9, "weight": 50.0}
    # the only component with a score: the card's score is it
    assert card.score == Decimal("66.70")

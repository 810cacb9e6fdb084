"""The zero-report API (CONTRACT.md "Dorm safety"): POST by the building's staff, 201 / 409 /
404 / 400, and the list scoped to who asks, paginated, with a pinned query count."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apartments import safety
from apartments.models import ZeroReport
from logistics.models import Alert
from tests.apartments.safety_data import inhabited, safety_world, staff_of, yesterday

pytestmark = pytest.mark.django_db

URL = "/api/v1/zero-reports/"


@pytest.fixture
def world():
    return safety_world()


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(at, **fields):
    return {
        "building": at.pk,
        "date": yesterday().isoformat(),
        "nothing_to_report": True,
        "note": "",
    } | fields


def test_the_manager_files_and_gets_201_with_the_report(world):
    response = api_for(world["manager"]).post(URL, body(world["S01"]), format="json")

    assert response.status_code == 201
    report = ZeroReport.objects.get()
    data = response.json()
    assert data["id"] == report.pk
    assert data["building"] == world["S01"].pk and data["building_code"] == "S01"
    assert data["campus"] == world["songbei"].pk
    assert data["date"] == yesterday().isoformat()
    assert data["nothing_to_report"] is True
    assert data["late_returns"] == 0 and data["hazards_found"] == 0
    assert data["filed_by"] == world["manager"].username


def test_a_second_report_answers_409(world):
    api_for(world["manager"]).post(URL, body(world["S01"]), format="json")
    response = api_for(world["shift_lead"]).post(
        URL, body(world["S01"], nothing_to_report=False, note="补报"), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_filed"
    assert response.json()["detail"]
    assert ZeroReport.objects.count() == 1


@pytest.mark.parametrize("who", ["other_manager", "head", "auditor", "technician", "student"])
def test_a_building_the_caller_does_not_work_in_answers_404(world, who):
    user = world[who].user if who == "student" else world[who]
    response = api_for(user).post(URL, body(world["S01"]), format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "building_not_found"
    assert not ZeroReport.objects.exists()


def test_an_unknown_building_answers_404_like_someone_elses(world):
    response = api_for(world["manager"]).post(
        URL, body(world["S01"], building=world["J01"].pk + 1000), format="json"
    )
    assert response.status_code == 404


def test_a_night_still_to_come_answers_400(world):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api_for(world["manager"]).post(URL, body(world["S01"], date=tomorrow), format="json")
    assert response.status_code == 400
    assert "date" in response.json()["errors"]
    assert not ZeroReport.objects.exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"nothing_to_report": False, "note": ""}, "note"),
        ({"note": "x" * (safety.NOTE_MAX_LENGTH + 1)}, "note"),
        ({"date": "2026-13-01"}, "date"),
        ({"nothing_to_report": "perhaps"}, "nothing_to_report"),
        ({"building": "S01"}, "building"),
        # values of another JSON type are refused, not coerced (logistics.api.strict)
        ({"nothing_to_report": False, "note": 0}, "note"),
        ({"nothing_to_report": 1}, "nothing_to_report"),
        ({"nothing_to_report": "true"}, "nothing_to_report"),
    ],
)
def test_bad_input_answers_400_naming_the_field(world, fields, field):
    response = api_for(world["manager"]).post(URL, body(world["S01"], **fields), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_filing_closes_the_missing_report_alert(world):
    safety.missing_reports_raise(yesterday())
    alert = Alert.objects.get(kind="zero_report_missing", subject_id=world["S01"].pk)

    api_for(world["shift_lead"]).post(URL, body(world["S01"]), format="json")

    alert.refresh_from_db()
    assert alert.resolved_at is not None


def _file_everywhere(world, day):
    for who, code in [("manager", "S01"), ("other_manager", "S02"), ("admin", "J01")]:
        safety.zero_report_file(
            actor=world[who], building=world[code], date=day, nothing_to_report=True
        )


@pytest.mark.parametrize(
    "who, expected",
    [
        ("manager", {"S01"}),
        ("shift_lead", {"S01"}),
        ("other_manager", {"S02"}),
        ("head", {"S01", "S02"}),  # the head of the apartments on Songbei
        ("auditor", {"J01"}),  # an auditor of Jiangnan
        ("admin", {"S01", "S02", "J01"}),
        ("student", set()),
        ("technician", set()),
    ],
)
def test_the_list_shows_what_the_caller_may_see(world, who, expected):
    _file_everywhere(world, yesterday())
    user = world[who].user if who == "student" else world[who]
    response = api_for(user).get(URL)
    assert response.status_code == 200
    assert {row["building_code"] for row in response.json()["results"]} == expected


def test_the_list_filters_by_date_strictly(world):
    _file_everywhere(world, yesterday())
    _file_everywhere(world, yesterday() - dt.timedelta(days=1))
    api = api_for(world["admin"])

    response = api.get(URL, {"date": yesterday().isoformat()})
    assert response.json()["count"] == 3
    assert {row["date"] for row in response.json()["results"]} == {yesterday().isoformat()}
    assert api.get(URL).json()["count"] == 6
    assert api.get(URL, {"date": ""}).status_code == 400
    assert api.get(URL, {"date": "yesterday"}).status_code == 400
    assert api.get(URL + "?date=2026-01-01&date=2026-01-02").status_code == 400


def test_anonymous_callers_are_refused(world):
    assert APIClient().get(URL).status_code in (401, 403)
    assert APIClient().post(URL, body(world["S01"]), format="json").status_code in (401, 403)


@pytest.mark.parametrize("extra", [0, 12])
def test_the_list_query_count_does_not_grow(world, extra, django_assert_num_queries):
    for n in range(extra):
        building, _ = inhabited(world["songbei"], f"X{n:02d}")
        safety.zero_report_file(
            actor=world["admin"], building=building, date=yesterday(), nothing_to_report=True
        )
    _file_everywhere(world, yesterday())
    head = world["head"]
    staff_of(world["S01"])  # an assignment that is not the head's changes nothing
    token = Token.objects.create(user=head)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    # the token with its user and their role grants, the areas of the head's department;
    # count, page (reports with their building and filer)
    with django_assert_num_queries(4):
        response = api.get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 2 + extra

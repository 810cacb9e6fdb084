"""Late returns (晚归): the desk records a resident by student id, the night's count goes into
the zero report, repeated late returns in the term stand out, a resident sees their own; the
pages and the API scoped like the zero reports."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apartments import late_returns, safety
from apartments.models import LateReturn, ZeroReport
from logistics.models import Role
from tests.apartments.safety_data import inhabited, safety_world, yesterday
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role
from tests.threads import race

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/api/v1/late-returns/"


@pytest.fixture
def world():
    return safety_world()


def user(world, who):
    return world[who].user if who == "student" else world[who]


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    naive = dt.datetime.combine(day, dt.time(hours, minutes))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def record(world, student=None, *, when=None, actor=None, reason=""):
    student = student or world["student"]
    return late_returns.late_return_record(
        actor=actor or world["manager"],
        student_id=student.student_id,
        returned_at=when or at(yesterday(), "23:40"),
        reason=reason,
    )


# --- the night and the term ---


@pytest.mark.parametrize(
    "clock, night_offset",
    [("23:40", 0), ("00:40", -1), ("05:59", -1), ("06:00", 0), ("22:00", 0)],
)
def test_a_return_after_midnight_belongs_to_the_night_before(clock, night_offset):
    day = dt.date(2026, 3, 5)
    assert late_returns.night_of(at(day, clock)) == day + dt.timedelta(days=night_offset)


def test_the_night_ends_when_the_setting_says(settings):
    settings.SAFETY_NIGHT_ENDS = "03:00"
    day = dt.date(2026, 3, 5)
    assert late_returns.night_of(at(day, "02:59")) == dt.date(2026, 3, 4)
    assert late_returns.night_of(at(day, "03:30")) == day


@pytest.mark.parametrize(
    "day, start",
    [
        (dt.date(2026, 3, 5), dt.date(2026, 2, 15)),
        (dt.date(2026, 9, 1), dt.date(2026, 9, 1)),
        (dt.date(2026, 12, 31), dt.date(2026, 9, 1)),
        (dt.date(2027, 1, 10), dt.date(2026, 9, 1)),
        (dt.date(2026, 2, 14), dt.date(2025, 9, 1)),
    ],
)
def test_the_term_starts_on_the_latest_term_day(day, start):
    assert late_returns.term_start(day) == start


# --- recording ---


def test_the_desk_records_a_late_return_in_the_residents_building(world):
    given = record(world, reason="图书馆自习")

    assert given.resident == world["student"] and given.building == world["S01"]
    assert given.night == yesterday() and given.reason == "图书馆自习"
    assert given.recorded_by == world["manager"]


def test_a_second_record_of_the_same_night_is_refused(world):
    record(world)
    with pytest.raises(late_returns.AlreadyRecorded):
        record(world, when=at(yesterday(), "23:55"))
    assert LateReturn.objects.count() == 1


@pytest.mark.parametrize(
    "student_id, error",
    [
        ("", late_returns.LateReturnInvalid),
        ("   ", late_returns.LateReturnInvalid),
        ("NOBODY", late_returns.UnknownStudent),
    ],
)
def test_bad_student_ids_are_refused(world, student_id, error):
    with pytest.raises(error):
        late_returns.late_return_record(actor=world["manager"], student_id=student_id)
    assert not LateReturn.objects.exists()


def test_a_resident_of_another_building_is_refused(world):
    other = ResidentFactory(campus=world["songbei"])
    _, (neighbour,) = inhabited(world["songbei"], "S09")
    with pytest.raises(late_returns.LivesElsewhere):
        record(world, neighbour)
    with pytest.raises(late_returns.LivesElsewhere):
        record(world, other)  # lives nowhere
    with pytest.raises(late_returns.LivesElsewhere, match="S02"):
        late_returns.late_return_record(
            actor=world["admin"], student_id=world["student"].student_id, building=world["S02"]
        )


def test_a_return_still_to_come_and_a_long_reason_are_refused(world):
    with pytest.raises(late_returns.LateReturnInvalid):
        record(world, when=timezone.now() + dt.timedelta(hours=2))
    with pytest.raises(late_returns.LateReturnInvalid):
        record(world, reason="x" * 201)


@pytest.mark.parametrize("who", ["other_manager", "head", "auditor", "technician", "student"])
def test_only_the_buildings_staff_record(world, who):
    with pytest.raises(late_returns.LateReturnError):
        record(world, actor=user(world, who))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_desks_at_once_record_once():
    world = safety_world()

    def tap(_):
        try:
            return record(world).pk
        except late_returns.AlreadyRecorded:
            return None

    results = race(2, tap)
    assert sum(1 for r in results if r) == 1
    assert LateReturn.objects.count() == 1


# --- the zero report counts them ---


def test_filing_the_zero_report_stores_the_nights_count(world):
    record(world)
    s08, (second,) = inhabited(world["songbei"], "S08")
    BuildingAssignmentFactory(user=world["manager"], building=s08)
    record(world, second)  # another building: not counted for S01
    report = safety.zero_report_file(
        actor=world["manager"], building=world["S01"], date=yesterday(), nothing_to_report=True
    )
    assert report.late_returns == 1
    other = safety.zero_report_file(
        actor=world["other_manager"],
        building=world["S02"],
        date=yesterday(),
        nothing_to_report=True,
    )
    assert other.late_returns == 0


def test_the_board_shows_the_count(client, world):
    record(world)
    safety.zero_report_file(
        actor=world["manager"], building=world["S01"], date=yesterday(), nothing_to_report=True
    )
    client.force_login(world["manager"])
    url = reverse("apartments:zero_report_board") + f"?date={yesterday().isoformat()}"
    page = client.get(url, **EN).content.decode()
    assert "1 late return" in page


# --- the pages ---


def night_url(building, day=None):
    url = reverse("apartments:late_returns", args=[building.pk])
    return f"{url}?date={day.isoformat()}" if day else url


def record_url(building):
    return reverse("apartments:late_return_record", args=[building.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(night_url(world["S01"]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "other_manager", "auditor"])
def test_others_get_404_for_the_buildings_page(client, world, who):
    client.force_login(user(world, who))
    assert client.get(night_url(world["S01"])).status_code == 404
    response = client.post(record_url(world["S01"]), {"student_id": "x"})
    assert response.status_code == 404


def test_the_head_sees_the_list_but_does_not_record(client, world):
    record(world)
    client.force_login(world["head"])
    response = client.get(night_url(world["S01"], yesterday()), **EN)
    assert response.status_code == 200
    assert world["student"].student_id in response.content.decode()
    assert not response.context["may_record"]
    assert client.post(record_url(world["S01"]), {"student_id": "x"}).status_code == 404


def test_the_record_page_takes_no_get(client, world):
    client.force_login(world["manager"])
    assert client.get(record_url(world["S01"])).status_code == 405


def test_the_desk_records_by_post_and_a_double_submit_records_once(client, world):
    client.force_login(world["shift_lead"])
    form = {"student_id": world["student"].student_id, "reason": "社团活动"}
    first = client.post(record_url(world["S01"]), form, **EN)
    second = client.post(record_url(world["S01"]), form, **EN, follow=True)

    assert first.status_code == 302
    assert LateReturn.objects.count() == 1
    assert "recorded already" in second.content.decode()


@pytest.mark.parametrize(
    "student_id, status, text",
    [
        ("", 400, "Enter or scan a student id."),
        ("NOBODY", 404, "No resident has the student id NOBODY."),
    ],
)
def test_the_desk_says_what_is_wrong(client, world, student_id, status, text):
    client.force_login(world["manager"])
    response = client.post(record_url(world["S01"]), {"student_id": student_id}, **EN)
    assert response.status_code == status
    assert text in response.content.decode()


def test_the_desk_says_the_resident_lives_elsewhere(client, world):
    _, (neighbour,) = inhabited(world["songbei"], "S09")
    client.force_login(world["manager"])
    response = client.post(record_url(world["S01"]), {"student_id": neighbour.student_id}, **EN)
    assert response.status_code == 404
    assert "does not live in building S01" in response.content.decode()


def test_repeat_offenders_stand_out(client, world, settings):
    settings.SAFETY_LATE_RETURN_REPEAT = 2
    inhabited(world["songbei"], "S07")  # a calm neighbour building
    record(world, when=at(yesterday() - dt.timedelta(days=1), "23:10"))
    record(world, when=at(yesterday(), "23:40"))
    client.force_login(world["manager"])
    response = client.get(night_url(world["S01"], yesterday()), **EN)
    page = response.content.decode()
    assert 'data-testid="late-return-repeaters"' in page
    assert 'data-repeat="yes"' in page
    assert response.context["offenders"][0]["n"] == 2


def test_a_resident_sees_only_their_own(client, world):
    record(world, reason="图书馆")
    s07, (other,) = inhabited(world["songbei"], "S07")
    BuildingAssignmentFactory(user=world["manager"], building=s07)
    record(world, other, reason="别人的")
    client.force_login(world["student"].user)
    page = client.get(reverse("apartments:my_late_returns"), **EN).content.decode()
    assert "图书馆" in page and "别人的" not in page
    assert "1 late return this term" in page


@pytest.mark.parametrize("who", ["manager", "technician"])
def test_my_late_returns_is_for_residents(client, world, who):
    client.force_login(user(world, who))
    assert client.get(reverse("apartments:my_late_returns")).status_code == 404


@pytest.mark.parametrize("extra", [0, 12])
def test_the_night_pages_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    record(world)
    for n in range(extra):
        _, (person,) = inhabited(world["songbei"], f"X{n:02d}")
        record(world, person, actor=world["admin"])
        # the list is per building: move them into S01's list by their record
        LateReturn.objects.filter(resident=person).update(building=world["S01"])
    client.force_login(world["manager"])
    client.get(night_url(world["S01"], yesterday()))
    # session, user with role grants; the building; may the caller record (exists); the
    # night's records with resident, recorder and term count; the term's repeat offenders
    with django_assert_num_queries(6):
        response = client.get(night_url(world["S01"], yesterday()))
    assert len(response.context["records"]) == 1 + extra


# --- the API ---


def api_for(who):
    client = APIClient()
    client.force_authenticate(who)
    return client


def test_the_api_records_and_answers_201(world):
    response = api_for(world["manager"]).post(
        URL, {"student_id": world["student"].student_id, "reason": "晚自习"}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["student_id"] == world["student"].student_id
    assert data["building"] == world["S01"].pk and data["reason"] == "晚自习"
    assert data["recorded_by"] == world["manager"].username


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"student_id": "NOBODY"}, 404, "resident_not_found"),
        ({"student_id": 12345}, 400, None),
        ({}, 400, None),
        ({"student_id": "S", "building": 999999}, 404, "building_not_found"),
    ],
)
def test_the_api_refuses_bad_input(world, payload, status, code):
    response = api_for(world["manager"]).post(URL, payload, format="json")
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code


def test_the_api_answers_409_for_a_second_record_and_404_for_others(world):
    body = {"student_id": world["student"].student_id}
    assert api_for(world["manager"]).post(URL, body, format="json").status_code == 201
    again = api_for(world["shift_lead"]).post(URL, body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_recorded"
    other = api_for(world["other_manager"]).post(URL, body, format="json")
    assert other.status_code == 404


@pytest.mark.parametrize(
    "who, count",
    [("manager", 1), ("head", 1), ("other_manager", 0), ("auditor", 1), ("student", 1)],
)
def test_the_api_list_is_scoped(world, who, count):
    record(world)
    _, (elsewhere,) = inhabited(world["jiangnan"], "J05")
    record(world, elsewhere, actor=world["admin"])
    response = api_for(user(world, who)).get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == count


def test_a_resident_cannot_record_by_api(world):
    response = api_for(world["student"].user).post(
        URL, {"student_id": world["student"].student_id}, format="json"
    )
    assert response.status_code == 404
    assert not LateReturn.objects.exists()


@pytest.mark.parametrize("extra", [0, 10])
def test_the_api_lists_query_count_does_not_grow(world, extra, django_assert_num_queries):
    record(world)
    for n in range(extra):
        _, (person,) = inhabited(world["songbei"], f"X{n:02d}")
        record(world, person, actor=world["admin"])
    api = api_for(type(world["admin"]).objects.get(pk=world["admin"].pk))  # grants not cached
    # the caller's role grants; count, page (records with building, resident and recorder)
    with django_assert_num_queries(3):
        response = api.get(URL)
    assert response.json()["count"] == 1 + extra


def test_the_api_is_in_the_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/late-returns/" in schema and "late_returns_create" in schema


def test_staff_without_a_building_get_nothing(world):
    lonely = user_with_role(Role.SHIFT_LEAD)
    assert api_for(lonely).get(URL).json()["count"] == 0


# --- the demo ---


def test_the_demo_has_late_returns_a_repeat_and_counts_them_in_the_zero_reports(settings):
    from django.core.management import call_command
    from django.db.models import Count

    call_command("seed_demo", verbosity=0)
    assert LateReturn.objects.filter(resident__student_id="2501000001").exists()
    top = LateReturn.objects.values("resident").annotate(n=Count("pk")).order_by("-n").first()
    assert top["n"] >= settings.SAFETY_LATE_RETURN_REPEAT
    for record in LateReturn.objects.all():
        report = ZeroReport.objects.filter(building=record.building, date=record.night).first()
        if report is not None:
            assert report.late_returns == late_returns.night_count(record.building_id, record.night)
    count = LateReturn.objects.count()
    call_command("seed_demo", verbosity=0)
    assert LateReturn.objects.count() == count

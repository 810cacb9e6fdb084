"""Many desks at once (PostgreSQL only: SQLite serialises every write anyway).

Threads each with their own database connection check residents in at the same instant; the
locks make them queue and the unique constraints on Stay make sure that, whatever happens, a
bed is given once and a resident checked in once.
"""

import pytest
from rest_framework.test import APIClient

from apartments import locks, services
from apartments.models import Stay
from logistics.models import AuditEvent, Role
from tests.conftest import requires_postgres
from tests.factories import (
    BuildingAssignmentFactory,
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    user_with_role,
)
from tests.threads import race

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def checkin(**kwargs) -> str:
    """The outcome of one check-in: "ok" or the name of the error."""
    try:
        services.checkin_create(actor=None, **kwargs)
    except services.CheckInError as error:
        return type(error).__name__
    return "ok"


@pytest.fixture
def campus():
    return CampusFactory(code="songbei")


@pytest.fixture
def building(campus):
    return BuildingFactory(campus=campus, code="S01")


def test_sixteen_residents_for_one_bed_one_gets_it(campus, building):
    bed = RoomFactory(building=building, capacity=1).beds.get()
    residents = [ResidentFactory(campus=campus) for _ in range(THREADS)]

    outcomes = race(THREADS, lambda i: checkin(student_id=residents[i].student_id, bed_id=bed.pk))

    assert sorted(outcomes) == ["BedTaken"] * (THREADS - 1) + ["ok"]
    assert Stay.objects.filter(bed=bed, status=Stay.Status.ACTIVE).count() == 1
    assert Stay.objects.count() == 1
    assert AuditEvent.objects.filter(action="apartments.check_in").count() == 1


def test_one_resident_at_sixteen_desks_is_checked_in_once(campus, building):
    RoomFactory(building=building, capacity=THREADS)
    resident = ResidentFactory(campus=campus)

    outcomes = race(THREADS, lambda i: checkin(student_id=resident.student_id))

    assert sorted(outcomes) == ["AlreadyCheckedIn"] * (THREADS - 1) + ["ok"]
    assert Stay.objects.filter(resident=resident).count() == 1


def test_one_resident_into_sixteen_named_beds_is_checked_in_once(campus, building):
    beds = list(RoomFactory(building=building, capacity=THREADS).beds.all())
    resident = ResidentFactory(campus=campus)

    outcomes = race(THREADS, lambda i: checkin(student_id=resident.student_id, bed_id=beds[i].pk))

    assert sorted(outcomes) == ["AlreadyCheckedIn"] * (THREADS - 1) + ["ok"]
    assert Stay.objects.filter(resident=resident).count() == 1


def test_forty_residents_racing_for_proposed_beds_all_get_different_beds(campus, building):
    for floor in range(1, 11):
        RoomFactory(building=building, floor=floor, number=f"{floor}01", capacity=4)
    residents = [ResidentFactory(campus=campus) for _ in range(40)]

    outcomes = race(40, lambda i: checkin(student_id=residents[i].student_id), workers=20)

    assert outcomes == ["ok"] * 40
    stays = Stay.objects.filter(status=Stay.Status.ACTIVE)
    assert stays.count() == 40
    assert stays.values("bed").distinct().count() == 40


def test_without_the_python_checks_the_constraint_still_gives_a_bed_once(
    campus, building, monkeypatch
):
    """Take away the row lock and the "is it taken?" check: every desk believes the bed is
    free, and the database's unique constraint alone still lets only one of them have it."""

    def blind_lock(beds, bed_id):
        bed = beds.filter(pk=bed_id).first()  # no FOR UPDATE
        bed.taken = False
        return bed

    monkeypatch.setattr(locks, "bed_lock", blind_lock)
    bed = RoomFactory(building=building, capacity=1).beds.get()
    residents = [ResidentFactory(campus=campus) for _ in range(THREADS)]

    outcomes = race(THREADS, lambda i: checkin(student_id=residents[i].student_id, bed_id=bed.pk))

    assert sorted(outcomes) == ["BedTaken"] * (THREADS - 1) + ["ok"]
    assert Stay.objects.filter(bed=bed).count() == 1
    assert AuditEvent.objects.filter(action="apartments.check_in").count() == 1


def test_the_api_under_a_rush_answers_201_once_and_409_to_the_rest(campus, building):
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=building)
    bed = RoomFactory(building=building, capacity=1).beds.get()
    residents = [ResidentFactory(campus=campus) for _ in range(THREADS)]

    def post(i):
        client = APIClient()
        client.force_authenticate(manager)
        response = client.post(
            "/api/v1/check-ins/",
            {"student_id": residents[i].student_id, "bed": bed.pk},
            format="json",
        )
        return response.status_code, response.json().get("code")

    outcomes = race(THREADS, post)

    assert sorted(outcomes, key=lambda o: o[0]) == [(201, None)] + [(409, "bed_taken")] * (
        THREADS - 1
    )
    assert Stay.objects.filter(bed=bed).count() == 1


def test_the_api_checking_one_resident_in_from_many_clients(campus, building):
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=building)
    RoomFactory(building=building, capacity=THREADS)
    resident = ResidentFactory(campus=campus)

    def post(i):
        client = APIClient()
        client.force_authenticate(manager)
        response = client.post(
            "/api/v1/check-ins/", {"student_id": resident.student_id}, format="json"
        )
        return response.status_code

    outcomes = race(THREADS, post)

    assert sorted(outcomes) == [201] + [409] * (THREADS - 1)
    assert Stay.objects.filter(resident=resident).count() == 1

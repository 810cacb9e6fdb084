"""The move-in tallies (apartments/tallies.py) equal a fresh count of the rows after every path
that changes stays, beds, rooms or residents: check-in (reserved and proposed beds), a
reservation given up for another bed, the keys handed back at move-out, both imports, the
admin, the demo seed, rooms and beds moved, a resident's category changed, rows deleted, and
a flush. On PostgreSQL and on SQLite alike: each dialect has its own triggers."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone

from apartments import dashboard, inspections, services
from apartments.imports import import_residents, import_rooms
from apartments.models import (
    ArrivalTally,
    Bed,
    BedKit,
    Building,
    BuildingTally,
    Category,
    KitType,
    MoveOutReason,
    MoveOutRequest,
    Resident,
    ResidentTally,
    Room,
    Stay,
)
from apartments.tallies import has_taken_beds, tally_recount
from logistics.models import Role
from tests.apartments.move_in_data import (
    building_with_beds,
    campuses,
    csv_bytes,
    free_beds,
    residents,
    stay,
)
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


KIT_FIELDS = ("kits_placed", "kits_failed", "kits_issued", "kit_failures")


def counted() -> tuple[dict, dict]:
    """The figures counted from the rows, as the dashboard counted them before the tallies."""
    kits = {}
    for building_id, status, failures in BedKit.objects.values_list(
        "bed__room__building_id", "status", "failures"
    ):
        row = kits.setdefault(building_id, [0, 0, 0, 0])
        row[["placed", "failed", "issued"].index(status)] += 1
        row[3] += failures
    buildings = {
        b.pk: (b.beds, b.active, b.reserved, *kits.get(b.pk, (0, 0, 0, 0)))
        for b in Building.objects.annotate(
            beds=Count("rooms__beds", distinct=True),
            active=Count(
                "rooms__beds__stays",
                filter=Q(rooms__beds__stays__status=Stay.Status.ACTIVE),
                distinct=True,
            ),
            reserved=Count(
                "rooms__beds__stays",
                filter=Q(rooms__beds__stays__status=Stay.Status.RESERVED),
                distinct=True,
            ),
        )
    }
    buildings = {pk: row for pk, row in buildings.items() if any(row)}
    active = Stay.objects.filter(resident=OuterRef("pk"), status=Stay.Status.ACTIVE)
    cells = {
        (row["campus_id"], row["category"]): (row["n"], row["checked"])
        for row in Resident.objects.order_by()
        .values("campus_id", "category")
        .annotate(n=Count("pk"), checked=Count("pk", filter=Exists(active)))
    }
    return buildings, cells


def tallied() -> tuple[dict, dict]:
    """The figures the tallies hold, summed over their slots, zeros left out."""
    sums = {f: Sum(f) for f in ("beds", "active", "reserved", *KIT_FIELDS)}
    buildings = {
        row["building_id"]: tuple(row[f] for f in sums)
        for row in BuildingTally.objects.order_by().values("building_id").annotate(**sums)
    }
    buildings = {pk: row for pk, row in buildings.items() if any(row)}
    cells = {
        (row["campus_id"], row["category"]): (row["e"], row["c"])
        for row in ResidentTally.objects.order_by()
        .values("campus_id", "category")
        .annotate(e=Sum("expected"), c=Sum("checked_in"))
        if (row["e"], row["c"]) != (0, 0)
    }
    return buildings, cells


def arrivals_counted() -> dict:
    """Check-ins per UTC quarter hour, counted from the stays."""
    counts: dict = {}
    for at in Stay.objects.filter(checked_in_at__isnull=False).values_list(
        "checked_in_at", flat=True
    ):
        bucket = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
        counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def arrivals_tallied() -> dict:
    """The arrival tallies per quarter hour, summed over buildings and slots, zeros left out.
    (Per quarter hour: an arrival stays with the building it happened in when its bed is moved
    later, while a count from the rows follows the bed.)"""
    return {
        row["bucket"]: row["n"]
        for row in ArrivalTally.objects.order_by().values("bucket").annotate(n=Sum("arrivals"))
        if row["n"]
    }


def taken_beds() -> tuple[set, set]:
    """The beds flagged taken (PostgreSQL's `apartments_bed.taken`) and those with a current
    stay; two empty sets on SQLite, which keeps no such flag."""
    if not has_taken_beds():
        return set(), set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM apartments_bed WHERE taken")
        flagged = {row[0] for row in cursor.fetchall()}
    current = set(
        Stay.objects.filter(status__in=Stay.CURRENT).values_list("bed_id", flat=True)
    )
    return flagged, current


def assert_tallies_match():
    expected = counted()
    arrivals = arrivals_counted()
    assert tallied() == expected
    assert arrivals_tallied() == arrivals
    flagged, current = taken_beds()
    assert flagged == current
    # and a recount from scratch agrees too
    tally_recount()
    assert tallied() == expected
    assert arrivals_tallied() == arrivals
    assert taken_beds() == (current, current)


@pytest.fixture
def place():
    songbei, jiangnan = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=2, gender_policy="M")
    s2 = building_with_beds(songbei, "S02", rooms=2, gender_policy="M")
    return {"songbei": songbei, "jiangnan": jiangnan, "S01": s1, "S02": s2}


def test_rooms_beds_and_residents_are_counted_as_they_are_created(place):
    residents(place["songbei"], Category.UNDERGRADUATE, 3)
    residents(place["jiangnan"], Category.STAFF, 1)
    buildings, cells = tallied()
    assert buildings == {
        place["S01"].pk: (8, 0, 0, 0, 0, 0, 0),
        place["S02"].pk: (8, 0, 0, 0, 0, 0, 0),
    }
    assert cells == {
        (place["songbei"].pk, "undergraduate"): (3, 0),
        (place["jiangnan"].pk, "staff"): (1, 0),
    }
    assert_tallies_match()


def test_check_in_proposed_and_reserved_beds_and_a_reservation_given_up(place):
    desk = user_with_role(Role.ADMIN)
    proposed, reserved, moved = residents(place["songbei"], Category.UNDERGRADUATE, 3)
    beds = free_beds(place["S02"])
    stay(reserved, beds[0], status=Stay.Status.RESERVED)
    stay(moved, beds[1], status=Stay.Status.RESERVED)
    assert_tallies_match()
    services.checkin_create(actor=desk, student_id=proposed.student_id)
    services.checkin_create(actor=desk, student_id=reserved.student_id)
    # checked into another bed than the reserved one: the reservation is cancelled
    services.checkin_create(actor=desk, student_id=moved.student_id, bed_id=beds[5].pk)
    buildings, cells = tallied()
    assert buildings[place["S02"].pk][:3] == (8, 2, 0)
    assert cells[(place["songbei"].pk, "undergraduate")] == (3, 3)
    assert_tallies_match()


def test_a_refused_check_in_changes_nothing(place):
    desk = user_with_role(Role.ADMIN)
    first, second = residents(place["songbei"], Category.UNDERGRADUATE, 2)
    bed = free_beds(place["S01"])[0]
    services.checkin_create(actor=desk, student_id=first.student_id, bed_id=bed.pk)
    before = tallied()
    with pytest.raises(services.BedTaken):
        services.checkin_create(actor=desk, student_id=second.student_id, bed_id=bed.pk)
    assert tallied() == before
    assert_tallies_match()


def test_keys_handed_back_at_move_out_free_the_bed(place):
    (mover,) = residents(place["songbei"], Category.UNDERGRADUATE, 1)
    current = stay(mover, free_beds(place["S01"])[0])
    request = MoveOutRequest.objects.create(
        resident=mover,
        stay=current,
        planned_date=timezone.localdate() + timedelta(days=1),
        reason=MoveOutReason.GRADUATION,
        status=MoveOutRequest.Status.INSPECTED,
    )
    assert tallied()[0][place["S01"].pk][:3] == (8, 1, 0)
    inspections.keys_return(actor=user_with_role(Role.ADMIN), move_out_request=request)
    assert tallied()[0][place["S01"].pk][:3] == (8, 0, 0)
    assert tallied()[1][(place["songbei"].pk, "undergraduate")] == (1, 0)
    assert_tallies_match()


def test_imports_of_rooms_and_of_residents_with_reservations(place):
    rooms = [["campus", "building", "floor", "room", "beds", "gender"]] + [
        ["松北校区", "S09", 1, f"1{n:02d}", 4, "M"] for n in range(1, 4)
    ]
    report = import_rooms(data=csv_bytes(rooms), file_name="rooms.csv")
    assert not report.errors
    people = [
        [
            "student_id",
            "name",
            "gender",
            "category",
            "campus",
            "college",
            "building",
            "room",
            "bed",
        ],
        ["2601", "甲", "M", "undergraduate", "松北校区", "计算机学院", "S09", "101", "1"],
        ["2602", "乙", "M", "postgraduate", "松北校区", "计算机学院", "S09", "101", "2"],
        ["2603", "丙", "M", "staff", "江南校区", "计算机学院", "", "", ""],
    ]
    report = import_residents(data=csv_bytes(people), file_name="residents.csv")
    assert not report.errors
    s09 = Building.objects.get(code="S09")
    assert tallied()[0][s09.pk][:3] == (12, 0, 2)
    assert_tallies_match()
    # importing the file again, with one resident's category changed, moves their count
    people[2][3] = "doctoral"
    assert not import_residents(data=csv_bytes(people), file_name="residents.csv").errors
    assert tallied()[1][(place["songbei"].pk, "doctoral")] == (1, 0)
    assert_tallies_match()


def test_the_admin_changes_a_stay(place, admin_client):
    (resident,) = residents(place["songbei"], Category.UNDERGRADUATE, 1)
    bed, other = free_beds(place["S01"])[:2]
    current = stay(resident, bed, status=Stay.Status.RESERVED)
    response = admin_client.post(
        reverse("admin:apartments_stay_change", args=[current.pk]),
        {
            "resident": resident.pk,
            "bed": other.pk,
            "status": Stay.Status.ACTIVE,
            "checked_in_at_0": "2026-09-01",
            "checked_in_at_1": "09:00:00",
            "key_issued": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert tallied()[0][place["S01"].pk][:3] == (8, 1, 0)
    assert_tallies_match()
    admin_client.post(reverse("admin:apartments_stay_delete", args=[current.pk]), {"post": "yes"})
    assert not Stay.objects.exists()
    assert tallied()[0][place["S01"].pk][:3] == (8, 0, 0)
    assert_tallies_match()


def test_rooms_and_beds_moved_and_deleted(place):
    first, second = residents(place["songbei"], Category.UNDERGRADUATE, 2)
    beds = free_beds(place["S01"])
    stay(first, beds[0])
    stay(second, beds[4], status=Stay.Status.RESERVED)  # room 102
    room = beds[0].room
    kit_type = KitType.objects.create(code="std", name="行李", name_en="Kit")
    BedKit.objects.create(bed=beds[1], kit_type=kit_type, status=BedKit.Status.PLACED)
    BedKit.objects.create(bed=beds[4], kit_type=kit_type, status=BedKit.Status.FAILED, failures=2)
    assert_tallies_match()
    # a room moved to another building takes its beds, stays and kits along
    Room.objects.filter(pk=room.pk).update(building=place["S02"], number="901")
    assert tallied()[0] == {
        place["S01"].pk: (4, 0, 1, 0, 1, 0, 2),
        place["S02"].pk: (12, 1, 0, 1, 0, 0, 0),
    }
    assert_tallies_match()
    # a bed moved to another room, with its stay and kit
    Bed.objects.filter(pk=beds[4].pk).update(room=room, number=7)
    assert_tallies_match()
    # a bed added and a free one removed (with its kit); a room of free beds deleted
    Bed.objects.create(room=room, number=9)
    BedKit.objects.create(bed=beds[7], kit_type=kit_type, status=BedKit.Status.PLACED)
    Bed.objects.get(pk=beds[7].pk).delete()
    assert_tallies_match()
    Room.objects.filter(building=place["S01"]).delete()
    assert_tallies_match()


def test_residents_changed_and_deleted(place):
    first, second = residents(place["songbei"], Category.UNDERGRADUATE, 2)
    stay(first, free_beds(place["S01"])[0])
    Resident.objects.filter(pk=first.pk).update(category=Category.TOP_UP, campus=place["jiangnan"])
    assert tallied()[1] == {
        (place["songbei"].pk, "undergraduate"): (1, 0),
        (place["jiangnan"].pk, "top_up"): (1, 1),
    }
    assert_tallies_match()
    second.delete()
    Stay.objects.all().delete()
    assert tallied()[1] == {(place["jiangnan"].pk, "top_up"): (1, 0)}
    assert_tallies_match()


def test_bedding_kits_checked_handed_over_and_failed(place):
    kit_type = KitType.objects.create(code="std", name="行李", name_en="Kit")
    admin = user_with_role(Role.ADMIN)
    # a whole building checked and placed at once, one bed failing its check
    services.kit_check_building(actor=admin, building=place["S01"], kit_type=kit_type)
    bed = free_beds(place["S01"])[3]
    services.kit_check_record(actor=admin, bed=bed, kit_type=kit_type, passed=False, reason="破")
    assert tallied()[0][place["S01"].pk][3:] == (7, 1, 0, 1)
    assert_tallies_match()
    # replaced, then handed over at check-in
    services.kit_check_record(actor=admin, bed=bed, kit_type=kit_type, passed=True)
    (resident,) = residents(place["songbei"], Category.UNDERGRADUATE, 1)
    services.checkin_create(actor=admin, student_id=resident.student_id, bed_id=bed.pk)
    assert tallied()[0][place["S01"].pk][3:] == (7, 0, 1, 1)
    assert_tallies_match()
    # and the dashboard's kit figures are these
    kits = dashboard.kit_counts(admin)
    assert (kits.placed, kits.failed, kits.issued, kits.failures) == (7, 0, 1, 1)


def test_the_demo_seed():
    call_command("seed_demo", verbosity=0)
    assert BuildingTally.objects.exists()
    assert_tallies_match()


def test_the_dashboard_and_the_summary_read_the_tallies(place):
    # Given residents checked in, and the tallies skewed by hand (as no trigger would)
    desk = user_with_role(Role.ADMIN)
    for person in residents(place["songbei"], Category.UNDERGRADUATE, 3):
        services.checkin_create(actor=desk, student_id=person.student_id)
    BuildingTally.objects.filter(building=place["S01"]).update(active=0)
    ResidentTally.objects.filter(category="undergraduate").update(checked_in=0)
    ArrivalTally.objects.update(arrivals=0)
    today = timezone.localdate()
    # Then both show what the tallies say: they are what the dashboard reads
    progress = {b.code: b.active_count for b in dashboard.building_progress(desk)}
    assert progress["S01"] == 0
    assert dashboard.move_in_summary(desk).as_contract()["checked_in"] == 0
    assert sum(bar.count for bar in dashboard.arrivals_per_hour(desk, today)) == 0
    # and a recount puts them right
    tally_recount()
    progress = {b.code: b.active_count for b in dashboard.building_progress(desk)}
    assert progress["S01"] == 3
    assert dashboard.move_in_summary(desk).as_contract()["checked_in"] == 3
    assert sum(bar.count for bar in dashboard.arrivals_per_hour(desk, today)) == 3


def test_arrivals_follow_check_in_times_set_moved_and_cleared(place):
    # Given stays checked in at known times, in two buildings
    (a, b, c) = residents(place["songbei"], Category.UNDERGRADUATE, 3)
    one_am = timezone.now().replace(hour=1, minute=7, second=0, microsecond=0)  # 01:07 UTC
    first = stay(a, free_beds(place["S01"])[0], at=one_am)
    second = stay(b, free_beds(place["S02"])[0], at=one_am + timedelta(minutes=20))
    stay(c, free_beds(place["S01"])[1], status=Stay.Status.RESERVED)
    by_building = {
        (row["building_id"], row["bucket"].minute): row["n"]
        for row in ArrivalTally.objects.order_by()
        .values("building_id", "bucket")
        .annotate(n=Sum("arrivals"))
    }
    assert by_building == {(place["S01"].pk, 0): 1, (place["S02"].pk, 15): 1}
    assert_tallies_match()
    # When a check-in time is corrected, one is cleared, and a stay deleted
    first.checked_in_at = one_am + timedelta(hours=2)
    first.save()
    second.checked_in_at = None
    second.status = Stay.Status.RESERVED
    second.save()
    assert_tallies_match()
    first.delete()
    # Then the tallies follow
    assert arrivals_tallied() == {}
    assert_tallies_match()


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_no_tally_behind(place):
    # Given buildings, residents and stays, as a transactional test leaves them
    (resident,) = residents(place["songbei"], Category.UNDERGRADUATE, 1)
    stay(resident, free_beds(place["S01"])[0])
    # When the database is flushed, as at the end of every transactional test
    call_command("flush", interactive=False, verbosity=0)
    # Then no tally is left (PostgreSQL truncates; SQLite's deletes fire the triggers)
    assert not BuildingTally.objects.exists() and not ResidentTally.objects.exists()
    assert not ArrivalTally.objects.exists()
    # and new rows are counted from zero
    songbei, _ = campuses()
    building = building_with_beds(songbei, "N01", rooms=1)
    (resident,) = residents(songbei, Category.UNDERGRADUATE, 1)
    stay(resident, free_beds(building)[0])
    assert tallied()[0] == {building.pk: (4, 1, 0, 0, 0, 0, 0)}
    assert_tallies_match()

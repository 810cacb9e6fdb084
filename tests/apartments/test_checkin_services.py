"""Check-in services: which bed a resident gets, and that a refused check-in changes nothing."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apartments import locks, services
from apartments.models import (
    Bed,
    BedKit,
    Category,
    Gender,
    GenderPolicy,
    KitType,
    RoomKind,
    Stay,
)
from logistics.models import AuditEvent, Role
from tests.factories import (
    BuildingFactory,
    CampusFactory,
    ResidentFactory,
    RoomFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campus():
    return CampusFactory(code="songbei", name="松北", name_en="Songbei")


@pytest.fixture
def building(campus):
    return BuildingFactory(campus=campus, code="S01", gender_policy=GenderPolicy.MALE)


@pytest.fixture
def beds(building):
    """Room 101 of S01 with beds 1 to 4."""
    room = RoomFactory(building=building, number="101", capacity=4)
    return list(room.beds.order_by("number"))


@pytest.fixture
def manager(building):
    return user_with_role(Role.DORM_MANAGER)


def reserve(resident, bed) -> Stay:
    return Stay.objects.create(
        resident=resident, bed=bed, status=Stay.Status.RESERVED, reserved_at=timezone.now()
    )


def current_stays():
    return list(
        Stay.objects.filter(status__in=Stay.CURRENT)
        .order_by("pk")
        .values_list("resident__student_id", "bed_id", "status")
    )


def test_the_reserved_bed_is_used_and_the_reservation_becomes_the_stay(campus, beds, manager):
    # Given a resident with bed 2 reserved
    resident = ResidentFactory(campus=campus)
    reservation = reserve(resident, beds[1])

    # When the desk checks them in without naming a bed
    stay = services.checkin_create(actor=manager, student_id=resident.student_id)

    # Then the reservation row itself is now the active stay, with who and when
    assert stay.pk == reservation.pk
    stay.refresh_from_db()
    assert stay.status == Stay.Status.ACTIVE
    assert stay.bed_id == beds[1].pk
    assert stay.checked_in_by == manager
    assert stay.checked_in_at is not None
    assert stay.key_issued and stay.kit_issued
    event = AuditEvent.objects.get(action="apartments.check_in")
    assert event.target_id == str(stay.pk)
    assert event.actor == manager
    assert event.changes["source"] == "reserved"


def test_the_returned_stay_carries_everything_a_page_shows(
    campus, beds, manager, django_assert_num_queries
):
    resident = ResidentFactory(campus=campus)
    stay = services.checkin_create(actor=manager, student_id=resident.student_id)
    with django_assert_num_queries(0):
        assert str(stay.bed) == "S01-101-1"
        assert stay.bed.room.building.campus.code == "songbei"
        assert stay.resident.campus.code == "songbei"


def test_key_and_kit_flags_are_recorded(campus, beds, manager):
    resident = ResidentFactory(campus=campus)
    stay = services.checkin_create(
        actor=manager, student_id=resident.student_id, key_issued=False, kit_issued=False
    )
    stay.refresh_from_db()
    assert (stay.key_issued, stay.kit_issued) == (False, False)


class TestProposedBed:
    """Without a reservation or a bed named, the portal proposes a free bed that fits."""

    @pytest.fixture
    def place(self, campus):
        other_campus = CampusFactory(code="jiangnan")
        women = BuildingFactory(campus=campus, code="A1", gender_policy=GenderPolicy.FEMALE)
        postgrads = BuildingFactory(campus=campus, code="A2", categories=["postgraduate"])
        men = BuildingFactory(campus=campus, code="A3", gender_policy=GenderPolicy.MALE)
        elsewhere = BuildingFactory(campus=other_campus, code="A0")
        rooms = {
            "women": RoomFactory(building=women, number="101", capacity=2),
            "postgrads": RoomFactory(building=postgrads, number="101", capacity=2),
            "men": RoomFactory(building=men, number="101", capacity=2),
            "elsewhere": RoomFactory(building=elsewhere, number="101", capacity=2),
        }
        return rooms

    def bed_of(self, resident, **kwargs):
        return services.checkin_create(actor=None, student_id=resident.student_id, **kwargs).bed

    def test_gender_campus_and_category_decide(self, campus, place):
        man = ResidentFactory(campus=campus, gender=Gender.MALE)
        woman = ResidentFactory(campus=campus, gender=Gender.FEMALE)
        postgrad = ResidentFactory(
            campus=campus, gender=Gender.MALE, category=Category.POSTGRADUATE
        )
        assert self.bed_of(man).room == place["men"]  # not women-only, not postgraduates-only
        assert self.bed_of(woman).room == place["women"]
        assert self.bed_of(postgrad).room == place["postgrads"]  # A2 comes before A3

    def test_room_gender_counts_in_a_mixed_building(self, campus, place):
        place["postgrads"].gender = GenderPolicy.FEMALE
        place["postgrads"].save()
        postgrad = ResidentFactory(
            campus=campus, gender=Gender.MALE, category=Category.POSTGRADUATE
        )
        assert self.bed_of(postgrad).room == place["men"]

    def test_nobody_is_put_next_to_someone_of_another_gender_in_a_mixed_room(self, campus, place):
        woman = ResidentFactory(campus=campus, gender=Gender.FEMALE, category="postgraduate")
        man = ResidentFactory(campus=campus, gender=Gender.MALE, category="postgraduate")
        first_bed = place["postgrads"].beds.order_by("number").first()
        assert self.bed_of(woman, bed_id=first_bed.pk).room == place["postgrads"]
        # The postgraduate room has a free bed, but a woman lives there now.
        assert self.bed_of(man).room == place["men"]

    def test_taken_beds_are_skipped(self, campus, place):
        first, second = place["men"].beds.order_by("number")
        reserve(ResidentFactory(campus=campus), first)
        assert self.bed_of(ResidentFactory(campus=campus)) == second

    def test_staff_prefer_staff_apartments_and_students_never_get_one(self, campus, place):
        staff_room = RoomFactory(
            building=BuildingFactory(campus=campus, code="Z9"),
            number="901",
            kind=RoomKind.STAFF,
            capacity=1,
        )
        RoomFactory(building=place["men"].building, number="102", kind=RoomKind.ACCESSIBLE)
        teacher = ResidentFactory(campus=campus, category=Category.STAFF)
        assert self.bed_of(teacher).room == staff_room  # Z9 comes last, yet it is preferred
        students = [ResidentFactory(campus=campus) for _ in range(2)]
        assert {self.bed_of(s).room for s in students} == {place["men"]}
        with pytest.raises(services.NoFreeBed):  # not the staff or the accessible room
            self.bed_of(ResidentFactory(campus=campus))

    def test_no_fitting_bed_is_a_clear_error(self, campus, place):
        Bed.objects.filter(room__building__campus=campus).delete()
        resident = ResidentFactory(campus=campus, name="王伟")
        with pytest.raises(services.NoFreeBed) as error:
            self.bed_of(resident)
        assert error.value.status_code == 409
        assert "王伟" in error.value.message
        assert current_stays() == []

    def test_a_desk_proposes_only_in_its_building(self, campus, place):
        man = ResidentFactory(campus=campus)
        with pytest.raises(services.NoFreeBed):
            self.bed_of(man, building=place["women"].building)

    def test_a_scope_limits_the_proposals(self, campus, place):
        from apartments.models import Building

        man = ResidentFactory(campus=campus)
        scope = Building.objects.filter(pk=place["women"].building.pk)
        with pytest.raises(services.NoFreeBed):
            self.bed_of(man, buildings=scope)


def test_wrong_building_names_the_building_of_the_reservation(campus, building, beds, manager):
    # Given a resident whose bed is reserved in S02
    other = BuildingFactory(campus=campus, code="S02", name="松北2号公寓", name_en="Songbei 2")
    reserved_bed = RoomFactory(building=other, number="201").beds.first()
    resident = ResidentFactory(campus=campus)
    reserve(resident, reserved_bed)

    # When the desk of S01 tries to check them in
    with pytest.raises(services.WrongBuilding) as error:
        services.checkin_create(actor=manager, student_id=resident.student_id, building=building)

    # Then the message names S02 and nothing changed
    assert "S02" in error.value.message
    assert error.value.building == other
    assert current_stays() == [(resident.student_id, reserved_bed.pk, "reserved")]
    assert not AuditEvent.objects.exists()


def test_a_reservation_outside_the_callers_buildings_is_wrong_building(campus, building, beds):
    from apartments.models import Building

    other = BuildingFactory(campus=campus, code="S02")
    resident = ResidentFactory(campus=campus)
    reserve(resident, RoomFactory(building=other).beds.first())
    with pytest.raises(services.WrongBuilding):
        services.checkin_create(
            actor=None,
            student_id=resident.student_id,
            buildings=Building.objects.filter(pk=building.pk),
        )


def test_already_checked_in_says_when_and_where(campus, beds, manager):
    resident = ResidentFactory(campus=campus, name="李娜")
    services.checkin_create(actor=manager, student_id=resident.student_id)

    with pytest.raises(services.AlreadyCheckedIn) as error:
        services.checkin_create(actor=manager, student_id=resident.student_id, bed_id=beds[3].pk)

    assert error.value.status_code == 409
    assert "李娜" in error.value.message
    assert "S01-101-1" in error.value.message
    assert timezone.localtime().strftime("%H:%M") in error.value.message or (
        timezone.localtime().strftime("%Y") in error.value.message
    )
    assert current_stays() == [(resident.student_id, beds[0].pk, "active")]


def test_unknown_student_id(beds):
    with pytest.raises(services.ResidentNotFound) as error:
        services.checkin_create(actor=None, student_id="0000000000")
    assert error.value.status_code == 404
    assert "0000000000" in error.value.message


def test_a_bed_taken_by_someone_else_is_refused_and_nothing_changes(campus, beds, manager):
    # Given bed 1 reserved for A, and B with bed 2 reserved
    a = ResidentFactory(campus=campus)
    b = ResidentFactory(campus=campus)
    reserve(a, beds[0])
    reserve(b, beds[1])
    before = current_stays()

    # When B is checked into bed 1
    with pytest.raises(services.BedTaken) as error:
        services.checkin_create(actor=manager, student_id=b.student_id, bed_id=beds[0].pk)

    # Then: 409, and B's reservation was not cancelled
    assert error.value.status_code == 409
    assert "S01-101-1" in error.value.message
    assert current_stays() == before
    assert not AuditEvent.objects.exists()


def test_an_unknown_bed_or_one_outside_the_desks_building_is_not_found(campus, building, beds):
    resident = ResidentFactory(campus=campus)
    elsewhere = RoomFactory(building=BuildingFactory(campus=campus)).beds.first()
    for bed_id in (999999, elsewhere.pk):
        with pytest.raises(services.BedNotFound) as error:
            services.checkin_create(
                actor=None, student_id=resident.student_id, bed_id=bed_id, building=building
            )
        assert error.value.status_code == 404
    assert current_stays() == []


def test_checking_into_another_bed_cancels_the_reservation(campus, beds, manager):
    resident = ResidentFactory(campus=campus)
    reservation = reserve(resident, beds[0])

    stay = services.checkin_create(actor=manager, student_id=resident.student_id, bed_id=beds[2].pk)

    reservation.refresh_from_db()
    assert reservation.status == Stay.Status.CANCELLED
    assert reservation.ended_at is not None
    assert stay.pk != reservation.pk
    assert current_stays() == [(resident.student_id, beds[2].pk, "active")]
    assert AuditEvent.objects.get().changes["reservation_cancelled"] is True


def test_the_bed_kit_is_marked_handed_over(campus, beds, manager):
    kit_type = KitType.objects.create(code="standard", name="标准行李")
    for bed in beds[:2]:
        BedKit.objects.create(bed=bed, kit_type=kit_type, status=BedKit.Status.PLACED)
    first, second = ResidentFactory(campus=campus), ResidentFactory(campus=campus)

    services.checkin_create(actor=manager, student_id=first.student_id, bed_id=beds[0].pk)
    services.checkin_create(
        actor=manager, student_id=second.student_id, bed_id=beds[1].pk, kit_issued=False
    )

    assert BedKit.objects.get(bed=beds[0]).status == BedKit.Status.ISSUED
    assert BedKit.objects.get(bed=beds[1]).status == BedKit.Status.PLACED


def test_when_the_constraint_refuses_nothing_is_half_done(campus, beds, manager, monkeypatch):
    """The Python check misses a taken bed (as when two desks race): the database's unique
    constraint refuses the stay, and the cancelled reservation, the kit and the audit record
    are all rolled back with it."""
    kit_type = KitType.objects.create(code="standard", name="标准行李")
    BedKit.objects.create(bed=beds[0], kit_type=kit_type, status=BedKit.Status.PLACED)
    holder = ResidentFactory(campus=campus)
    reserve(holder, beds[0])
    resident = ResidentFactory(campus=campus)
    reserve(resident, beds[1])
    before = current_stays()

    real_lock = locks.bed_lock

    def blind_lock(beds_qs, bed_id):
        bed = real_lock(beds_qs, bed_id)
        bed.taken = False  # as if the other desk's stay were not committed yet
        return bed

    monkeypatch.setattr(locks, "bed_lock", blind_lock)

    with pytest.raises(services.BedTaken):
        services.checkin_create(actor=manager, student_id=resident.student_id, bed_id=beds[0].pk)

    assert current_stays() == before  # the reservation of bed 2 is still there
    assert BedKit.objects.get(bed=beds[0]).status == BedKit.Status.PLACED
    assert not AuditEvent.objects.exists()


def test_a_proposed_bed_lost_to_another_desk_is_replaced_by_the_next(campus, beds, monkeypatch):
    """The first proposal collides with a stay the check did not see; the service proposes
    again instead of failing."""
    other = ResidentFactory(campus=campus)
    reserve(other, beds[0])
    real_first_free = locks.bed_lock_first_free
    calls = []

    def stale_first_free(free):
        calls.append(1)
        if len(calls) == 1:
            return Bed.objects.select_related("room__building__campus").get(pk=beds[0].pk)
        return real_first_free(free)

    monkeypatch.setattr(locks, "bed_lock_first_free", stale_first_free)
    resident = ResidentFactory(campus=campus)

    stay = services.checkin_create(actor=None, student_id=resident.student_id)

    assert stay.bed == beds[1]
    # the stale bed, then (the building has mixed rooms) the first building's search that
    # leaves them out, then the search in that building with them
    assert len(calls) == 3


def test_the_constraints_allow_one_current_stay_per_bed_and_per_resident(campus, beds):
    """What saves us under concurrency: remove either constraint and this test fails."""
    a, b = ResidentFactory(campus=campus), ResidentFactory(campus=campus)
    Stay.objects.create(resident=a, bed=beds[0], status=Stay.Status.ACTIVE)
    for status in Stay.CURRENT:
        with pytest.raises(IntegrityError), transaction.atomic():
            Stay.objects.create(resident=b, bed=beds[0], status=status)
        with pytest.raises(IntegrityError), transaction.atomic():
            Stay.objects.create(resident=a, bed=beds[1], status=status)
    # Ended and cancelled stays do not count: a bed has a history.
    Stay.objects.create(resident=b, bed=beds[0], status=Stay.Status.ENDED)
    Stay.objects.create(resident=a, bed=beds[1], status=Stay.Status.CANCELLED)


def test_the_preview_shows_what_the_check_in_does_and_writes_nothing(
    campus, building, beds, django_assert_num_queries
):
    resident = ResidentFactory(campus=campus)
    reserve(resident, beds[2])
    # resident, their current stay with its bed (reserved: no proposal needed)
    with django_assert_num_queries(2):
        plan = services.checkin_preview(student_id=resident.student_id, building=building)
    assert (plan.bed, plan.source) == (beds[2], "reserved")

    newcomer = ResidentFactory(campus=campus)
    # resident, current stay (none), the first free bed that fits
    with django_assert_num_queries(3):
        plan = services.checkin_preview(student_id=newcomer.student_id, building=building)
    assert (plan.bed, plan.source) == (beds[0], "proposed")
    assert Stay.objects.filter(resident=newcomer).count() == 0

    stay = services.checkin_create(actor=None, student_id=newcomer.student_id, building=building)
    assert stay.bed == plan.bed

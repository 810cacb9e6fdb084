"""The check-in's free-bed search from a statement compiled once (apartments.locks.
first_free_bed_lock, logistics.db.StatementTemplate) finds the same bed as the queryset it
stands for, whatever the resident, their campus and category, and the caller's scope."""

import itertools

import pytest
from django.db import connection, transaction

from apartments import locks, selectors
from apartments.models import Category, Gender, Room
from logistics.db import StatementTemplate
from logistics.models import Campus, Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="needs PostgreSQL (SKIP LOCKED): set DATABASE_URL=postgres://… (CI does)",
)


def queryset_answer(resident, buildings):
    beds = selectors.beds_in(buildings=buildings)
    free = selectors.beds_free_for(
        resident,
        selectors.in_first_building_with_free_beds(resident, beds, buildings=buildings),
        mixed_rooms=False,
    )
    bed = locks.bed_lock_first_free(free)
    return bed.pk if bed else None


def template_answer(resident, buildings):
    bed = locks.first_free_bed_lock(resident, buildings=buildings)
    return bed.pk if bed else None


@needs_postgres
def test_the_compiled_search_finds_what_the_queryset_finds():
    # Given two campuses with buildings for men, women, some categories only, a mixed room,
    # beds partly taken
    songbei, jiangnan = campuses()
    men = building_with_beds(songbei, "S01", rooms=2, gender_policy="M")
    women = building_with_beds(songbei, "S02", rooms=2, gender_policy="F")
    postgrad = building_with_beds(songbei, "S03", rooms=2, categories=["postgraduate", "top_up"])
    mixed = building_with_beds(jiangnan, "J01", rooms=2, gender_policy="X")
    full = building_with_beds(jiangnan, "J00", rooms=1, gender_policy="M")
    # (rooms are for one gender, as in most buildings; J01 keeps one mixed room, which the
    # compiled search leaves to the usual one)
    for building, gender in ((men, "M"), (women, "F"), (postgrad, "F"), (mixed, "M"), (full, "M")):
        Room.objects.filter(building=building).update(gender=gender)
    Room.objects.filter(building=mixed, number="101").update(gender="X")
    jiangnan_women = building_with_beds(jiangnan, "J02", rooms=1, gender_policy="F")
    Room.objects.filter(building=jiangnan_women).update(gender="F")
    for bed in free_beds(full):
        stay(ResidentFactory(campus=jiangnan, gender=Gender.MALE), bed)
    stay(ResidentFactory(campus=songbei), free_beds(men)[0])
    # and callers: an administrator, a manager of S02 and S03, a manager of nothing
    admin = user_with_role(Role.ADMIN)
    manager = user_with_role(Role.DORM_MANAGER)
    for b in (women, postgrad):
        BuildingAssignmentFactory(user=manager, building=b)
    nobody = user_with_role(Role.DORM_MANAGER)
    # (a second manager, of S01: each manager's scope is compiled apart)
    other = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=other, building=men)
    callers = [selectors.desk_buildings_for(u) for u in (admin, manager, other, nobody)] + [None]
    # When every kind of resident is searched for, by every caller
    answers = 0
    for campus, gender, category, buildings in itertools.product(
        Campus.objects.all(), Gender.values, Category.values, callers
    ):
        if category == Category.STAFF:
            continue  # staff are searched the usual way (staff apartments first)
        resident = ResidentFactory.build(campus=campus, gender=gender, category=category)
        with transaction.atomic():
            expected = queryset_answer(resident, buildings)
        with transaction.atomic():
            # Then the compiled statement finds the same bed (or none)
            assert template_answer(resident, buildings) == expected, (
                campus.code,
                gender,
                category,
            )
        answers += expected is not None
    assert answers > 10  # the comparison saw beds found, not only misses


def test_a_template_refuses_a_queryset_without_its_markers():
    query = Campus.objects.filter(code="songbei")
    with pytest.raises(ValueError, match="markers not found"):
        StatementTemplate.compile(query, {"code": "zzmarkerzz"})


def test_a_marker_inside_a_pattern_is_escaped_for_like():
    # Given a template of a `contains` lookup on a campus's code
    campuses()
    Campus.objects.create(code="top_up", name="x")
    Campus.objects.create(code="topxup", name="y")
    template = StatementTemplate.compile(
        Campus.objects.filter(code__contains="zzmarkerzz").values_list("code"),
        {"code": "zzmarkerzz"},
    )
    # When run for "p_u", the underscore is a character, not LIKE's wildcard
    with connection.cursor() as cursor:
        cursor.execute(template.sql, template.params(code="p_u"))
        found = sorted(row[0] for row in cursor.fetchall())
    assert found == ["top_up"]


@needs_postgres
def test_a_bed_flagged_free_but_taken_is_never_given():
    # Given a building whose first bed has a stay, and its `taken` flag wrongly cleared (the
    # flag speeds the search up; the stays remain the truth)
    songbei, _ = campuses()
    building = building_with_beds(songbei, "S01", rooms=1, gender_policy="M")
    Room.objects.filter(building=building).update(gender="M")
    first, second = free_beds(building)[:2]
    stay(ResidentFactory(campus=songbei, gender=Gender.MALE), first)
    with connection.cursor() as cursor:
        cursor.execute("SELECT taken FROM apartments_bed WHERE id = %s", [first.pk])
        assert cursor.fetchone() == (True,)  # the trigger set it
        cursor.execute("UPDATE apartments_bed SET taken = false WHERE id = %s", [first.pk])
    resident = ResidentFactory.build(campus=songbei, gender=Gender.MALE)
    with transaction.atomic():
        # When the compiled search runs, it finds the flagged bed, checks it against the stays
        # and gives it up; the usual search then proposes the next bed
        assert template_answer(resident, None) is None
        assert queryset_answer(resident, None) == second.pk

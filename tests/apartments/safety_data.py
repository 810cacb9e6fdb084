"""A small university for the zero-report tests: two campuses, buildings with and without
residents, and one person of every role that matters."""

import datetime as dt

from django.utils import timezone

from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.factories import (
    BuildingAssignmentFactory,
    DepartmentFactory,
    ResidentFactory,
    user_with_role,
)

LONG_AGO = dt.timedelta(days=30)


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def inhabited(campus, code, *, residents=1):
    """A building with `residents` checked in a month ago."""
    building = building_with_beds(campus, code, rooms=1, capacity=max(residents, 1))
    beds = free_beds(building)
    people = []
    for _ in range(residents):
        person = ResidentFactory(campus=campus)
        stay(person, beds.pop(0), at=timezone.now() - LONG_AGO)
        people.append(person)
    return building, people


def staff_of(building, role=Role.DORM_MANAGER):
    user = user_with_role(role)
    BuildingAssignmentFactory(user=user, building=building, role=role)
    return user


def safety_world():
    songbei, jiangnan = campuses()
    s1, (student,) = inhabited(songbei, "S01")
    s2, _ = inhabited(songbei, "S02")
    s3 = building_with_beds(songbei, "S03", rooms=1)  # nobody lives here
    j1, _ = inhabited(jiangnan, "J01")
    department = DepartmentFactory(code="apartments", areas=["apartments"])
    return {
        "songbei": songbei,
        "jiangnan": jiangnan,
        "S01": s1,
        "S02": s2,
        "S03": s3,
        "J01": j1,
        "student": student,
        "manager": staff_of(s1),
        "shift_lead": staff_of(s1, Role.SHIFT_LEAD),
        "other_manager": staff_of(s2),
        "head": user_with_role(Role.DEPARTMENT_HEAD, campus=songbei, department=department),
        "auditor": user_with_role(Role.AUDITOR, campus=jiangnan),
        "technician": user_with_role(Role.TECHNICIAN, campus=songbei),
        "admin": user_with_role(Role.ADMIN),
    }

"""A readiness campaign's world for the tests: building S01 (rooms 111-113) and S02 (211) on the
campus of tests/maintenance/conftest.py, a service worker (shift lead of S01), a technician."""

import pytest

from apartments.models import BuildingAssignment, GenderPolicy
from logistics.models import Role
from tests import factories as f


@pytest.fixture
def s01(building):
    return building


@pytest.fixture
def s02(campus):
    return f.BuildingFactory(campus=campus, code="S02", name="松北2号楼", name_en="Songbei 2")


@pytest.fixture
def rooms(s01, s02):
    made = {}
    for b, number in ((s01, "111"), (s01, "112"), (s01, "113"), (s02, "211")):
        made[number] = f.RoomFactory(
            building=b, number=number, capacity=2, gender=GenderPolicy.MALE, floor=int(number[0])
        )
    return made


@pytest.fixture
def worker(s01):
    """A service worker of S01: its shift lead."""
    user = f.user_with_role(Role.SHIFT_LEAD, username="cleaner1", full_name="李阿姨")
    BuildingAssignment.objects.create(building=s01, user=user, role=Role.SHIFT_LEAD)
    return user


@pytest.fixture
def electrician(campus):
    return f.technician(campus, skills=["electrical"], username="electrician1", full_name="张师傅")

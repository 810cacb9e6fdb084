"""A small repair world shared by the maintenance tests: one campus with a building, a room
with a resident, a dispatcher and a plumber; another campus with its own, for scope tests."""

import pytest

from apartments.models import BuildingAssignment, GenderPolicy
from logistics.models import Role
from tests import factories as f


@pytest.fixture
def campus():
    return f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus")


@pytest.fixture
def other_campus():
    return f.CampusFactory(code="jiangnan", name="江南校区", name_en="Jiangnan campus")


@pytest.fixture
def building(campus):
    return f.BuildingFactory(campus=campus, code="S01", name="松北1号楼", name_en="Songbei 1")


@pytest.fixture
def room(building):
    return f.RoomFactory(building=building, number="101", capacity=4)


@pytest.fixture
def student(room):
    """The user of a resident living in `room`."""
    return f.resident_living_in(room, student_id="R0000001", name="王伟").user


@pytest.fixture
def roommate(room):
    return f.resident_living_in(room, student_id="R0000002", name="赵强").user


@pytest.fixture
def dispatcher(campus):
    return f.dispatcher(campus, username="dispatcher1", full_name="赵调度")


@pytest.fixture
def plumber(campus):
    return f.technician(campus, skills=["plumbing"], username="plumber1", full_name="王师傅")


@pytest.fixture
def other_dispatcher(other_campus):
    return f.dispatcher(other_campus, username="dispatcher2")


@pytest.fixture
def admin():
    return f.user_with_role(Role.ADMIN, username="admin1")


# --- A readiness campaign's world: S01 (rooms 111-113), S02 (211), a service worker of S01 (its
# shift lead) and an electrician.


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

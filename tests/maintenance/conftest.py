"""A small repair world shared by the maintenance tests: one campus with a building, a room
with a resident, a dispatcher and a plumber; another campus with its own, for scope tests."""

import pytest

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

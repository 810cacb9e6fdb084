import pytest

from logistics.models import Role
from tests.factories import BuildingAssignmentFactory, user_with_role


@pytest.fixture
def manager(building):
    """A dorm manager of the test module's `building`."""
    user = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=user, building=building)
    return user

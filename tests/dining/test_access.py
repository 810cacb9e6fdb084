"""Who works which canteen: canteen staff their assigned canteens, the dining manager those of
their campuses, administrators all; everyone else none."""

import pytest

from dining.access import managed_canteens, work_canteens
from tests.dining.data import dining_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return dining_world()


@pytest.mark.parametrize(
    "who, works, manages",
    [
        ("manager", {"A", "B"}, {"A", "B"}),
        ("south_manager", {"B"}, {"B"}),
        ("staff_a", {"A"}, set()),
        ("staff_b", {"B"}, set()),
        ("admin", {"A", "B"}, {"A", "B"}),
        ("student", set(), set()),
        ("technician", set(), set()),
        ("nobody", set(), set()),
    ],
)
def test_each_role_works_its_own_canteens(world, who, works, manages):
    names = {world[k].pk: k for k in ("A", "B")}
    assert {names[c.pk] for c in work_canteens(world[who])} == works
    assert {names[c.pk] for c in managed_canteens(world[who])} == manages


def test_canteen_staff_without_the_role_work_nowhere(world):
    # An assignment left behind after the role was revoked gives nothing.
    world["staff_a"].role_grants.all().delete()
    world["staff_a"].__dict__.pop("_grants_cache", None)
    assert not work_canteens(world["staff_a"]).exists()

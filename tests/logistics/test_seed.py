"""The demo university: every role has an account, every category lives on both campuses,
and loading it twice changes nothing."""

import pytest
from django.core.management import call_command

from apartments.models import Bed, Building, BuildingAssignment, Category, Resident, Room
from logistics.demo import DEMO_PASSWORD
from logistics.models import Campus, Department, Role, RoleGrant, User

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Campus,
            Department,
            User,
            RoleGrant,
            Building,
            Room,
            Bed,
            Resident,
            BuildingAssignment,
        )
    }


def test_seed_demo_loads_a_whole_university_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    first = _counts()
    passwords = dict(User.objects.values_list("username", "password"))

    call_command("seed_demo", verbosity=0)

    assert _counts() == first
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert first["Campus"] == 2
    assert first["Building"] >= 12
    assert 2000 <= first["Bed"] <= 10000  # "a few thousand beds"
    for campus in Campus.objects.all():
        present = set(Resident.objects.filter(campus=campus).values_list("category", flat=True))
        assert present == set(Category.values), campus.code


def test_every_role_has_a_demo_account_that_can_sign_in(client):
    call_command("seed_demo", verbosity=0)
    held = set(
        RoleGrant.objects.exclude(user__password__startswith="!").values_list("role", flat=True)
    )
    assert held == set(Role.values)

    for username in ["admin", "manager", "technician", "auditor", "2501000001"]:
        client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
        assert client.session.get("_auth_user_id"), username
        client.post("/accounts/logout/")


def test_resident_accounts_have_no_usable_password_except_the_demo_student():
    call_command("seed_demo", verbosity=0)
    residents = User.objects.filter(resident__isnull=False)
    usable = [u.username for u in residents if u.has_usable_password()]
    assert usable == ["2501000001"]

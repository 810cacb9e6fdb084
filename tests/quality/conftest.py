"""People and departments shared by the quality tests."""

import pytest

from logistics.models import Role
from tests import factories as f


@pytest.fixture
def apartments_dept():
    return f.DepartmentFactory(
        code="apartments", name="公寓中心", name_en="Apartment Center", areas=["apartments"]
    )


@pytest.fixture
def dining_dept():
    return f.DepartmentFactory(
        code="dining", name="饮食中心", name_en="Dining Center", areas=["dining"]
    )


@pytest.fixture
def auditor():
    return f.user_with_role(Role.AUDITOR, username="auditor1", full_name="刘审核")


@pytest.fixture
def head(apartments_dept):
    """The head of the apartment center."""
    return f.user_with_role(
        Role.DEPARTMENT_HEAD, department=apartments_dept, username="head1", full_name="公寓主任"
    )


@pytest.fixture
def dining_head(dining_dept):
    return f.user_with_role(Role.DEPARTMENT_HEAD, department=dining_dept, username="head2")


@pytest.fixture
def staff_member():
    """A staff user with no quality role (a dorm manager)."""
    return f.user_with_role(Role.DORM_MANAGER, username="staff1", full_name="张楼长")


@pytest.fixture
def student():
    return f.user_with_role(Role.STUDENT, username="2025000001", full_name="王伟")


@pytest.fixture
def admin():
    return f.user_with_role(Role.ADMIN, username="admin1")


@pytest.fixture
def other_auditor():
    return f.user_with_role(Role.AUDITOR, username="auditor2", full_name="陈审核")


@pytest.fixture
def campus():
    return f.CampusFactory(code="songbei", name="松北校区", name_en="Songbei")

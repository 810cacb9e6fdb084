"""Desks and kits are worked by the building's own staff: seeing a building (as an auditor,
say) is not the same as working its desk."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apartments.models import Stay
from logistics.models import Role, RoleGrant
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_who_also_audits():
    songbei, _ = campuses()
    own = building_with_beds(songbei, "S01", rooms=1)
    other = building_with_beds(songbei, "S02", rooms=1)
    user = user_with_role(Role.DORM_MANAGER)
    RoleGrant.objects.create(user=user, role=Role.AUDITOR, campus=songbei)
    BuildingAssignmentFactory(user=user, building=own)
    return user, own, other, songbei


def test_the_desk_and_kits_of_another_building_are_404(client, manager_who_also_audits):
    user, own, other, _ = manager_who_also_audits
    client.force_login(user)
    assert client.get(reverse("apartments:desk", args=[own.pk])).status_code == 200
    assert client.get(reverse("apartments:desk", args=[other.pk])).status_code == 404
    assert client.get(reverse("apartments:building_kits", args=[other.pk])).status_code == 404
    # As an auditor they may still look at it.
    assert client.get(reverse("apartments:building_detail", args=[other.pk])).status_code == 200
    choices = client.get(reverse("apartments:desk_choose"), follow=True)
    assert choices.redirect_chain[-1][0] == reverse("apartments:desk", args=[own.pk])


def test_the_api_checks_in_only_to_the_callers_own_buildings(manager_who_also_audits):
    user, _own, other, songbei = manager_who_also_audits
    resident = ResidentFactory(campus=songbei)
    api = APIClient()
    api.force_authenticate(user)
    bed = free_beds(other)[0]
    response = api.post(
        "/api/v1/check-ins/", {"student_id": resident.student_id, "bed": bed.pk}, format="json"
    )
    assert response.status_code == 404
    assert not Stay.objects.exists()


def test_the_building_page_offers_desk_and_kits_only_to_who_works_there(
    client, manager_who_also_audits
):
    user, own, other, _ = manager_who_also_audits
    client.force_login(user)
    mine = client.get(reverse("apartments:building_detail", args=[own.pk])).content.decode()
    theirs = client.get(reverse("apartments:building_detail", args=[other.pk])).content.decode()
    assert reverse("apartments:desk", args=[own.pk]) in mine
    assert 'data-testid="building-actions"' not in theirs

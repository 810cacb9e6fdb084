"""Move-out requests outside the notices (issue 18): a request whose date no move-out notice
that concerns the resident covers, or filed as "graduation" by someone whose class does not
graduate then, is routed to the building's dorm managers with the reason; the form chooses no
reason in advance unless a graduation notice concerns the resident; the board's counts open
the requests behind them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from apartments import move_out
from apartments.models import MoveOutRequest, ReviewReason
from logistics.models import Notification, Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.apartments.move_out_data import notice
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def place():
    songbei, _ = campuses()
    s01 = building_with_beds(songbei, "S01", rooms=1)
    beds = free_beds(s01)
    year = TODAY().year
    graduate = ResidentFactory(campus=songbei, graduation_year=year)
    freshman = ResidentFactory(campus=songbei, graduation_year=year + 4)
    stay(graduate, beds[0])
    stay(freshman, beds[1])
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s01, role=Role.DORM_MANAGER)
    return {"graduate": graduate, "freshman": freshman, "manager": manager, "S01": s01}


def file(resident, planned, reason="graduation"):
    return move_out.move_out_file(
        actor=resident.user, resident=resident, planned_date=planned, reason=reason
    )


def graduation_notice(year, days=(1, 20)):
    return notice(
        graduation_year=year,
        move_out_from=TODAY() + dt.timedelta(days=days[0]),
        move_out_until=TODAY() + dt.timedelta(days=days[1]),
    )


def test_a_graduate_inside_their_notice_goes_straight_ahead(place):
    graduation_notice(place["graduate"].graduation_year)
    request = file(place["graduate"], TODAY() + dt.timedelta(days=5))
    assert request.review == ""
    assert not Notification.objects.exists()


def test_graduation_filed_by_a_class_that_does_not_graduate_is_routed_to_the_manager(place):
    # Given this year's graduation notice, the freshman (class of year + 4) files "graduation"
    graduation_notice(place["graduate"].graduation_year)
    freshman = place["freshman"]
    request = file(freshman, TODAY() + dt.timedelta(days=5))
    assert request.review == ReviewReason.NOT_THEIR_GRADUATION
    assert request.status == MoveOutRequest.Status.REQUESTED
    (note,) = Notification.objects.filter(recipient=place["manager"])
    assert note.kind == "apartments.move_out_to_review"
    assert note.url == reverse("apartments:move_out_request", args=[request.pk])


def test_a_date_no_notice_covers_is_routed_with_its_reason(place):
    graduation_notice(place["graduate"].graduation_year, days=(1, 20))
    request = file(place["graduate"], TODAY() + dt.timedelta(days=60), reason="off_campus")
    assert request.review == ReviewReason.NO_NOTICE
    request = file(place["freshman"], TODAY() + dt.timedelta(days=60), reason="graduation")
    assert request.review == ReviewReason.NOT_THEIR_GRADUATION


def test_the_pages_say_why(client, place):
    freshman = place["freshman"]
    request = file(freshman, TODAY() + dt.timedelta(days=5), reason="withdrawal")
    client.force_login(freshman.user)
    page = client.get(reverse("apartments:move_out_request", args=[request.pk])).content.decode()
    assert 'data-testid="move-out-review"' in page
    assert "No move-out notice concerns this resident at that date" in page
    client.force_login(place["manager"])
    page = client.get(reverse("apartments:move_out_list")).content.decode()
    assert f'data-testid="review-{request.pk}"' in page


def test_the_form_chooses_graduation_only_for_a_graduating_class(client, place):
    client.force_login(place["freshman"].user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert '<option value="graduation" selected>' not in page
    graduation_notice(place["graduate"].graduation_year)
    client.force_login(place["graduate"].user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert '<option value="graduation" selected>' in page


def test_filing_outside_a_notice_on_the_page_warns_the_resident(client, place):
    client.force_login(place["freshman"].user)
    planned = (TODAY() + dt.timedelta(days=5)).isoformat()
    response = client.post(
        reverse("apartments:my_move_out_file"),
        {"planned_date": planned, "reason": "graduation"},
        follow=True,
    )
    assert "a dorm manager reviews it first" in response.content.decode()


def test_the_boards_counts_open_the_requests(client, place):
    year = place["graduate"].graduation_year
    graduation_notice(year)
    request = file(place["graduate"], TODAY() + dt.timedelta(days=5))
    client.force_login(place["manager"])
    page = client.get(reverse("apartments:move_out_board"), {"year": year}).content.decode()
    link = (
        f"{reverse('apartments:move_out_list')}?building={place['S01'].pk}&amp;year={year}"
        "&amp;status=requested"
    )
    assert f'href="{link}" data-testid="board-S01-requested"' in page
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert reverse("apartments:move_out_request", args=[request.pk]) in listed

"""Home panels of the service hall: shown above the tiles, to the roles they name, with a
context computed only for those users; and the move-out notice panel of the apartments."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from logistics import hall
from logistics.models import Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.apartments.move_out_data import notice
from tests.factories import ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(monkeypatch, settings, tmp_path):
    """A test panel for technicians, its template in a temporary folder."""
    (tmp_path / "panel_test.html").write_text("<p data-testid='test-panel'>{{ panel.text }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    calls = []

    def context(user):
        calls.append(user.pk)
        return {"text": "<b>hello</b>"} if user.username != "quiet" else None

    monkeypatch.setattr(hall, "PANELS", dict(hall.PANELS))
    hall.hall_panel("test.panel", "panel_test.html", context=context, roles=(Role.TECHNICIAN,))
    return calls


def test_a_panel_shows_to_its_roles_above_the_tiles(client, panel):
    technician = user_with_role(Role.TECHNICIAN)
    client.force_login(technician)
    page = client.get(reverse("home")).content.decode()
    assert "data-testid='test-panel'" in page
    assert "&lt;b&gt;hello&lt;/b&gt;" in page  # the context is autoescaped
    assert page.index("test-panel") < page.index('data-testid="hall"')
    assert panel == [technician.pk]


def test_a_panel_costs_nothing_for_other_users(client, panel):
    client.force_login(user_with_role(Role.DINING_MANAGER))
    page = client.get(reverse("home")).content.decode()
    assert "test-panel" not in page
    assert panel == []


def test_a_panel_whose_context_is_none_is_hidden(client, panel):
    client.force_login(user_with_role(Role.TECHNICIAN, username="quiet"))
    assert "test-panel" not in client.get(reverse("home")).content.decode()
    assert len(panel) == 1


def test_panels_for_anonymous_is_empty(panel):
    from django.contrib.auth.models import AnonymousUser

    assert hall.panels_for(AnonymousUser()) == []


# --- The move-out notice panel ---------------------------------------------------------------


@pytest.fixture
def residents():
    songbei, jiangnan = campuses()
    building = building_with_beds(songbei, "S01", rooms=2)
    beds = free_beds(building)
    graduate = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(graduate, beds.pop(0))
    return {
        "graduate": graduate,
        "next_year": ResidentFactory(campus=songbei, graduation_year=2027),
        "other_campus": ResidentFactory(campus=jiangnan, graduation_year=2026),
        "postgraduate": ResidentFactory(
            campus=songbei, graduation_year=2026, category="postgraduate"
        ),
        "songbei": songbei,
    }


def test_the_notice_shows_to_exactly_the_residents_concerned(client, residents):
    notice(
        campus=residents["songbei"],
        graduation_year=2026,
        categories=["undergraduate"],
        title="2026届毕业生退宿须知",
        title_en="Graduates of 2026: moving out",
    )
    shown = {}
    for key in ["graduate", "next_year", "other_campus", "postgraduate"]:
        client.force_login(residents[key].user)
        shown[key] = "2026届毕业生退宿须知" in client.get(reverse("home")).content.decode()
    assert shown == {
        "graduate": True,
        "next_year": False,
        "other_campus": False,
        "postgraduate": False,
    }
    client.force_login(user_with_role(Role.ADMIN))
    assert "move-out-panel" not in client.get(reverse("home")).content.decode()


def test_the_notice_is_in_the_residents_language(client, residents):
    notice(graduation_year=2026, title="中文标题", title_en="English title")
    without_english = notice(graduation_year=2026, title="只有中文", title_en="")
    client.force_login(residents["graduate"].user)
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "English title" in english and "中文标题" not in english
    assert "只有中文" in english  # falls back to Chinese
    chinese = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "中文标题" in chinese and "English title" not in chinese
    assert without_english.title in chinese


def test_an_ended_or_unpublished_notice_is_not_shown(client, residents):
    today = timezone.localdate()
    notice(
        graduation_year=2026,
        title="已结束",
        move_out_from=today - dt.timedelta(days=10),
        move_out_until=today - dt.timedelta(days=1),
    )
    notice(graduation_year=2026, title="草稿", published_at=None)
    client.force_login(residents["graduate"].user)
    page = client.get(reverse("home")).content.decode()
    assert "move-out-panel" not in page

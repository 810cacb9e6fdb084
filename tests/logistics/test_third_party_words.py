"""The administration's third-party words (issue 18, "Words"): django-axes ships no Chinese,
so its strings are listed in logistics.third_party for our catalogue, and its app gets a
name."""

import re
from pathlib import Path

import axes
import pytest
from django.apps import apps
from django.utils import translation

from logistics.third_party import AXES_WORDS
from tests import factories as f

AXES_DIR = Path(axes.__file__).parent


def axes_msgids() -> set[str]:
    words = set()
    for path in AXES_DIR.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        words |= set(re.findall(r'\b_\(\s*"([^"]+)"\s*\)', path.read_text(encoding="utf-8")))
    return words


def test_every_word_of_axes_is_listed_for_our_catalogue():
    """A new axes release with new words fails here: list them (and translate them)."""
    assert axes_msgids() == set(AXES_WORDS)


def test_axes_has_a_name_in_the_administration():
    with translation.override("en"):
        assert str(apps.get_app_config("axes").verbose_name) == "Sign-in lockouts"


@pytest.mark.django_db
def test_the_administration_lists_the_lockouts_by_that_name(client):
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign-in lockouts" in page
    assert ">Axes<" not in page


def test_pages_name_people_by_their_display_name_not_their_username():
    """Accounts carry their name in `full_name` (first/last names are empty), so
    `get_full_name|default:username` showed a username where a person expects a name
    (issue 18, "Words"): templates and views use `display_name`."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("templates", "apartments", "maintenance", "quality", "dining", "logistics")
        for path in (root / folder).rglob("*")
        if path.suffix in {".html", ".py"}
        and "migrations" not in path.parts
        and path != root / "logistics" / "models.py"  # where display_name is defined
        and re.search(
            r"get_full_name(\(\))?( or |\|default:)|_by\.username\|default",
            path.read_text(encoding="utf-8"),
        )
    ]
    assert offenders == []
    person = f.UserFactory.build(
        username="zhang01", full_name="张楼长", first_name="", last_name=""
    )
    assert person.display_name == "张楼长"

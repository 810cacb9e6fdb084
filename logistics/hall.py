"""The one-stop service hall (一站式服务大厅): the tiles on each user's home page.

Each app lists its entries in `<app>/hall.py` with `hall_entry(...)`; an entry shows only to
the roles it names (and only where its page works: an app adds an entry with the page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from logistics.access import has_role, roles_of
from logistics.models import Role


@dataclass(frozen=True)
class HallEntry:
    key: str
    title: str  # lazy translation
    description: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    roles: tuple[str, ...] = ()  # empty: every signed-in user
    position: int = 100
    visible: Callable | None = field(default=None, compare=False)  # extra check(user)

    def shows_to(self, user) -> bool:
        if self.roles and not has_role(user, *self.roles):
            return False
        return self.visible is None or bool(self.visible(user))

    @property
    def url(self) -> str:
        return reverse(self.url_name)


ENTRIES: dict[str, HallEntry] = {}


def hall_entry(**kwargs) -> HallEntry:
    entry = HallEntry(**kwargs)
    ENTRIES[entry.key] = entry
    return entry


def entries_for(user) -> list[HallEntry]:
    if not user.is_authenticated:
        return []
    return sorted(
        (e for e in ENTRIES.values() if e.shows_to(user)), key=lambda e: (e.position, e.key)
    )


STAFF_ROLES = tuple(r for r in Role.values if r != Role.STUDENT)


def role_labels(user) -> list[str]:
    return [Role(r).label for r in Role.values if r in roles_of(user)]

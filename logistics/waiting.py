"""What waits for a person (待办): the home page's "waiting for you" list, one source per app.

An app registers, at import (in its `hall.py`), a function that returns the items waiting for a
user; the kernel shows them all in one panel above the tiles, in the order of the sources'
positions. A source runs only for users its `roles` admit, so it costs nobody else a query:

    waiting_source("maintenance.to_confirm", _repairs_to_confirm, roles=(Role.STUDENT,))

An item's text is translated by the source (it is rendered in the reader's language).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from logistics.access import has_role


@dataclass(frozen=True)
class WaitingItem:
    text: str
    url: str
    icon: str = "hourglass-split"
    # "warning" for what has a deadline close by, "info" otherwise (the badge's colour)
    tone: str = "info"
    due: str = ""  # a date or a short phrase, shown at the end of the line


@dataclass(frozen=True)
class WaitingSource:
    key: str
    collect: Callable = field(compare=False)  # (user) -> list[WaitingItem]
    roles: tuple[str, ...] = ()
    position: int = 100

    def shows_to(self, user) -> bool:
        return not self.roles or has_role(user, *self.roles)


SOURCES: dict[str, WaitingSource] = {}


def waiting_source(key: str, collect: Callable, *, roles=(), position: int = 100) -> WaitingSource:
    source = WaitingSource(key=key, collect=collect, roles=tuple(roles), position=position)
    SOURCES[key] = source
    return source


def waiting_for(user) -> list[WaitingItem]:
    """Everything waiting for `user`, source by source."""
    if not user.is_authenticated:
        return []
    items: list[WaitingItem] = []
    for source in sorted(SOURCES.values(), key=lambda s: (s.position, s.key)):
        if source.shows_to(user):
            items.extend(source.collect(user) or [])
    return items

"""The staff's one search box (CONTRACT.md "Search"): a student id or its start, a name or its
pinyin initials, a room as S01-101, a ticket or complaint number, an asset tag.

The kernel knows no app's models: each app registers what it can find in its `search.py`
(autodiscovered, like `jobs.py`) with `@search_provider`. A provider gets the caller and the
parsed query and returns its hits among what the caller may see, at most `limit`, each with a
rank (0 an exact match of a number or id, 1 the start of one, 2 a name or initials); `search`
merges them best first. Each provider runs a fixed number of queries (usually one, over an
index), so a search costs the same at 30,000 residents as at 30.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

QUERY_MAX_LENGTH = 100
RESULTS_MAX = 20

EXACT, PREFIX, NAME = 0, 1, 2


@dataclass(frozen=True)
class Query:
    """What was typed, cleaned: `text` as typed (stripped, width-normalised: full-width digits
    and letters from a Chinese keyboard become ASCII), `upper` and `lower` for ids and
    initials, `number` when it reads as a record number (#123, 123, CP-45 → 45 with its
    `prefix` "CP")."""

    text: str
    upper: str
    lower: str
    number: int | None
    prefix: str

    @property
    def initials(self) -> str:
        """The text as pinyin initials, when it could be some ("ww", "lm"): letters only."""
        return self.lower if re.fullmatch(r"[a-z]{1,20}", self.lower) else ""


NUMBER = re.compile(r"^(?:(?P<prefix>[A-Za-z]{1,3})-?)?#?(?P<number>\d{1,9})$")


def parse(text: str) -> Query:
    text = unicodedata.normalize("NFKC", text or "").strip()
    match = NUMBER.match(text)
    number = int(match["number"]) if match else None
    prefix = (match["prefix"] or "").upper() if match else ""
    return Query(text=text, upper=text.upper(), lower=text.lower(), number=number, prefix=prefix)


@dataclass(frozen=True)
class Hit:
    kind: str  # resident, room, ticket, asset, complaint, …
    id: int
    label: str
    url: str
    rank: int = NAME

    def as_contract(self) -> dict:
        return {"kind": self.kind, "id": self.id, "label": self.label, "url": self.url}


Provider = Callable[[object, Query, int], Iterable[Hit]]
PROVIDERS: dict[str, Provider] = {}
KIND_LABELS: dict[str, object] = {}


def search_provider(name: str, kinds: dict[str, object]):
    """Register a provider, `name`, of hits of the given kinds (each with the label the
    results page shows over them)."""

    def register(provider: Provider) -> Provider:
        PROVIDERS[name] = provider
        KIND_LABELS.update(kinds)
        return provider

    return register


class SearchError(ValueError):
    pass


def search(user, text: str, *, limit: int = RESULTS_MAX) -> list[Hit]:
    """At most `limit` hits for `text` among what `user` may see, best first: exact ids and
    numbers, then starts of them, then names; within a rank in each provider's own order."""
    if len(text or "") > QUERY_MAX_LENGTH:
        raise SearchError(_("Search for at most %(n)s characters.") % {"n": QUERY_MAX_LENGTH})
    query = parse(text)
    if not query.text:
        raise SearchError(_("Type a student id, a name, a room, or a number to search for."))
    hits: list[tuple[int, int, int, Hit]] = []
    for order, provider in enumerate(PROVIDERS.values()):
        for position, hit in enumerate(provider(user, query, limit)):
            hits.append((hit.rank, order, position, hit))
    hits.sort(key=lambda item: item[:3])
    return [hit for *_, hit in hits[:limit]]

"""Columns and values: headings and cells in English or Chinese, normalised; control
characters found; campuses looked up by code or name."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from apartments.models import (
    Gender,
)
from logistics.models import Campus


@dataclass(frozen=True)
class Column:
    field: str
    english: str
    chinese: str
    required: bool = True
    other_names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.english} / {self.chinese}"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.english, self.chinese, *self.other_names)


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    text = re.sub(r"[(（][^)）]*[)）]$", "", text).strip()  # "性别（男/女）"
    return re.sub(r"[\s_\-]+", "_", text.casefold())


def _value_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", unicodedata.normalize("NFKC", text).strip().casefold())


# Invisible characters that may pad a cell copied from a web page or a Word document.
_EDGE_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
# Control characters (Unicode Cc), lone surrogates, and the characters that reorder text on
# screen (a classic way to disguise a value).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def _shown(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(…), =cmd|…)
# when the value is pasted into it, or exported by the portal and opened again. Codes and names
# from a file never start with them. (A leading tab or carriage return, the other classic, is a
# control character and refused anyway.)
FORMULA_STARTS = ("=", "+", "-", "@")


def _formula_start(value: str) -> str:
    """The character that would make a spreadsheet run `value` as a formula, or ""."""
    return value[0] if value.startswith(FORMULA_STARTS) else ""


_GENDERS = {
    "m": Gender.MALE,
    "male": Gender.MALE,
    "man": Gender.MALE,
    "男": Gender.MALE,
    "男生": Gender.MALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "女": Gender.FEMALE,
    "女生": Gender.FEMALE,
}


def _to_int(value: str, suffixes: str = "") -> int | None:
    text = unicodedata.normalize("NFKC", value).strip()
    for suffix in suffixes:
        text = text.removesuffix(suffix).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _campus_key(value: str) -> str:
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()
    for suffix in ("校区", "campus"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return key


class _Campuses:
    """Campuses by code, name or English name, case-insensitively, with or without the
    "校区"/"campus" suffix. An import creates campuses only when asked to (the rooms import's
    --create-campuses): each unknown campus once, however the file spells it, so that a typo
    never invents one by accident."""

    AMBIGUOUS = object()

    def __init__(self, *, create: bool = False, creatable: bool = False):
        self.all = list(Campus.objects.order_by("code"))
        self.create = create  # create the unknown campuses
        self.creatable = creatable  # this import could (its unknown-campus message says so)
        self.by_key: dict[str, Any] = {}
        for campus in self.all:
            for value in (campus.code, campus.name, campus.name_en):
                if value:
                    key = _campus_key(value)
                    known = self.by_key.get(key)
                    self.by_key[key] = campus if known in (None, campus) else self.AMBIGUOUS
        self.new: dict[str, Campus] = {}  # key → a campus to create (unsaved), in file order
        self.unknown: dict[str, str] = {}  # key → an unknown campus as the file first wrote it

    def find(self, value: str) -> Campus | None:
        found = self.by_key.get(_campus_key(value))
        return None if found is self.AMBIGUOUS else found

    def is_ambiguous(self, value: str) -> bool:
        return self.by_key.get(_campus_key(value)) is self.AMBIGUOUS

    def to_create(self, value: str) -> Campus:
        """The campus to create for `value` (unsaved: the import saves it when it writes):
        named as the file first writes it, with a code of its own and the next position."""
        key = _campus_key(value)
        campus = self.new.get(key)
        if campus is None:
            taken = {c.code.casefold() for c in [*self.all, *self.new.values()]}
            positions = [c.position for c in [*self.all, *self.new.values()]]
            campus = Campus(
                code=_free_code(slugify(value), taken),
                name=value,
                position=max(positions, default=0) + 1,
            )
            self.new[key] = campus
        return campus

    def unknown_message(self, value: str) -> str:
        if not self.all and self.creatable:
            return _("Unknown campus “%(value)s”: no campus exists yet.") % {"value": _shown(value)}
        if not self.all:
            return _(
                "Unknown campus “%(value)s”: no campus exists yet; an administrator creates "
                "the campuses first."
            ) % {"value": _shown(value)}
        known = ", ".join(f"{c.code} ({c.name})" for c in self.all)
        return _("Unknown campus “%(value)s”; known campuses: %(known)s.") % {
            "value": _shown(value),
            "known": known,
        }


def _free_code(slug: str, taken: set[str]) -> str:
    """A campus code not in `taken`: the name's ASCII slug ("beilin-campus"), else
    "campus-N"; numbered from 2 ("nanhu-2") when the slug is taken."""
    limit = Campus._meta.get_field("code").max_length
    slug = slug[:limit].strip("-_")
    candidates = (
        (slug if n == 1 else f"{slug[: limit - len(str(n)) - 1]}-{n}") if slug else f"campus-{n}"
        for n in itertools.count(1)
    )
    return next(code for code in candidates if code.casefold() not in taken)

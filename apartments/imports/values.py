"""Columns and values: headings and cells in English or Chinese, normalised; control
characters found; campuses looked up by code or name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

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
    "校区"/"campus" suffix. Imports never create campuses: an administrator does."""

    AMBIGUOUS = object()

    def __init__(self):
        self.all = list(Campus.objects.order_by("code"))
        self.by_key: dict[str, Any] = {}
        for campus in self.all:
            for value in (campus.code, campus.name, campus.name_en):
                if value:
                    key = _campus_key(value)
                    known = self.by_key.get(key)
                    self.by_key[key] = campus if known in (None, campus) else self.AMBIGUOUS

    def find(self, value: str) -> Campus | None:
        found = self.by_key.get(_campus_key(value))
        return None if found is self.AMBIGUOUS else found

    def unknown_message(self, value: str) -> str:
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

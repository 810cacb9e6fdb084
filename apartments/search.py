"""What the staff's search box finds in the apartments (logistics.search): residents by the
start of their student id, their name or its pinyin initials; buildings by code and rooms as
S01-101; assets by tag. Each among what the caller may see, one query each, over the prefix
indexes of migration 0016."""

from __future__ import annotations

import re

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import pgettext_lazy

from apartments.assets import assets_visible_to
from apartments.dashboard import residents_for
from apartments.models import Room
from apartments.selectors import buildings_for, current_place_label, resident_matches
from logistics.search import EXACT, NAME, PREFIX, Hit, Query, search_provider

ROOM = re.compile(r"^(?P<building>[A-Za-z0-9]{1,20})[-\s](?P<room>[A-Za-z0-9]{1,20})$")


def _url(name: str, pk: int) -> str:
    return reverse(name, args=[pk])


@search_provider("residents", {"resident": pgettext_lazy("search results", "Residents")})
def residents(user, query: Query, limit: int):
    visible = residents_for(user)
    if visible.query.is_empty():
        return []
    text = query.text
    rows = (
        visible.filter(resident_matches(text))
        .annotate(place=current_place_label())
        .order_by("student_id")
        .values_list("pk", "student_id", "name", "place")[:limit]
    )
    hits = []
    for pk, student_id, name, where in rows:
        if student_id in (text, query.upper):
            rank = EXACT
        elif student_id.startswith((text, query.upper)):
            rank = PREFIX
        else:
            rank = NAME
        label = f"{student_id} {name}" + (f" · {where}" if where else "")
        hits.append(Hit("resident", pk, label, _url("apartments:resident_card", pk), rank))
    return hits


@search_provider(
    "rooms",
    {
        "building": pgettext_lazy("search results", "Buildings"),
        "room": pgettext_lazy("search results", "Rooms"),
    },
)
def rooms(user, query: Query, limit: int):
    visible = buildings_for(user)
    if visible.query.is_empty():
        return []
    match = ROOM.match(query.text)
    if match is None:
        # A building by its code ("S01").
        if not re.fullmatch(r"[A-Za-z0-9]{1,20}", query.text):
            return []
        return [
            Hit(
                "building",
                pk,
                f"{code} {name}",
                _url("apartments:building_detail", pk),
                EXACT,
            )
            for pk, code, name in visible.filter(code__iexact=query.text).values_list(
                "pk", "code", "name"
            )[:limit]
        ]
    rows = (
        Room.objects.filter(
            building__in=visible,
            building__code__iexact=match["building"],
            number__startswith=match["room"],
        )
        .order_by("number")
        .values_list("pk", "building__code", "number")[:limit]
    )
    return [
        Hit(
            "room",
            pk,
            f"{code}-{number}",
            _url("apartments:room_assets", pk),
            EXACT if number == match["room"] else PREFIX,
        )
        for pk, code, number in rows
    ]


@search_provider("assets", {"asset": pgettext_lazy("search results", "Assets")})
def assets(user, query: Query, limit: int):
    if len(query.text) < 3 or not re.fullmatch(r"[\w\-./]+", query.text):
        return []
    tags = Q(tag__startswith=query.text)
    if query.upper != query.text:
        tags |= Q(tag__startswith=query.upper)
    rows = (
        assets_visible_to(user)
        .filter(tags)
        .order_by("tag")
        .values_list("pk", "tag", "asset_type__name", "room_id", "storeroom_id")[:limit]
    )
    hits = []
    for pk, tag, type_name, room_id, storeroom_id in rows:
        url = (
            _url("apartments:room_assets", room_id)
            if room_id
            else _url("apartments:storeroom_detail", storeroom_id)
        )
        rank = EXACT if tag in (query.text, query.upper) else PREFIX
        hits.append(Hit("asset", pk, f"{tag} {type_name}", url, rank))
    return hits

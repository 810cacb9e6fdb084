"""What the staff's search box finds in repairs (logistics.search): a ticket by its number
("#123" or "123"), among those the caller may see."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from logistics.search import EXACT, Hit, Query, search_provider
from maintenance.selectors import tickets_for


@search_provider("tickets", {"ticket": pgettext_lazy("search results", "Repair requests")})
def tickets(user, query: Query, limit: int):
    if query.number is None or query.prefix:
        return []
    row = (
        tickets_for(user)
        .filter(pk=query.number)
        .values_list("pk", "category__name", "description")
        .first()
    )
    if row is None:
        return []
    pk, category, description = row
    summary = description if len(description) <= 40 else f"{description[:40]}…"
    return [
        Hit(
            "ticket",
            pk,
            f"#{pk} {category} · {summary}",
            reverse("maintenance:ticket_detail", args=[pk]),
            EXACT,
        )
    ]

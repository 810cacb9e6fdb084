"""What the staff's search box finds in quality (logistics.search): a complaint (CP-45), a
nonconformity (NC-12) or an inspection record (QI-7) by its number, among those the caller
may see. A bare number is tried as each."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from logistics.search import EXACT, Hit, Query, search_provider
from quality.selectors import complaints_for, inspections_for, nonconformities_for

KINDS = (
    # prefix, kind, records the caller may see, page
    ("CP", "complaint", complaints_for, "quality:complaint_detail"),
    ("NC", "nonconformity", nonconformities_for, "quality:nc_detail"),
    ("QI", "inspection", inspections_for, "quality:inspection_detail"),
)


@search_provider(
    "quality",
    {
        "complaint": pgettext_lazy("search results", "Complaints"),
        "nonconformity": pgettext_lazy("search results", "Nonconformities"),
        "inspection": pgettext_lazy("search results", "Inspection records"),
    },
)
def records(user, query: Query, limit: int):
    if query.number is None:
        return []
    hits = []
    for prefix, kind, visible, page in KINDS:
        if query.prefix not in ("", prefix):
            continue
        if visible(user).filter(pk=query.number).exists():
            hits.append(
                Hit(
                    kind,
                    query.number,
                    f"{prefix}-{query.number}",
                    reverse(page, args=[query.number]),
                    EXACT,
                )
            )
    return hits

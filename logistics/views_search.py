"""The staff's search page: the box in the menu bar sends here (logistics.search)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from logistics.access import is_staff_member
from logistics.search import KIND_LABELS, QUERY_MAX_LENGTH, RESULTS_MAX, SearchError, search


@require_GET
@login_required
def search_page(request):
    """Hits grouped by what they are, in the order of the best hit of each group. Residents
    get 404: the search is for staff."""
    if not is_staff_member(request.user):
        raise Http404
    text = request.GET.get("q", "")
    error, groups, hits = "", [], []
    if text.strip():
        try:
            hits = search(request.user, text)
        except SearchError as problem:
            error, hits = str(problem), []
        by_kind: dict[str, list] = {}
        for hit in hits:
            by_kind.setdefault(hit.kind, []).append(hit)
        groups = [{"kind": kind, "hits": kind_hits} for kind, kind_hits in by_kind.items()]
    return render(
        request,
        "logistics/search.html",
        {
            "q": text[:QUERY_MAX_LENGTH],
            "error": error,
            "groups": groups,
            "searched": bool(text.strip()),
            "kind_labels": KIND_LABELS,
            "truncated": len(hits) >= RESULTS_MAX,
            "limit": RESULTS_MAX,
        },
    )

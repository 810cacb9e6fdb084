"""The alerts page: what the user must act on (logistics.alerts), and resolving one.

Staff only (residents have nothing to act on: 404). Who sees which alert is decided by
`alerts_for`: one the user may not see answers 404 as one that does not exist.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logistics.access import role_required
from logistics.alerts import (
    KINDS,
    AlertClosed,
    AlertInvalid,
    alert_resolve,
    alert_text,
    alerts_for,
    kind_choices,
    kind_name,
)
from logistics.hall import STAFF_ROLES
from logistics.views_notifications import is_local_path

PER_PAGE = 30


@require_GET
@role_required(*STAFF_ROLES)
def alert_list(request):
    """Open alerts (or resolved ones), newest first, optionally of one kind."""
    resolved = request.GET.get("state") == "resolved"
    kind = request.GET.get("kind", "")
    alerts = alerts_for(request.user).filter(resolved_at__isnull=not resolved)
    if kind in KINDS:
        alerts = alerts.filter(kind=kind)
    else:
        kind = ""
    alerts = (
        alerts.select_related("campus", "resolved_by")
        .prefetch_related("subject")
        .order_by("-created_at", "-id")
    )
    page = Paginator(alerts, PER_PAGE).get_page(request.GET.get("page"))
    for alert in page:
        alert.text = alert_text(alert)
        alert.kind_name = kind_name(alert.kind)
        alert.link = alert.url if is_local_path(alert.url) else ""
    return render(
        request,
        "logistics/alerts.html",
        {
            "page": page,
            "resolved": resolved,
            "kind": kind,
            "kinds": kind_choices(),
            # the filters, kept by the page links
            "query": urlencode(
                [
                    (k, v)
                    for k, v in (("state", "resolved" if resolved else ""), ("kind", kind))
                    if v
                ]
            ),
        },
    )


@require_POST
@role_required(*STAFF_ROLES)
def alert_resolve_view(request, pk: int):
    alert = get_object_or_404(alerts_for(request.user), pk=pk)
    try:
        alert_resolve(actor=request.user, alert=alert, note=request.POST.get("note", ""))
    except AlertInvalid as error:
        messages.error(request, error.message)
    except AlertClosed as error:
        messages.info(request, str(error))
    else:
        messages.success(request, _("The alert is resolved for everyone."))
    return redirect("alerts")

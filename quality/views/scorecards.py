"""Department scorecards: the ranking of a period (auditors and the leadership), a head's own
departments, the detail of one scorecard; the quality department computes, publishes (frozen)
and sets the weights. Services: quality.scorecards."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from logistics.access import ALL
from quality import scorecards
from quality.models import Scorecard
from quality.selectors import is_auditor


def _labels():
    from django.utils.translation import gettext

    return {
        "inspections": gettext("Inspections"),
        "complaints": gettext("Complaints answered in time"),
        "nonconformities": gettext("Nonconformities not overdue"),
        "surveys": gettext("Satisfaction surveys"),
        "repair_time_limits": gettext("Repair time limits kept"),
        "food_safety": gettext("Food safety"),
    }


def _scope(request):
    scope = scorecards.departments_visible(request.user)
    if scope is not ALL and not scope:
        raise Http404
    return scope


@login_required
def scorecard_list(request):
    _scope(request)
    period = request.GET.get("period") or scorecards.month_period(timezone.localdate())[0]
    try:
        cards = scorecards.scorecards_for(request.user, period)
    except scorecards.ScorecardError as error:
        messages.error(request, error.message)
        return redirect("quality:scorecard_list")
    labels = _labels()
    rows = [
        {
            "card": card,
            "components": [
                (labels.get(name, name), value) for name, value in card.components.items()
            ],
        }
        for card in cards
    ]
    return render(
        request,
        "quality/scorecards/list.html",
        {
            "period": period,
            "rows": rows,
            "is_auditor": is_auditor(request.user),
            "published": any(c.status == Scorecard.Status.PUBLISHED for c in cards),
        },
    )


@login_required
def scorecard_detail(request, pk: int):
    scope = _scope(request)
    card = get_object_or_404(Scorecard.objects.select_related("department"), pk=pk)
    if scope is not ALL and card.department_id not in scope:
        raise Http404
    labels = _labels()
    return render(
        request,
        "quality/scorecards/detail.html",
        {
            "card": card,
            "components": [(labels.get(n, n), v) for n, v in card.components.items()],
            "is_auditor": is_auditor(request.user),
        },
    )


@login_required
@require_POST
def scorecard_publish(request):
    period = request.POST.get("period", "")
    try:
        name, start, end = scorecards.parse_period(period)
        if not is_auditor(request.user):
            raise Http404
        scorecards.compute(name, start, end)
        count = scorecards.publish(actor=request.user, period=name)
    except scorecards.ScorecardError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)s scorecards published.") % {"count": count})
    return redirect(f"{reverse('quality:scorecard_list')}?period={period}")


@login_required
@require_POST
def scorecard_award(request, pk: int):
    if not is_auditor(request.user):
        raise Http404
    card = get_object_or_404(Scorecard, pk=pk)
    try:
        scorecards.award(actor=request.user, scorecard=card, text=request.POST.get("award", ""))
    except scorecards.ScorecardError as error:
        messages.error(request, error.message)
    return redirect("quality:scorecard_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def weights_edit(request):
    if not is_auditor(request.user):
        raise Http404
    weights = scorecards.current_weights()
    if request.method == "POST":
        try:
            scorecards.weights_set(
                actor=request.user,
                weights={name: request.POST.get(name, "") for name in scorecards.COMPONENTS},
            )
        except scorecards.ScorecardError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The weights apply from the next computation."))
            return redirect("quality:scorecard_list")
    labels = _labels()
    return render(
        request,
        "quality/scorecards/weights.html",
        {"weights": [(name, labels[name], weights[name]) for name in scorecards.COMPONENTS]},
    )


@login_required
def technician_card(request, user_id: int | None = None):
    """A technician's own card: the technician themself, auditors, and the heads of a
    department serving maintenance."""
    from logistics.models import User
    from maintenance.selectors import maintenance_head_campuses

    if user_id is None:
        user_id = request.user.pk
    allowed = (
        user_id == request.user.pk
        and User.objects.filter(pk=user_id, technician__isnull=False).exists()
    ) or is_auditor(request.user)
    if not allowed:
        campuses = maintenance_head_campuses(request.user)
        allowed = campuses is ALL or bool(campuses)
    if not allowed:
        raise Http404
    technician = get_object_or_404(User, pk=user_id, technician__isnull=False)
    period = request.GET.get("period") or scorecards.month_period(timezone.localdate())[0]
    try:
        card = scorecards.technician_card(technician.pk, period)
    except scorecards.ScorecardError as error:
        messages.error(request, error.message)
        return redirect(request.path)
    return render(
        request,
        "quality/scorecards/technician.html",
        {"technician": technician, "card": card, "period": period},
    )

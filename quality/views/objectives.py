"""Quality objectives: the page of every objective with its latest reviews (met or not), a new
objective, the owner's comment on a review. Services: quality.objectives."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from logistics.access import ALL
from logistics.forms import UserChoiceField
from logistics.models import Department, Role, User
from quality import objectives
from quality.documents import head_of
from quality.models import ObjectiveReview, QualityObjective


class ObjectiveForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.none()
    )
    title = forms.CharField(label=gettext_lazy("Objective"), max_length=200)
    title_en = forms.CharField(
        label=gettext_lazy("Objective in English"), max_length=200, required=False
    )
    measure = forms.ChoiceField(
        label=gettext_lazy("Measure"), choices=QualityObjective.Measure.choices
    )
    target = forms.DecimalField(label=gettext_lazy("Target"), max_digits=8, decimal_places=2)
    at_least = forms.BooleanField(
        label=gettext_lazy("At least the target (otherwise at most)"), required=False, initial=True
    )
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=20, initial="%")
    frequency = forms.ChoiceField(
        label=gettext_lazy("Frequency"), choices=QualityObjective.Frequency.choices
    )
    owner = UserChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.filter(is_active=True, role_grants__isnull=False)
        .exclude(role_grants__role=Role.STUDENT)
        .distinct()
        .order_by("username"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        heads = head_of(user)
        queryset = Department.objects.all()
        if heads is not ALL:
            queryset = queryset.filter(pk__in=heads)
        self.fields["department"].queryset = queryset


@login_required
def objective_list(request):
    heads = head_of(request.user)
    if heads is not ALL and not heads:
        raise Http404
    return render(
        request,
        "quality/iso/objective_list.html",
        {
            "rows": objectives.objectives_page(request.user),
            "may_create": heads is ALL or bool(heads),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def objective_new(request):
    heads = head_of(request.user)
    if heads is not ALL and not heads:
        raise Http404
    form = ObjectiveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            objectives.objective_create(actor=request.user, **form.cleaned_data)
        except objectives.ObjectiveError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Objective set."))
            return redirect("quality:objective_list")
    return render(request, "quality/iso/objective_new.html", {"form": form})


@login_required
@require_POST
def review_comment(request, pk: int):
    review = get_object_or_404(ObjectiveReview.objects.select_related("objective"), pk=pk)
    objectives.objective_get(request.user, review.objective_id)  # 404 for who may not see it
    try:
        objectives.review_comment(
            actor=request.user,
            review=review,
            comment=request.POST.get("comment", ""),
            value=request.POST.get("value"),
        )
        messages.success(request, _("Comment saved."))
    except objectives.ObjectiveError as error:
        messages.error(request, error.message)
    return redirect("quality:objective_list")

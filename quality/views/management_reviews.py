"""Management reviews: the list, a new meeting record, and its printable page gathering the
inputs. Services: quality.management_reviews."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from logistics.models import Department, Role, User
from quality import management_reviews as reviews
from quality.documents import is_quality
from quality.models import ManagementReviewAction
from quality.views.nonconformities import UserChoiceField

DATE = forms.DateInput(attrs={"type": "date"})


class ReviewForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Meeting date"), widget=DATE)
    period_start = forms.DateField(label=gettext_lazy("Inputs from"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("Inputs to"), widget=DATE)
    attendees = forms.CharField(
        label=gettext_lazy("Attendees"), widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(
        label=gettext_lazy("Minutes"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    decisions = forms.CharField(
        label=gettext_lazy("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    actions = forms.CharField(
        label=gettext_lazy("Actions (who, what, by when)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


@login_required
def review_list(request):
    if not reviews.may_see(request.user):
        raise Http404
    return render(
        request,
        "quality/iso/review_list.html",
        {"reviews": reviews.reviews_for(request.user), "is_quality": is_quality(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request):
    if not is_quality(request.user):
        raise Http404
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.review_create(actor=request.user, **form.cleaned_data)
        except reviews.ReviewError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                messages.error(request, error.message)
        else:
            return redirect("quality:management_review", review.pk)
    return render(request, "quality/iso/review_new.html", {"form": form})


class ActionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=ManagementReviewAction.Kind.choices
    )
    text = forms.CharField(label=gettext_lazy("Decision or action"), max_length=300)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.order_by("code")
    )
    owner = UserChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.filter(is_active=True, role_grants__isnull=False)
        .exclude(role_grants__role=Role.STUDENT)
        .distinct()
        .order_by("username"),
        required=False,
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DATE, required=False)
    target = forms.DecimalField(
        label=gettext_lazy("Target (for an objective)"),
        max_digits=8,
        decimal_places=2,
        required=False,
    )
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=20, required=False, initial="%")


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk: int):
    review = reviews.review_get(request.user, pk)
    quality = is_quality(request.user)
    form = ActionForm(request.POST or None, prefix="action") if quality else None
    if request.method == "POST":
        if not quality:
            raise Http404
        if form.is_valid():
            try:
                reviews.action_add(actor=request.user, review=review, **form.cleaned_data)
            except reviews.ReviewError as error:
                if error.field in form.fields:
                    form.add_error(error.field, error.message)
                else:
                    messages.error(request, error.message)
            else:
                messages.success(request, _("Recorded."))
                return redirect("quality:management_review", review.pk)
    return render(
        request,
        "quality/iso/review_detail.html",
        {
            "review": review,
            "items": reviews.items_of(review),
            "form": form,
            "is_quality": quality,
            **reviews.inputs(review),
        },
    )


def _item(request, pk: int) -> ManagementReviewAction:
    if not is_quality(request.user):
        raise Http404
    return get_object_or_404(ManagementReviewAction, pk=pk)


@login_required
@require_POST
def action_to_nc(request, pk: int):
    item = _item(request, pk)
    try:
        nonconformity = reviews.action_to_nc(actor=request.user, item=item)
    except reviews.ReviewError as error:
        messages.error(request, error.message)
        return redirect("quality:management_review", item.review_id)
    return redirect("quality:nc_detail", nonconformity.pk)


@login_required
@require_POST
def action_to_objective(request, pk: int):
    item = _item(request, pk)
    try:
        reviews.action_to_objective(actor=request.user, item=item)
    except reviews.ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The decision is now a quality objective."))
    return redirect("quality:management_review", item.review_id)

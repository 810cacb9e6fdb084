"""Management reviews: the list, a new meeting record, and its printable page gathering the
inputs. Services: quality.management_reviews."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from quality import management_reviews as reviews
from quality.documents import is_quality

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


@login_required
def review_detail(request, pk: int):
    review = reviews.review_get(request.user, pk)
    return render(
        request, "quality/iso/review_detail.html", {"review": review, **reviews.inputs(review)}
    )

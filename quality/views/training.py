"""Competence and training: sessions (trainings and knowledge contests) with attendance and
scores, qualifications, each staff member's record. Services: quality.training."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from logistics.access import ALL, is_staff_member
from logistics.models import Department, RoleGrant, User
from quality import documents, training
from quality.documents import head_of, is_quality
from quality.models import ControlledDocument, Qualification, TrainingPlanItem, TrainingSession


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=TrainingSession.Kind.choices)
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=200)
    trainer = forms.CharField(label=gettext_lazy("Trainer"), max_length=100)
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.all(), required=False
    )
    documents = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Documents covered"),
        queryset=ControlledDocument.objects.filter(withdrawn_at__isnull=True),
        required=False,
    )
    plan_item = forms.ModelChoiceField(
        label=gettext_lazy("Training plan entry it fulfils"),
        queryset=TrainingPlanItem.objects.select_related("department").order_by(
            "-year", "month", "pk"
        ),
        required=False,
    )


class PlanItemForm(forms.Form):
    month = forms.TypedChoiceField(
        label=gettext_lazy("Month"), coerce=int, choices=[(m, m) for m in range(1, 13)]
    )
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=TrainingSession.Kind.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )
    audience = forms.CharField(label=gettext_lazy("For whom"), max_length=200, required=False)


@login_required
def session_list(request):
    if not is_staff_member(request.user):
        raise Http404
    return render(
        request,
        "quality/iso/training_list.html",
        {
            "sessions": training.sessions_for(request.user)
            .select_related("department")
            .order_by("-date"),
            "record": training.record_of(request.user),
            "pending": documents.pending_for(request.user),
            "is_quality": is_quality(request.user),
            "may_see_plan": training.may_see_plan(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    if not is_quality(request.user):
        raise Http404
    initial = {}
    planned = TrainingPlanItem.objects.filter(pk=request.GET.get("plan") or 0).first()
    if planned is not None:
        initial = {
            "plan_item": planned.pk,
            "topic": planned.topic,
            "kind": planned.kind,
            "department": planned.department_id,
        }
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = training.session_create(actor=request.user, **form.cleaned_data)
        except training.TrainingError as error:
            messages.error(request, error.message)
        else:
            return redirect("quality:training_session", session.pk)
    return render(request, "quality/iso/training_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def session_detail(request, pk: int):
    session = get_object_or_404(
        training.sessions_for(request.user).select_related("plan_item", "department"), pk=pk
    )
    if request.method == "POST" and "plan_item" in request.POST:
        if not is_quality(request.user):
            raise Http404
        item = TrainingPlanItem.objects.filter(pk=request.POST.get("plan_item") or 0).first()
        training.session_link(actor=request.user, session=session, plan_item=item)
        messages.success(request, _("Saved."))
        return redirect("quality:training_session", session.pk)
    if request.method == "POST":
        if not is_quality(request.user):
            raise Http404
        person = User.objects.filter(username=request.POST.get("username", "").strip()).first()
        if person is None:
            messages.error(request, _("No staff member with that username."))
        else:
            try:
                training.attendance_record(
                    actor=request.user,
                    session=session,
                    user=person,
                    score=request.POST.get("score"),
                )
                messages.success(request, _("Attendance recorded."))
            except training.TrainingError as error:
                messages.error(request, error.message)
        return redirect("quality:training_session", session.pk)
    return render(
        request,
        "quality/iso/training_session.html",
        {
            "session": session,
            "rows": training.ranking(session),
            "documents": list(session.documents.all()),
            "is_quality": is_quality(request.user),
            "plan_items": (
                list(
                    TrainingPlanItem.objects.filter(year=session.date.year)
                    .select_related("department")
                    .order_by("month", "pk")
                )
                if is_quality(request.user)
                else []
            ),
        },
    )


@login_required
def person_record(request, user_id: int):
    person = get_object_or_404(User, pk=user_id)
    if person.pk != request.user.pk and not is_quality(request.user):
        heads = head_of(request.user)
        departments = set(
            RoleGrant.objects.filter(user=person).values_list("department_id", flat=True)
        )
        if heads is not ALL and not (heads & departments):
            raise Http404
    return render(
        request,
        "quality/iso/training_record.html",
        {
            "person": person,
            "record": training.record_of(person),
            "is_quality": is_quality(request.user),
            "kinds": Qualification.Kind.choices,
        },
    )


@login_required
@require_POST
def qualification_grant(request, user_id: int):
    person = get_object_or_404(User, pk=user_id)
    if not is_quality(request.user):
        raise Http404
    try:
        training.qualification_grant(
            actor=request.user,
            user=person,
            kind=request.POST.get("kind", ""),
            valid_from=dt.date.fromisoformat(request.POST.get("valid_from", "")),
            valid_until=dt.date.fromisoformat(request.POST.get("valid_until", "")),
        )
        messages.success(request, _("Qualification recorded."))
    except ValueError:
        messages.error(request, _("Enter the dates as YYYY-MM-DD."))
    except training.TrainingError as error:
        messages.error(request, error.message)
    return redirect("quality:training_record", person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def training_plan(request):
    """The year's training plan: entries per month, topic and department, planned or done, with
    the sessions held for them. Quality adds entries; department heads read their part."""
    if not training.may_see_plan(request.user):
        raise Http404
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    year = year if 2000 <= year <= 2100 else timezone.localdate().year
    quality = is_quality(request.user)
    form = PlanItemForm(request.POST or None) if quality else None
    if request.method == "POST":
        if not quality:
            raise Http404
        if form.is_valid():
            try:
                training.plan_item_add(actor=request.user, year=year, **form.cleaned_data)
            except training.TrainingError as error:
                if error.field in form.fields:
                    form.add_error(error.field, error.message)
                else:
                    messages.error(request, error.message)
            else:
                messages.success(request, _("Added to the plan."))
                return redirect(f"{reverse('quality:training_plan')}?year={year}")
    items = training.plan_of(request.user, year)
    return render(
        request,
        "quality/iso/training_plan.html",
        {
            "year": year,
            "items": items,
            "done": sum(1 for i in items if i.status == training.PlanStatus.DONE),
            "form": form,
            "is_quality": quality,
        },
    )


@login_required
def my_record(request):
    """The signed-in staff member's own training record."""
    return person_record(request, request.user.pk)

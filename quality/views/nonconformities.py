"""Nonconformity pages: the list (overdue first), raising one (from a failed finding with
`?answer=<id>`, or by hand), its page with the whole story and the forms the viewer may use:
choose the owner, record the action, verify it."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.access import role_required
from logistics.forms import UserChoiceField
from logistics.models import Campus, Department, Role, User
from logistics.uploads import PhotoField
from quality import nonconformities as ncs
from quality.management_reviews import may_see as sees_reviews
from quality.models import ManagementReviewAction, Nonconformity, Severity
from quality.selectors import (
    complaints_for,
    inspections_for,
    may_answer_nonconformity,
    nonconformity_get,
)

# --- Forms -------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class RaiseForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.order_by("code")
    )
    campus = forms.ModelChoiceField(
        label=gettext_lazy("Campus"),
        queryset=Campus.objects.all(),
        required=False,
        empty_label=gettext_lazy("Every campus / not campus-specific"),
    )
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"), choices=Severity.choices, initial=Severity.MINOR
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=ncs.TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=gettext_lazy("Description of the nonconformity"),
        max_length=ncs.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What was found, where and when: the requirement not met."),
    )
    evidence = PhotoField(label=gettext_lazy("Evidence photo (optional)"), required=False)
    owner = UserChoiceField(
        label=gettext_lazy("Owner (optional)"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("The department's heads answer"),
        help_text=gettext_lazy("A member of the department's staff who answers for the action."),
    )

    def __init__(self, *args, answer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.answer = answer
        if answer is not None:
            # The department and campus are the inspection's: shown, not editable.
            self.fields["department"].disabled = True
            self.fields["campus"].disabled = True
            self.fields["owner"].queryset = ncs.department_staff(answer.inspection.department_id)
            if answer.photo_id:
                self.fields["evidence"].help_text = _(
                    "The finding's photo is the evidence; upload one only to replace it."
                )
        else:
            self.fields["owner"].queryset = (
                User.objects.filter(
                    is_active=True,
                    role_grants__role__in=ncs.STAFF_ROLES,
                    role_grants__department__isnull=False,
                )
                .distinct()
                .order_by("full_name", "username")
            )

    def clean(self):
        data = super().clean()
        owner, department = data.get("owner"), data.get("department")
        if (
            owner is not None
            and department is not None
            and not ncs.department_staff(department.pk).filter(pk=owner.pk).exists()
        ):
            self.add_error("owner", _("The owner must be a member of the department's staff."))
        return data


class OwnerForm(forms.Form):
    owner = UserChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("The department's heads answer"),
    )

    def __init__(self, *args, nonconformity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = ncs.department_staff(nonconformity.department_id)


def _text_field(label, *, required=True, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=ncs.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class AnswerForm(forms.Form):
    root_cause = _text_field(
        gettext_lazy("Root cause"), help_text=gettext_lazy("Why it happened, not what happened.")
    )
    correction = _text_field(
        gettext_lazy("Correction"), help_text=gettext_lazy("What was done about this case.")
    )
    corrective_action = _text_field(
        gettext_lazy("Corrective action"),
        help_text=gettext_lazy("What changes so that the cause does not produce it again."),
    )
    preventive_action = _text_field(
        gettext_lazy("Preventive action (optional)"),
        required=False,
        help_text=gettext_lazy("Where else the same cause could strike, and what prevents it."),
    )
    due_date = forms.DateField(label=gettext_lazy("Action done by"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["due_date"].widget.attrs.update(
            {
                "min": today.isoformat(),
                "max": (today + dt.timedelta(days=ncs.DUE_MAX_DAYS)).isoformat(),
            }
        )

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        problem = ncs.due_date_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


class VerifyForm(forms.Form):
    effective = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")], coerce=lambda v: v == "yes"
    )
    note = forms.CharField(
        label=gettext_lazy("Verification note"),
        required=False,
        max_length=ncs.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What you checked; required when the action was not effective."),
    )

    def clean(self):
        data = super().clean()
        if data.get("effective") is False and not data.get("note"):
            self.add_error("note", _("Say why the action was not effective."))
        return data


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *Nonconformity.Status.choices],
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any department"),
    )
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"),
        required=False,
        choices=[("", gettext_lazy("Any severity")), *Severity.choices],
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        required=False,
        choices=[("", gettext_lazy("Any source")), *Nonconformity.Source.choices],
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = ncs.departments_seen_by(user)


# --- The list ----------------------------------------------------------------------------------


@require_GET
@login_required
def nc_list(request):
    """What the viewer may see, overdue first, 50 a page. A page for auditors, heads and
    owners; it does not exist for anyone else."""
    if not ncs.may_see_list(request.user):
        raise Http404
    form = FilterForm(request.GET or None, user=request.user)
    filters = ncs.NonconformityFilter()
    rows = None
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            filters = ncs.NonconformityFilter(
                status=data["status"],
                department=data["department"],
                severity=data["severity"],
                source=data["source"],
                overdue=data["overdue"],
            )
        else:
            rows = Nonconformity.objects.none()
    if rows is None:
        rows = ncs.nc_list(request.user, filters)
    page = Paginator(rows, ncs.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "quality/nc_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_raise": ncs.may_raise(request.user),
        },
    )


# --- Raising -----------------------------------------------------------------------------------


def _answer_from(request):
    """The finding named by `answer` (query or form), or None; 404 when the viewer may not
    see it."""
    raw = request.POST.get("answer") or request.GET.get("answer")
    if not raw:
        return None
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    return ncs.failed_answer_get(request.user, pk)


@require_http_methods(["GET", "POST"])
@role_required(Role.AUDITOR)
def nc_new(request):
    answer = _answer_from(request)
    if answer is not None:
        existing = ncs.existing_for_answer(answer)
        if existing is not None:
            messages.info(
                request,
                _("A nonconformity was already raised for this finding: %(number)s.")
                % {"number": existing.number},
            )
            return redirect("quality:nc_detail", pk=existing.pk)
        problem = ncs.answer_problem(answer)
        if problem:
            messages.error(request, problem)
            return redirect("quality:inspection_detail", pk=answer.inspection_id)
    initial = ncs.prefill_from_answer(answer) if answer is not None else {}
    if request.method == "POST":
        form = RaiseForm(request.POST, request.FILES, answer=answer, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if answer is not None:
                    raised = ncs.nc_raise_from_answer(
                        actor=request.user,
                        answer=answer,
                        severity=data["severity"],
                        title=data["title"],
                        description=data["description"],
                        evidence_file=data["evidence"],
                        owner=data["owner"],
                    )
                else:
                    raised = ncs.nc_raise(
                        actor=request.user,
                        department=data["department"],
                        campus=data["campus"],
                        severity=data["severity"],
                        title=data["title"],
                        description=data["description"],
                        evidence_file=data["evidence"],
                        owner=data["owner"],
                    )
            except ncs.AlreadyRaised as error:
                messages.info(request, error.message)
                return redirect("quality:nc_detail", pk=error.existing.pk)
            except ncs.NonconformityInvalid as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except ncs.NonconformityError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Nonconformity %(number)s is raised; the department is told.")
                    % {"number": raised.number},
                )
                return redirect("quality:nc_detail", pk=raised.pk)
        status = 400
    else:
        form = RaiseForm(answer=answer, initial=initial)
        status = 200
    return render(request, "quality/nc_new.html", {"form": form, "answer": answer}, status=status)


# --- One nonconformity -------------------------------------------------------------------------


def _detail(request, nc, *, answer_form=None, verify_form=None, owner_form=None, status=200):
    user = request.user
    may_assign = ncs.may_assign(user, nc)
    may_answer = ncs.may_answer(user, nc)
    may_verify = ncs.may_verify(user, nc)
    if may_answer and answer_form is None:
        initial = {}
        if nc.times_rejected:
            # Sent back: the owner revises what they wrote rather than starting over.
            initial = {
                name: getattr(nc, name)
                for name in (
                    "root_cause",
                    "correction",
                    "corrective_action",
                    "preventive_action",
                    "due_date",
                )
            }
        answer_form = AnswerForm(initial=initial)
    if may_verify and verify_form is None:
        verify_form = VerifyForm()
    if may_assign and owner_form is None:
        owner_form = OwnerForm(nonconformity=nc, initial={"owner": nc.owner_id})
    sees_inspection = (
        nc.inspection_id is not None and inspections_for(user).filter(pk=nc.inspection_id).exists()
    )
    sees_complaint = (
        nc.complaint_id is not None and complaints_for(user).filter(pk=nc.complaint_id).exists()
    )
    nc.is_overdue = nc.is_open and nc.due_date is not None and nc.due_date < timezone.localdate()
    review_action = None
    if nc.source == Nonconformity.Source.REVIEW:
        review_action = (
            ManagementReviewAction.objects.filter(nonconformity=nc).select_related("review").first()
        )
        if review_action is not None:
            review_action.seen = sees_reviews(user)
    return render(
        request,
        "quality/nc_detail.html",
        {
            "nc": nc,
            "review_action": review_action,
            "events": ncs.events_of(nc),
            "sees_inspection": sees_inspection,
            "sees_complaint": sees_complaint,
            "may_assign": may_assign,
            "may_answer": may_answer,
            "may_verify": may_verify,
            "answered_by_me": nc.answered_by_id == user.pk,
            "owner_form": owner_form,
            "answer_form": answer_form if may_answer else None,
            "verify_form": verify_form if may_verify else None,
        },
        status=status,
    )


@require_GET
@login_required
def nc_detail(request, pk: int):
    return _detail(request, nonconformity_get(request.user, pk))


@require_POST
@login_required
def nc_assign(request, pk: int):
    nc = nonconformity_get(request.user, pk)
    if not ncs.may_assign(request.user, nc):
        raise Http404
    form = OwnerForm(request.POST, nonconformity=nc)
    if not form.is_valid():
        return _detail(request, nc, owner_form=form, status=400)
    try:
        ncs.nc_assign(actor=request.user, nonconformity=nc, owner=form.cleaned_data["owner"])
    except ncs.NonconformityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The owner is saved."))
    return redirect("quality:nc_detail", pk=nc.pk)


@require_POST
@login_required
def nc_answer(request, pk: int):
    nc = nonconformity_get(request.user, pk)
    if not may_answer_nonconformity(request.user, nc):
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        if not ncs.may_answer(request.user, nc):
            messages.error(request, _("The action can no longer be recorded."))
            return redirect("quality:nc_detail", pk=nc.pk)
        return _detail(request, nc, answer_form=form, status=400)
    try:
        ncs.nc_answer(actor=request.user, nonconformity=nc, **form.cleaned_data)
    except ncs.NonconformityInvalid as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _detail(request, nc, answer_form=form, status=400)
    except ncs.NonconformityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The action is recorded; an auditor will verify it."))
    return redirect("quality:nc_detail", pk=nc.pk)


@require_POST
@role_required(Role.AUDITOR)
def nc_verify(request, pk: int):
    nc = nonconformity_get(request.user, pk)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        if not ncs.may_verify(request.user, nc):
            messages.error(request, _("This nonconformity is not waiting for your verification."))
            return redirect("quality:nc_detail", pk=nc.pk)
        return _detail(request, nc, verify_form=form, status=400)
    effective = form.cleaned_data["effective"]
    try:
        ncs.nc_verify(
            actor=request.user,
            nonconformity=nc,
            effective=effective,
            note=form.cleaned_data["note"],
        )
    except ncs.NonconformityError as error:
        messages.error(request, error.message)
    else:
        if effective:
            messages.success(request, _("Verified effective: the nonconformity is closed."))
        else:
            messages.success(request, _("Not effective: the nonconformity goes back to its owner."))
    return redirect("quality:nc_detail", pk=nc.pk)

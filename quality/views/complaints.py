"""Complaint pages: filing one on the web (anyone signed in, optionally anonymous), staff
recording hotline calls and box slips, the complainant's own list, the handlers' list, one
complaint with the forms its viewer may use, and the complaint categories.

Who sees what is quality.selectors' say (complaint_get, shows_complainant); who may act,
quality.complaints'. Actions on a complaint the viewer may see but not act on answer 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.access import role_required
from logistics.forms import UserChoiceField
from logistics.models import Campus, Department, Role, User
from quality import complaints as cps
from quality import nonconformities as ncs
from quality.models import Complaint, ComplaintCategory
from quality.selectors import complaint_get, is_auditor

# --- Forms -------------------------------------------------------------------------------------


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} — {obj.department.display_name}"


def _category_field():
    return CategoryChoiceField(
        label=gettext_lazy("What is it about?"),
        queryset=cps.active_categories(),
        help_text=gettext_lazy("The department after the dash answers it."),
    )


def _campus_field():
    return forms.ModelChoiceField(
        label=gettext_lazy("Campus (optional)"),
        queryset=Campus.objects.all(),
        required=False,
        empty_label=gettext_lazy("Not campus-specific"),
    )


def _subject_field():
    return forms.CharField(label=gettext_lazy("Subject"), max_length=cps.SUBJECT_MAX_LENGTH)


def _text_field():
    return forms.CharField(
        label=gettext_lazy("Your complaint or suggestion"),
        max_length=cps.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What happened, where and when (at most 2000 characters)."),
    )


class ComplaintForm(forms.Form):
    category = _category_field()
    subject = _subject_field()
    text = _text_field()
    campus = _campus_field()
    anonymous = forms.BooleanField(
        label=gettext_lazy("Anonymous"),
        required=False,
        help_text=gettext_lazy(
            "Your name is hidden from the staff who handle it; you can still follow it."
        ),
    )


class RecordForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(c.value, c.label) for c in cps.RECORDED_CHANNELS],
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("Received at"),
        widget=DateTimeInput(format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    category = _category_field()
    subject = _subject_field()
    text = forms.CharField(
        label=gettext_lazy("Complaint or suggestion"),
        max_length=cps.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Contact name (optional)"),
        max_length=cps.CONTACT_NAME_MAX_LENGTH,
        required=False,
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone (optional)"),
        max_length=cps.CONTACT_PHONE_MAX_LENGTH,
        required=False,
        validators=[
            RegexValidator(
                r"^[0-9+\-() ]*$", gettext_lazy("Digits, spaces, +, - and brackets only.")
            )
        ],
    )
    campus = _campus_field()

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        problem = cps.received_at_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


class AssignForm(forms.Form):
    assignee = UserChoiceField(label=gettext_lazy("Handled by"), queryset=User.objects.none())

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = ncs.department_staff(complaint.department_id)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        max_length=cps.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The complainant reads this answer."),
    )


class FeedbackForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")], coerce=lambda v: v == "yes"
    )
    feedback = forms.CharField(
        label=gettext_lazy("Anything to add? (optional)"),
        max_length=cps.FEEDBACK_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *Complaint.Status.choices],
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("Any channel")), *Complaint.Channel.choices],
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=ComplaintCategory.objects.order_by("position", "code"),
        required=False,
        empty_label=gettext_lazy("Any category"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=gettext_lazy("Any department"),
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = ComplaintCategory
        fields = list(cps.CATEGORY_FIELDS)


def _paginate(request, rows):
    page = Paginator(rows, cps.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# --- Filing and recording ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def complaint_new(request):
    """The web channel: any signed-in user."""
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = cps.complaint_submit(actor=request.user, **data)
        except cps.ComplaintInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Your complaint %(number)s is received and sent to %(department)s. "
                    "You will be told when it is answered."
                )
                % {"number": complaint.number, "department": complaint.department},
            )
            return redirect("quality:complaint_detail", pk=complaint.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "quality/complaint_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def complaint_record(request):
    """Hotline calls and suggestion-box slips, entered by staff (cps.may_record)."""
    if not cps.may_record(request.user):
        raise Http404
    initial = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    form = RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = cps.complaint_record(actor=request.user, **form.cleaned_data)
        except cps.ComplaintInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except cps.ComplaintError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Complaint %(number)s is recorded and sent to %(department)s.")
                % {"number": complaint.number, "department": complaint.department},
            )
            return redirect("quality:complaint_detail", pk=complaint.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "quality/complaint_record.html", {"form": form}, status=status)


# --- Lists -------------------------------------------------------------------------------------


@require_GET
@login_required
def my_complaints(request):
    page, query = _paginate(request, cps.complaints_of(request.user))
    return render(request, "quality/complaint_mine.html", {"page": page, "query": query})


@require_GET
@login_required
def complaint_list(request):
    """The complaints the viewer handles, overdue first, 50 a page."""
    if not cps.may_see_handling_list(request.user):
        raise Http404
    form = FilterForm(request.GET or None)
    filters = cps.ComplaintFilter()
    rows = None
    if form.is_bound:
        if form.is_valid():
            filters = cps.ComplaintFilter(**form.cleaned_data)
        else:
            rows = Complaint.objects.none()
    if rows is None:
        rows = cps.complaint_list(request.user, filters)
    page, query = _paginate(request, rows)
    for complaint in page:
        complaint.shown_complainant = cps.complainant_shown(request.user, complaint)
    return render(
        request,
        "quality/complaint_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "may_record": cps.may_record(request.user),
            "may_edit_categories": cps.may_edit_categories(request.user),
        },
    )


# --- One complaint -----------------------------------------------------------------------------


def _detail(request, complaint, *, answer_form=None, assign_form=None, status=200):
    user = request.user
    handler = cps.is_handler(user, complaint)
    may_assign = cps.may_assign(user, complaint)
    may_answer = cps.may_answer(user, complaint)
    if may_answer and answer_form is None:
        answer_form = AnswerForm(initial={"answer": complaint.answer})
    if may_assign and assign_form is None:
        assign_form = AssignForm(complaint=complaint, initial={"assignee": complaint.assignee_id})
    complaint.is_overdue = (
        complaint.status == Complaint.Status.NEW
        and complaint.first_answered_at is None
        and complaint.respond_by < timezone.now()
    )
    return render(
        request,
        "quality/complaint_detail.html",
        {
            "complaint": complaint,
            "is_own": complaint.complainant_id == user.pk,
            "handler": handler,
            "complainant": cps.complainant_shown(user, complaint),
            "events": cps.events_of(complaint) if handler else [],
            "nonconformities": list(complaint.nonconformities.order_by("pk")) if handler else [],
            "may_assign": may_assign,
            "may_answer": may_answer,
            "may_close": cps.may_close(user, complaint),
            "may_raise_nc": ncs.may_raise_from_complaint(user, complaint),
            "may_give_feedback": cps.may_give_feedback(user, complaint),
            "answer_form": answer_form if may_answer else None,
            "assign_form": assign_form if may_assign else None,
            "feedback_form": FeedbackForm(),
        },
        status=status,
    )


@require_GET
@login_required
def complaint_detail(request, pk: int):
    return _detail(request, complaint_get(request.user, pk))


@require_POST
@login_required
def complaint_assign(request, pk: int):
    complaint = complaint_get(request.user, pk)
    if not cps.may_assign(request.user, complaint):
        raise Http404
    form = AssignForm(request.POST, complaint=complaint)
    if not form.is_valid():
        return _detail(request, complaint, assign_form=form, status=400)
    try:
        cps.complaint_assign(
            actor=request.user, complaint=complaint, assignee=form.cleaned_data["assignee"]
        )
    except cps.ComplaintError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The complaint is assigned; the handler is told."))
    return redirect("quality:complaint_detail", pk=complaint.pk)


@require_POST
@login_required
def complaint_answer(request, pk: int):
    complaint = complaint_get(request.user, pk)
    if not cps.is_handler(request.user, complaint):
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        if not cps.may_answer(request.user, complaint):
            messages.error(request, _("This complaint is closed."))
            return redirect("quality:complaint_detail", pk=complaint.pk)
        return _detail(request, complaint, answer_form=form, status=400)
    try:
        cps.complaint_answer(
            actor=request.user, complaint=complaint, text=form.cleaned_data["answer"]
        )
    except cps.ComplaintError as error:
        messages.error(request, error.message)
    else:
        if complaint.complainant_id:
            messages.success(request, _("The answer is sent to the complainant."))
        else:
            messages.success(request, _("The answer is recorded."))
    return redirect("quality:complaint_detail", pk=complaint.pk)


@require_POST
@login_required
def complaint_feedback(request, pk: int):
    complaint = complaint_get(request.user, pk)
    if complaint.complainant_id != request.user.pk:
        raise Http404
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the answer satisfies you."))
        return redirect("quality:complaint_detail", pk=complaint.pk)
    satisfied = form.cleaned_data["satisfied"]
    try:
        cps.complaint_feedback(
            actor=request.user,
            complaint=complaint,
            satisfied=satisfied,
            feedback=form.cleaned_data["feedback"],
        )
    except cps.ComplaintError as error:
        messages.error(request, error.message)
    else:
        if satisfied:
            messages.success(request, _("Thank you. The complaint is closed."))
        else:
            messages.success(
                request, _("Thank you. The department will look at your complaint again.")
            )
    return redirect("quality:complaint_detail", pk=complaint.pk)


@require_POST
@login_required
def complaint_close(request, pk: int):
    complaint = complaint_get(request.user, pk)
    if not cps.is_handler(request.user, complaint):
        raise Http404
    try:
        cps.complaint_close(actor=request.user, complaint=complaint)
    except cps.ComplaintError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The complaint is closed."))
    return redirect("quality:complaint_detail", pk=complaint.pk)


@require_POST
@login_required
def complaint_to_nc(request, pk: int):
    """One click: the complaint becomes a nonconformity of its department (or leads to the
    open one it already has)."""
    complaint = complaint_get(request.user, pk)
    if not ncs.may_raise_from_complaint(request.user, complaint):
        raise Http404
    try:
        nonconformity, created = ncs.nc_raise_from_complaint(
            actor=request.user, complaint=complaint
        )
    except ncs.NonconformityError as error:
        messages.error(request, error.message)
        return redirect("quality:complaint_detail", pk=complaint.pk)
    if created:
        messages.success(
            request,
            _("Nonconformity %(number)s is raised from this complaint.")
            % {"number": nonconformity.number},
        )
    else:
        messages.info(
            request,
            _("This complaint already has an open nonconformity: %(number)s.")
            % {"number": nonconformity.number},
        )
    return redirect("quality:nc_detail", pk=nonconformity.pk)


# --- Categories --------------------------------------------------------------------------------


@require_GET
@role_required(Role.AUDITOR, Role.DEPARTMENT_HEAD)
def category_list(request):
    """Every category, for auditors and administrators (who edit them) and heads (who read
    which of them their department answers)."""
    categories = ComplaintCategory.objects.select_related("department").order_by("position", "code")
    return render(
        request,
        "quality/complaint_categories.html",
        {"categories": categories, "may_edit": cps.may_edit_categories(request.user)},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.AUDITOR)
def category_edit(request, pk: int):
    """Edit a category; pk 0 creates a new one (complaint-categories/0/)."""
    if not is_auditor(request.user):
        raise Http404
    category = None if pk == 0 else get_object_or_404(ComplaintCategory, pk=pk)
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        try:
            cps.category_save(actor=request.user, category=form.save(commit=False))
        except cps.ComplaintError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The category is saved."))
            return redirect("quality:complaint_categories")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "quality/complaint_category_form.html",
        {"form": form, "category": category},
        status=status,
    )

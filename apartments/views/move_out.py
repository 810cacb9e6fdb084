"""Move-out pages: a resident files and follows their request; managers list the requests of
their buildings, schedule inspections, watch a graduating group's board and write notices."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apartments import move_out
from apartments.models import Category, MoveOutNotice, MoveOutReason, MoveOutRequest
from apartments.selectors import BUILDING_VIEWERS, buildings_for, current_stay_of
from logistics.access import ALL, has_role, role_required
from logistics.models import Campus, Role

# --- Forms -------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class MoveOutRequestForm(forms.Form):
    planned_date = forms.DateField(label=gettext_lazy("Planned move-out date"), widget=DateInput)
    # Nothing chosen for the resident: "graduation" is offered first only when a graduation
    # notice concerns them (_mine_context), so nobody files it by accident.
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=[("", "---------"), *MoveOutReason.choices]
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        max_length=move_out.NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_planned_date(self):
        value = self.cleaned_data["planned_date"]
        problem = move_out.planned_date_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


class ScheduleForm(forms.Form):
    inspection_at = forms.DateTimeField(
        label=gettext_lazy("Inspection at"),
        widget=DateTimeInput(format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *MoveOutRequest.Status.choices],
    )
    building = forms.ModelChoiceField(
        label=gettext_lazy("Building"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All my buildings"),
    )
    planned_from = forms.DateField(
        label=gettext_lazy("Planned from"), required=False, widget=DateInput
    )
    planned_until = forms.DateField(
        label=gettext_lazy("Planned until"), required=False, widget=DateInput
    )
    year = forms.IntegerField(
        label=gettext_lazy("Graduation year"), required=False, min_value=2000, max_value=2100
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings_for(user).order_by("campus__code", "code")


class NoticeForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Resident categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every category."),
    )

    class Meta:
        model = MoveOutNotice
        fields = list(move_out.NOTICE_FIELDS)
        widgets = {
            "move_out_from": DateInput,
            "move_out_until": DateInput,
            "body": forms.Textarea(attrs={"rows": 10}),
            "body_en": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        campuses = move_out.notice_editor_campuses(user)
        field = self.fields["campus"]
        if campuses is not ALL:
            # A head of one campus writes for their campus only.
            field.queryset = Campus.objects.filter(pk__in=campuses)
            field.required = True
            field.empty_label = None

    def clean(self):
        data = super().clean()
        start, end = data.get("move_out_from"), data.get("move_out_until")
        if start and end and end < start:
            self.add_error("move_out_until", _("The last day cannot be before the first."))
        return data


# --- A resident's own ------------------------------------------------------------------------


def _resident_or_404(request):
    resident = move_out.resident_of(request.user)
    if resident is None:
        raise Http404
    return resident


def _filing_form(notices) -> MoveOutRequestForm:
    """The empty form; "graduation" chosen in advance only when a notice for the resident's
    graduating class is on."""
    graduating = any(n.graduation_year is not None for n in notices)
    return MoveOutRequestForm(initial={"reason": MoveOutReason.GRADUATION} if graduating else {})


def _mine_context(resident, form=None) -> dict:
    notices = move_out.with_text(move_out.notices_concerning(resident))
    stay = current_stay_of(resident)
    requests = list(move_out.requests_of_resident(resident))
    open_request = next((r for r in requests if r.status in MoveOutRequest.OPEN), None)
    may_file = stay is not None and stay.status == "active" and open_request is None
    return {
        "resident": resident,
        "stay": stay,
        "requests": requests,
        "open_request": open_request,
        "may_file": may_file,
        "form": form if form is not None else _filing_form(notices),
        "notices": notices,
        "today": timezone.localdate(),
        "max_date": timezone.localdate() + dt.timedelta(days=move_out.MAX_DAYS_AHEAD),
    }


@require_GET
@role_required(Role.STUDENT)
def my_move_out(request):
    """The resident's move-out: the notices for them, their request(s) and the form."""
    resident = _resident_or_404(request)
    return render(request, "apartments/move_out_mine.html", _mine_context(resident))


@require_POST
@role_required(Role.STUDENT)
def my_move_out_file(request):
    resident = _resident_or_404(request)
    form = MoveOutRequestForm(request.POST)
    if not form.is_valid():
        context = _mine_context(resident, form)
        return render(request, "apartments/move_out_mine.html", context, status=400)
    values = form.cleaned_data
    try:
        filed = move_out.move_out_file(
            actor=request.user,
            resident=resident,
            planned_date=values["planned_date"],
            reason=values["reason"],
            note=values["note"],
        )
    except move_out.MoveOutInvalid as error:
        form.add_error(error.field or None, error.message)
        context = _mine_context(resident, form)
        return render(request, "apartments/move_out_mine.html", context, status=400)
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
        return redirect("apartments:my_move_out")
    if filed.review:
        messages.warning(
            request,
            _(
                "Your move-out request is filed, outside the move-out notices that concern you: "
                "a dorm manager reviews it first (%(why)s)."
            )
            % {"why": filed.get_review_display()},
        )
    else:
        messages.success(
            request,
            _("Your move-out request is filed. Your dorm manager will schedule an inspection."),
        )
    return redirect("apartments:move_out_request", pk=filed.pk)


@require_GET
@login_required
def move_out_request_detail(request, pk: int):
    """One request, for its resident and for the staff of its building; 404 for anyone else."""
    item = move_out.request_get(request.user, pk)
    is_own = item.resident.user_id == request.user.pk
    may_schedule = (
        not is_own
        and has_role(request.user, *move_out.REQUEST_HANDLERS)
        and item.status in (MoveOutRequest.Status.REQUESTED, MoveOutRequest.Status.SCHEDULED)
    )
    initial = {}
    if item.inspection_at:
        initial["inspection_at"] = timezone.localtime(item.inspection_at)
    return render(
        request,
        "apartments/move_out_request.html",
        {
            "item": item,
            "is_own": is_own,
            "may_cancel": is_own and item.status == MoveOutRequest.Status.REQUESTED,
            "may_schedule": may_schedule,
            "schedule_form": ScheduleForm(initial=initial) if may_schedule else None,
            "history": move_out.request_history(item),
        },
    )


@require_POST
@role_required(Role.STUDENT)
def move_out_request_cancel(request, pk: int):
    item = get_object_or_404(
        move_out.requests_for(request.user), pk=pk, resident__user_id=request.user.pk
    )
    try:
        move_out.move_out_cancel(actor=request.user, move_out_request=item)
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your move-out request is cancelled."))
    return redirect("apartments:move_out_request", pk=item.pk)


# --- Managers --------------------------------------------------------------------------------


@require_GET
@role_required(*BUILDING_VIEWERS)
def move_out_list(request):
    """Requests of the manager's buildings, filtered, 50 a page."""
    form = RequestFilterForm(request.GET or None, user=request.user)
    filters = move_out.RequestFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = move_out.RequestFilter(
            status=data["status"],
            building=data["building"],
            planned_from=data["planned_from"],
            planned_until=data["planned_until"],
            graduation_year=data["year"],
        )
    elif form.is_bound:
        filters = None
    requests = move_out.request_list(request.user, filters)
    if filters is None:
        requests = requests.none()
    page = Paginator(requests, move_out.REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "apartments/move_out_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_edit_notices": move_out.may_edit_notices(request.user),
        },
    )


@require_POST
@role_required(*move_out.REQUEST_HANDLERS)
def move_out_request_schedule(request, pk: int):
    item = move_out.request_get(request.user, pk)
    if item.resident.user_id == request.user.pk:
        raise Http404
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the date and time of the inspection."))
        return redirect("apartments:move_out_request", pk=item.pk)
    try:
        move_out.move_out_schedule(
            actor=request.user,
            move_out_request=item,
            inspection_at=form.cleaned_data["inspection_at"],
        )
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The inspection is scheduled."))
    return redirect("apartments:move_out_request", pk=item.pk)


@require_GET
@role_required(*BUILDING_VIEWERS)
def move_out_board(request):
    """A graduating group's progress, per building of the manager's."""
    years = move_out.graduation_years()
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = timezone.localdate().year
    rows = move_out.move_out_board(request.user, year)
    return render(
        request,
        "apartments/move_out_board.html",
        {
            "year": year,
            "years": years,
            "rows": rows[:-1],
            "total": rows[-1],
            "statuses": [MoveOutRequest.Status(s).label for s in move_out.BOARD_STATUSES],
        },
    )


# --- Notices ---------------------------------------------------------------------------------


@require_GET
@role_required(*move_out.NOTICE_READERS)
def notice_list(request):
    notices = move_out.with_text(move_out.notices_for_staff(request.user))
    for notice in notices:
        notice.may_edit = move_out.may_edit_notice(request.user, notice)
    return render(
        request,
        "apartments/move_out_notices.html",
        {"notices": notices, "may_create": move_out.may_edit_notices(request.user)},
    )


@require_GET
@login_required
def notice_detail(request, pk: int):
    """A notice: its residents see it while it concerns them, staff always; others 404."""
    notice = move_out.notice_for_reader(request.user, pk)
    return render(
        request,
        "apartments/move_out_notice.html",
        {
            "notice": notice,
            "title": move_out.notice_title(notice),
            "body": move_out.notice_body(notice),
            "may_edit": move_out.may_edit_notice(request.user, notice),
            "is_resident": has_role(request.user, Role.STUDENT),
        },
    )


def _editor_or_404(request):
    if not move_out.may_edit_notices(request.user):
        raise Http404


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN, Role.DEPARTMENT_HEAD)
def notice_edit(request, pk: int | None = None):
    _editor_or_404(request)
    notice = None
    if pk is not None:
        notice = get_object_or_404(MoveOutNotice, pk=pk)
        if not move_out.may_edit_notice(request.user, notice):
            raise Http404
    form = NoticeForm(request.POST or None, instance=notice, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = move_out.notice_save(actor=request.user, notice=form.save(commit=False))
        messages.success(request, _("The notice is saved."))
        return redirect("apartments:move_out_notice", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "apartments/move_out_notice_form.html",
        {"form": form, "notice": notice},
        status=status,
    )


@require_POST
@role_required(Role.ADMIN, Role.DEPARTMENT_HEAD)
def notice_publish(request, pk: int):
    notice = get_object_or_404(MoveOutNotice, pk=pk)
    if not move_out.may_edit_notice(request.user, notice):
        raise Http404
    if request.POST.get("publish") == "0":
        move_out.notice_unpublish(actor=request.user, notice=notice)
        messages.success(request, _("The notice is withdrawn: residents no longer see it."))
    else:
        move_out.notice_publish(actor=request.user, notice=notice)
        messages.success(request, _("The notice is published to the residents it concerns."))
    return redirect("apartments:move_out_notice", pk=notice.pk)

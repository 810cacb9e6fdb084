"""Inspection records: start one on a tablet, fill it item by item (htmx, or one plain form
without JavaScript), submit and seal it, read it, amend it, and verify the seal chain.

Who sees what comes from quality.selectors: auditors see every sealed record and their own
drafts, a department head the records of their departments, anyone else nothing (404)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.access import ALL
from logistics.models import Campus, Department, Role, User
from logistics.pdf import pdf_response
from logistics.uploads import PhotoField
from quality import inspections, seals
from quality.models import ChainAnchor, ChecklistItem, Inspection, InspectionAnswer
from quality.selectors import head_departments, inspection_get, is_auditor

PAGE_SIZE = 25

# --- Forms -------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class StartForm(forms.Form):
    area = forms.ModelChoiceField(label=gettext_lazy("Service area"), queryset=None)
    checklist = forms.ModelChoiceField(
        label=gettext_lazy("Checklist"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("The area's checklist"),
    )
    department = forms.ModelChoiceField(label=gettext_lazy("Department"), queryset=None)
    campus = forms.ModelChoiceField(
        label=gettext_lazy("Campus"),
        queryset=Campus.objects.all(),
        required=False,
        empty_label=gettext_lazy("Not on one campus"),
    )
    place = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=inspections.PLACE_MAX_LENGTH,
        help_text=gettext_lazy("E.g. 3号公寓一楼大厅, 第一食堂后厨."),
    )

    def __init__(self, *args, area=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = inspections.areas_open_for_inspection()
        checklists = inspections.checklists_open_for_inspection()
        self.fields["checklist"].queryset = checklists
        self.fields["checklist"].label_from_instance = lambda c: f"{c.area} · {c}"
        areas = [c.area_id for c in checklists]
        self.has_several_checklists = len(areas) != len(set(areas))
        if not self.has_several_checklists:
            del self.fields["checklist"]
        self.fields["department"].queryset = inspections.departments_for_inspection(area)


def _area_from(request):
    """The area chosen so far (to narrow the departments), or None."""
    value = request.POST.get("area") or request.GET.get("area")
    if not value:
        return None
    try:
        return inspections.areas_open_for_inspection().filter(pk=int(value)).first()
    except ValueError:
        return None


class AnswerForm(forms.Form):
    """One item's controls; the fields follow the item's scoring rule."""

    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=inspections.COMMENT_MAX_LENGTH,
        required=False,
        # Kept as typed when the item's card is swapped by a save in flight (a tap on "fail"
        # saves at once; the auditor goes on typing the comment meanwhile).
        widget=forms.Textarea(attrs={"rows": 2, "hx-preserve": "true"}),
    )
    photo = PhotoField(label=gettext_lazy("Photo"), required=False)

    def __init__(self, *args, item: ChecklistItem, answer: InspectionAnswer | None, **kwargs):
        kwargs.setdefault("prefix", f"i{item.pk}")
        initial = {}
        if answer is not None:
            initial = {"comment": answer.comment, "score": answer.score, "result": answer.result}
            initial["na"] = answer.result == InspectionAnswer.Result.NOT_APPLICABLE
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.item, self.answer = item, answer
        if item.rule == ChecklistItem.Rule.SCORE:
            self.fields["score"] = forms.IntegerField(
                label=_("Score (0–%(max)s)") % {"max": item.max_score},
                min_value=0,
                max_value=item.max_score,
                required=False,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "step": 1, "hx-preserve": "true"}
                ),
            )
            if item.allow_na:
                self.fields["na"] = forms.BooleanField(
                    label=gettext_lazy("Not applicable"),
                    required=False,
                    widget=forms.CheckboxInput(attrs={"hx-preserve": "true"}),
                )
        else:
            choices = [("pass", _("Pass")), ("fail", _("Fail"))]
            if item.allow_na:
                choices.append(("na", _("N/A")))
            self.fields["result"] = forms.ChoiceField(
                label=gettext_lazy("Result"),
                choices=choices,
                required=False,
                # Kept as tapped when a save in flight swaps the card: typing the comment, then
                # tapping "fail", sends the comment's save first; without this the tap was
                # undone by that save's card and the queued save sent no result.
                widget=forms.RadioSelect(attrs={"hx-preserve": "true"}),
            )
        if answer is not None and answer.photo_id:
            self.fields["remove_photo"] = forms.BooleanField(
                label=gettext_lazy("Remove the photo"), required=False
            )
        self.order_fields(["score", "na", "result", "comment", "photo", "remove_photo"])

    def param_names(self) -> str:
        """The request parameters of this item (htmx `hx-params`)."""
        return ",".join(self.add_prefix(name) for name in self.fields)

    def to_input(self) -> inspections.AnswerInput:
        data = self.cleaned_data
        if self.item.rule == ChecklistItem.Rule.SCORE:
            if data.get("na"):
                result = InspectionAnswer.Result.NOT_APPLICABLE
            elif data.get("score") is not None:
                result = InspectionAnswer.Result.SCORED
            else:
                result = ""
        else:
            result = data.get("result") or ""
        return inspections.AnswerInput(
            result=result,
            score=data.get("score"),
            comment=data.get("comment") or "",
            photo=data.get("photo"),
            remove_photo=bool(data.get("remove_photo")),
        )

    def is_empty(self) -> bool:
        given = self.to_input()
        return not (given.result or given.comment or given.photo)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Overall remarks"),
        max_length=inspections.NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AmendForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does the record need a correction?"),
        max_length=inspections.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ListFilterForm(forms.Form):
    area = forms.ModelChoiceField(
        label=gettext_lazy("Service area"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All areas"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All departments"),
    )
    campus = forms.ModelChoiceField(
        label=gettext_lazy("Campus"),
        queryset=Campus.objects.all(),
        required=False,
        empty_label=gettext_lazy("All campuses"),
    )
    auditor = forms.ModelChoiceField(
        label=gettext_lazy("Auditor"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All auditors"),
    )
    submitted_from = forms.DateField(
        label=gettext_lazy("Submitted from"), required=False, widget=DateInput
    )
    submitted_until = forms.DateField(
        label=gettext_lazy("Submitted until"), required=False, widget=DateInput
    )
    failed = forms.BooleanField(label=gettext_lazy("Has failed items"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from logistics.models import ServiceArea

        self.fields["area"].queryset = ServiceArea.objects.order_by("position", "code")
        departments = Department.objects.order_by("code")
        scope = None if is_auditor(user) else head_departments(user)
        if scope is not None and scope is not ALL:
            departments = departments.filter(pk__in=scope)
        self.fields["department"].queryset = departments
        self.fields["auditor"].queryset = (
            User.objects.filter(role_grants__role__in=[Role.AUDITOR])
            .distinct()
            .order_by("username")
        )
        self.fields["auditor"].label_from_instance = lambda u: u.full_name or u.username

    def clean(self):
        data = super().clean()
        start, end = data.get("submitted_from"), data.get("submitted_until")
        if start and end and end < start:
            self.add_error("submitted_until", _("The last day cannot be before the first."))
        return data


# --- Helpers -------------------------------------------------------------------------------------


def _may_list(user) -> bool:
    return is_auditor(user) or head_departments(user) != set()


def _own_draft(request, pk: int) -> Inspection | None:
    """The user's own draft `pk`; None if it is sealed (and visible); 404 otherwise."""
    inspection = inspection_get(request.user, pk)
    if inspection.is_sealed:
        return None
    if inspection.auditor_id != request.user.pk:
        raise Http404
    return inspection


def _sealed_redirect(request, inspection_pk: int):
    messages.error(
        request,
        _(
            "This record is submitted and sealed: it can no longer be changed. To correct it, "
            "amend it."
        ),
    )
    if request.headers.get("HX-Request"):
        # htmx would swap the record's whole page into one item: send the browser there.
        return HttpResponse(
            headers={"HX-Redirect": reverse("quality:inspection_detail", args=[inspection_pk])}
        )
    return redirect("quality:inspection_detail", pk=inspection_pk)


def _answer_forms(inspection, data=None, files=None, bound_for=None):
    """(item, answer, form) for every item; forms bound to `data` for the item ids in
    `bound_for` (all when None and data is given)."""
    rows = []
    for item, answer in inspections.items_and_answers(inspection):
        bind = data is not None and (bound_for is None or item.pk in bound_for)
        if bind:
            form = AnswerForm(data, files, item=item, answer=answer)
        else:
            form = AnswerForm(item=item, answer=answer)
        rows.append({"item": item, "answer": answer, "form": form})
    return rows


def _posted_item_ids(request, inspection) -> set[int]:
    """Items some of whose fields are in the request (a browser sends every text field of the
    form, so every item; a bare POST of the note alone sends none)."""
    prefixes = [k.split("-", 1)[0] for k in [*request.POST.keys(), *request.FILES.keys()]]
    ids = set()
    for prefix in prefixes:
        if prefix.startswith("i") and prefix[1:].isdigit():
            ids.add(int(prefix[1:]))
    return ids


def _save_posted_answers(request, inspection) -> tuple[list[dict], bool]:
    """Save every posted item's answer; returns the rows to show and whether all went well."""
    posted = _posted_item_ids(request, inspection)
    rows = _answer_forms(inspection, request.POST, request.FILES, bound_for=posted)
    ok = True
    for row in rows:
        form = row["form"]
        if not form.is_bound:
            continue
        if not form.is_valid():
            ok = False
            continue
        if row["answer"] is None and form.is_empty():
            continue
        try:
            inspections.answer_save(
                actor=request.user,
                inspection=inspection,
                item=row["item"],
                data=form.to_input(),
            )
        except inspections.InspectionSealed:
            raise
        except inspections.InspectionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            ok = False
    return rows, ok


def _fill_context(inspection, rows=None, *, note_form=None, missing=(), error=None) -> dict:
    if rows is None:
        rows = _answer_forms(inspection)
    else:
        # Items saved without a problem are shown as saved; those with errors keep what the
        # auditor typed.
        fresh = {r["item"].pk: r for r in _answer_forms(inspection)}
        rows = [r if r["form"].is_bound and r["form"].errors else fresh[r["item"].pk] for r in rows]
    missing_ids = {item.pk for item in missing}
    for row in rows:
        row["missing"] = row["item"].pk in missing_ids
    tally = inspections.weighted_score([r["answer"] for r in rows if r["answer"] is not None])
    return {
        "inspection": inspection,
        "rows": rows,
        "tally": tally,
        "total_items": len(rows),
        "note_form": note_form or NoteForm(initial={"note": inspection.note}),
        "submit_error": error,
    }


# --- Pages -------------------------------------------------------------------------------------


@require_GET
@login_required
def inspection_list(request):
    """The records the user may see, filtered, newest first, PAGE_SIZE a page."""
    if not _may_list(request.user):
        raise Http404
    form = ListFilterForm(request.GET or None, user=request.user)
    filters = inspections.ListFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = inspections.ListFilter(
            area=data["area"],
            department=data["department"],
            campus=data["campus"],
            auditor=data["auditor"],
            submitted_from=data["submitted_from"],
            submitted_until=data["submitted_until"],
            failed_only=data["failed"],
        )
    rows = inspections.inspections_listed(request.user, filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "quality/inspection_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_inspect": is_auditor(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def inspection_new(request):
    """Start an inspection: area, department, campus, place; then fill it in."""
    if not is_auditor(request.user):
        raise Http404
    area = _area_from(request)
    if request.method == "POST":
        form = StartForm(request.POST, area=area)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = inspections.inspection_start(
                    actor=request.user,
                    area=data["area"],
                    department=data["department"],
                    campus=data["campus"],
                    place=data["place"],
                    checklist=data.get("checklist"),
                )
            except inspections.InspectionError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
            else:
                return redirect("quality:inspection_fill", pk=inspection.pk)
        status = 400
    else:
        form = StartForm(initial={"area": area}, area=area)
        status = 200
    return render(
        request,
        "quality/inspection_new.html",
        {"form": form, "no_checklist": not form.fields["area"].queryset.exists()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def inspection_fill(request, pk: int):
    """The draft's auditor answers every item: per item via htmx (answer_save), or all at
    once with this page's plain form."""
    inspection = _own_draft(request, pk)
    if inspection is None:
        if request.method == "POST":
            return _sealed_redirect(request, pk)
        return redirect("quality:inspection_detail", pk=pk)
    if request.method == "GET":
        return render(request, "quality/inspection_fill.html", _fill_context(inspection))
    try:
        rows, ok = _save_posted_answers(request, inspection)
    except inspections.InspectionSealed:
        return _sealed_redirect(request, pk)
    if ok:
        messages.success(request, _("Saved."))
        return redirect("quality:inspection_fill", pk=pk)
    context = _fill_context(inspection, rows)
    return render(request, "quality/inspection_fill.html", context, status=400)


@require_POST
@login_required
def answer_save(request, pk: int, item_id: int):
    """Save one item (htmx: answers with the item and, out of band, the running total)."""
    inspection = _own_draft(request, pk)
    if inspection is None:
        return _sealed_redirect(request, pk)
    item = get_object_or_404(inspection.version.items, pk=item_id)
    answer = InspectionAnswer.objects.filter(inspection=inspection, item=item).first()
    form = AnswerForm(request.POST, request.FILES, item=item, answer=answer)
    saved = False
    if form.is_valid():
        try:
            if answer is not None or not form.is_empty():
                inspections.answer_save(
                    actor=request.user, inspection=inspection, item=item, data=form.to_input()
                )
            saved = True
        except inspections.InspectionSealed:
            return _sealed_redirect(request, pk)
        except inspections.InspectionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    if not request.headers.get("HX-Request"):
        if saved:
            messages.success(request, _("Saved."))
        else:
            messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(f"{reverse('quality:inspection_fill', args=[pk])}#item-{item.pk}")
    context = _fill_context(inspection)
    row = next(r for r in context["rows"] if r["item"].pk == item.pk)
    if not saved:
        row["form"] = form
    return render(
        request,
        "quality/inspection_item_saved.html",
        {**context, "row": row, "just_saved": saved},
    )


@require_POST
@login_required
def inspection_submit(request, pk: int):
    """Save what the form carries, then submit and seal the draft."""
    inspection = _own_draft(request, pk)
    if inspection is None:
        return _sealed_redirect(request, pk)
    note_form = NoteForm(request.POST)
    try:
        rows, ok = _save_posted_answers(request, inspection)
    except inspections.InspectionSealed:
        return _sealed_redirect(request, pk)
    if not note_form.is_valid() or not ok:
        context = _fill_context(
            inspection,
            rows,
            note_form=note_form,
            error=_("Correct the items marked below, then submit again."),
        )
        return render(request, "quality/inspection_fill.html", context, status=400)
    note = note_form.cleaned_data["note"] if "note" in request.POST else None
    try:
        inspections.inspection_submit(actor=request.user, inspection=inspection, note=note)
    except inspections.InspectionSealed:
        return _sealed_redirect(request, pk)
    except inspections.Incomplete as error:
        context = _fill_context(
            inspection, note_form=note_form, missing=error.missing, error=error.message
        )
        return render(request, "quality/inspection_fill.html", context, status=400)
    except inspections.InspectionError as error:
        context = _fill_context(inspection, note_form=note_form, error=error.message)
        return render(request, "quality/inspection_fill.html", context, status=400)
    messages.success(
        request,
        _("%(number)s is submitted and sealed.") % {"number": inspection.number},
    )
    return redirect("quality:inspection_detail", pk=pk)


@require_GET
@login_required
def inspection_detail(request, pk: int):
    inspection = inspection_get(request.user, pk)
    record = _record_context(inspection)
    answers = record["answers"]
    viewer_is_auditor = is_auditor(request.user)
    amendments = record["amendments"]
    own_draft_amendment = (
        inspection.amendments.filter(
            status=Inspection.Status.DRAFT, auditor_id=request.user.pk
        ).first()
        if viewer_is_auditor
        else None
    )
    return render(
        request,
        "quality/inspection_detail.html",
        {
            "inspection": inspection,
            "answers": answers,
            "tally": inspections.weighted_score(answers),
            "amendments": amendments,
            "own_draft_amendment": own_draft_amendment,
            "may_amend": viewer_is_auditor and inspection.is_sealed,
            "may_raise_nc": viewer_is_auditor and inspection.is_sealed,
            "is_own_draft": not inspection.is_sealed and inspection.auditor_id == request.user.pk,
        },
    )


def _record_context(inspection: Inspection) -> dict:
    """What the record partials show (quality/inspection_record.html, inspection_findings.html):
    the answers with their items, and the sealed amendments: two queries."""
    answers = list(
        inspection.answers.select_related("item", "photo").order_by("item__position", "item_id")
    )
    amendments = list(
        inspection.amendments.filter(status=Inspection.Status.SEALED)
        .select_related("auditor")
        .order_by("sequence")
    )
    return {"inspection": inspection, "answers": answers, "amendments": amendments}


@require_GET
@login_required
def inspection_pdf(request, pk: int):
    """The sealed record as a PDF, for whoever may read it (404 otherwise, and for a draft:
    only a sealed record leaves the portal)."""
    inspection = inspection_get(request.user, pk)
    if not inspection.is_sealed:
        raise Http404
    context = _record_context(inspection)
    context["tally"] = inspections.weighted_score(context["answers"])
    return pdf_response(
        request,
        "quality/inspection_pdf.html",
        context,
        filename=f"{inspection.number}.pdf",
    )


@require_http_methods(["GET", "POST"])
@login_required
def inspection_amend(request, pk: int):
    """GET: the form asking why; POST: a new draft amending the record, then fill it in."""
    original = inspection_get(request.user, pk)
    if not is_auditor(request.user) or not original.is_sealed:
        raise Http404
    form = AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = inspections.inspection_amend(
                actor=request.user, original=original, reason=form.cleaned_data["reason"]
            )
        except inspections.InspectionError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
        else:
            messages.success(
                request,
                _("%(number)s amends %(original)s: correct it and submit it.")
                % {"number": amendment.number, "original": original.number},
            )
            return redirect("quality:inspection_fill", pk=amendment.pk)
    return render(
        request,
        "quality/inspection_amend.html",
        {"inspection": original, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
@login_required
def inspection_discard(request, pk: int):
    inspection = _own_draft(request, pk)
    if inspection is None:
        return _sealed_redirect(request, pk)
    try:
        inspections.inspection_discard(actor=request.user, inspection=inspection)
    except inspections.InspectionError as error:
        messages.error(request, error.message)
        return redirect("quality:inspection_detail", pk=pk)
    messages.success(request, _("The draft is discarded."))
    return redirect("quality:inspection_list")


@require_GET
@login_required
def chain_verify(request):
    """Verify the seal chain now and show the result (auditors and administrators)."""
    if not is_auditor(request.user):
        raise Http404
    check_photos = request.GET.get("photos") == "1"
    report = seals.verify_chain(check_photos=check_photos)
    headline, details = inspections.chain_verdict(report)
    return render(
        request,
        "quality/chain_verify.html",
        {
            "report": report,
            "headline": headline,
            "details": details,
            "check_photos": check_photos,
            "anchors": list(ChainAnchor.objects.order_by("-at", "-id")[:5]),
        },
    )

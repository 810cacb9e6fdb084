"""Internal audits: the year's programme, planning an audit, its checklist and findings, a
finding turned into a nonconformity, the printable report and its issue (sealed).
Services: quality.audits."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.access import ALL
from logistics.forms import UserMultipleChoiceField
from logistics.models import Department, Role, User
from logistics.pdf import pdf_response
from logistics.uploads import PhotoField
from quality import audit_questions, audits
from quality.documents import head_of, is_quality
from quality.models import AuditFinding, AuditQuestion


class AuditForm(forms.Form):
    department = forms.ModelChoiceField(
        label=gettext_lazy("Audited department"), queryset=Department.objects.all()
    )
    planned_date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    scope = forms.CharField(label=gettext_lazy("Scope"), max_length=300)
    clauses = forms.CharField(
        label=gettext_lazy("Clauses"),
        max_length=200,
        help_text=gettext_lazy("e.g. 7.5, 8.5, 10.2"),
    )
    auditors = UserMultipleChoiceField(
        label=gettext_lazy("Auditors"),
        queryset=User.objects.filter(is_active=True, role_grants__role=Role.AUDITOR)
        .distinct()
        .order_by("username"),
    )
    auditees = forms.CharField(label=gettext_lazy("Auditees"), max_length=300, required=False)


class FindingForm(forms.Form):
    clause = forms.ChoiceField(label=gettext_lazy("Clause"))
    kind = forms.ChoiceField(label=gettext_lazy("Finding"), choices=AuditFinding.Kind.choices)
    text = forms.CharField(
        label=gettext_lazy("What was found"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    photo = PhotoField(label=gettext_lazy("Photo"), required=False)

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clause"].choices = [(c, c) for c in audit.clause_list()]


class IssueForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Summary"), widget=forms.Textarea(attrs={"rows": 4})
    )
    strengths = forms.CharField(
        label=gettext_lazy("Strong points"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    improvements = forms.CharField(
        label=gettext_lazy("Points to improve"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


def _may_see_programme(user) -> bool:
    heads = head_of(user)
    return is_quality(user) or heads is ALL or bool(heads)


@login_required
def programme(request):
    if not _may_see_programme(request.user):
        raise Http404
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    rows = audits.programme(request.user, year)
    quality = is_quality(request.user)
    return render(
        request,
        "quality/iso/audit_programme.html",
        {
            "year": year,
            "rows": rows,
            "gaps": audits.coverage_of(rows, list(Department.objects.all())) if quality else None,
            "is_quality": quality,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def audit_new(request):
    if not is_quality(request.user):
        raise Http404
    form = AuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            audit = audits.audit_plan(actor=request.user, year=data["planned_date"].year, **data)
        except audits.AuditError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                messages.error(request, error.message)
        else:
            messages.success(request, _("Audit planned."))
            return redirect("quality:audit_detail", audit.pk)
    return render(request, "quality/iso/audit_new.html", {"form": form, "clauses": audits.CLAUSES})


@login_required
@require_http_methods(["GET", "POST"])
def audit_detail(request, pk: int):
    audit = audits.audit_get(request.user, pk)
    may_record = audits.may_record(request.user, audit)
    form = FindingForm(request.POST or None, request.FILES or None, audit=audit)
    if request.method == "POST":
        if not may_record:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            question = None
            if request.POST.get("question"):
                question = AuditQuestion.objects.filter(pk=request.POST["question"]).first()
            try:
                audits.finding_add(
                    actor=request.user,
                    audit=audit,
                    clause=data["clause"],
                    kind=data["kind"],
                    text=data["text"],
                    evidence=data["evidence"],
                    question=question,
                    photo_file=data.get("photo"),
                )
            except audits.AuditError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Finding recorded."))
                return redirect("quality:audit_detail", audit.pk)
    return render(
        request,
        "quality/iso/audit_detail.html",
        _context(request, audit, form=form, may_record=may_record),
    )


def _context(request, audit, **extra):
    return {**_report_context(request, audit), "checklist": audits.checklist(audit), **extra}


def _report_context(request, audit) -> dict:
    """What the report shows (quality/iso/audit_report_body.html): the auditors, the findings
    with their nonconformity and the counts by kind; three queries."""
    findings = list(
        audit.findings.select_related("created_by")
        .prefetch_related("nonconformities")
        .order_by("clause", "pk")
    )
    for finding in findings:
        finding.nc = next(iter(finding.nonconformities.all()), None)
    return {
        "audit": audit,
        "auditors": list(audit.auditors.order_by("username")),
        "findings": findings,
        "is_quality": is_quality(request.user),
        "counts": {k: sum(1 for f in findings if f.kind == k) for k in AuditFinding.Kind.values},
    }


@login_required
@require_POST
def finding_to_nc(request, pk: int):
    finding = get_object_or_404(AuditFinding.objects.select_related("audit"), pk=pk)
    audits.audit_get(request.user, finding.audit_id)  # 404 for who may not see it
    try:
        nonconformity = audits.finding_to_nc(actor=request.user, finding=finding)
    except audits.AuditError as error:
        messages.error(request, error.message)
        return redirect("quality:audit_detail", finding.audit_id)
    messages.success(
        request, _("Nonconformity %(number)s raised.") % {"number": nonconformity.number}
    )
    return redirect("quality:nc_detail", nonconformity.pk)


@login_required
@require_http_methods(["GET", "POST"])
def audit_report(request, pk: int):
    audit = audits.audit_get(request.user, pk)
    form = IssueForm(request.POST or None)
    if request.method == "POST":
        if not is_quality(request.user):
            raise Http404
        if form.is_valid():
            try:
                audits.audit_issue(actor=request.user, audit=audit, **form.cleaned_data)
            except audits.AuditError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Report issued: it is sealed from now on."))
                return redirect("quality:audit_report", audit.pk)
    return render(request, "quality/iso/audit_report.html", _context(request, audit, form=form))


@require_GET
@login_required
def audit_report_pdf(request, pk: int):
    """The report as a PDF, for whoever may read its page (404 otherwise): a draft says it is
    one, an issued report carries its seal (issued when and by whom, never changed)."""
    audit = audits.audit_get(request.user, pk)
    return pdf_response(
        request,
        "quality/iso/audit_report_pdf.html",
        _report_context(request, audit),
        filename=f"{audit.number}.pdf",
    )


# --- The reusable checklist questions (quality auditors only) ----------------------------------


class QuestionForm(forms.Form):
    clause = forms.ChoiceField(
        label=gettext_lazy("Clause"),
        choices=[(code, f"{code} {zh} / {en}") for code, zh, en in audits.CLAUSES],
    )
    text = forms.CharField(label=gettext_lazy("Question (Chinese)"), max_length=300)
    text_en = forms.CharField(
        label=gettext_lazy("Question (English)"), max_length=300, required=False
    )
    position = forms.IntegerField(
        label=gettext_lazy("Position"), min_value=0, max_value=999, initial=0, required=False
    )


def _require_checklist_keeper(user) -> None:
    if not is_quality(user):
        raise Http404


def _question_form_errors(request, form, error) -> None:
    if error.field in form.fields:
        form.add_error(error.field, error.message)
    else:
        messages.error(request, error.message)


@login_required
@require_http_methods(["GET", "POST"])
def question_list(request):
    """The audit checklist by clause: add, edit (a used question gets a new version), retire."""
    _require_checklist_keeper(request.user)
    form = QuestionForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            audit_questions.question_add(actor=request.user, **form.cleaned_data)
        except audits.AuditError as error:
            _question_form_errors(request, form, error)
        else:
            messages.success(request, _("Question added."))
            return redirect("quality:audit_questions")
    rows = list(audit_questions.questions())
    titles = {code: (zh, en) for code, zh, en in audits.CLAUSES}
    clauses = []
    for code in audits.CLAUSE_CODES:
        mine = [q for q in rows if q.clause == code]
        clauses.append({"code": code, "title": titles[code], "questions": mine})
    return render(
        request,
        "quality/iso/audit_questions.html",
        {"form": form, "clauses": clauses, "count": sum(1 for q in rows if q.active)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request, pk: int):
    _require_checklist_keeper(request.user)
    question = get_object_or_404(AuditQuestion, pk=pk)
    form = QuestionForm(
        request.POST or None,
        initial={
            "clause": question.clause,
            "text": question.text,
            "text_en": question.text_en,
            "position": question.position,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = audit_questions.question_edit(
                actor=request.user, question=question, **form.cleaned_data
            )
        except audits.AuditError as error:
            _question_form_errors(request, form, error)
        else:
            if saved.pk != question.pk:
                messages.success(
                    request,
                    _("An audit has used this question: version %(n)d replaces it.")
                    % {"n": saved.version},
                )
            else:
                messages.success(request, _("Question saved."))
            return redirect("quality:audit_questions")
    return render(
        request,
        "quality/iso/audit_question_edit.html",
        {"form": form, "question": question, "used": audit_questions.is_used(question)},
    )


@login_required
@require_POST
def question_retire(request, pk: int):
    _require_checklist_keeper(request.user)
    question = get_object_or_404(AuditQuestion, pk=pk)
    try:
        kept = audit_questions.question_retire(actor=request.user, question=question)
    except audits.AuditError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Question retired.") if kept is not None else _("Question deleted.")
        )
    return redirect("quality:audit_questions")


@login_required
@require_POST
def question_restore(request, pk: int):
    _require_checklist_keeper(request.user)
    question = get_object_or_404(AuditQuestion, pk=pk)
    try:
        audit_questions.question_restore(actor=request.user, question=question)
    except audits.AuditError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Question back in use."))
    return redirect("quality:audit_questions")

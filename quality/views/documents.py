"""Controlled documents: the list, a document and its versions, the draft editor, review and
approval, acknowledgements, the coverage board and the PDF. Services: quality.documents."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from logistics.access import ALL
from logistics.forms import UserChoiceField
from logistics.models import Department, Role, ServiceArea, User
from quality import documents
from quality.markdown import render as markdown
from quality.models import ControlledDocument, DocumentKind, DocumentVersion

ROLE_CHOICES = [(r, label) for r, label in Role.choices if r in documents.STAFF_ROLES]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DocumentKind.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.none()
    )
    area = forms.ModelChoiceField(
        label=gettext_lazy("Service area"), queryset=ServiceArea.objects.all(), required=False
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    title_en = forms.CharField(
        label=gettext_lazy("Title in English"), max_length=200, required=False
    )
    owner = UserChoiceField(
        label=gettext_lazy("Owner"),
        queryset=User.objects.filter(is_active=True, role_grants__isnull=False)
        .exclude(role_grants__role=Role.STUDENT)
        .distinct()
        .order_by("username"),
    )
    applies_to = forms.MultipleChoiceField(
        label=gettext_lazy("Staff who must acknowledge it (roles in the department)"),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    review_months = forms.TypedChoiceField(
        label=gettext_lazy("Periodic review"),
        choices=ControlledDocument.REVIEW_MONTHS,
        coerce=int,
        initial=12,
    )
    text = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
    )
    text_en = forms.CharField(
        label=gettext_lazy("Text in English (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    pdf = forms.FileField(label=gettext_lazy("or a PDF"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        heads = documents.head_of(user)
        queryset = Department.objects.all()
        if heads is not ALL:
            queryset = queryset.filter(pk__in=heads)
        self.fields["department"].queryset = queryset
        self.fields["pdf"].widget.attrs["accept"] = "application/pdf"


class VersionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
    )
    text_en = forms.CharField(
        label=gettext_lazy("Text in English (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
    )
    change_note = forms.CharField(
        label=gettext_lazy("What changed"), max_length=300, required=False
    )
    pdf = forms.FileField(label=gettext_lazy("or a PDF"), required=False)


def _error(request, form, error):
    if form is not None and error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
    else:
        messages.error(request, error.message)


@login_required
def document_list(request):
    scope = documents.departments_of(request.user)
    if scope is not ALL and not scope:
        raise Http404
    today = timezone.localdate()
    rows = documents.document_list(
        request.user,
        today=today,
        query=request.GET.get("q", "").strip(),
        kind=request.GET.get("kind", ""),
    )
    return render(
        request,
        "quality/iso/document_list.html",
        {
            "rows": rows,
            "kinds": DocumentKind.choices,
            "kind": request.GET.get("kind", ""),
            "q": request.GET.get("q", ""),
            "pending": documents.pending_for(request.user),
            "may_write": documents.head_of(request.user) == ALL
            or bool(documents.head_of(request.user)),
            "is_quality": documents.is_quality(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_new(request):
    heads = documents.head_of(request.user)
    if heads is not ALL and not heads:
        raise Http404
    form = DocumentForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = documents.document_create(actor=request.user, **data)
        except documents.DocumentError as error:
            _error(request, form, error)
        else:
            messages.success(
                request, _("Document %(number)s created as a draft.") % {"number": document.number}
            )
            return redirect("quality:document_detail", document.pk)
    return render(request, "quality/iso/document_new.html", {"form": form})


@login_required
def document_detail(request, pk: int):
    document = documents.document_get(request.user, pk)
    versions = documents.versions_visible(request.user, document)
    shown = document.effective or next(iter(versions), None)
    return render(
        request,
        "quality/iso/document_detail.html",
        _version_context(request, document, versions, shown),
    )


@login_required
def version_detail(request, pk: int):
    version = documents.version_get(request.user, pk)
    document = documents.document_get(request.user, version.document_id)
    versions = documents.versions_visible(request.user, document)
    return render(
        request,
        "quality/iso/document_detail.html",
        _version_context(request, document, versions, version),
    )


def _version_context(request, document, versions, shown):
    user = request.user
    previous = None
    if shown is not None:
        previous = next((v for v in versions if v.number < shown.number), None)
    english = (request.LANGUAGE_CODE or "").startswith("en")
    body = ""
    if shown is not None:
        source = shown.text_en if english and shown.text_en else shown.text
        body = markdown(source)
    editable = (
        shown is not None
        and shown.status == DocumentVersion.Status.DRAFT
        and documents.may_draft(user, document.department_id)
    )
    return {
        "document": document,
        "versions": versions,
        "shown": shown,
        "body": body,
        "diff": documents.diff(previous, shown) if shown is not None and previous else [],
        "previous": previous,
        "form": VersionForm(
            initial={"text": shown.text, "text_en": shown.text_en, "change_note": shown.change_note}
        )
        if editable
        else None,
        "may_draft": documents.may_draft(user, document.department_id),
        "may_approve": shown is not None and documents.may_approve(user, shown),
        "is_author": shown is not None and shown.author_id == user.pk,
        "is_quality": documents.is_quality(user),
        "must_acknowledge": shown is not None and documents.must_acknowledge(user, shown),
        "acknowledged": shown is not None and shown.acknowledgements.filter(user=user).exists(),
        "today": timezone.localdate(),
    }


def _act(request, pk, action):
    version = documents.version_get(request.user, pk)
    try:
        action(version)
    except documents.DocumentError as error:
        messages.error(request, error.message)
    return redirect("quality:version_detail", version.pk)


@login_required
@require_POST
def version_edit(request, pk: int):
    form = VersionForm(request.POST, request.FILES)
    form.is_valid()
    data = form.cleaned_data

    def save(version):
        documents.version_edit(actor=request.user, version=version, **data)
        messages.success(request, _("Draft saved."))

    return _act(request, pk, save)


@login_required
@require_POST
def version_submit(request, pk: int):
    def submit(version):
        documents.version_submit(actor=request.user, version=version)
        messages.success(request, _("Sent to the quality department for review."))

    return _act(request, pk, submit)


@login_required
@require_POST
def version_approve(request, pk: int):
    def approve(version):
        try:
            day = dt.date.fromisoformat(request.POST.get("effective_from", ""))
        except ValueError:
            day = None
        documents.version_approve(actor=request.user, version=version, effective_from=day)
        messages.success(request, _("Approved."))

    return _act(request, pk, approve)


@login_required
@require_POST
def version_return(request, pk: int):
    def send_back(version):
        documents.version_return(
            actor=request.user, version=version, note=request.POST.get("note", "")
        )
        messages.success(request, _("Sent back to its author as a draft."))

    return _act(request, pk, send_back)


@login_required
@require_POST
def acknowledge(request, pk: int):
    def ack(version):
        documents.acknowledge(actor=request.user, version=version)
        messages.success(request, _("Thank you: your acknowledgement is recorded."))

    return _act(request, pk, ack)


@login_required
@require_POST
def version_new(request, pk: int):
    document = documents.document_get(request.user, pk)
    try:
        version = documents.version_new(actor=request.user, document=document)
    except documents.DocumentError as error:
        messages.error(request, error.message)
        return redirect("quality:document_detail", document.pk)
    return redirect("quality:version_detail", version.pk)


@login_required
@require_POST
def document_reviewed(request, pk: int):
    document = documents.document_get(request.user, pk)
    try:
        documents.document_reviewed(actor=request.user, document=document)
        messages.success(request, _("Review recorded: the document stays in force."))
    except documents.DocumentError as error:
        messages.error(request, error.message)
    return redirect("quality:document_detail", document.pk)


@login_required
@require_POST
def document_withdraw(request, pk: int):
    document = documents.document_get(request.user, pk)
    try:
        documents.document_withdraw(actor=request.user, document=document)
        messages.success(request, _("Withdrawn: its versions stay readable, marked as withdrawn."))
    except documents.DocumentError as error:
        messages.error(request, error.message)
    return redirect("quality:document_detail", document.pk)


@login_required
def version_pdf(request, pk: int):
    version = documents.version_get(request.user, pk)
    if not version.pdf:
        raise Http404
    return FileResponse(
        version.pdf.open("rb"),
        content_type="application/pdf",
        filename=f"{version.document.number}-v{version.number}.pdf",
    )


@login_required
def coverage(request):
    scope = documents.head_of(request.user)
    if scope is not ALL and not scope:
        raise Http404
    return render(
        request, "quality/iso/coverage.html", {"boards": documents.coverage(request.user)}
    )

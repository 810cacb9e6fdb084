"""Controlled documents (文件控制): numbers, versions and their approval, effective dates,
periodic reviews, read-and-understood acknowledgements and the coverage board.

A version goes Draft → In review → Approved (by someone other than its author) → Effective on
its date → Superseded by the next. An effective version is never edited (the services refuse
it, and on PostgreSQL the database too: migration 0008); a change is a new version.

Who may do what:
- the quality department (auditors) and administrators: everything, everywhere;
- a department head: drafts and sends for review the documents of their departments, reads
  them all, sees their departments' coverage;
- every staff member: reads the effective (and retired) versions of their departments'
  documents and acknowledges those that apply to them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL, department_scope, grants_of, has_role
from logistics.alerts import AlertSpec, alerts_clear, alerts_raise
from logistics.errors import ServiceError
from logistics.models import Department, Role, RoleGrant, User
from logistics.notifications import notify_many
from logistics.services import audit_record
from logistics.uploads import pdf_check
from quality.alerts import DOCUMENT_REVIEW_DUE
from quality.models import (
    ControlledDocument,
    DocumentAcknowledgement,
    DocumentKind,
    DocumentVersion,
)
from quality.notifications import DOCUMENT_REVIEW_DUE_OWNER

TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 100_000
# Roles a document may apply to: every staff role (residents read no controlled documents).
STAFF_ROLES = tuple(r for r in Role.values if r not in (Role.STUDENT, Role.ADMIN))


class DocumentError(ServiceError):
    pass


class DocumentInvalid(DocumentError):
    status_code = 400
    code = "invalid"


class DocumentNotAllowed(DocumentError):
    status_code = 403
    code = "forbidden"


class VersionFrozen(DocumentError):
    """An effective, superseded or withdrawn version is never edited."""


class WrongState(DocumentError):
    pass


# --- Who may -----------------------------------------------------------------------------------


def is_quality(user) -> bool:
    """The quality department: auditors (and administrators)."""
    return user.is_authenticated and has_role(user, Role.AUDITOR)


def departments_of(user) -> set[int] | None:
    """The departments a staff member works in (any role's grant), or ALL for auditors."""
    if is_quality(user):
        return ALL
    found: set[int] = set()
    for grant in grants_of(user):
        if grant.role == Role.STUDENT:
            continue
        if grant.department_id is None and grant.role == Role.DEPARTMENT_HEAD:
            return ALL
        if grant.department_id is not None:
            found.add(grant.department_id)
    return found


def head_of(user) -> set[int] | None:
    if not user.is_authenticated:
        return set()
    if is_quality(user):
        return ALL
    if not has_role(user, Role.DEPARTMENT_HEAD):
        return set()
    return department_scope(user, Role.DEPARTMENT_HEAD)


def may_draft(user, department_id: int) -> bool:
    heads = head_of(user)
    return heads is ALL or department_id in heads


def may_see_drafts(user, document: ControlledDocument) -> bool:
    return may_draft(user, document.department_id)


def may_approve(user, version: DocumentVersion) -> bool:
    return (
        is_quality(user)
        and version.status == DocumentVersion.Status.IN_REVIEW
        and version.author_id != user.pk
    )


def _scoped(queryset, user, field: str = "department_id"):
    scope = departments_of(user)
    if scope is ALL:
        return queryset
    return queryset.filter(**{f"{field}__in": scope})


# --- Reads -----------------------------------------------------------------------------------


def documents_for(user) -> QuerySet[ControlledDocument]:
    """The documents the user may read, with their department, area and owner."""
    if not user.is_authenticated or not user.is_active:
        return ControlledDocument.objects.none()
    queryset = ControlledDocument.objects.select_related("department", "area", "owner")
    queryset = _scoped(queryset, user)
    heads = head_of(user)
    if heads is not ALL:
        # Staff read only documents that are (or were) in force.
        queryset = queryset.filter(
            Q(department_id__in=heads) | Q(versions__status__in=DocumentVersion.FROZEN_STATUSES)
        ).distinct()
    return queryset


def document_list(user, *, today: dt.date | None = None, query: str = "", kind: str = ""):
    """The list page's documents with their current (effective) version and open version, in
    three queries whatever the number of documents."""
    today = today or timezone.localdate()
    documents = documents_for(user).prefetch_related(
        Prefetch(
            "versions",
            queryset=DocumentVersion.objects.only(
                "id", "document_id", "number", "status", "effective_from"
            ).order_by("-number"),
            to_attr="all_versions",
        )
    )
    if kind:
        documents = documents.filter(kind=kind)
    if query:
        documents = documents.filter(
            Q(number__icontains=query) | Q(title__icontains=query) | Q(title_en__icontains=query)
        )
    rows = list(documents.order_by("number"))
    for document in rows:
        _annotate(document, today)
    return rows


def _annotate(document: ControlledDocument, today: dt.date) -> None:
    versions = getattr(document, "all_versions", None)
    if versions is None:
        versions = list(document.versions.order_by("-number"))
    document.effective = next(
        (v for v in versions if v.status == DocumentVersion.Status.EFFECTIVE), None
    )
    document.open_version = next(
        (v for v in versions if v.status in DocumentVersion.OPEN_STATUSES), None
    )
    document.review_overdue = bool(
        document.effective and document.review_due and document.review_due < today
    )
    document.is_withdrawn = document.withdrawn_at is not None


def document_get(user, pk: int, *, today: dt.date | None = None) -> ControlledDocument:
    document = documents_for(user).filter(pk=pk).first()
    if document is None:
        raise Http404
    _annotate(document, today or timezone.localdate())
    return document


def versions_visible(user, document: ControlledDocument) -> list[DocumentVersion]:
    versions = document.versions.select_related("author", "approved_by").order_by("-number")
    if not may_see_drafts(user, document):
        versions = versions.filter(status__in=DocumentVersion.FROZEN_STATUSES)
    return list(versions)


def version_get(user, pk: int) -> DocumentVersion:
    version = (
        DocumentVersion.objects.select_related("document__department", "author", "approved_by")
        .filter(document__in=documents_for(user), pk=pk)
        .first()
    )
    if version is None or (not version.is_frozen and not may_see_drafts(user, version.document)):
        raise Http404
    return version


@dataclass
class DiffLine:
    kind: str  # "add", "remove", "context", "hunk"
    text: str


def diff(older: DocumentVersion | None, newer: DocumentVersion, *, english=False) -> list[DiffLine]:
    """What changed between two versions' text, line by line (escaped by the template)."""
    attr = "text_en" if english else "text"
    before = (getattr(older, attr) if older else "").splitlines()
    after = getattr(newer, attr).splitlines()
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("remove", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return lines


# --- Who must acknowledge, and who has --------------------------------------------------------


def must_acknowledge(user, version: DocumentVersion) -> bool:
    """The version is in force and applies to one of the user's roles in its department."""
    if version.status != DocumentVersion.Status.EFFECTIVE:
        return False
    roles = set(version.document.applies_to or [])
    return any(
        g.role in roles and g.department_id == version.document.department_id
        for g in grants_of(user)
    )


@dataclass
class CoverageRow:
    version: DocumentVersion
    required: list[User] = field(default_factory=list)
    missing: list[User] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.required) - len(self.missing)

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / len(self.required)) if self.required else None


@dataclass
class DepartmentCoverage:
    department: Department
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return sum(len(r.missing) for r in self.rows)


def coverage(user) -> list[DepartmentCoverage]:
    """Per department the user may see, every effective version that applies to someone and
    who has not acknowledged it. Four queries whatever the number of documents and staff: the
    versions, the grants of their departments (with the users), the acknowledgements."""
    scope = head_of(user)
    if scope != ALL and not scope:
        return []
    versions = DocumentVersion.objects.filter(
        status=DocumentVersion.Status.EFFECTIVE, document__withdrawn_at__isnull=True
    ).select_related("document__department")
    if scope is not ALL:
        versions = versions.filter(document__department_id__in=scope)
    versions = [v for v in versions.order_by("document__number") if v.document.applies_to]
    if not versions:
        return []
    department_ids = {v.document.department_id for v in versions}
    holders: dict[tuple[int, str], list[User]] = {}
    for grant in (
        RoleGrant.objects.filter(department_id__in=department_ids, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ):
        people = holders.setdefault((grant.department_id, grant.role), [])
        if grant.user not in people:
            people.append(grant.user)
    acknowledged = set(
        DocumentAcknowledgement.objects.filter(version__in=versions).values_list(
            "version_id", "user_id"
        )
    )
    boards: dict[int, DepartmentCoverage] = {}
    for version in versions:
        document = version.document
        required: list[User] = []
        for role in document.applies_to:
            for person in holders.get((document.department_id, role), []):
                if person not in required:
                    required.append(person)
        if not required:
            continue
        board = boards.setdefault(
            document.department_id, DepartmentCoverage(department=document.department)
        )
        board.rows.append(
            CoverageRow(
                version=version,
                required=required,
                missing=[p for p in required if (version.pk, p.pk) not in acknowledged],
            )
        )
    return sorted(boards.values(), key=lambda b: b.department.code)


def pending_for(user) -> list[DocumentVersion]:
    """The effective versions the user must acknowledge and has not yet (two queries)."""
    pairs = {(g.department_id, g.role) for g in grants_of(user) if g.department_id}
    if not pairs:
        return []
    versions = (
        DocumentVersion.objects.filter(
            status=DocumentVersion.Status.EFFECTIVE,
            document__withdrawn_at__isnull=True,
            document__department_id__in={d for d, _r in pairs},
        )
        .exclude(acknowledgements__user=user)
        .select_related("document")
    )
    return [
        v
        for v in versions.order_by("document__number")
        if any((v.document.department_id, r) in pairs for r in v.document.applies_to)
    ]


# --- Writes ----------------------------------------------------------------------------------


def _text(value: str, *, field: str, required: bool, limit: int) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DocumentInvalid(_("This field is required."), field=field)
    if len(value) > limit:
        raise DocumentInvalid(
            _("Keep it under %(limit)s characters.") % {"limit": limit}, field=field
        )
    return value


def _pdf(file) -> ContentFile | None:
    if not file:
        return None
    try:
        data = pdf_check(file)
    except ValidationError as error:
        raise DocumentInvalid(error.messages[0], field="pdf") from error
    return ContentFile(data, name="document.pdf")


def _roles(applies_to) -> list[str]:
    roles = [r for r in (applies_to or []) if r]
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        raise DocumentInvalid(_("Choose roles from the list."), field="applies_to")
    return sorted(set(roles))


def document_number(kind: str, department: Department, sequence: int) -> str:
    return f"{kind}-{department.code.upper().replace('-', '')[:10]}-{sequence:03d}"


@transaction.atomic
def document_create(
    *,
    actor: User,
    kind: str,
    department: Department,
    title: str,
    owner: User,
    title_en: str = "",
    area=None,
    applies_to=(),
    review_months: int = 12,
    text: str = "",
    text_en: str = "",
    pdf=None,
) -> ControlledDocument:
    """A new document, numbered TYPE-DEPT-SEQ, and its first draft."""
    if not may_draft(actor, department.pk):
        raise DocumentNotAllowed(
            _("Only the quality department and the department's head write its documents.")
        )
    if kind not in DocumentKind.values:
        raise DocumentInvalid(_("Choose a kind from the list."), field="kind")
    if int(review_months or 0) not in (12, 24, 36):
        raise DocumentInvalid(_("Review every 12, 24 or 36 months."), field="review_months")
    title = _text(title, field="title", required=True, limit=TITLE_MAX_LENGTH)
    title_en = _text(title_en, field="title_en", required=False, limit=TITLE_MAX_LENGTH)
    roles = _roles(applies_to)
    # One number at a time per department: the department's row is the lock.
    Department.objects.select_for_update().filter(pk=department.pk).first()
    sequence = (
        ControlledDocument.objects.filter(kind=kind, department=department).aggregate(
            n=Max("sequence")
        )["n"]
        or 0
    ) + 1
    document = ControlledDocument.objects.create(
        kind=kind,
        department=department,
        area=area,
        sequence=sequence,
        number=document_number(kind, department, sequence),
        title=title,
        title_en=title_en,
        owner=owner,
        applies_to=roles,
        review_months=int(review_months),
    )
    version = DocumentVersion(document=document, number=1, author=actor)
    _fill(version, text=text, text_en=text_en, pdf=pdf, change_note="")
    version.save()
    audit_record(
        actor=actor,
        action="quality.document_create",
        target=document,
        changes={"number": document.number},
    )
    return document


def _fill(version: DocumentVersion, *, text, text_en, pdf, change_note) -> None:
    version.text = _text(text, field="text", required=False, limit=TEXT_MAX_LENGTH)
    version.text_en = _text(text_en, field="text_en", required=False, limit=TEXT_MAX_LENGTH)
    version.change_note = _text(change_note, field="change_note", required=False, limit=300)
    checked = _pdf(pdf)
    if checked is not None:
        version.pdf.save(checked.name, checked, save=False)


def _locked(version: DocumentVersion) -> DocumentVersion:
    return DocumentVersion.objects.select_for_update().select_related("document").get(pk=version.pk)


@transaction.atomic
def version_edit(
    *,
    actor: User,
    version: DocumentVersion,
    text: str,
    text_en: str = "",
    change_note: str = "",
    pdf=None,
) -> DocumentVersion:
    """Change a draft's text. An effective (or retired) version is never edited: refused."""
    version = _locked(version)
    if version.is_frozen:
        raise VersionFrozen(
            _("Version %(number)s is %(status)s: it is never edited; write a new version.")
            % {"number": version.number, "status": version.get_status_display()}
        )
    if version.status != DocumentVersion.Status.DRAFT:
        raise WrongState(_("Only a draft can be edited: send it back to draft first."))
    if not may_draft(actor, version.document.department_id):
        raise DocumentNotAllowed(_("You may not edit this document."))
    _fill(version, text=text, text_en=text_en, pdf=pdf, change_note=change_note)
    version.save()
    return version


@transaction.atomic
def version_new(*, actor: User, document: ControlledDocument) -> DocumentVersion:
    """A new draft, starting from the latest version's text."""
    if not may_draft(actor, document.department_id):
        raise DocumentNotAllowed(_("You may not edit this document."))
    ControlledDocument.objects.select_for_update().filter(pk=document.pk).first()
    if document.versions.filter(status__in=DocumentVersion.OPEN_STATUSES).exists():
        raise WrongState(_("This document already has a version in progress."))
    if document.withdrawn_at is not None:
        raise WrongState(_("This document is withdrawn."))
    latest = document.versions.order_by("-number").first()
    return DocumentVersion.objects.create(
        document=document,
        number=(latest.number + 1) if latest else 1,
        author=actor,
        text=latest.text if latest else "",
        text_en=latest.text_en if latest else "",
    )


@transaction.atomic
def version_submit(*, actor: User, version: DocumentVersion) -> DocumentVersion:
    version = _locked(version)
    if version.status != DocumentVersion.Status.DRAFT:
        raise WrongState(_("Only a draft can be sent for review."))
    if not may_draft(actor, version.document.department_id):
        raise DocumentNotAllowed(_("You may not edit this document."))
    if not (version.text or version.text_en or version.pdf):
        raise DocumentInvalid(_("Write the text or attach a PDF first."), field="text")
    version.status = DocumentVersion.Status.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=["status", "submitted_at"])
    audit_record(actor=actor, action="quality.document_submit", target=version, changes={})
    return version


@transaction.atomic
def version_return(*, actor: User, version: DocumentVersion, note: str = "") -> DocumentVersion:
    """The reviewer sends a version back to its author as a draft."""
    version = _locked(version)
    if version.status not in (DocumentVersion.Status.IN_REVIEW, DocumentVersion.Status.APPROVED):
        raise WrongState(_("Only a version in review or approved can go back to draft."))
    if not is_quality(actor):
        raise DocumentNotAllowed(_("Only the quality department reviews documents."))
    version.status = DocumentVersion.Status.DRAFT
    version.approved_by = None
    version.approved_at = None
    version.effective_from = None
    version.save(update_fields=["status", "approved_by", "approved_at", "effective_from"])
    audit_record(
        actor=actor, action="quality.document_return", target=version, changes={"note": note}
    )
    return version


@transaction.atomic
def version_approve(
    *, actor: User, version: DocumentVersion, effective_from: dt.date, today: dt.date | None = None
) -> DocumentVersion:
    """Approve a version in review, effective on `effective_from` (today or later). Its author
    never approves it. When the date has come, it takes effect at once."""
    today = today or timezone.localdate()
    version = _locked(version)
    if version.status != DocumentVersion.Status.IN_REVIEW:
        raise WrongState(_("Only a version in review can be approved."))
    if not is_quality(actor):
        raise DocumentNotAllowed(_("Only the quality department approves documents."))
    if version.author_id == actor.pk:
        raise DocumentNotAllowed(
            _("You wrote this version: someone other than its author must approve it.")
        )
    if effective_from is None or effective_from < today:
        raise DocumentInvalid(_("Choose an effective date from today on."), field="effective_from")
    version.status = DocumentVersion.Status.APPROVED
    version.approved_by = actor
    version.approved_at = timezone.now()
    version.effective_from = effective_from
    version.save(update_fields=["status", "approved_by", "approved_at", "effective_from"])
    audit_record(
        actor=actor,
        action="quality.document_approve",
        target=version,
        changes={"effective_from": str(effective_from)},
    )
    make_effective(today, documents=[version.document_id])
    version.refresh_from_db()
    return version


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def make_effective(today: dt.date, *, documents: list[int] | None = None) -> int:
    """Every approved version whose date has come takes effect: the version in force before
    it is superseded (retired that day), and the document's next review is due its review
    period later. Safe to run twice. Returns how many took effect."""
    due = DocumentVersion.objects.select_for_update().filter(
        status=DocumentVersion.Status.APPROVED, effective_from__lte=today
    )
    if documents is not None:
        due = due.filter(document_id__in=documents)
    due = list(due.select_related("document").order_by("document_id"))
    if not due:
        return 0
    ids = [v.document_id for v in due]
    DocumentVersion.objects.filter(
        document_id__in=ids, status=DocumentVersion.Status.EFFECTIVE
    ).update(status=DocumentVersion.Status.SUPERSEDED, retired_on=today)
    for version in due:
        version.status = DocumentVersion.Status.EFFECTIVE
        version.save(update_fields=["status"])
        document = version.document
        document.review_due = add_months(version.effective_from, document.review_months)
        document.save(update_fields=["review_due"])
        alerts_clear(_review_keys(document.pk))
    return len(due)


@transaction.atomic
def document_withdraw(*, actor: User, document: ControlledDocument, today=None) -> None:
    """Withdraw a document: its effective version is withdrawn (still readable, marked)."""
    today = today or timezone.localdate()
    if not is_quality(actor):
        raise DocumentNotAllowed(_("Only the quality department withdraws documents."))
    document = ControlledDocument.objects.select_for_update().get(pk=document.pk)
    if document.withdrawn_at is not None:
        raise WrongState(_("This document is withdrawn."))
    document.versions.filter(status=DocumentVersion.Status.EFFECTIVE).update(
        status=DocumentVersion.Status.WITHDRAWN, retired_on=today
    )
    document.versions.filter(status__in=DocumentVersion.OPEN_STATUSES).delete()
    document.withdrawn_at = timezone.now()
    document.save(update_fields=["withdrawn_at"])
    alerts_clear(_review_keys(document.pk))
    audit_record(actor=actor, action="quality.document_withdraw", target=document, changes={})


@transaction.atomic
def document_reviewed(
    *, actor: User, document: ControlledDocument, today: dt.date | None = None
) -> ControlledDocument:
    """The periodic review found the document still right: its next review is due a review
    period from today, and its alert closes. (A review that changes it is a new version.)"""
    today = today or timezone.localdate()
    if not may_draft(actor, document.department_id):
        raise DocumentNotAllowed(_("You may not review this document."))
    document = ControlledDocument.objects.select_for_update().get(pk=document.pk)
    if not document.versions.filter(status=DocumentVersion.Status.EFFECTIVE).exists():
        raise WrongState(_("Only a document in force has periodic reviews."))
    document.review_due = add_months(today, document.review_months)
    document.save(update_fields=["review_due"])
    alerts_clear(_review_keys(document.pk))
    audit_record(
        actor=actor,
        action="quality.document_reviewed",
        target=document,
        changes={"review_due": str(document.review_due)},
    )
    return document


@transaction.atomic
def acknowledge(*, actor: User, version: DocumentVersion) -> tuple[DocumentAcknowledgement, bool]:
    """The actor has read and understood the version in force. Twice changes nothing."""
    if version.status != DocumentVersion.Status.EFFECTIVE:
        raise WrongState(_("Only the version in force is acknowledged."))
    if not must_acknowledge(actor, version):
        raise DocumentNotAllowed(_("This document does not apply to you."))
    return DocumentAcknowledgement.objects.get_or_create(version=version, user=actor)


# --- The nightly job's part --------------------------------------------------------------------


def _review_keys(document_id: int) -> list[str]:
    from logistics.models import Alert as AlertModel

    return list(
        AlertModel.objects.filter(
            kind=DOCUMENT_REVIEW_DUE.key,
            key__startswith=f"document_review_due:{document_id}:",
            resolved_at__isnull=True,
        ).values_list("key", flat=True)
    )


def review_due_alerts(today: dt.date) -> int:
    """For each document in force whose periodic review date has passed, one open
    `document_review_due` alert for the heads of its department and one for the quality
    department (auditors); a condition already alerted is only seen again. The document's
    owner is told once, when the condition is first alerted. Two queries, one bulk raise and
    one notification insert, however many documents."""
    documents = list(
        ControlledDocument.objects.filter(
            withdrawn_at__isnull=True,
            review_due__lt=today,
            versions__status=DocumentVersion.Status.EFFECTIVE,
        )
        .select_related("owner")
        .distinct()
    )
    specs, owners = [], {}
    for document in documents:
        key = f"document_review_due:{document.pk}:{document.review_due}"
        url = reverse("quality:document_detail", args=[document.pk])
        params = {
            "number": document.number,
            "title": document.title,
            "due": str(document.review_due),
        }
        owners[key] = (document, url, params)
        for role, suffix in ((Role.DEPARTMENT_HEAD, ""), (Role.AUDITOR, ":quality")):
            specs.append(
                AlertSpec(
                    kind=DOCUMENT_REVIEW_DUE,
                    key=key + suffix,
                    role=role,
                    department_id=document.department_id,
                    url=url,
                    params=params,
                )
            )
    raised = alerts_raise(specs)
    notify_many(
        [
            (
                [owners[alert.key][0].owner],
                DOCUMENT_REVIEW_DUE_OWNER,
                owners[alert.key][1],
                owners[alert.key][2],
            )
            for alert in raised
            if alert.key in owners
        ]
    )
    return len(raised)

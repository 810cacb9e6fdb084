"""Internal audits (内部审核): the year's programme, each audit's plan, checklist and findings,
a finding turned into a nonconformity with one click, and the report, sealed when issued.

Rules:
- an auditor is never from the audited department (no role in it), and holds a valid
  internal-auditor qualification on the audit's date (quality.training);
- the quality department plans audits and issues reports; the audit's own auditors record
  findings; once issued nothing changes (on PostgreSQL the database refuses it: migration 0008).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.errors import ServiceError
from logistics.models import Department, RoleGrant, User
from logistics.services import audit_record
from logistics.uploads import photo_from_upload
from quality import nonconformities as ncs
from quality.documents import head_of, is_quality
from quality.models import (
    Audit,
    AuditFinding,
    AuditProgramme,
    AuditQuestion,
    Nonconformity,
    Qualification,
    Severity,
)

# ISO 9001:2015 clauses a programme covers, with their titles.
CLAUSES = [
    ("4", "组织环境", "Context of the organisation"),
    ("5", "领导作用", "Leadership"),
    ("6", "策划", "Planning"),
    ("7.1", "资源", "Resources"),
    ("7.2", "能力", "Competence"),
    ("7.5", "成文信息", "Documented information"),
    ("8.1", "运行策划和控制", "Operational planning and control"),
    ("8.2", "产品和服务的要求", "Requirements for products and services"),
    ("8.5", "生产和服务提供", "Production and service provision"),
    ("8.7", "不合格输出的控制", "Control of nonconforming outputs"),
    ("9.1", "监视、测量、分析和评价", "Monitoring, measurement, analysis and evaluation"),
    ("9.2", "内部审核", "Internal audit"),
    ("9.3", "管理评审", "Management review"),
    ("10.2", "不合格和纠正措施", "Nonconformity and corrective action"),
]
CLAUSE_CODES = [c for c, _zh, _en in CLAUSES]
FINDING_SEVERITY = {
    AuditFinding.Kind.MINOR: Severity.MINOR,
    AuditFinding.Kind.MAJOR: Severity.MAJOR,
}


class AuditError(ServiceError):
    pass


class AuditInvalid(AuditError):
    status_code = 400
    code = "invalid"


class AuditNotAllowed(AuditError):
    status_code = 403
    code = "forbidden"


class AuditIssued(AuditError):
    """An issued report is sealed."""


# --- Who may and reads -------------------------------------------------------------------------


def audits_for(user) -> QuerySet[Audit]:
    """Quality department: every audit; a head: their departments'; an auditor: their own."""
    if not user.is_authenticated or not user.is_active:
        return Audit.objects.none()
    queryset = Audit.objects.select_related("department", "programme")
    if is_quality(user):
        return queryset
    heads = head_of(user)
    q = Q(auditors=user)
    if heads is ALL:
        return queryset
    if heads:
        q |= Q(department_id__in=heads)
    return queryset.filter(q).distinct()


def audit_get(user, pk: int) -> Audit:
    audit = audits_for(user).filter(pk=pk).first()
    if audit is None:
        raise Http404
    return audit


def programme(user, year: int) -> list[Audit]:
    """The year's audits the user may see, with their auditors and finding counts: three
    queries whatever the number of audits."""
    return list(
        audits_for(user)
        .filter(programme__year=year)
        .annotate(
            finding_count=Count("findings", distinct=True),
            nc_count=Count(
                "findings",
                filter=Q(findings__kind__in=AuditFinding.NONCONFORMING),
                distinct=True,
            ),
        )
        .prefetch_related(Prefetch("auditors", queryset=User.objects.order_by("username")))
        .order_by("planned_date", "pk")
    )


def coverage_of(audits: list[Audit], departments: list[Department]) -> dict:
    """What the programme does not yet cover: departments and clauses without an audit."""
    audited = {a.department_id for a in audits}
    clauses = {c for a in audits for c in a.clause_list()}
    return {
        "departments": [d for d in departments if d.pk not in audited],
        "clauses": [c for c in CLAUSE_CODES if c not in clauses],
    }


def may_record(user, audit: Audit) -> bool:
    return audit.status == Audit.Status.PLANNED and (
        is_quality(user) or audit.auditors.filter(pk=user.pk).exists()
    )


def checklist(audit: Audit) -> dict[str, list[AuditQuestion]]:
    """The reusable questions of the audit's clauses, by clause."""
    clauses = audit.clause_list()
    by_clause: dict[str, list[AuditQuestion]] = {c: [] for c in clauses}
    for question in AuditQuestion.objects.filter(clause__in=clauses, active=True):
        by_clause[question.clause].append(question)
    return by_clause


def qualified(user_ids, on: dt.date) -> set[int]:
    """Those of `user_ids` with a valid internal-auditor qualification on the date."""
    return set(
        Qualification.objects.filter(
            user_id__in=user_ids,
            kind=Qualification.Kind.INTERNAL_AUDITOR,
            valid_from__lte=on,
            valid_until__gte=on,
        ).values_list("user_id", flat=True)
    )


# --- Writes ----------------------------------------------------------------------------------


def _check_auditors(auditors: list[User], department: Department, on: dt.date) -> None:
    if not auditors:
        raise AuditInvalid(_("Choose at least one auditor."), field="auditors")
    ids = [u.pk for u in auditors]
    insiders = set(
        RoleGrant.objects.filter(user_id__in=ids, department=department).values_list(
            "user_id", flat=True
        )
    )
    if insiders:
        names = ", ".join(u.display_name for u in auditors if u.pk in insiders)
        raise AuditInvalid(
            _("%(names)s work in the audited department: an auditor never audits their own work.")
            % {"names": names},
            field="auditors",
        )
    valid = qualified(ids, on)
    missing = [u for u in auditors if u.pk not in valid]
    if missing:
        raise AuditInvalid(
            _("%(names)s hold no valid internal-auditor qualification on %(date)s.")
            % {"names": ", ".join(u.display_name for u in missing), "date": on},
            field="auditors",
        )


def _clauses(text: str) -> str:
    parts = [c.strip() for c in (text or "").replace("，", ",").split(",") if c.strip()]
    if not parts:
        raise AuditInvalid(_("Name the clauses audited."), field="clauses")
    unknown = [c for c in parts if c not in CLAUSE_CODES]
    if unknown:
        raise AuditInvalid(
            _("Unknown clauses: %(clauses)s.") % {"clauses": ", ".join(unknown)}, field="clauses"
        )
    return ", ".join(parts)


@transaction.atomic
def audit_plan(
    *,
    actor: User,
    year: int,
    department: Department,
    planned_date: dt.date,
    scope: str,
    clauses: str,
    auditors: list[User],
    auditees: str = "",
) -> Audit:
    """Plan an audit in the year's programme (created if it is the year's first)."""
    if not is_quality(actor):
        raise AuditNotAllowed(_("Only the quality department plans internal audits."))
    if planned_date is None or planned_date.year != year:
        raise AuditInvalid(_("Choose a date in the programme's year."), field="planned_date")
    scope = (scope or "").strip()
    if not scope:
        raise AuditInvalid(_("This field is required."), field="scope")
    clause_text = _clauses(clauses)
    _check_auditors(list(auditors), department, planned_date)
    programme_row, _created = AuditProgramme.objects.get_or_create(year=year)
    audit = Audit.objects.create(
        programme=programme_row,
        department=department,
        planned_date=planned_date,
        scope=scope[:300],
        clauses=clause_text,
        auditees=(auditees or "").strip()[:300],
        created_by=actor,
    )
    audit.auditors.set(auditors)
    audit_record(
        actor=actor,
        action="quality.audit_plan",
        target=audit,
        changes={"department": department.pk, "auditors": [u.pk for u in auditors]},
    )
    return audit


def _locked(audit: Audit) -> Audit:
    locked = Audit.objects.select_for_update().select_related("department").get(pk=audit.pk)
    if locked.status == Audit.Status.ISSUED:
        raise AuditIssued(_("The report of this audit is issued: it is never changed."))
    return locked


@transaction.atomic
def finding_add(
    *,
    actor: User,
    audit: Audit,
    clause: str,
    kind: str,
    text: str,
    evidence: str = "",
    question: AuditQuestion | None = None,
    photo_file=None,
) -> AuditFinding:
    audit = _locked(audit)
    if not may_record(actor, audit):
        raise AuditNotAllowed(_("Only the audit's auditors record its findings."))
    if clause not in audit.clause_list():
        raise AuditInvalid(_("Choose one of the audit's clauses."), field="clause")
    if kind not in AuditFinding.Kind.values:
        raise AuditInvalid(_("Choose a kind of finding from the list."), field="kind")
    text = (text or "").strip()
    if not text:
        raise AuditInvalid(_("This field is required."), field="text")
    photo = photo_from_upload(actor, photo_file)
    finding = AuditFinding.objects.create(
        audit=audit,
        clause=clause,
        kind=kind,
        text=text[:4000],
        evidence=(evidence or "").strip()[:4000],
        question=question,
        photo=photo,
        created_by=actor,
    )
    return finding


@transaction.atomic
def finding_to_nc(*, actor: User, finding: AuditFinding) -> Nonconformity:
    """A minor or major nonconformity found by an audit enters the nonconformity flow (the
    audited department answers it, an auditor verifies it). Once only: again gives it back."""
    if not is_quality(actor):
        raise AuditNotAllowed(_("Only quality auditors raise nonconformities."))
    finding = AuditFinding.objects.select_related("audit__department").get(pk=finding.pk)
    if not finding.is_nonconformity:
        raise AuditInvalid(_("Only a minor or major nonconformity becomes a nonconformity."))
    # The finding's row is the lock (it never changes itself: the NC points at it).
    list(AuditFinding.objects.select_for_update().filter(pk=finding.pk).values_list("pk"))
    existing = Nonconformity.objects.filter(audit_finding=finding).first()
    if existing is not None:
        return existing
    audit = finding.audit
    return ncs._create(
        actor=actor,
        source=Nonconformity.Source.AUDIT,
        department=audit.department,
        campus=None,
        severity=FINDING_SEVERITY[finding.kind],
        title=(
            _("Internal audit %(number)s, clause %(clause)s")
            % {
                "number": audit.number,
                "clause": finding.clause,
            }
        )[:200],
        description="\n\n".join(p for p in (finding.text, finding.evidence) if p),
        evidence=finding.photo,
        audit_finding=finding,
    )


@transaction.atomic
def audit_issue(
    *, actor: User, audit: Audit, summary: str, strengths: str = "", improvements: str = ""
) -> Audit:
    """Issue the report: it is sealed from then on."""
    audit = _locked(audit)
    if not is_quality(actor):
        raise AuditNotAllowed(_("Only the quality department issues audit reports."))
    summary = (summary or "").strip()
    if not summary:
        raise AuditInvalid(_("Write the report's summary."), field="summary")
    audit.summary = summary
    audit.strengths = (strengths or "").strip()
    audit.improvements = (improvements or "").strip()
    audit.status = Audit.Status.ISSUED
    audit.issued_at = timezone.now()
    audit.issued_by = actor
    audit.save()
    audit_record(actor=actor, action="quality.audit_issue", target=audit, changes={})
    return audit

"""Nonconformities and corrective actions (不合格控制, 纠正措施, 预防措施).

An auditor raises a nonconformity from a failed finding of a sealed inspection, from a
complaint, or by hand; the department's head (or the owner they are given) records the root
cause, the correction, the corrective and preventive actions and a due date; an auditor other
than the one who answered verifies that the action worked. Not effective sends it back to
the owner; effective closes it. Nothing else closes a nonconformity (the database refuses a
closed row without a verification).

Reads first (scoped through quality.selectors), then writes: keyword-only, one transaction
each, the row locked before its state is checked, an event and an audit record per step, the
people concerned notified (quality.notifications). A write that cannot be done raises a
NonconformityError with a message for the user and the HTTP status that describes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.models import Campus, Department, Photo, Role, User
from logistics.notifications import notify
from logistics.services import audit_record
from logistics.uploads import photo_from_upload, register_photo_access
from quality import notifications as kinds
from quality.models import (
    Complaint,
    ComplaintEvent,
    Inspection,
    InspectionAnswer,
    Nonconformity,
    NonconformityEvent,
    Severity,
)
from quality.selectors import (
    head_departments,
    inspections_for,
    is_auditor,
    may_answer_nonconformity,
    nonconformities_for,
)

PAGE_SIZE = 50
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 2000
# How far ahead an action may be promised.
DUE_MAX_DAYS = 365
# A second identical submission by the same person within this time is a double tap.
DUPLICATE_SECONDS = 120

# Staff are users with a grant of one of these roles for a department (the people a
# nonconformity or a complaint of that department may be given to).
STAFF_ROLES = tuple(r for r in Role.values if r != Role.STUDENT)

_LIST_RELATED = ("department", "campus", "owner")


# --- Reads -----------------------------------------------------------------------------------


def overdue_q(today: dt.date | None = None, *, prefix: str = "") -> Q:
    """Nonconformities still open (waiting for the action, or for its verification) whose
    action is past its due date. `prefix` ("nonconformities__") filters from a related model."""
    today = today or timezone.localdate()
    return Q(
        **{
            f"{prefix}status__in": list(Nonconformity.OPEN_STATUSES),
            f"{prefix}due_date__lt": today,
        }
    )


def with_overdue(queryset: QuerySet[Nonconformity], today: dt.date | None = None):
    """`queryset` with `is_overdue` on every row."""
    return queryset.annotate(
        is_overdue=Case(
            When(overdue_q(today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def may_raise(user) -> bool:
    """Auditors (and administrators) raise nonconformities."""
    return is_auditor(user)


def is_head(user) -> bool:
    """Heads some department (head_departments answers ALL as None, so not a truth test)."""
    return head_departments(user) != set()


def heads_department(user, department_id: int) -> bool:
    departments = head_departments(user)
    return departments is ALL or department_id in departments


def may_assign(user, nonconformity: Nonconformity) -> bool:
    """Auditors and the department's heads choose who answers for a nonconformity."""
    return nonconformity.is_open and (
        is_auditor(user) or heads_department(user, nonconformity.department_id)
    )


def may_answer(user, nonconformity: Nonconformity) -> bool:
    return nonconformity.status == Nonconformity.Status.OPEN and may_answer_nonconformity(
        user, nonconformity
    )


def may_verify(user, nonconformity: Nonconformity) -> bool:
    """An auditor, not the person who recorded the action, verifies it."""
    return (
        nonconformity.status == Nonconformity.Status.ANSWERED
        and is_auditor(user)
        and nonconformity.answered_by_id != user.pk
    )


def may_see_list(user) -> bool:
    """The list is for auditors, department heads and whoever owns a nonconformity; for
    anyone else the page does not exist."""
    if is_auditor(user) or is_head(user):
        return True
    return Nonconformity.objects.filter(owner_id=user.pk).exists()


@dataclass(frozen=True)
class NonconformityFilter:
    status: str = ""
    department: Department | None = None
    severity: str = ""
    source: str = ""
    overdue: bool = False


def nc_list(
    user, filters: NonconformityFilter | None = None, *, today: dt.date | None = None
) -> QuerySet[Nonconformity]:
    """What `user` may see, filtered, overdue ones first, then the newest."""
    f = filters or NonconformityFilter()
    rows = with_overdue(nonconformities_for(user), today).select_related(*_LIST_RELATED)
    if f.status:
        rows = rows.filter(status=f.status)
    if f.department is not None:
        rows = rows.filter(department=f.department)
    if f.severity:
        rows = rows.filter(severity=f.severity)
    if f.source:
        rows = rows.filter(source=f.source)
    if f.overdue:
        rows = rows.filter(overdue_q(today))
    return rows.order_by("-is_overdue", "-raised_at", "-id")


def departments_seen_by(user) -> QuerySet[Department]:
    """The departments of the nonconformities `user` may see (the list's filter choices)."""
    if is_auditor(user) or head_departments(user) is ALL:
        return Department.objects.order_by("code")
    return Department.objects.filter(
        pk__in=nonconformities_for(user).values("department_id")
    ).order_by("code")


def department_staff(department_id: int) -> QuerySet[User]:
    """Active users with a staff role granted for this department: whom a nonconformity or a
    complaint of the department may be given to. (Grants for every department do not count:
    a head of the whole group is not a department's staff.)"""
    return (
        User.objects.filter(
            is_active=True,
            role_grants__department_id=department_id,
            role_grants__role__in=STAFF_ROLES,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def events_of(nonconformity: Nonconformity) -> list[NonconformityEvent]:
    return list(nonconformity.events.select_related("actor").order_by("at", "id"))


def failed_answer_get(user, pk: int) -> InspectionAnswer:
    """A finding of an inspection `user` may see (404 otherwise), with what a nonconformity
    is prefilled from."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        InspectionAnswer.objects.filter(inspection__in=inspections_for(user)).select_related(
            "item", "inspection__department", "inspection__campus", "photo"
        ),
        pk=pk,
    )


def answer_problem(answer: InspectionAnswer) -> str:
    """Why a nonconformity cannot be raised from `answer`, or ""."""
    if answer.inspection.status != Inspection.Status.SEALED:
        return _("This inspection is still a draft: submit it before raising a nonconformity.")
    if not answer.failed:
        return _("This finding did not fail: there is no nonconformity to raise.")
    return ""


def existing_for_answer(answer: InspectionAnswer) -> Nonconformity | None:
    return Nonconformity.objects.filter(answer=answer).order_by("pk").first()


def prefill_from_answer(answer: InspectionAnswer) -> dict:
    """Initial values of the raise form for a failed finding."""
    inspection = answer.inspection
    item = answer.item
    description = answer.comment or _("%(place)s: %(item)s — result: %(result)s") % {
        "place": inspection.place,
        "item": item.text,
        "result": _result_text(answer),
    }
    return {
        "department": inspection.department_id,
        "campus": inspection.campus_id,
        "title": item.text[:TITLE_MAX_LENGTH],
        "description": description,
        "severity": Severity.MINOR,
    }


def _result_text(answer: InspectionAnswer) -> str:
    if answer.result == InspectionAnswer.Result.SCORED:
        return f"{answer.score}/{answer.item.max_score}"
    return str(answer.get_result_display())


@register_photo_access
def _evidence_photos(user, photo: Photo) -> bool:
    """A nonconformity's evidence photo: whoever may see the nonconformity."""
    return (
        nonconformities_for(user)
        .filter(Q(evidence_id=photo.pk) | Q(answer__photo_id=photo.pk))
        .exists()
    )


# --- Errors ----------------------------------------------------------------------------------


class NonconformityError(Exception):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


class NonconformityInvalid(NonconformityError):
    """Input that no state of the database makes right."""

    status_code = 400
    code = "invalid"


class WrongStatus(NonconformityError):
    code = "wrong_status"


class NotAllowed(NonconformityError):
    status_code = 403
    code = "not_allowed"


class AlreadyRaised(NonconformityError):
    """The finding already has its nonconformity: `existing`."""

    code = "already_raised"

    def __init__(self, existing: Nonconformity):
        super().__init__(
            _("A nonconformity was already raised for this finding: %(number)s.")
            % {"number": existing.number}
        )
        self.existing = existing


# --- Writes ----------------------------------------------------------------------------------


def _text(value: str, *, field: str, required: bool = True, limit: int = TEXT_MAX_LENGTH):
    value = (value or "").strip()
    if required and not value:
        raise NonconformityInvalid(_("This field is required."), field=field)
    if len(value) > limit:
        raise NonconformityInvalid(
            _("At most %(n)s characters, please.") % {"n": limit}, field=field
        )
    return value


def _url(nonconformity: Nonconformity) -> str:
    return reverse("quality:nc_detail", args=[nonconformity.pk])


def _responsible(nonconformity: Nonconformity) -> list[User]:
    """Who answers for it: the owner, or else the department's heads."""
    if nonconformity.owner_id:
        return [nonconformity.owner]
    return kinds.department_heads(nonconformity.department_id)


def _check_owner(owner: User | None, department_id: int) -> None:
    if owner is not None and not department_staff(department_id).filter(pk=owner.pk).exists():
        raise NonconformityInvalid(
            _("The owner must be a member of the department's staff."), field="owner"
        )


def _create(
    *,
    actor: User,
    source: str,
    department: Department,
    campus: Campus | None,
    severity: str,
    title: str,
    description: str,
    evidence: Photo | None = None,
    owner: User | None = None,
    inspection: Inspection | None = None,
    answer: InspectionAnswer | None = None,
    complaint: Complaint | None = None,
    audit_finding=None,
) -> Nonconformity:
    if severity not in Severity.values:
        raise NonconformityInvalid(_("Choose a severity from the list."), field="severity")
    title = _text(title, field="title", limit=TITLE_MAX_LENGTH)
    description = _text(description, field="description")
    _check_owner(owner, department.pk)
    nonconformity = Nonconformity.objects.create(
        source=source,
        inspection=inspection,
        answer=answer,
        complaint=complaint,
        audit_finding=audit_finding,
        department=department,
        campus=campus,
        severity=severity,
        title=title,
        description=description,
        evidence=evidence,
        raised_by=actor,
        owner=owner,
    )
    NonconformityEvent.objects.create(
        nonconformity=nonconformity, kind=NonconformityEvent.Kind.RAISED, actor=actor
    )
    if owner is not None:
        NonconformityEvent.objects.create(
            nonconformity=nonconformity,
            kind=NonconformityEvent.Kind.ASSIGNED,
            actor=actor,
            note=owner.display_name,
        )
    audit_record(
        actor=actor,
        action="quality.nc_raise",
        target=nonconformity,
        changes={
            "source": source,
            "department": department.pk,
            "severity": severity,
            "owner": owner.pk if owner else None,
            "inspection": inspection.pk if inspection else None,
            "answer": answer.pk if answer else None,
            "complaint": complaint.pk if complaint else None,
            "audit_finding": audit_finding.pk if audit_finding else None,
        },
    )
    recipients = [*kinds.department_heads(department.pk), owner]
    notify(
        recipients,
        kinds.NC_RAISED,
        url=_url(nonconformity),
        number=nonconformity.number,
        department=department.name,
        title=title,
    )
    return nonconformity


def _require_raiser(actor: User) -> None:
    if not may_raise(actor):
        raise NotAllowed(_("Only quality auditors raise nonconformities."))


@transaction.atomic
def nc_raise(
    *,
    actor: User,
    department: Department,
    severity: str,
    title: str,
    description: str,
    campus: Campus | None = None,
    evidence_file=None,
    owner: User | None = None,
) -> Nonconformity:
    """An auditor raises a nonconformity by hand. The same one sent twice within
    DUPLICATE_SECONDS (a double tap) gives the first back."""
    _require_raiser(actor)
    list(User.objects.select_for_update().filter(pk=actor.pk))  # one raise at a time each
    recent = (
        Nonconformity.objects.filter(
            raised_by=actor,
            source=Nonconformity.Source.MANUAL,
            department=department,
            title=(title or "").strip(),
            description=(description or "").strip(),
            raised_at__gte=timezone.now() - dt.timedelta(seconds=DUPLICATE_SECONDS),
        )
        .order_by("pk")
        .first()
    )
    if recent is not None:
        return recent
    evidence = photo_from_upload(actor, evidence_file)
    return _create(
        actor=actor,
        source=Nonconformity.Source.MANUAL,
        department=department,
        campus=campus,
        severity=severity,
        title=title,
        description=description,
        evidence=evidence,
        owner=owner,
    )


@transaction.atomic
def nc_raise_from_answer(
    *,
    actor: User,
    answer: InspectionAnswer,
    severity: str,
    title: str,
    description: str,
    evidence_file=None,
    owner: User | None = None,
) -> Nonconformity:
    """An auditor raises the nonconformity of a failed finding of a sealed inspection: the
    department and campus are the inspection's, the evidence the finding's photo (or one
    uploaded now). One per finding: AlreadyRaised names the existing one."""
    _require_raiser(actor)
    # The finding's row is the lock: two auditors raising from it at once take turns.
    answer = (
        InspectionAnswer.objects.select_for_update(of=("self",))
        .select_related("item", "inspection__department", "inspection__campus")
        .get(pk=answer.pk)
    )
    problem = answer_problem(answer)
    if problem:
        raise NonconformityInvalid(problem, field="answer")
    existing = existing_for_answer(answer)
    if existing is not None:
        raise AlreadyRaised(existing)
    inspection = answer.inspection
    evidence = photo_from_upload(actor, evidence_file) if evidence_file else answer.photo
    return _create(
        actor=actor,
        source=Nonconformity.Source.INSPECTION,
        department=inspection.department,
        campus=inspection.campus,
        severity=severity,
        title=title,
        description=description,
        evidence=evidence,
        owner=owner,
        inspection=inspection,
        answer=answer,
    )


def may_raise_from_complaint(user, complaint: Complaint) -> bool:
    """An auditor, or a head of the complaint's department."""
    return is_auditor(user) or heads_department(user, complaint.department_id)


@transaction.atomic
def nc_raise_from_complaint(
    *, actor: User, complaint: Complaint, severity: str = Severity.MINOR
) -> tuple[Nonconformity, bool]:
    """Turn a complaint into a nonconformity of its department, prefilled from it (subject,
    text, campus; never who complained). Returns (nonconformity, created): a complaint that
    already has an open one gives that one back."""
    if not may_raise_from_complaint(actor, complaint):
        raise NotAllowed(_("Only auditors and the department's heads may do this."))
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("department", "campus")
        .get(pk=complaint.pk)
    )
    existing = (
        Nonconformity.objects.filter(
            complaint=complaint, status__in=list(Nonconformity.OPEN_STATUSES)
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing, False
    nonconformity = _create(
        actor=actor,
        source=Nonconformity.Source.COMPLAINT,
        department=complaint.department,
        campus=complaint.campus,
        severity=severity,
        title=complaint.subject[:TITLE_MAX_LENGTH],
        description=f"{complaint.number}: {complaint.text}",
        complaint=complaint,
    )
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.NONCONFORMITY,
        actor=actor,
        note=nonconformity.number,
    )
    return nonconformity, True


def _locked(nonconformity: Nonconformity) -> Nonconformity:
    return (
        Nonconformity.objects.select_for_update(of=("self",))
        .select_related("department", "owner", "raised_by", "answered_by")
        .get(pk=nonconformity.pk)
    )


@transaction.atomic
def nc_assign(*, actor: User, nonconformity: Nonconformity, owner: User | None) -> Nonconformity:
    """Give the nonconformity to `owner` (a member of the department's staff), or back to the
    department's heads (None)."""
    nc = _locked(nonconformity)
    if not nc.is_open:
        raise WrongStatus(_("This nonconformity is closed."))
    if not may_assign(actor, nc):
        raise NotAllowed(_("Only auditors and the department's heads choose the owner."))
    _check_owner(owner, nc.department_id)
    previous = nc.owner_id
    if previous == (owner.pk if owner else None):
        return nc
    nc.owner = owner
    nc.save(update_fields=["owner"])
    NonconformityEvent.objects.create(
        nonconformity=nc,
        kind=NonconformityEvent.Kind.ASSIGNED,
        actor=actor,
        note=owner.display_name if owner else _("The department's heads"),
    )
    audit_record(
        actor=actor,
        action="quality.nc_assign",
        target=nc,
        changes={"owner": owner.pk if owner else None, "previous": previous},
    )
    if owner is not None:
        notify([owner], kinds.NC_ASSIGNED, url=_url(nc), number=nc.number, title=nc.title)
    return nc


def due_date_problem(due_date: dt.date | None, *, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if due_date is None:
        return _("Enter the date by which the action will be done.")
    if due_date < today:
        return _("The due date cannot be in the past.")
    if due_date > today + dt.timedelta(days=DUE_MAX_DAYS):
        return _("The due date must be within a year from today.")
    return ""


@transaction.atomic
def nc_answer(
    *,
    actor: User,
    nonconformity: Nonconformity,
    root_cause: str,
    correction: str,
    corrective_action: str,
    due_date: dt.date | None,
    preventive_action: str = "",
) -> Nonconformity:
    """The owner (or a head of the department) records the root cause, the correction, the
    corrective and preventive actions and the due date; an auditor is asked to verify."""
    root_cause = _text(root_cause, field="root_cause")
    correction = _text(correction, field="correction")
    corrective_action = _text(corrective_action, field="corrective_action")
    preventive_action = _text(preventive_action, field="preventive_action", required=False)
    problem = due_date_problem(due_date)
    if problem:
        raise NonconformityInvalid(problem, field="due_date")
    nc = _locked(nonconformity)
    if nc.status != Nonconformity.Status.OPEN:
        raise WrongStatus(
            _("The action can only be recorded while the nonconformity is open: it is %(s)s.")
            % {"s": nc.get_status_display()}
        )
    if not may_answer_nonconformity(actor, nc):
        raise NotAllowed(_("Only the owner or the department's head records the action."))
    nc.root_cause = root_cause
    nc.correction = correction
    nc.corrective_action = corrective_action
    nc.preventive_action = preventive_action
    nc.due_date = due_date
    nc.status = Nonconformity.Status.ANSWERED
    nc.answered_at = timezone.now()
    nc.answered_by = actor
    nc.save(
        update_fields=[
            "root_cause",
            "correction",
            "corrective_action",
            "preventive_action",
            "due_date",
            "status",
            "answered_at",
            "answered_by",
        ]
    )
    NonconformityEvent.objects.create(
        nonconformity=nc,
        kind=NonconformityEvent.Kind.ANSWERED,
        actor=actor,
        # The due date alone: the page words it in the reader's language.
        note=due_date.isoformat(),
    )
    audit_record(
        actor=actor,
        action="quality.nc_answer",
        target=nc,
        changes={"due_date": due_date.isoformat(), "status": nc.status},
    )
    notify(
        [nc.raised_by],
        kinds.NC_ANSWERED,
        url=_url(nc),
        number=nc.number,
        due=due_date.isoformat(),
    )
    return nc


@transaction.atomic
def nc_verify(
    *, actor: User, nonconformity: Nonconformity, effective: bool, note: str = ""
) -> Nonconformity:
    """An auditor who did not record the action judges it: effective closes the
    nonconformity; not effective (a note saying why is required) sends it back to its owner."""
    note = _text(note, field="note", required=False)
    if not effective and not note:
        raise NonconformityInvalid(_("Say why the action was not effective."), field="note")
    nc = _locked(nonconformity)
    if nc.status != Nonconformity.Status.ANSWERED:
        raise WrongStatus(
            _("Only a recorded action can be verified: this nonconformity is %(s)s.")
            % {"s": nc.get_status_display()}
        )
    if not is_auditor(actor):
        raise NotAllowed(_("Only quality auditors verify corrective actions."))
    if nc.answered_by_id == actor.pk:
        raise NotAllowed(_("You recorded this action: another auditor must verify it."))
    now = timezone.now()
    nc.verification_note = note
    responsible = [*_responsible(nc), nc.answered_by]
    if effective:
        nc.status = Nonconformity.Status.CLOSED
        nc.verified_at = now
        nc.verified_by = actor
        nc.closed_at = now
        nc.save(
            update_fields=["status", "verification_note", "verified_at", "verified_by", "closed_at"]
        )
        kind, message = NonconformityEvent.Kind.CLOSED, kinds.NC_CLOSED
    else:
        nc.status = Nonconformity.Status.OPEN
        nc.times_rejected += 1
        nc.save(update_fields=["status", "verification_note", "times_rejected"])
        kind, message = NonconformityEvent.Kind.REJECTED, kinds.NC_REJECTED
    NonconformityEvent.objects.create(nonconformity=nc, kind=kind, actor=actor, note=note)
    audit_record(
        actor=actor,
        action="quality.nc_verify",
        target=nc,
        changes={"effective": effective, "status": nc.status},
    )
    notify(responsible, message, url=_url(nc), number=nc.number, note=note)
    return nc

"""Complaints and suggestions (投诉与建议) from every channel.

- The web: any signed-in user files one, optionally anonymously (their name is hidden from the
  staff who handle it; they still follow it under "My complaints").
- The hotline and the suggestion box: staff who take calls and empty the box enter them. Who
  may: quality auditors, administrators and department heads (RECORDERS below) — the people
  who answer the hotline and open the box in the group's procedure. They may record a
  complaint of any category: a caller does not know which department answers.

Every complaint is routed by its category: the category's department answers it within the
category's response time (respond_by). Its heads are told, may give it to a member of their
staff, answer it; the answer reaches the complainant, who says whether it satisfied them
(once per answer): satisfied closes it, not satisfied sends it back for a new answer. Staff
may also close an answered complaint (a box slip has nobody to say they are satisfied).

Anonymity: for an anonymous complaint the complainant's own steps (filing it, their
feedback) are recorded without an actor, in the complaint's events and in the audit log;
the `complainant` column, which only the complainant's own pages read, is the one place
their identity is kept (so they can follow it).

Reads first, then writes (keyword-only, one transaction each, row locked before its state
is checked, an event and an audit record per step). A write that cannot be done raises a
ComplaintError with a message for the user and an HTTP status.
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
from logistics.models import Campus, Department, User
from logistics.notifications import notify
from logistics.services import audit_record
from quality import notifications as kinds
from quality.models import Complaint, ComplaintCategory, ComplaintEvent
from quality.nonconformities import (
    DUPLICATE_SECONDS,
    department_staff,
    heads_department,
    is_head,
)
from quality.selectors import (
    head_departments,
    is_auditor,
    may_answer_complaint,
    shows_complainant,
)

PAGE_SIZE = 50
SUBJECT_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 2000
FEEDBACK_MAX_LENGTH = 500
CONTACT_NAME_MAX_LENGTH = 100
CONTACT_PHONE_MAX_LENGTH = 30
# A call or a slip is entered within a year of being received.
RECORD_MAX_AGE_DAYS = 365
# Clocks of phones and desks differ a little: "now" on the form may be slightly ahead.
CLOCK_SKEW = dt.timedelta(minutes=5)

RECORDED_CHANNELS = (Complaint.Channel.HOTLINE, Complaint.Channel.SUGGESTION_BOX)

_LIST_RELATED = ("category", "department", "campus", "complainant", "assignee")


# --- Who may do what -------------------------------------------------------------------------


def may_record(user) -> bool:
    """Staff entering hotline calls and suggestion-box slips: auditors, administrators,
    department heads."""
    return is_auditor(user) or is_head(user)


def may_edit_categories(user) -> bool:
    return is_auditor(user)


def may_assign(user, complaint: Complaint) -> bool:
    """Auditors and the department's heads give a complaint to a member of the staff."""
    return complaint.status != Complaint.Status.CLOSED and (
        is_auditor(user) or heads_department(user, complaint.department_id)
    )


def is_handler(user, complaint: Complaint) -> bool:
    return may_answer_complaint(user, complaint)


def may_answer(user, complaint: Complaint) -> bool:
    return complaint.status != Complaint.Status.CLOSED and may_answer_complaint(user, complaint)


def may_close(user, complaint: Complaint) -> bool:
    return (
        complaint.status != Complaint.Status.CLOSED
        and complaint.first_answered_at is not None
        and may_answer_complaint(user, complaint)
    )


def may_give_feedback(user, complaint: Complaint) -> bool:
    """The complainant, once per answer."""
    return (
        complaint.complainant_id is not None
        and complaint.complainant_id == user.pk
        and complaint.status == Complaint.Status.ANSWERED
        and complaint.satisfied is None
    )


# --- Reads -----------------------------------------------------------------------------------


def overdue_q(now: dt.datetime | None = None, *, prefix: str = "") -> Q:
    """Complaints past their answer time without any answer yet."""
    now = now or timezone.now()
    return Q(
        **{
            f"{prefix}status": Complaint.Status.NEW,
            f"{prefix}first_answered_at__isnull": True,
            f"{prefix}respond_by__lt": now,
        }
    )


def _with_overdue(queryset: QuerySet[Complaint], now: dt.datetime | None = None):
    return queryset.annotate(
        is_overdue=Case(
            When(overdue_q(now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def handled_complaints(user) -> QuerySet[Complaint]:
    """The complaints `user` handles as staff (not their own as a complainant): auditors all,
    heads their departments', anyone those given to them."""
    if not user.is_authenticated or not user.is_active:
        return Complaint.objects.none()
    departments = head_departments(user)
    if is_auditor(user) or departments is ALL:
        return Complaint.objects.all()
    allowed = Q(assignee_id=user.pk)
    if departments:
        allowed |= Q(department_id__in=departments)
    return Complaint.objects.filter(allowed)


def may_see_handling_list(user) -> bool:
    if is_auditor(user) or is_head(user):
        return True
    return Complaint.objects.filter(assignee_id=user.pk).exists()


@dataclass(frozen=True)
class ComplaintFilter:
    status: str = ""
    channel: str = ""
    category: ComplaintCategory | None = None
    department: Department | None = None
    overdue: bool = False


def complaint_list(
    user, filters: ComplaintFilter | None = None, *, now: dt.datetime | None = None
) -> QuerySet[Complaint]:
    """The complaints `user` handles, filtered; overdue first, then the newest."""
    f = filters or ComplaintFilter()
    rows = _with_overdue(handled_complaints(user), now).select_related(*_LIST_RELATED)
    if f.status:
        rows = rows.filter(status=f.status)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    if f.category is not None:
        rows = rows.filter(category=f.category)
    if f.department is not None:
        rows = rows.filter(department=f.department)
    if f.overdue:
        rows = rows.filter(overdue_q(now))
    return rows.order_by("-is_overdue", "-received_at", "-id")


def complaints_of(user) -> QuerySet[Complaint]:
    """The user's own complaints, newest first."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    return (
        _with_overdue(Complaint.objects.filter(complainant_id=user.pk))
        .select_related("category", "department")
        .order_by("-received_at", "-id")
    )


def active_categories() -> QuerySet[ComplaintCategory]:
    return ComplaintCategory.objects.filter(is_active=True).select_related("department")


def events_of(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.select_related("actor").order_by("at", "id"))


def complainant_shown(user, complaint: Complaint) -> User | None:
    """The complainant as `user` may see them: None for an anonymous complaint (unless it is
    their own) and for one nobody known filed."""
    if complaint.complainant_id is None or not shows_complainant(user, complaint):
        return None
    return complaint.complainant


# --- Errors ----------------------------------------------------------------------------------


class ComplaintError(Exception):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


class ComplaintInvalid(ComplaintError):
    status_code = 400
    code = "invalid"


class WrongStatus(ComplaintError):
    code = "wrong_status"


class NotAllowed(ComplaintError):
    status_code = 403
    code = "not_allowed"


# --- Writes ----------------------------------------------------------------------------------


def _text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ComplaintInvalid(_("This field is required."), field=field)
    if len(value) > limit:
        raise ComplaintInvalid(_("At most %(n)s characters, please.") % {"n": limit}, field=field)
    return value


def _url(complaint: Complaint) -> str:
    return reverse("quality:complaint_detail", args=[complaint.pk])


def _due_text(complaint: Complaint) -> str:
    return timezone.localtime(complaint.respond_by).strftime("%Y-%m-%d %H:%M")


def _check_category(category: ComplaintCategory) -> None:
    if not category.is_active:
        raise ComplaintInvalid(
            _("This category is no longer in use: choose another."), field="category"
        )


def _route(complaint: Complaint, *, actor: User | None, audit_actor: User | None) -> None:
    """The steps every new complaint takes: received, routed to its department (whose heads
    are told)."""
    ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(complaint=complaint, kind=ComplaintEvent.Kind.RECEIVED, actor=actor),
            ComplaintEvent(
                complaint=complaint,
                kind=ComplaintEvent.Kind.ROUTED,
                note=complaint.department.name,
            ),
        ]
    )
    audit_record(
        actor=audit_actor,
        action="quality.complaint_receive",
        target=complaint,
        changes={
            "channel": complaint.channel,
            "category": complaint.category.code,
            "department": complaint.department_id,
            "anonymous": complaint.anonymous,
        },
    )
    notify(
        kinds.department_heads(complaint.department_id),
        kinds.COMPLAINT_ROUTED,
        url=_url(complaint),
        number=complaint.number,
        subject=complaint.subject,
        due=_due_text(complaint),
    )


def _recent_duplicate(**match) -> Complaint | None:
    since = timezone.now() - dt.timedelta(seconds=DUPLICATE_SECONDS)
    return Complaint.objects.filter(created_at__gte=since, **match).order_by("pk").first()


@transaction.atomic
def complaint_submit(
    *,
    actor: User,
    category: ComplaintCategory,
    subject: str,
    text: str,
    campus: Campus | None = None,
    anonymous: bool = False,
) -> Complaint:
    """A user files a complaint on the web. The same one sent twice within DUPLICATE_SECONDS
    (a double tap) gives the first back."""
    subject = _text(subject, field="subject", limit=SUBJECT_MAX_LENGTH)
    text = _text(text, field="text", limit=TEXT_MAX_LENGTH)
    _check_category(category)
    list(User.objects.select_for_update().filter(pk=actor.pk))  # one filing at a time each
    duplicate = _recent_duplicate(
        complainant=actor,
        channel=Complaint.Channel.WEB,
        category=category,
        subject=subject,
        text=text,
    )
    if duplicate is not None:
        return duplicate
    now = timezone.now()
    complaint = Complaint.objects.create(
        channel=Complaint.Channel.WEB,
        category=category,
        department=category.department,
        campus=campus,
        subject=subject,
        text=text,
        complainant=actor,
        anonymous=anonymous,
        received_at=now,
        respond_by=now + dt.timedelta(hours=category.response_hours),
    )
    shown_actor = None if anonymous else actor
    _route(complaint, actor=shown_actor, audit_actor=shown_actor)
    return complaint


def received_at_problem(received_at: dt.datetime, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if received_at > now + CLOCK_SKEW:
        return _("The time received cannot be in the future.")
    if received_at < now - dt.timedelta(days=RECORD_MAX_AGE_DAYS):
        return _("The time received must be within the last year.")
    return ""


@transaction.atomic
def complaint_record(
    *,
    actor: User,
    channel: str,
    received_at: dt.datetime,
    category: ComplaintCategory,
    subject: str,
    text: str,
    contact_name: str = "",
    contact_phone: str = "",
    campus: Campus | None = None,
) -> Complaint:
    """Staff enter a hotline call or a suggestion-box slip; its answer time runs from when it
    was received."""
    if not may_record(actor):
        raise NotAllowed(_("Only auditors and department heads record complaints."))
    if channel not in RECORDED_CHANNELS:
        raise ComplaintInvalid(_("Choose the hotline or the suggestion box."), field="channel")
    problem = received_at_problem(received_at)
    if problem:
        raise ComplaintInvalid(problem, field="received_at")
    subject = _text(subject, field="subject", limit=SUBJECT_MAX_LENGTH)
    text = _text(text, field="text", limit=TEXT_MAX_LENGTH)
    contact_name = _text(
        contact_name, field="contact_name", limit=CONTACT_NAME_MAX_LENGTH, required=False
    )
    contact_phone = _text(
        contact_phone, field="contact_phone", limit=CONTACT_PHONE_MAX_LENGTH, required=False
    )
    _check_category(category)
    list(User.objects.select_for_update().filter(pk=actor.pk))
    duplicate = _recent_duplicate(
        entered_by=actor, channel=channel, category=category, subject=subject, text=text
    )
    if duplicate is not None:
        return duplicate
    complaint = Complaint.objects.create(
        channel=channel,
        category=category,
        department=category.department,
        campus=campus,
        subject=subject,
        text=text,
        contact_name=contact_name,
        contact_phone=contact_phone,
        entered_by=actor,
        received_at=received_at,
        respond_by=received_at + dt.timedelta(hours=category.response_hours),
    )
    _route(complaint, actor=actor, audit_actor=actor)
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("category", "department", "complainant", "assignee")
        .get(pk=complaint.pk)
    )


@transaction.atomic
def complaint_assign(*, actor: User, complaint: Complaint, assignee: User) -> Complaint:
    """Give the complaint to a member of its department's staff, who is told."""
    c = _locked(complaint)
    if c.status == Complaint.Status.CLOSED:
        raise WrongStatus(_("This complaint is closed."))
    if not may_assign(actor, c):
        raise NotAllowed(_("Only auditors and the department's heads assign complaints."))
    if not department_staff(c.department_id).filter(pk=assignee.pk).exists():
        raise ComplaintInvalid(_("Choose a member of the department's staff."), field="assignee")
    if c.assignee_id == assignee.pk:
        return c
    previous = c.assignee_id
    c.assignee = assignee
    c.save(update_fields=["assignee"])
    ComplaintEvent.objects.create(
        complaint=c, kind=ComplaintEvent.Kind.ASSIGNED, actor=actor, note=assignee.display_name
    )
    audit_record(
        actor=actor,
        action="quality.complaint_assign",
        target=c,
        changes={"assignee": assignee.pk, "previous": previous},
    )
    notify(
        [assignee],
        kinds.COMPLAINT_ASSIGNED,
        url=_url(c),
        number=c.number,
        subject=c.subject,
        due=_due_text(c),
    )
    return c


@transaction.atomic
def complaint_answer(*, actor: User, complaint: Complaint, text: str) -> Complaint:
    """Answer (or answer again) a complaint that is not closed; the complainant is told and
    may say whether the answer satisfies them."""
    text = _text(text, field="answer", limit=TEXT_MAX_LENGTH)
    c = _locked(complaint)
    if c.status == Complaint.Status.CLOSED:
        raise WrongStatus(_("This complaint is closed."))
    if not may_answer_complaint(actor, c):
        raise NotAllowed(_("Only the complaint's handlers may answer it."))
    now = timezone.now()
    c.answer = text
    c.answered_by = actor
    c.answered_at = now
    if c.first_answered_at is None:
        c.first_answered_at = now
    c.status = Complaint.Status.ANSWERED
    # A new answer asks for a new verdict; the previous one stays in the events.
    c.satisfied = None
    c.feedback = ""
    c.save(
        update_fields=[
            "answer",
            "answered_by",
            "answered_at",
            "first_answered_at",
            "status",
            "satisfied",
            "feedback",
        ]
    )
    ComplaintEvent.objects.create(
        complaint=c, kind=ComplaintEvent.Kind.ANSWERED, actor=actor, note=text
    )
    audit_record(
        actor=actor,
        action="quality.complaint_answer",
        target=c,
        changes={"status": c.status, "first": c.first_answered_at == now},
    )
    notify([c.complainant], kinds.COMPLAINT_ANSWERED, url=_url(c), number=c.number)
    return c


@transaction.atomic
def complaint_feedback(
    *, actor: User, complaint: Complaint, satisfied: bool, feedback: str = ""
) -> Complaint:
    """The complainant's verdict on the answer, once per answer: satisfied closes the
    complaint; not satisfied sends it back to be answered again (the heads are told)."""
    feedback = _text(feedback, field="feedback", limit=FEEDBACK_MAX_LENGTH, required=False)
    c = _locked(complaint)
    if c.complainant_id is None or c.complainant_id != actor.pk:
        raise NotAllowed(_("Only the complainant says whether the answer satisfies them."))
    if c.satisfied is not None:
        raise WrongStatus(_("You have already given your view of this answer."))
    if c.status != Complaint.Status.ANSWERED:
        raise WrongStatus(_("There is no new answer to give your view of."))
    c.satisfied = satisfied
    c.feedback = feedback
    if satisfied:
        c.status = Complaint.Status.CLOSED
        c.closed_at = timezone.now()
        kind = ComplaintEvent.Kind.SATISFIED
    else:
        c.status = Complaint.Status.NEW
        kind = ComplaintEvent.Kind.UNSATISFIED
    c.save(update_fields=["satisfied", "feedback", "status", "closed_at"])
    # An anonymous complainant's steps carry no name, not even in the audit log.
    shown_actor = None if c.anonymous else actor
    ComplaintEvent.objects.create(complaint=c, kind=kind, actor=shown_actor, note=feedback)
    audit_record(
        actor=shown_actor,
        action="quality.complaint_feedback",
        target=c,
        changes={"satisfied": satisfied, "status": c.status},
    )
    if not satisfied:
        notify(
            [*kinds.department_heads(c.department_id), c.assignee],
            kinds.COMPLAINT_UNSATISFIED,
            url=_url(c),
            number=c.number,
        )
    return c


@transaction.atomic
def complaint_close(*, actor: User, complaint: Complaint) -> Complaint:
    """A handler closes an answered complaint (one whose complainant cannot or does not say
    whether they are satisfied)."""
    c = _locked(complaint)
    if c.status == Complaint.Status.CLOSED:
        raise WrongStatus(_("This complaint is already closed."))
    if not may_answer_complaint(actor, c):
        raise NotAllowed(_("Only the complaint's handlers may close it."))
    if c.first_answered_at is None:
        raise WrongStatus(
            _("Answer the complaint before closing it: the answer is kept on record.")
        )
    c.status = Complaint.Status.CLOSED
    c.closed_at = timezone.now()
    c.save(update_fields=["status", "closed_at"])
    ComplaintEvent.objects.create(complaint=c, kind=ComplaintEvent.Kind.CLOSED, actor=actor)
    audit_record(actor=actor, action="quality.complaint_close", target=c)
    return c


CATEGORY_FIELDS = (
    "code",
    "name",
    "name_en",
    "department",
    "response_hours",
    "position",
    "is_active",
)


@transaction.atomic
def category_save(*, actor: User, category: ComplaintCategory) -> ComplaintCategory:
    """Save a complaint category (validated by its form). Auditors and administrators."""
    if not may_edit_categories(actor):
        raise NotAllowed(_("Only auditors and administrators edit complaint categories."))
    created = category.pk is None
    category.save()
    audit_record(
        actor=actor,
        action="quality.category_create" if created else "quality.category_update",
        target=category,
        changes={
            "code": category.code,
            "department": category.department_id,
            "response_hours": category.response_hours,
            "is_active": category.is_active,
        },
    )
    return category

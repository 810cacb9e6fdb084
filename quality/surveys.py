"""Satisfaction surveys (满意度调查): invitations with an unguessable token, answers stored
apart from them, the nightly invitations and reminders, and the results.

Anonymity. An invitation knows its person, its service and whether it was answered: nothing
else about the answer (no time it was answered). A response (SurveyResponse and its
SurveyAnswers) knows its survey, the day it came and where it counts (department, service
area, building, technician): no key to the invitation or the person and no time finer than the
day, and responses are never listed by id (ids follow the order of answers). So from the
database alone nobody, the administrator included, can join an answer to the person who gave
it. Results from fewer than SURVEY_MIN_RESPONSES answers are withheld.

The invitations of a night are inserted with ON CONFLICT DO NOTHING on the service they are
about (`service`, unique): at most one invitation per repair, per move-out, per person and
semester window, however often and however concurrently the job runs. Only the rows actually
inserted are notified (portal inbox, and e-mail through the outbox where there is an address).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.errors import ServiceError
from logistics.models import Department, Role, RoleGrant, User
from logistics.notifications import notify_many
from quality import notifications as messages
from quality.models import (
    SurveyAnswer,
    SurveyInvitation,
    SurveyOptOut,
    SurveyQuestion,
    SurveyResponse,
    SurveyTemplate,
    SurveyVersion,
    SurveyWindow,
)

TEXT_MAX_LENGTH = 2000
REPAIR_AREA = "maintenance_utilities"
MOVE_OUT_AREA = "apartments"


class SurveyError(ServiceError):
    pass


class NoSuchInvitation(SurveyError):
    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(_("There is no such survey: check the link."))


class AlreadyAnswered(SurveyError):
    status_code = 409
    code = "answered"

    def __init__(self):
        super().__init__(_("This survey has already been answered. Thank you!"))


class Declined(SurveyError):
    status_code = 409
    code = "declined"

    def __init__(self):
        super().__init__(_("You declined this survey."))


class InvitationExpired(SurveyError):
    status_code = 410
    code = "expired"

    def __init__(self):
        super().__init__(_("This survey has closed."))


class AnswerInvalid(SurveyError):
    status_code = 400
    code = "invalid"


# --- Reads -------------------------------------------------------------------------------------


def new_token() -> str:
    """256 random bits, URL-safe: the only key to an invitation that needs no login."""
    return secrets.token_urlsafe(32)


def expires_at(invitation: SurveyInvitation) -> dt.datetime:
    """The moment the invitation closes: the end of its last day (`expires_on`)."""
    return timezone.make_aware(
        dt.datetime.combine(invitation.expires_on + dt.timedelta(days=1), dt.time.min)
    )


def is_expired(invitation: SurveyInvitation, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return invitation.status == SurveyInvitation.Status.EXPIRED or invitation.expires_on < today


def invitation_by_token(token: str) -> SurveyInvitation:
    invitation = (
        SurveyInvitation.objects.select_related("version__template")
        .filter(token=token[:64])
        .first()
    )
    if invitation is None:
        raise NoSuchInvitation()
    return invitation


def questions_of(version: SurveyVersion) -> list[SurveyQuestion]:
    return list(version.questions.order_by("position", "id"))


def open_invitations_of(user) -> list[SurveyInvitation]:
    """The person's invitations still to answer, newest first."""
    return list(
        SurveyInvitation.objects.filter(
            user_id=user.pk,
            status=SurveyInvitation.Status.OPEN,
            expires_on__gte=timezone.localdate(),
        )
        .select_related("version__template")
        .order_by("-invited_on", "-id")
    )


def published_version(code: str) -> SurveyVersion | None:
    return (
        SurveyVersion.objects.filter(template__code=code, status=SurveyVersion.Status.PUBLISHED)
        .select_related("template")
        .first()
    )


def department_for_area(area_code: str) -> Department | None:
    """The department serving a service area (the first by code, if several)."""
    return Department.objects.filter(service_areas__code=area_code).order_by("code").first()


# --- Answering ---------------------------------------------------------------------------------


def _clean(questions: list[SurveyQuestion], answers) -> dict[int, dict]:
    """The answers by question id, checked: a required answer missing, stars outside 1–5, a
    choice not offered, text too long or an unknown question is refused (400)."""
    if not isinstance(answers, dict):
        raise AnswerInvalid(_("The answers must be an object of question keys."), field="answers")
    by_key = {q.key: q for q in questions}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise AnswerInvalid(_("No such question: %(key)s.") % {"key": unknown[0]}, field="answers")
    cleaned = {}
    for question in questions:
        value = answers.get(question.key)
        if value is None or value == "":
            if question.required:
                raise AnswerInvalid(
                    _("Please answer: %(question)s") % {"question": question.display_text},
                    field=question.key,
                )
            continue
        if question.kind == SurveyQuestion.Kind.STARS:
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise AnswerInvalid(
                    _("Give from 1 to 5 stars: %(question)s") % {"question": question.display_text},
                    field=question.key,
                )
            cleaned[question.pk] = {"stars": value}
        elif question.kind == SurveyQuestion.Kind.CHOICE:
            if value not in {c["key"] for c in question.choices}:
                raise AnswerInvalid(
                    _("Choose one of the answers offered: %(question)s")
                    % {"question": question.display_text},
                    field=question.key,
                )
            cleaned[question.pk] = {"choice": value}
        else:
            if not isinstance(value, str) or "\x00" in value:
                raise AnswerInvalid(_("The answer must be text."), field=question.key)
            value = value.strip()
            if len(value) > TEXT_MAX_LENGTH:
                raise AnswerInvalid(
                    _("At most %(count)s characters, please.") % {"count": TEXT_MAX_LENGTH},
                    field=question.key,
                )
            if value:
                cleaned[question.pk] = {"text": value}
            elif question.required:
                raise AnswerInvalid(
                    _("Please answer: %(question)s") % {"question": question.display_text},
                    field=question.key,
                )
    return cleaned


def answer(token: str, answers) -> None:
    """Record the answer given with `token`: once (again → AlreadyAnswered, 409), before it
    expires (InvitationExpired, 410), complete and in range (AnswerInvalid, 400); an unknown
    token is NoSuchInvitation (404). The response keeps no link to the invitation."""
    with transaction.atomic():
        invitation = SurveyInvitation.objects.select_for_update().filter(token=token[:64]).first()
        if invitation is None:
            raise NoSuchInvitation()
        if invitation.status == SurveyInvitation.Status.ANSWERED:
            raise AlreadyAnswered()
        if invitation.status == SurveyInvitation.Status.OPTED_OUT:
            raise Declined()
        if is_expired(invitation):
            raise InvitationExpired()
        cleaned = _clean(questions_of(invitation.version), answers)
        response = SurveyResponse.objects.create(
            version_id=invitation.version_id,
            answered_on=timezone.localdate(),
            window_id=invitation.window_id,
            department_id=invitation.department_id,
            area_id=invitation.area_id,
            building_id=invitation.building_id,
            technician_id=invitation.technician_id,
        )
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(response=response, question_id=question_id, **value)
                for question_id, value in cleaned.items()
            ]
        )
        # The invitation learns only that it was answered: not when, not what.
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            status=SurveyInvitation.Status.ANSWERED
        )


def decline(token: str) -> None:
    """The person declines this survey and every later one of the same kind."""
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update()
            .select_related("version")
            .filter(token=token[:64])
            .first()
        )
        if invitation is None:
            raise NoSuchInvitation()
        if invitation.status == SurveyInvitation.Status.ANSWERED:
            raise AlreadyAnswered()
        SurveyOptOut.objects.get_or_create(
            user_id=invitation.user_id, template_id=invitation.version.template_id
        )
        if invitation.status == SurveyInvitation.Status.OPEN:
            SurveyInvitation.objects.filter(pk=invitation.pk).update(
                status=SurveyInvitation.Status.OPTED_OUT
            )


# --- Inviting (the nightly job, in batches) ----------------------------------------------------


def _url(token: str) -> str:
    return reverse("survey_answer", args=[token])


def invite(rows: list[SurveyInvitation], kind, params) -> int:
    """Insert the invitations `rows` (each with a fresh token) but those whose service has one
    already and those whose person declined the survey, and notify the people of the rows
    inserted; returns how many. Two statements plus the notifications, whatever the count."""
    if not rows:
        return 0
    versions = {row.version_id for row in rows}
    templates = dict(SurveyVersion.objects.filter(pk__in=versions).values_list("pk", "template_id"))
    declined = set(
        SurveyOptOut.objects.filter(
            user_id__in={row.user_id for row in rows}, template_id__in=set(templates.values())
        ).values_list("user_id", "template_id")
    )
    rows = [r for r in rows if (r.user_id, templates[r.version_id]) not in declined]
    if not rows:
        return 0
    SurveyInvitation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = list(
        SurveyInvitation.objects.filter(token__in=[r.token for r in rows]).select_related("user")
    )
    notify_many([([inv.user], kind, _url(inv.token), params(inv)) for inv in created])
    return len(created)


def _follow_up_expiry(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=settings.SURVEY_EXPIRY_DAYS)


def invite_repairs(day: dt.date, ticket_ids: Iterable[int]) -> int:
    """Invite the reporter of each repair of `ticket_ids` closed on `day` (one batch)."""
    from maintenance.selectors import tickets_closed_on_rows

    version = published_version("repair")
    if version is None:
        return 0
    department = department_for_area(REPAIR_AREA)
    area_id = version.template.area_id
    rows = [
        SurveyInvitation(
            token=new_token(),
            version=version,
            user_id=row["reporter_id"],
            service=f"ticket:{row['id']}",
            about=f"维修 #{row['id']}",
            about_en=f"Repair #{row['id']}",
            department=department,
            area_id=area_id,
            building_id=row["building_id"],
            technician_id=row["technician_id"],
            invited_on=day,
            expires_on=_follow_up_expiry(day),
        )
        for row in tickets_closed_on_rows(day, ids=list(ticket_ids))
    ]
    return invite(rows, messages.SURVEY_REPAIR, lambda inv: {"number": inv.service.split(":")[1]})


def invite_move_outs(day: dt.date, request_ids: Iterable[int]) -> int:
    """Invite the resident of each move-out of `request_ids` cleared on `day` (one batch)."""
    from apartments.selectors import move_outs_cleared_on_rows

    version = published_version("move_out")
    if version is None:
        return 0
    department = department_for_area(MOVE_OUT_AREA)
    rows = [
        SurveyInvitation(
            token=new_token(),
            version=version,
            user_id=row["user_id"],
            service=f"move_out:{row['id']}",
            about="退宿",
            about_en="Move-out",
            department=department,
            area_id=version.template.area_id,
            building_id=row["building_id"],
            invited_on=day,
            expires_on=_follow_up_expiry(day),
        )
        for row in move_outs_cleared_on_rows(day, ids=list(request_ids))
    ]
    return invite(rows, messages.SURVEY_MOVE_OUT, lambda inv: {})


def in_sample(window: SurveyWindow, user_id: int, building_id: int | None) -> bool:
    """Whether a person is in the window's sample: their building's share (percent) decides,
    by a hash of the window and the person, so the sample is the same on every run."""
    share = (
        window.shares.get(str(building_id), window.default_share)
        if building_id
        else (window.default_share)
    )
    if share >= 100:
        return True
    digest = hashlib.sha256(f"{window.pk}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < share


def window_parts(window: SurveyWindow) -> list[bool]:
    """The populations a window walks: residents (False), staff (True), or both."""
    population = window.population
    return {
        SurveyWindow.Population.RESIDENTS: [False],
        SurveyWindow.Population.STAFF: [True],
    }.get(population, [False, True])


def window_population(window: SurveyWindow, *, staff: bool = False):
    """The queryset the job walks for one part of a window: residents' stays, or the staff's
    role grants (a person with several grants is invited once: `service` is unique)."""
    from apartments.selectors import residents_population

    if staff:
        return RoleGrant.objects.exclude(role=Role.STUDENT).filter(user__is_active=True)
    return residents_population()


def invite_window(window: SurveyWindow, day: dt.date, keys: list[int], *, staff=False) -> int:
    """Invite the people of one batch of the window's population (stays or staff grants)
    who are in its sample and not yet invited."""
    from apartments.selectors import residents_population_rows

    if staff:
        people = [
            (user_id, None)
            for user_id in RoleGrant.objects.filter(pk__in=keys).values_list("user_id", flat=True)
        ]
    else:
        people = residents_population_rows(keys)
    seen, chosen = set(), []
    for user_id, building_id in people:
        if user_id in seen or not in_sample(window, user_id, building_id):
            continue
        seen.add(user_id)
        chosen.append((user_id, building_id))
    services = {f"window:{window.pk}:{user_id}": (user_id, b) for user_id, b in chosen}
    already = set(
        SurveyInvitation.objects.filter(service__in=list(services)).values_list(
            "service", flat=True
        )
    )
    rows = [
        SurveyInvitation(
            token=new_token(),
            version_id=window.version_id,
            user_id=user_id,
            service=service,
            about=window.title,
            about_en=window.title_en,
            window=window,
            department_id=window.department_id,
            area_id=window.area_id,
            building_id=building_id,
            invited_on=day,
            expires_on=window.end,
        )
        for service, (user_id, building_id) in services.items()
        if service not in already
    ]
    until = window.end.isoformat()
    return invite(rows, messages.SURVEY_SEMESTER, lambda inv: {"until": until})


def windows_open_on(day: dt.date) -> list[SurveyWindow]:
    return list(SurveyWindow.objects.filter(start__lte=day, end__gte=day).order_by("pk"))


def reminders_due(day: dt.date):
    return SurveyInvitation.objects.filter(
        status=SurveyInvitation.Status.OPEN,
        reminded_on__isnull=True,
        invited_on__lte=day - dt.timedelta(days=settings.SURVEY_REMINDER_DAYS),
        expires_on__gte=day,
    )


def remind(day: dt.date, keys: list[int]) -> int:
    """Remind the people of the invitations `keys` still due a reminder (re-read under a row
    lock: a second run finds them reminded)."""
    due = list(
        reminders_due(day)
        .filter(pk__in=keys)
        .select_for_update(of=("self",))
        .select_related("user")
    )
    if not due:
        return 0
    SurveyInvitation.objects.filter(pk__in=[inv.pk for inv in due]).update(reminded_on=day)
    notify_many(
        [
            (
                [inv.user],
                messages.SURVEY_REMINDER,
                _url(inv.token),
                {"until": inv.expires_on.isoformat()},
            )
            for inv in due
        ]
    )
    return len(due)


def close_expired(day: dt.date) -> int:
    """Close the invitations whose last day is before `day`."""
    return SurveyInvitation.objects.filter(
        status=SurveyInvitation.Status.OPEN, expires_on__lt=day
    ).update(status=SurveyInvitation.Status.EXPIRED)


# --- Windows (auditors) ------------------------------------------------------------------------


def window_create(
    *,
    actor: User,
    title: str,
    title_en: str = "",
    start: dt.date,
    end: dt.date,
    population: str = SurveyWindow.Population.RESIDENTS,
    default_share: int = 100,
    shares: dict | None = None,
    area=None,
    department=None,
) -> SurveyWindow:
    """Open a semester survey window (auditors): from `start` to `end` the nightly job invites
    the population once, a share of each building's residents."""
    from quality.selectors import is_auditor

    if not is_auditor(actor):
        raise SurveyError(_("Only quality auditors set the semester survey."))
    version = published_version("semester")
    if version is None:
        raise AnswerInvalid(_("The semester survey has no published version."))
    if end < start:
        raise AnswerInvalid(_("The window must end on or after its start."), field="end")
    shares = {str(k): int(v) for k, v in (shares or {}).items()}
    if any(not 0 <= v <= 100 for v in [default_share, *shares.values()]):
        raise AnswerInvalid(_("A share is a percent from 0 to 100."), field="shares")
    return SurveyWindow.objects.create(
        version=version,
        title=title.strip()[:200] or version.template.name,
        title_en=title_en.strip()[:200],
        start=start,
        end=end,
        population=population,
        default_share=default_share,
        shares=shares,
        area=area,
        department=department,
        created_by=actor,
    )


def survey_templates() -> list[SurveyTemplate]:
    return list(SurveyTemplate.objects.order_by("code"))


# --- Templates: versions, like the checklists (auditors) ---------------------------------------


class VersionFrozen(SurveyError):
    code = "frozen"

    def __init__(self):
        super().__init__(_("A published survey version never changes: start a new draft instead."))


def _auditor_only(actor) -> None:
    from quality.selectors import is_auditor

    if not is_auditor(actor):
        raise SurveyError(_("Only quality auditors change the surveys."))


def draft_start(*, actor, template: SurveyTemplate) -> SurveyVersion:
    """A new draft of `template`, a copy of its published version (one draft at a time)."""
    _auditor_only(actor)
    with transaction.atomic():
        SurveyTemplate.objects.select_for_update().get(pk=template.pk)
        if template.versions.filter(status=SurveyVersion.Status.DRAFT).exists():
            raise SurveyError(_("This survey already has a draft: edit it."))
        last = template.versions.order_by("-number").first()
        draft = SurveyVersion.objects.create(
            template=template, number=(last.number + 1) if last else 1
        )
        source = template.versions.filter(status=SurveyVersion.Status.PUBLISHED).first()
        if source is not None:
            SurveyQuestion.objects.bulk_create(
                [
                    SurveyQuestion(
                        version=draft,
                        **{
                            f.name: getattr(q, f.name)
                            for f in SurveyQuestion._meta.concrete_fields
                            if f.name not in ("id", "version")
                        },
                    )
                    for q in source.questions.all()
                ]
            )
        return draft


def question_save(
    *,
    actor,
    version: SurveyVersion,
    key: str,
    kind: str,
    text: str,
    text_en: str,
    required: bool = True,
    dimension: str = "",
    characteristic: str = "",
    choices: list | None = None,
) -> SurveyQuestion:
    """Add or change (by `key`) a question of a draft."""
    import re

    from quality.models import Characteristic, Servqual

    _auditor_only(actor)
    with transaction.atomic():
        version = SurveyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != SurveyVersion.Status.DRAFT:
            raise VersionFrozen()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key or ""):
            raise AnswerInvalid(
                _("A key is lower-case letters, digits and _, starting with a letter."),
                field="key",
            )
        if kind not in SurveyQuestion.Kind.values:
            raise AnswerInvalid(_("Choose stars, a choice or text."), field="kind")
        if not text.strip() or not text_en.strip():
            raise AnswerInvalid(_("Write the question in both languages."), field="text")
        if dimension and dimension not in Servqual.values:
            raise AnswerInvalid(_("No such SERVQUAL dimension."), field="dimension")
        if characteristic and characteristic not in Characteristic.values:
            raise AnswerInvalid(_("No such service characteristic."), field="characteristic")
        choices = choices or []
        if kind == SurveyQuestion.Kind.CHOICE and len(choices) < 2:
            raise AnswerInvalid(_("A choice needs at least two answers."), field="choices")
        question, _created = SurveyQuestion.objects.update_or_create(
            version=version,
            key=key,
            defaults={
                "kind": kind,
                "text": text.strip()[:300],
                "text_en": text_en.strip()[:300],
                "required": required,
                "dimension": dimension,
                "characteristic": characteristic,
                "choices": choices if kind == SurveyQuestion.Kind.CHOICE else [],
                "position": version.questions.filter(key=key)
                .values_list("position", flat=True)
                .first()
                or version.questions.count() + 1,
            },
        )
        return question


def question_delete(*, actor, question: SurveyQuestion) -> None:
    _auditor_only(actor)
    with transaction.atomic():
        version = SurveyVersion.objects.select_for_update().get(pk=question.version_id)
        if version.status != SurveyVersion.Status.DRAFT:
            raise VersionFrozen()
        SurveyQuestion.objects.filter(pk=question.pk).delete()


def version_publish(*, actor, version: SurveyVersion) -> SurveyVersion:
    """Publish a draft: it is frozen from now on, the version published before retires, and
    the invitations from now on ask it (those already sent keep theirs)."""
    _auditor_only(actor)
    with transaction.atomic():
        SurveyTemplate.objects.select_for_update().get(pk=version.template_id)
        version = SurveyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != SurveyVersion.Status.DRAFT:
            raise VersionFrozen()
        if not version.questions.exists():
            raise AnswerInvalid(_("A survey needs at least one question."))
        SurveyVersion.objects.filter(
            template_id=version.template_id, status=SurveyVersion.Status.PUBLISHED
        ).update(status=SurveyVersion.Status.RETIRED)
        version.status = SurveyVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        return version

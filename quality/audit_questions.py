"""The reusable checklist of internal audits (AuditQuestion): questions per ISO 9001 clause, in
Chinese and English, kept by the quality department (auditors).

A question no audit has used yet is edited in place or deleted. Once a finding has answered
it, its words are part of an audit record: an edit makes a new version that replaces it (the
old one retired, its findings still pointing at the words they answered), and it can only be
retired (and put back), never deleted."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from logistics.models import User
from logistics.services import audit_record
from quality.audits import CLAUSE_CODES, AuditInvalid, AuditNotAllowed
from quality.documents import is_quality
from quality.models import AuditFinding, AuditQuestion

TEXT_MAX = 300


def questions() -> QuerySet[AuditQuestion]:
    """Every question with `used` (answered by a finding): one query."""
    return AuditQuestion.objects.annotate(
        used=Exists(AuditFinding.objects.filter(question=OuterRef("pk")))
    ).order_by("clause", "-active", "position", "pk")


def is_used(question: AuditQuestion) -> bool:
    return AuditFinding.objects.filter(question=question).exists()


def _require_quality(actor: User) -> None:
    if not is_quality(actor):
        raise AuditNotAllowed(_("Only quality auditors keep the audit checklist."))


def _clean(clause: str, text: str, text_en: str) -> tuple[str, str, str]:
    clause = (clause or "").strip()
    if clause not in CLAUSE_CODES:
        raise AuditInvalid(_("Choose a clause from the list."), field="clause")
    text = (text or "").strip()
    if not text:
        raise AuditInvalid(_("This field is required."), field="text")
    if len(text) > TEXT_MAX or len((text_en or "").strip()) > TEXT_MAX:
        raise AuditInvalid(
            _("A question is at most %(n)d characters.") % {"n": TEXT_MAX}, field="text"
        )
    return clause, text, (text_en or "").strip()


@transaction.atomic
def question_add(
    *, actor: User, clause: str, text: str, text_en: str = "", position: int = 0
) -> AuditQuestion:
    _require_quality(actor)
    clause, text, text_en = _clean(clause, text, text_en)
    question = AuditQuestion.objects.create(
        clause=clause, text=text, text_en=text_en, position=position or 0
    )
    audit_record(
        actor=actor, action="quality.audit_question_add", target=question, changes={"text": text}
    )
    return question


@transaction.atomic
def question_edit(
    *,
    actor: User,
    question: AuditQuestion,
    clause: str,
    text: str,
    text_en: str = "",
    position: int = 0,
) -> AuditQuestion:
    """Edit in place while unused; once used, a new version replaces it (returned)."""
    _require_quality(actor)
    question = AuditQuestion.objects.select_for_update().get(pk=question.pk)
    if not question.active:
        raise AuditInvalid(_("A retired question is not edited: put it back in use first."))
    clause, text, text_en = _clean(clause, text, text_en)
    position = position or 0
    if (question.clause, question.text, question.text_en, question.position) == (
        clause,
        text,
        text_en,
        position,
    ):
        return question
    before = {"clause": question.clause, "text": question.text, "text_en": question.text_en}
    if not is_used(question):
        question.clause, question.text, question.text_en = clause, text, text_en
        question.position = position
        question.save(update_fields=["clause", "text", "text_en", "position"])
        audit_record(
            actor=actor,
            action="quality.audit_question_edit",
            target=question,
            changes={"before": before, "text": text},
        )
        return question
    question.active = False
    question.save(update_fields=["active"])
    successor = AuditQuestion.objects.create(
        clause=clause,
        text=text,
        text_en=text_en,
        position=position,
        version=question.version + 1,
        replaces=question,
    )
    audit_record(
        actor=actor,
        action="quality.audit_question_version",
        target=successor,
        changes={"replaces": question.pk, "before": before, "text": text},
    )
    return successor


@transaction.atomic
def question_retire(*, actor: User, question: AuditQuestion) -> AuditQuestion | None:
    """Take a question out of the checklist: deleted if no audit used it, otherwise retired
    (kept for the findings that answered it). Returns it, or None when deleted."""
    _require_quality(actor)
    question = AuditQuestion.objects.select_for_update().get(pk=question.pk)
    if not is_used(question) and not has_successor(question):
        audit_record(
            actor=actor,
            action="quality.audit_question_delete",
            target=question,
            changes={"text": question.text},
        )
        question.delete()
        return None
    if question.active:
        question.active = False
        question.save(update_fields=["active"])
        audit_record(
            actor=actor, action="quality.audit_question_retire", target=question, changes={}
        )
    return question


@transaction.atomic
def question_restore(*, actor: User, question: AuditQuestion) -> AuditQuestion:
    """Put a retired question back in use (not one a newer version replaced)."""
    _require_quality(actor)
    question = AuditQuestion.objects.select_for_update().get(pk=question.pk)
    if has_successor(question):
        raise AuditInvalid(_("A newer version replaced this question."))
    if not question.active:
        question.active = True
        question.save(update_fields=["active"])
        audit_record(
            actor=actor, action="quality.audit_question_restore", target=question, changes={}
        )
    return question


def has_successor(question: AuditQuestion) -> bool:
    return AuditQuestion.objects.filter(replaces=question).exists()

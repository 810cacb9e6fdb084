"""Inspection records: an auditor starts one against the published checklist of a service
area, answers every item, submits it, and the record is sealed into the chain
(quality.seals). A sealed record never changes and is never deleted: a correction is a new
record that amends it, with a reason.

Every write runs in one transaction and locks the inspection row before checking its state
(a double tap on a tablet sends the same submit twice). Errors are InspectionError subclasses
with a message for the user; nothing here raises a 500 for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.models import Campus, Department, ServiceArea
from logistics.services import audit_record
from logistics.uploads import photo_create
from quality import seals
from quality.models import Checklist, ChecklistItem, ChecklistVersion, Inspection, InspectionAnswer
from quality.selectors import inspections_for, is_auditor

PLACE_MAX_LENGTH = 200
COMMENT_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class InspectionError(Exception):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


class InspectionInvalid(InspectionError):
    """Input no state of the database makes right."""

    status_code = 400
    code = "invalid"


class Incomplete(InspectionInvalid):
    """Submitting with items not answered: `missing` are those items."""

    code = "incomplete"

    def __init__(self, missing: list[ChecklistItem]):
        names = "; ".join(f"{item.position}. {item.display_text}" for item in missing)
        super().__init__(
            _("Answer every item before submitting. Not answered yet: %(items)s") % {"items": names}
        )
        self.missing = missing


class InspectionSealed(InspectionError):
    code = "sealed"

    def __init__(self, inspection: Inspection):
        super().__init__(
            _(
                "%(number)s is submitted and sealed: it can no longer be changed or deleted. "
                "To correct it, amend it."
            )
            % {"number": inspection.number}
        )


class NotAllowed(InspectionError):
    status_code = 403
    code = "not_allowed"


# --- Reads -------------------------------------------------------------------------------------


def published_versions() -> QuerySet[ChecklistVersion]:
    """The versions inspections start from: one published version per checklist."""
    return ChecklistVersion.objects.filter(status=ChecklistVersion.Status.PUBLISHED)


def areas_open_for_inspection() -> QuerySet[ServiceArea]:
    """Service areas with at least one published checklist."""
    return ServiceArea.objects.filter(
        Exists(published_versions().filter(checklist__area=OuterRef("pk")))
    ).order_by("position", "code")


def departments_for_inspection(area: ServiceArea | None = None) -> QuerySet[Department]:
    """Departments serving `area` (or any area open for inspection)."""
    if area is not None:
        return Department.objects.filter(service_areas=area).order_by("code")
    return (
        Department.objects.filter(service_areas__in=areas_open_for_inspection())
        .distinct()
        .order_by("code")
    )


def checklists_open_for_inspection() -> QuerySet[Checklist]:
    return (
        Checklist.objects.filter(Exists(published_versions().filter(checklist=OuterRef("pk"))))
        .select_related("area")
        .order_by("area__position", "code")
    )


def failed_answers() -> QuerySet[InspectionAnswer]:
    """Answers that call for a nonconformity (InspectionAnswer.failed, in SQL): a fail, or a
    score below 60% of the item's maximum."""
    return InspectionAnswer.objects.alias(
        tenfold=F("score") * 10, sixfold=F("item__max_score") * 6
    ).filter(Q(result=InspectionAnswer.Result.FAIL) | Q(result="scored", tenfold__lt=F("sixfold")))


def items_and_answers(inspection: Inspection) -> list[tuple[ChecklistItem, InspectionAnswer]]:
    """Every item of the inspection's checklist version, in order, with its answer (None
    where not answered yet). Two queries."""
    answers = {
        answer.item_id: answer for answer in inspection.answers.select_related("photo", "item")
    }
    return [
        (item, answers.get(item.pk)) for item in inspection.version.items.order_by("position", "id")
    ]


@dataclass(frozen=True)
class ListFilter:
    area: ServiceArea | None = None
    department: Department | None = None
    campus: Campus | None = None
    auditor: object = None
    submitted_from: object = None  # a date
    submitted_until: object = None  # a date
    failed_only: bool = False


def inspections_listed(user, filters: ListFilter | None = None) -> QuerySet[Inspection]:
    """The records `user` may see (quality.selectors.inspections_for), filtered, newest
    first, with what the list shows: one query per page, however many rows."""
    from django.db.models import Count, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    filters = filters or ListFilter()
    rows = inspections_for(user)
    if filters.area is not None:
        rows = rows.filter(area=filters.area)
    if filters.department is not None:
        rows = rows.filter(department=filters.department)
    if filters.campus is not None:
        rows = rows.filter(campus=filters.campus)
    if filters.auditor is not None:
        rows = rows.filter(auditor=filters.auditor)
    if filters.submitted_from:
        rows = rows.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_until:
        rows = rows.filter(submitted_at__date__lte=filters.submitted_until)
    failed = failed_answers().filter(inspection=OuterRef("pk"))
    if filters.failed_only:
        rows = rows.filter(Exists(failed))
    failed_count = failed.order_by().values("inspection").annotate(n=Count("pk")).values("n")[:1]
    return (
        rows.select_related("area", "department", "campus", "auditor", "amends")
        .annotate(failed_count=Coalesce(Subquery(failed_count, output_field=IntegerField()), 0))
        .order_by(F("submitted_at").desc(nulls_first=True), "-id")
    )


# --- The score -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    earned: Decimal
    possible: Decimal
    answered: int
    applicable: int

    @property
    def percent(self) -> Decimal | None:
        if not self.possible:
            return None
        return (self.earned / self.possible * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def weighted_score(answers) -> Tally:
    """The weighted score of `answers` (InspectionAnswer with their items).

    The rule: every applicable item counts with its weight. A scored item earns its weight ×
    score / maximum score; a passed item earns its whole weight, a failed one nothing. Items
    answered "not applicable" (and items not answered yet) count neither in what was earned
    nor in what was possible. The score is earned / possible × 100, in percent, rounded half
    up to two decimals; with no applicable item there is no score (None).

    E.g. weights 2, 1, 1: score 5/10, pass, N/A → (2×0.5 + 1×1) / (2 + 1) = 66.67%.
    """
    earned = possible = Decimal(0)
    answered = applicable = 0
    for answer in answers:
        if not answer.result:
            continue
        answered += 1
        if answer.result == InspectionAnswer.Result.NOT_APPLICABLE:
            continue
        item = answer.item
        applicable += 1
        possible += item.weight
        if answer.result == InspectionAnswer.Result.SCORED:
            earned += item.weight * Decimal(answer.score or 0) / Decimal(item.max_score)
        elif answer.result == InspectionAnswer.Result.PASS:
            earned += item.weight
    return Tally(earned=earned, possible=possible, answered=answered, applicable=applicable)


# --- Writes ------------------------------------------------------------------------------------


def _require_auditor(actor) -> None:
    if not is_auditor(actor):
        raise NotAllowed(_("Only quality auditors make inspections."))


def _locked_draft(inspection: Inspection, actor) -> Inspection:
    """The inspection row, locked and fresh; refuse unless it is the actor's own draft."""
    locked = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("version")
        .get(pk=inspection.pk)
    )
    if locked.is_sealed:
        raise InspectionSealed(locked)
    if locked.auditor_id != actor.pk:
        raise NotAllowed(_("Only the auditor who started this inspection may change it."))
    return locked


@transaction.atomic
def inspection_start(
    *,
    actor,
    area: ServiceArea,
    department: Department,
    place: str,
    campus: Campus | None = None,
    checklist: Checklist | None = None,
) -> Inspection:
    """A draft inspection of `department` at `place`, against the published checklist of
    `area` (`checklist` picks one where the area has several)."""
    _require_auditor(actor)
    place = (place or "").strip()
    if not place:
        raise InspectionInvalid(_("Say where the inspection takes place."), field="place")
    if len(place) > PLACE_MAX_LENGTH:
        raise InspectionInvalid(
            _("The place has at most %(n)s characters.") % {"n": PLACE_MAX_LENGTH},
            field="place",
        )
    versions = published_versions().filter(checklist__area=area).select_related("checklist")
    if checklist is not None:
        versions = versions.filter(checklist=checklist)
    versions = list(versions)
    if not versions:
        raise InspectionInvalid(
            _("This service area has no published checklist yet."),
            field="checklist" if checklist is not None else "area",
        )
    if len(versions) > 1:
        raise InspectionInvalid(
            _("This service area has several checklists: choose one."), field="checklist"
        )
    if not department.service_areas.filter(pk=area.pk).exists():
        raise InspectionInvalid(
            _("%(department)s does not serve %(area)s.") % {"department": department, "area": area},
            field="department",
        )
    inspection = Inspection.objects.create(
        version=versions[0],
        area=area,
        department=department,
        campus=campus,
        place=place,
        auditor=actor,
    )
    audit_record(actor=actor, action="inspection.start", target=inspection)
    return inspection


@dataclass(frozen=True)
class AnswerInput:
    """One item's finding as entered. `result`: "scored" (with `score`), "pass", "fail", "na",
    or "" (not decided yet: a comment or a photo may come first)."""

    result: str = ""
    score: int | str | None = None
    comment: str = ""
    photo: object = None  # an uploaded file (a new photo), or None to keep the current one
    remove_photo: bool = False


def _clean_answer(item: ChecklistItem, data: AnswerInput) -> tuple[str, int | None, str]:
    result = (data.result or "").strip()
    Result = InspectionAnswer.Result
    score = None
    if result == Result.NOT_APPLICABLE:
        if not item.allow_na:
            raise InspectionInvalid(
                _("This item is always applicable: it cannot be answered N/A."), field="result"
            )
    elif item.rule == ChecklistItem.Rule.SCORE:
        raw = data.score
        if raw in (None, "") and result in ("", Result.SCORED):
            result = ""
        else:
            if result not in ("", Result.SCORED):
                raise InspectionInvalid(_("Give this item a score."), field="score")
            try:
                score = int(str(raw).strip())
            except ValueError:
                score = -1
            if not 0 <= score <= item.max_score:
                raise InspectionInvalid(
                    _("The score is a whole number from 0 to %(max)s.") % {"max": item.max_score},
                    field="score",
                )
            result = Result.SCORED
    elif result not in ("", Result.PASS, Result.FAIL):
        raise InspectionInvalid(_("Answer pass or fail."), field="result")
    comment = (data.comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InspectionInvalid(
            _("A comment has at most %(n)s characters.") % {"n": COMMENT_MAX_LENGTH},
            field="comment",
        )
    return result, score, comment


@transaction.atomic
def answer_save(
    *, actor, inspection: Inspection, item: ChecklistItem, data: AnswerInput
) -> InspectionAnswer:
    """Record the auditor's finding on one item of their draft (result by the item's rule,
    comment, photo)."""
    inspection = _locked_draft(inspection, actor)
    if item.version_id != inspection.version_id:
        raise InspectionInvalid(_("This item is not on the inspection's checklist."))
    result, score, comment = _clean_answer(item, data)
    answer = InspectionAnswer.objects.filter(inspection=inspection, item=item).first()
    if answer is None:
        answer = InspectionAnswer(inspection=inspection, item=item)
    answer.result, answer.score, answer.comment = result, score, comment
    if data.photo:
        try:
            answer.photo = photo_create(uploaded_by=actor, file=data.photo)
        except ValidationError as exc:
            raise InspectionInvalid(" ".join(exc.messages), field="photo") from exc
        answer.photo_sha256 = ""  # fingerprinted when sealed
    elif data.remove_photo:
        answer.photo = None
        answer.photo_sha256 = ""
    answer.save()
    return answer


@transaction.atomic
def inspection_submit(*, actor, inspection: Inspection, note: str | None = None) -> Inspection:
    """Submit the actor's draft: every item answered (else Incomplete, naming the missing
    ones), at least one applicable; fix the score and the time, then seal it into the chain."""
    inspection = _locked_draft(inspection, actor)
    if note is not None:
        note = note.strip()
        if len(note) > NOTE_MAX_LENGTH:
            raise InspectionInvalid(
                _("The remarks have at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH},
                field="note",
            )
        inspection.note = note
    pairs = items_and_answers(inspection)
    missing = [item for item, answer in pairs if answer is None or not answer.result]
    if missing:
        raise Incomplete(missing)
    tally = weighted_score([answer for _item, answer in pairs])
    if tally.percent is None:
        raise InspectionInvalid(
            _("Every item is N/A: an inspection needs at least one applicable item.")
        )
    inspection.score = tally.percent
    inspection.submitted_at = timezone.now()
    inspection.save(update_fields=["note"])
    seals.seal(inspection)
    audit_record(
        actor=actor,
        action="inspection.submit",
        target=inspection,
        changes={"score": str(inspection.score), "sequence": inspection.sequence},
    )
    return inspection


@transaction.atomic
def inspection_amend(*, actor, original: Inspection, reason: str) -> Inspection:
    """Start a correction of a sealed record: a new draft that amends it, with the original's
    findings copied (photos referenced again), for the auditor to change and submit. The
    original is untouched. Asking twice returns the same open draft."""
    _require_auditor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InspectionInvalid(_("Say why the record needs a correction."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise InspectionInvalid(
            _("The reason has at most %(n)s characters.") % {"n": REASON_MAX_LENGTH},
            field="reason",
        )
    original = Inspection.objects.select_for_update(of=("self",)).get(pk=original.pk)
    if not original.is_sealed:
        raise InspectionInvalid(_("Only a submitted record can be amended."))
    open_draft = Inspection.objects.filter(
        amends=original, auditor=actor, status=Inspection.Status.DRAFT
    ).first()
    if open_draft is not None:
        return open_draft
    amendment = Inspection.objects.create(
        version_id=original.version_id,
        area_id=original.area_id,
        department_id=original.department_id,
        campus_id=original.campus_id,
        place=original.place,
        note=original.note,
        auditor=actor,
        amends=original,
        amendment_reason=reason,
    )
    InspectionAnswer.objects.bulk_create(
        [
            InspectionAnswer(
                inspection=amendment,
                item_id=answer.item_id,
                result=answer.result,
                score=answer.score,
                comment=answer.comment,
                photo_id=answer.photo_id,
            )
            for answer in original.answers.all()
        ]
    )
    audit_record(
        actor=actor,
        action="inspection.amend",
        target=amendment,
        changes={"amends": original.pk, "reason": reason},
    )
    return amendment


@transaction.atomic
def inspection_discard(*, actor, inspection: Inspection) -> None:
    """Throw away the actor's own draft. A sealed record is never deleted."""
    inspection = _locked_draft(inspection, actor)
    number = inspection.number
    InspectionAnswer.objects.filter(inspection=inspection).delete()
    Inspection.objects.filter(pk=inspection.pk, status=Inspection.Status.DRAFT).delete()
    audit_record(actor=actor, action="inspection.discard", changes={"number": number})


# --- The chain, in words ---------------------------------------------------------------------


def chain_verdict(report: seals.ChainReport) -> tuple[str, list[str]]:
    """The headline and the details of a verification, worded once for the command and the
    pages: "Seal chain intact, N records." or the first broken record and why."""
    details = list(report.photo_problems)
    if report.broken_sequence is None and not report.photo_problems:
        return _("Seal chain intact, %(n)s records.") % {"n": report.checked}, details
    if report.broken_sequence is None:
        headline = _("Seal chain intact, %(n)s records, but photos were replaced.") % {
            "n": report.checked
        }
        return headline, details
    if report.broken is not None:
        headline = _(
            "Seal chain broken at %(record)s (chain position %(sequence)s): %(reason)s"
        ) % {
            "record": report.broken.number,
            "sequence": report.broken_sequence,
            "reason": report.reason,
        }
    else:
        headline = _("Seal chain broken at chain position %(sequence)s: %(reason)s") % {
            "sequence": report.broken_sequence,
            "reason": report.reason,
        }
    details.insert(
        0,
        _("%(n)s records before it verify.") % {"n": report.checked},
    )
    return headline, details

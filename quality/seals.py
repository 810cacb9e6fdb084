"""The seal chain of inspection records: tamper-evident, for an external audit.

Submitting an inspection seals it: its content (every field an auditor filled in, every
answer with its checklist item as it stood, the photos' fingerprints) is written as canonical
JSON, and its seal is SHA-256 over the previous record's seal and that JSON. Records are
numbered 1, 2, 3, … in the order they were sealed. So:

- an edited record (any field, any answer, a photo's file) no longer matches its seal;
- a deleted record leaves a gap in the numbers, and the next one's `previous_seal` points at a
  seal that is not there;
- reordered records no longer link up (each seal covers the one before it);
- someone who rewrites every seal from a point on is caught by the anchors: the chain's head
  as it was written down earlier (nightly, quality.jobs, and on demand).

verify_chain() walks the chain once, in order, with a fixed number of queries per batch, and
names the first record that does not hold. `manage.py verify_inspection_chain` and the admin's
"verify the chain" page call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from quality.models import ChainAnchor, Inspection, InspectionAnswer

GENESIS = "0" * 64
SEAL_ATTEMPTS = 5
BATCH = 500


def canonical(inspection: Inspection, answers) -> str:
    """The sealed content of `inspection` as canonical JSON. `answers` are its answers with
    their items (and photos) loaded. Anything that changes this string breaks the seal."""
    version = inspection.version
    content = {
        "id": inspection.pk,
        "sequence": inspection.sequence,
        "checklist": version.checklist_id,
        "version": version.pk,
        "version_number": version.number,
        "area": inspection.area_id,
        "department": inspection.department_id,
        "campus": inspection.campus_id,
        "place": inspection.place,
        "auditor": inspection.auditor_id,
        "note": inspection.note,
        "started_at": _utc(inspection.started_at),
        "submitted_at": _utc(inspection.submitted_at),
        "score": _decimal(inspection.score),
        "amends": inspection.amends_id,
        "amendment_reason": inspection.amendment_reason,
        "answers": [
            {
                "item": answer.item_id,
                "text": answer.item.text,
                "text_en": answer.item.text_en,
                "weight": _decimal(answer.item.weight),
                "rule": answer.item.rule,
                "max_score": answer.item.max_score,
                "result": answer.result,
                "score": answer.score,
                "comment": answer.comment,
                "photo": answer.photo_id,
                "photo_sha256": answer.photo_sha256,
            }
            for answer in sorted(answers, key=lambda a: a.item_id)
        ],
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _utc(moment) -> str | None:
    """A time as written in the sealed content: always in UTC, as the database returns it, so
    a record sealed with a local time in memory still verifies once read back."""
    return moment.astimezone(dt.UTC).isoformat() if moment is not None else None


def _decimal(value) -> str | None:
    """A decimal as written in the sealed content: two places, as the database keeps it."""
    return str(Decimal(str(value)).quantize(Decimal("0.01"))) if value is not None else None


def seal_of(previous_seal: str, content: str) -> str:
    return hashlib.sha256(f"{previous_seal}\n{content}".encode()).hexdigest()


def file_sha256(file_field) -> str:
    digest = hashlib.sha256()
    with file_field.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _answers(inspection: Inspection) -> list[InspectionAnswer]:
    return list(inspection.answers.select_related("item", "photo"))


def seal(inspection: Inspection) -> Inspection:
    """Append `inspection` (a complete draft, its score computed) to the chain: fingerprint
    its photos, number it after the current head, compute its seal, mark it sealed.

    Call inside the submitting transaction. Two records sealed at the same instant would take
    the same number: the unique constraint refuses the second, which retries after the first.
    """
    answers = _answers(inspection)
    for answer in answers:
        if answer.photo_id and not answer.photo_sha256:
            answer.photo_sha256 = file_sha256(answer.photo.image)
            answer.save(update_fields=["photo_sha256"])
    for attempt in range(SEAL_ATTEMPTS):
        head = (
            Inspection.objects.filter(status=Inspection.Status.SEALED)
            .order_by("-sequence")
            .values_list("sequence", "seal")
            .first()
        )
        sequence, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
        inspection.sequence = sequence
        inspection.previous_seal = previous
        inspection.status = Inspection.Status.SEALED
        inspection.seal = seal_of(previous, canonical(inspection, answers))
        try:
            with transaction.atomic():
                inspection.save(
                    update_fields=[
                        "sequence",
                        "previous_seal",
                        "status",
                        "seal",
                        "score",
                        "submitted_at",
                    ]
                )
            return inspection
        except IntegrityError:
            if attempt == SEAL_ATTEMPTS - 1:
                raise
    return inspection  # pragma: no cover - the loop returns or raises


# --- Verification ----------------------------------------------------------------------------


@dataclass
class ChainReport:
    checked: int = 0
    head_sequence: int = 0
    head_seal: str = GENESIS
    broken: Inspection | None = None
    broken_sequence: int | None = None
    reason: str = ""
    photo_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None and not self.photo_problems


def _break(report: ChainReport, sequence: int, reason: str, record=None) -> ChainReport:
    report.broken = record
    report.broken_sequence = sequence
    report.reason = reason
    return report


def verify_chain(*, check_photos: bool = False) -> ChainReport:
    """Walk every sealed record in order and check it; stop at the first that does not hold.
    With `check_photos`, also re-read each photo file and compare its fingerprint."""
    report = ChainReport()
    expected_sequence, previous = 1, GENESIS
    sealed = (
        Inspection.objects.filter(status=Inspection.Status.SEALED)
        .select_related("version")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=InspectionAnswer.objects.select_related("item", "photo"),
            )
        )
        .order_by("sequence")
    )
    for record in sealed.iterator(chunk_size=BATCH):
        if record.sequence != expected_sequence:
            if record.sequence > expected_sequence:
                reason = _(
                    "Record number %(n)s of the chain is missing (deleted?): the chain jumps "
                    "from %(previous)s to %(current)s."
                ) % {
                    "n": expected_sequence,
                    "previous": expected_sequence - 1,
                    "current": record.sequence,
                }
            else:
                reason = _("Two records claim chain position %(n)s.") % {"n": record.sequence}
            return _break(report, record.sequence, reason, record)
        if record.previous_seal != previous:
            return _break(
                report,
                record.sequence,
                _(
                    "It does not follow the record before it in the chain (records were "
                    "reordered, replaced or deleted)."
                ),
                record,
            )
        answers = list(record.answers.all())
        if seal_of(previous, canonical(record, answers)) != record.seal:
            return _break(
                report,
                record.sequence,
                _("Its content no longer matches its seal: it was changed after submission."),
                record,
            )
        if check_photos:
            for answer in answers:
                if not answer.photo_id:
                    continue
                try:
                    replaced = file_sha256(answer.photo.image) != answer.photo_sha256
                except OSError:  # the file is gone: report it, don't crash the walk
                    report.photo_problems.append(
                        _("%(record)s: the photo file of item %(item)s is missing.")
                        % {"record": record.number, "item": answer.item_id}
                    )
                    continue
                if replaced:
                    report.photo_problems.append(
                        _("%(record)s: the photo of item %(item)s was replaced.")
                        % {"record": record.number, "item": answer.item_id}
                    )
        report.checked += 1
        report.head_sequence, report.head_seal = record.sequence, record.seal
        previous = record.seal
        expected_sequence += 1
    return _check_anchors(report)


def _check_anchors(report: ChainReport) -> ChainReport:
    """Every anchor must name a record the chain still has, with the same seal."""
    seals = {}
    anchors = list(ChainAnchor.objects.order_by("sequence", "id"))
    wanted = {a.sequence for a in anchors if a.sequence <= report.head_sequence}
    if wanted:
        seals = dict(Inspection.objects.filter(sequence__in=wanted).values_list("sequence", "seal"))
    for anchor in anchors:
        if anchor.sequence > report.head_sequence:
            return _break(
                report,
                report.head_sequence + 1,
                _(
                    "The chain ends at %(head)s, but on %(date)s it already reached %(n)s: "
                    "the last records were deleted."
                )
                % {"head": report.head_sequence, "n": anchor.sequence, "date": anchor.at.date()},
            )
        if seals.get(anchor.sequence) != anchor.seal:
            return _break(
                report,
                anchor.sequence,
                _(
                    "The seal of record %(n)s differs from the one written down on %(date)s: "
                    "the chain was rewritten from there on."
                )
                % {"n": anchor.sequence, "date": anchor.at.date()},
                Inspection.objects.filter(sequence=anchor.sequence).first(),
            )
    return report


def anchor_now() -> ChainAnchor | None:
    """Write down the chain's head (nothing if the chain is empty or the head is anchored)."""
    head = (
        Inspection.objects.filter(status=Inspection.Status.SEALED)
        .order_by("-sequence")
        .values_list("sequence", "seal")
        .first()
    )
    if head is None:
        return None
    if ChainAnchor.objects.filter(sequence=head[0], seal=head[1]).exists():
        return None
    return ChainAnchor.objects.create(sequence=head[0], seal=head[1])

"""Service standards as versioned checklists: every write, and the reads the checklist pages
need.

A checklist's items live in versions. Only a draft may be edited: its items added, changed,
deleted and reordered. Publishing a draft freezes it and retires the version published before;
from then on it never changes again, so an inspection made against it keeps showing (and
scoring) exactly the items it was made with. Changing the standard means a new draft, copied
from the published version.

Every write runs in one transaction, locks the rows it checks (the checklist, then the
version: always in that order), and writes an audit record. Errors are ChecklistError
subclasses with a message for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.access import ALL
from logistics.models import ServiceArea
from logistics.services import audit_record
from quality.models import Characteristic, Checklist, ChecklistItem, ChecklistVersion, Servqual
from quality.selectors import head_departments, is_auditor

TEXT_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 300
NAME_MAX_LENGTH = 100
CODE_MAX_LENGTH = 40
MAX_WEIGHT = Decimal("999.99")
MAX_SCORE_LIMIT = 100
MAX_ITEMS = 200  # a checklist an auditor can still walk through on a tablet


class ChecklistError(Exception):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


class ChecklistInvalid(ChecklistError):
    """Input no state of the database makes right."""

    status_code = 400
    code = "invalid"


class VersionFrozen(ChecklistError):
    """A published or retired version: it never changes."""

    code = "frozen"

    def __init__(self, version: ChecklistVersion):
        super().__init__(
            _(
                "Version %(number)s is %(status)s and can no longer be changed: start a new "
                "draft instead."
            )
            % {"number": version.number, "status": version.get_status_display().lower()}
        )


class DraftExists(ChecklistError):
    code = "draft_exists"

    def __init__(self, draft: ChecklistVersion):
        super().__init__(
            _("Version %(number)s is already a draft: edit it.") % {"number": draft.number}
        )
        self.draft = draft


class NotAllowed(ChecklistError):
    status_code = 403
    code = "not_allowed"

    def __init__(self):
        super().__init__(_("Only quality auditors manage the service standards."))


# --- Who may do what -------------------------------------------------------------------------


def may_manage(user) -> bool:
    """Quality auditors and administrators write the standards."""
    return is_auditor(user)


def readable_area_ids(user) -> set[int] | None:
    """The service areas whose checklists `user` may read: ALL for auditors (and heads of
    every department), the areas their departments serve for department heads, else none."""
    if may_manage(user):
        return ALL
    departments = head_departments(user)
    if departments is ALL:
        return ALL
    if not departments:
        return set()
    return set(ServiceArea.objects.filter(departments__in=departments).values_list("pk", flat=True))


def checklists_for(user) -> QuerySet[Checklist]:
    """The checklists `user` may read (none for anyone without a quality role)."""
    areas = readable_area_ids(user)
    if areas is ALL:
        return Checklist.objects.all()
    return Checklist.objects.filter(area_id__in=areas)


def checklist_get(user, pk: int) -> Checklist:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(checklists_for(user).select_related("area"), pk=pk)


def _require_manager(actor) -> None:
    if not may_manage(actor):
        raise NotAllowed


# --- Reads -------------------------------------------------------------------------------------


def checklists_overview(user) -> QuerySet[Checklist]:
    """Every checklist `user` may read with its area, the number of its published version and
    that version's item count, and whether it has a draft: one query."""
    published = ChecklistVersion.objects.filter(
        checklist=OuterRef("pk"), status=ChecklistVersion.Status.PUBLISHED
    )
    item_count = (
        ChecklistItem.objects.filter(
            version__checklist=OuterRef("pk"),
            version__status=ChecklistVersion.Status.PUBLISHED,
        )
        .order_by()
        .values("version__checklist")
        .annotate(n=Count("pk"))
        .values("n")
    )
    draft = ChecklistVersion.objects.filter(
        checklist=OuterRef("pk"), status=ChecklistVersion.Status.DRAFT
    )
    return (
        checklists_for(user)
        .select_related("area")
        .annotate(
            published_number=Subquery(published.values("number")[:1]),
            published_items=Subquery(item_count[:1]),
            draft_number=Subquery(draft.values("number")[:1]),
        )
        .order_by("area__position", "area__code", "code")
    )


def version_get_for_edit(user, pk: int) -> ChecklistVersion:
    """A version a manager may open in the editor (404 for anyone else)."""
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    if not may_manage(user):
        raise Http404
    return get_object_or_404(
        ChecklistVersion.objects.select_related("checklist__area", "created_by"), pk=pk
    )


# --- Validation of an item -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    """An item as entered: checked by `clean()` into the values stored."""

    text: str
    rule: str
    servqual: str
    characteristic: str
    weight: Decimal | str | int = Decimal(1)
    max_score: int | str | None = 10
    allow_na: bool = True
    text_en: str = ""

    def clean(self) -> dict:
        text = (self.text or "").strip()
        text_en = (self.text_en or "").strip()
        if not text:
            raise ChecklistInvalid(_("Write the requirement."), field="text")
        if len(text) > TEXT_MAX_LENGTH or len(text_en) > TEXT_MAX_LENGTH:
            raise ChecklistInvalid(
                _("A requirement has at most %(n)s characters.") % {"n": TEXT_MAX_LENGTH},
                field="text" if len(text) > TEXT_MAX_LENGTH else "text_en",
            )
        if self.rule not in ChecklistItem.Rule.values:
            raise ChecklistInvalid(_("Choose a scoring rule."), field="rule")
        if self.servqual not in Servqual.values:
            raise ChecklistInvalid(_("Choose a SERVQUAL dimension."), field="servqual")
        if self.characteristic not in Characteristic.values:
            raise ChecklistInvalid(_("Choose a service characteristic."), field="characteristic")
        try:
            weight = Decimal(str(self.weight))
        except (InvalidOperation, ValueError):
            weight = None
        if (
            weight is None
            or not weight.is_finite()
            or weight <= 0
            or weight > MAX_WEIGHT
            or weight != weight.quantize(Decimal("0.01"))
        ):
            raise ChecklistInvalid(
                _("The weight is a number above 0 and at most %(max)s, with two decimals at most.")
                % {"max": MAX_WEIGHT},
                field="weight",
            )
        max_score = 10
        if self.rule == ChecklistItem.Rule.SCORE:
            try:
                max_score = int(self.max_score)
            except (TypeError, ValueError):
                max_score = 0
            if not 1 <= max_score <= MAX_SCORE_LIMIT:
                raise ChecklistInvalid(
                    _("The maximum score is a whole number from 1 to %(max)s.")
                    % {"max": MAX_SCORE_LIMIT},
                    field="max_score",
                )
        return {
            "text": text,
            "text_en": text_en,
            "rule": self.rule,
            "servqual": self.servqual,
            "characteristic": self.characteristic,
            "weight": weight.quantize(Decimal("0.01")),
            "max_score": max_score,
            "allow_na": bool(self.allow_na),
        }


# --- Writes ------------------------------------------------------------------------------------


def _locked_version(version: ChecklistVersion) -> ChecklistVersion:
    """The version row, locked, as it is now; refuse unless it is a draft."""
    locked = ChecklistVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != ChecklistVersion.Status.DRAFT:
        raise VersionFrozen(locked)
    return locked


@transaction.atomic
def checklist_create(
    *, actor, area: ServiceArea, code: str, name: str, name_en: str = "", note: str = ""
) -> Checklist:
    """A new checklist for `area`, with an empty draft version 1 to fill in."""
    _require_manager(actor)
    code = (code or "").strip().lower()
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name:
        raise ChecklistInvalid(_("Give the checklist a name."), field="name")
    if len(name) > NAME_MAX_LENGTH or len(name_en) > NAME_MAX_LENGTH:
        raise ChecklistInvalid(
            _("A name has at most %(n)s characters.") % {"n": NAME_MAX_LENGTH},
            field="name" if len(name) > NAME_MAX_LENGTH else "name_en",
        )
    from django.core.validators import validate_slug

    try:
        validate_slug(code)
    except Exception as exc:
        raise ChecklistInvalid(
            _("The code uses letters, digits, hyphens and underscores only."), field="code"
        ) from exc
    if len(code) > CODE_MAX_LENGTH:
        raise ChecklistInvalid(
            _("A code has at most %(n)s characters.") % {"n": CODE_MAX_LENGTH}, field="code"
        )
    if Checklist.objects.filter(code=code).exists():
        raise ChecklistInvalid(_("Another checklist already has this code."), field="code")
    checklist = Checklist.objects.create(area=area, code=code, name=name, name_en=name_en)
    ChecklistVersion.objects.create(
        checklist=checklist, number=1, created_by=actor, note=(note or "").strip()[:300]
    )
    audit_record(actor=actor, action="checklist.create", target=checklist, changes={"code": code})
    return checklist


@transaction.atomic
def version_draft_create(*, actor, checklist: Checklist, note: str = "") -> ChecklistVersion:
    """A new draft of `checklist`, numbered after its last version, holding a copy of the
    published version's items (or of the last version's, if none is published). Refused
    (DraftExists, carrying the draft) while a draft exists."""
    _require_manager(actor)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ChecklistInvalid(
            _("The note has at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}, field="note"
        )
    checklist = Checklist.objects.select_for_update().get(pk=checklist.pk)
    versions = list(checklist.versions.order_by("-number"))
    draft = next((v for v in versions if v.status == ChecklistVersion.Status.DRAFT), None)
    if draft is not None:
        raise DraftExists(draft)
    source = next(
        (v for v in versions if v.status == ChecklistVersion.Status.PUBLISHED),
        versions[0] if versions else None,
    )
    new = ChecklistVersion.objects.create(
        checklist=checklist,
        number=(versions[0].number + 1) if versions else 1,
        created_by=actor,
        note=note,
    )
    if source is not None:
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(
                    version=new,
                    position=item.position,
                    text=item.text,
                    text_en=item.text_en,
                    weight=item.weight,
                    rule=item.rule,
                    max_score=item.max_score,
                    allow_na=item.allow_na,
                    servqual=item.servqual,
                    characteristic=item.characteristic,
                )
                for item in source.items.order_by("position", "id")
            ]
        )
    audit_record(
        actor=actor,
        action="checklist.draft",
        target=new,
        changes={"from": source.number if source else None},
    )
    return new


@transaction.atomic
def version_note_set(*, actor, version: ChecklistVersion, note: str) -> ChecklistVersion:
    _require_manager(actor)
    version = _locked_version(version)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ChecklistInvalid(
            _("The note has at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}, field="note"
        )
    version.note = note
    version.save(update_fields=["note"])
    return version


@transaction.atomic
def item_add(*, actor, version: ChecklistVersion, item: ItemInput) -> ChecklistItem:
    """Append an item to a draft."""
    _require_manager(actor)
    version = _locked_version(version)
    values = item.clean()
    items = version.items.count()
    if items >= MAX_ITEMS:
        raise ChecklistInvalid(
            _("A checklist has at most %(n)s items.") % {"n": MAX_ITEMS}, field="text"
        )
    last = version.items.order_by("-position").values_list("position", flat=True).first()
    created = ChecklistItem.objects.create(version=version, position=(last or 0) + 1, **values)
    audit_record(actor=actor, action="checklist.item_add", target=version, changes=_log(values))
    return created


@transaction.atomic
def item_update(*, actor, item: ChecklistItem, values: ItemInput) -> ChecklistItem:
    """Change an item of a draft."""
    _require_manager(actor)
    _locked_version(item.version)
    item = ChecklistItem.objects.get(pk=item.pk)
    cleaned = values.clean()
    for name, value in cleaned.items():
        setattr(item, name, value)
    item.save(update_fields=list(cleaned))
    audit_record(
        actor=actor, action="checklist.item_update", target=item.version, changes=_log(cleaned)
    )
    return item


@transaction.atomic
def item_delete(*, actor, item: ChecklistItem) -> None:
    """Remove an item from a draft (no inspection can use a draft's items)."""
    _require_manager(actor)
    version = _locked_version(item.version)
    text = item.text
    ChecklistItem.objects.filter(pk=item.pk, version=version).delete()
    audit_record(
        actor=actor, action="checklist.item_delete", target=version, changes={"text": text}
    )


@transaction.atomic
def items_reorder(*, actor, version: ChecklistVersion, order: list[int]) -> None:
    """Put the draft's items in the order of the ids in `order` (every item, once)."""
    _require_manager(actor)
    version = _locked_version(version)
    items = {item.pk: item for item in version.items.all()}
    if sorted(order) != sorted(items) or len(set(order)) != len(order):
        raise ChecklistInvalid(_("The new order must list every item of the draft once."))
    for position, pk in enumerate(order, start=1):
        items[pk].position = position
    ChecklistItem.objects.bulk_update(items.values(), ["position"])
    audit_record(actor=actor, action="checklist.reorder", target=version)


@transaction.atomic
def item_move(*, actor, item: ChecklistItem, offset: int) -> None:
    """Move an item of a draft one place up (offset -1) or down (+1)."""
    ordered = list(item.version.items.order_by("position", "id").values_list("pk", flat=True))
    index = ordered.index(item.pk)
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    items_reorder(actor=actor, version=item.version, order=ordered)


@transaction.atomic
def version_publish(*, actor, version: ChecklistVersion) -> ChecklistVersion:
    """Publish a draft: it becomes the version new inspections use, and the version published
    before is retired. Inspections already made keep their own version."""
    _require_manager(actor)
    Checklist.objects.select_for_update().get(pk=version.checklist_id)
    version = _locked_version(version)
    if not version.items.exists():
        raise ChecklistInvalid(_("Add at least one item before publishing."))
    previous = list(
        ChecklistVersion.objects.select_for_update().filter(
            checklist_id=version.checklist_id, status=ChecklistVersion.Status.PUBLISHED
        )
    )
    for old in previous:
        old.status = ChecklistVersion.Status.RETIRED
        old.save(update_fields=["status"])
    version.status = ChecklistVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(update_fields=["status", "published_at", "published_by"])
    audit_record(
        actor=actor,
        action="checklist.publish",
        target=version,
        changes={"retired": [old.number for old in previous]},
    )
    return version


def _log(values: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}

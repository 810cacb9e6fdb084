"""Safety responsibility agreements (安全责任状), signed level by level: the center with each
department (its heads), the department with each building manager (the buildings' dorm
managers), the building manager with the service staff (its shift leads) and with every
student living in the building.

Each level has a text per year, versioned, in Chinese and English (entered in the admin).
People sign the latest version in the portal (a resident from their room page, staff from
"My agreements"); the desk records a student's signature on paper. A person counts as having
signed a level for a year when they signed any version of that year's text (the signature
names the version). The coverage board shows, per building and level, who has not signed, and
exports it to Excel.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apartments.models import (
    AgreementLevel,
    AgreementSignature,
    AgreementText,
    Building,
    BuildingAssignment,
    Resident,
    Stay,
)
from apartments.selectors import buildings_for, desk_buildings_for
from logistics.errors import ServiceError
from logistics.models import Role, RoleGrant, User
from logistics.services import audit_record

# The building levels and who signs them there.
BUILDING_LEVELS = (
    AgreementLevel.DEPARTMENT_MANAGER,
    AgreementLevel.MANAGER_STAFF,
    AgreementLevel.MANAGER_STUDENT,
)
ASSIGNMENT_ROLE = {
    AgreementLevel.DEPARTMENT_MANAGER: Role.DORM_MANAGER,
    AgreementLevel.MANAGER_STAFF: Role.SHIFT_LEAD,
}


def this_year() -> int:
    return timezone.localdate().year


def current_text(level: str, year: int | None = None) -> AgreementText | None:
    """The latest version of `level`'s text for `year` (this year by default)."""
    return (
        AgreementText.objects.filter(level=level, year=year or this_year())
        .order_by("-version")
        .first()
    )


def text_in_language(text: AgreementText) -> tuple[str, str]:
    """(title, body) in the active language, Chinese where the English is missing."""
    if (get_language() or "").startswith("en") and text.text_en:
        return text.title_en or text.title, text.text_en
    return text.title, text.text


def signers_of(level: str, year: int):
    """The users who signed any version of `level`'s text for `year` (a subquery)."""
    return AgreementSignature.objects.filter(agreement__level=level, agreement__year=year).values(
        "signer_id"
    )


# --- Who signs what --------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    """A level `user` signs, and the building it is for (None for the department level)."""

    level: str
    building: Building | None

    @property
    def label(self) -> str:
        return AgreementLevel(self.level).label


def duties_of(user) -> list[Duty]:
    duties = []
    if not user.is_authenticated:
        return duties
    if RoleGrant.objects.filter(user_id=user.pk, role=Role.DEPARTMENT_HEAD).exists():
        duties.append(Duty(AgreementLevel.CENTER_DEPARTMENT, None))
    seen = set()
    for assignment in (
        BuildingAssignment.objects.filter(user_id=user.pk)
        .select_related("building")
        .order_by("building__code")
    ):
        level = next(lv for lv, role in ASSIGNMENT_ROLE.items() if role == assignment.role)
        if level not in seen:  # one signature per level, whatever the number of buildings
            seen.add(level)
            duties.append(Duty(level, assignment.building))
    stay = (
        Stay.objects.filter(resident__user_id=user.pk, status=Stay.Status.ACTIVE)
        .select_related("bed__room__building")
        .first()
    )
    if stay is not None:
        duties.append(Duty(AgreementLevel.MANAGER_STUDENT, stay.bed.room.building))
    return duties


@dataclass(frozen=True)
class MyAgreement:
    duty: Duty
    text: AgreementText | None
    signature: AgreementSignature | None


def mine(user) -> list[MyAgreement]:
    """Each level `user` signs this year, with its current text and their signature (of any
    version of this year's text), if any."""
    year = this_year()
    result = []
    for duty in duties_of(user):
        signature = (
            AgreementSignature.objects.filter(
                signer_id=user.pk, agreement__level=duty.level, agreement__year=year
            )
            .select_related("agreement")
            .order_by("-signed_at")
            .first()
        )
        result.append(MyAgreement(duty, current_text(duty.level, year), signature))
    return result


def student_agreement(user, stay: Stay) -> MyAgreement | None:
    """The student level for a resident's room page: this year's text and their signature, in
    two queries (the stay is known)."""
    text = current_text(AgreementLevel.MANAGER_STUDENT)
    if text is None:
        return None
    signature = (
        AgreementSignature.objects.filter(
            signer_id=user.pk,
            agreement__level=AgreementLevel.MANAGER_STUDENT,
            agreement__year=text.year,
        )
        .order_by("-signed_at")
        .first()
    )
    duty = Duty(AgreementLevel.MANAGER_STUDENT, stay.bed.room.building)
    return MyAgreement(duty, text, signature)


# --- Signing ---------------------------------------------------------------------------------


class AgreementError(ServiceError):
    """A step of the safety agreements that cannot be done (logistics.errors.ServiceError)."""


class NotForYou(AgreementError):
    status_code = 404
    code = "not_found"

    def __init__(self):
        super().__init__(_("There is no agreement for you to sign here."))


class AlreadySigned(AgreementError):
    code = "already_signed"

    def __init__(self):
        super().__init__(_("This agreement has been signed already."))


class NoText(AgreementError):
    status_code = 404
    code = "no_text"

    def __init__(self):
        super().__init__(_("No agreement text has been published for this level and year."))


class UnknownResident(AgreementError):
    status_code = 404
    code = "resident_not_found"

    def __init__(self, student_id: str):
        super().__init__(
            _("No resident of this building has the student id %(id)s.") % {"id": student_id}
        )


def _sign(*, signer, agreement, building, on_paper, recorded_by) -> AgreementSignature:
    if AgreementSignature.objects.filter(
        signer=signer, agreement__level=agreement.level, agreement__year=agreement.year
    ).exists():
        raise AlreadySigned()
    with transaction.atomic():
        try:
            with transaction.atomic():
                signature = AgreementSignature.objects.create(
                    agreement=agreement,
                    signer=signer,
                    building=building,
                    signed_at=timezone.now(),
                    on_paper=on_paper,
                    recorded_by=recorded_by,
                )
        except IntegrityError as error:
            # agreementsignature_once_per_version: a double tap, or two desks.
            raise AlreadySigned() from error
        audit_record(
            actor=recorded_by or signer,
            action="agreement.sign",
            target=signature,
            changes={"agreement": agreement.pk, "on_paper": on_paper},
        )
    return signature


def agreement_sign(*, actor: User, agreement: AgreementText) -> AgreementSignature:
    """`actor` signs `agreement` in the portal: it must be the current version of a level they
    sign this year."""
    duty = next((d for d in duties_of(actor) if d.level == agreement.level), None)
    current = current_text(agreement.level)
    if duty is None or current is None or current.pk != agreement.pk:
        raise NotForYou()
    return _sign(
        signer=actor, agreement=agreement, building=duty.building, on_paper=False, recorded_by=None
    )


def paper_signature_record(
    *, actor: User, building: Building, student_id: str
) -> AgreementSignature:
    """The desk records that a resident of `building` signed this year's student agreement on
    paper."""
    if not desk_buildings_for(actor).filter(pk=building.pk).exists():
        raise NotForYou()
    student_id = (student_id or "").strip()
    resident = (
        Resident.objects.filter(
            student_id=student_id,
            stays__status=Stay.Status.ACTIVE,
            stays__bed__room__building=building,
        )
        .select_related("user")
        .first()
    )
    if resident is None or resident.user is None:
        raise UnknownResident(student_id)
    agreement = current_text(AgreementLevel.MANAGER_STUDENT)
    if agreement is None:
        raise NoText()
    return _sign(
        signer=resident.user,
        agreement=agreement,
        building=building,
        on_paper=True,
        recorded_by=actor,
    )


# --- Coverage --------------------------------------------------------------------------------


def _count(queryset, path: str) -> Coalesce:
    """The number of rows of `queryset` (filtered on OuterRef at `path`) as an annotation."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(path).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def coverage_overview(user, year: int) -> list[Building]:
    """The buildings `user` sees, each annotated with, per building level, how many must sign
    and how many have: one query whatever the number of buildings."""
    stays = Stay.objects.filter(bed__room__building=OuterRef("pk"), status=Stay.Status.ACTIVE)
    annotations = {
        "students": _count(stays, "bed__room__building"),
        "students_signed": _count(
            stays.filter(resident__user_id__in=signers_of(AgreementLevel.MANAGER_STUDENT, year)),
            "bed__room__building",
        ),
    }
    for level, role in ASSIGNMENT_ROLE.items():
        assigned = BuildingAssignment.objects.filter(building=OuterRef("pk"), role=role)
        annotations[f"{level}_total"] = _count(assigned, "building")
        annotations[f"{level}_signed"] = _count(
            assigned.filter(user_id__in=signers_of(level, year)), "building"
        )
    return list(
        buildings_for(user)
        .select_related("campus")
        .annotate(**annotations)
        .order_by("campus__code", "code")
    )


@dataclass(frozen=True)
class Party:
    label: str  # the student id or username
    name: str
    signature: AgreementSignature | None


def _signatures(level: str, year: int, user_ids) -> dict[int, AgreementSignature]:
    return {
        s.signer_id: s
        for s in AgreementSignature.objects.filter(
            agreement__level=level, agreement__year=year, signer_id__in=user_ids
        )
        .select_related("agreement", "recorded_by")
        .order_by("signed_at")
    }


def coverage_of(building: Building, year: int) -> dict[str, list[Party]]:
    """Everyone who signs for `building` at each building level, with their signature or
    None, unsigned first: five queries whatever the number of residents."""
    result: dict[str, list[Party]] = {}
    assignments = list(BuildingAssignment.objects.filter(building=building).select_related("user"))
    for level, role in ASSIGNMENT_ROLE.items():
        users = {a.user_id: a.user for a in assignments if a.role == role}
        signed = _signatures(level, year, list(users))
        result[level] = _parties(
            (u.username, u.display_name, signed.get(pk)) for pk, u in users.items()
        )
    residents = list(
        Resident.objects.filter(
            stays__status=Stay.Status.ACTIVE, stays__bed__room__building=building
        ).only("student_id", "name", "user_id")
    )
    signed = _signatures(
        AgreementLevel.MANAGER_STUDENT, year, [r.user_id for r in residents if r.user_id]
    )
    result[AgreementLevel.MANAGER_STUDENT] = _parties(
        (r.student_id, r.name, signed.get(r.user_id)) for r in residents
    )
    return result


def _parties(rows) -> list[Party]:
    parties = [Party(label, name, signature) for label, name, signature in rows]
    return sorted(parties, key=lambda p: (p.signature is not None, p.label))


def department_coverage(year: int) -> list[Party]:
    """The department heads and their signature of the center's agreement: two queries."""
    heads = list(
        User.objects.filter(
            is_active=True,
            pk__in=RoleGrant.objects.filter(role=Role.DEPARTMENT_HEAD).values("user_id"),
        )
    )
    signed = _signatures(AgreementLevel.CENTER_DEPARTMENT, year, [u.pk for u in heads])
    return _parties((u.username, u.display_name, signed.get(u.pk)) for u in heads)

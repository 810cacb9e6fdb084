"""Food-safety records of a canteen, with the rules Chinese school-canteen practice sets:

- **Retained samples (留样)**: every dish of every meal served, at least FOOD_SAMPLE_MIN_GRAMS,
  kept at least FOOD_SAMPLE_HOURS before it may be destroyed; the destruction is recorded.
- **Morning checks (晨检)**: each worker on the roster before work; a failed item or a symptom
  takes them off duty for the day (who decided is recorded), and they cannot be cleared again
  that day.
- **Cold chain**: every fridge and freezer read twice a day (fridge 0–8 °C, freezer −18 °C or
  colder); a reading out of range needs a note of the action taken.
- **Intake (索证索票)**: goods from a supplier whose certificate has expired are refused.

Only the canteen's staff and the dining manager record (dining.access.work_canteens); anyone
else is told the canteen does not exist (404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dining.access import work_canteens
from dining.models import (
    CHECK_ITEMS,
    SYMPTOMS,
    Canteen,
    Dish,
    FoodSample,
    FoodWorker,
    Fridge,
    Intake,
    Menu,
    MorningCheck,
    Supplier,
    TemperatureReading,
)
from logistics.errors import ServiceError
from logistics.services import audit_record

NOTE_MAX_LENGTH = 500


class SafetyError(ServiceError):
    status_code = 409
    code = "conflict"


class SafetyInvalid(SafetyError):
    status_code = 400
    code = "invalid"


class NotYourCanteen(SafetyError):
    status_code = 404
    code = "canteen_not_found"

    def __init__(self, message: str = "", **kwargs):
        super().__init__(message or _("No such canteen."), **kwargs)


def check_works(actor, canteen_id: int) -> None:
    if not work_canteens(actor).filter(pk=canteen_id).exists():
        raise NotYourCanteen()


# --- Samples ---------------------------------------------------------------------------------


@transaction.atomic
def sample_record(
    *,
    actor,
    canteen: Canteen,
    date: dt.date,
    meal: str,
    dish: Dish,
    grams: int,
    fridge: Fridge | None = None,
    taken_at: dt.datetime | None = None,
) -> FoodSample:
    check_works(actor, canteen.pk)
    minimum = settings.FOOD_SAMPLE_MIN_GRAMS
    if grams < minimum:
        raise SafetyInvalid(
            _("A retained sample weighs at least %(min)s g; %(grams)s g is too little.")
            % {"min": minimum, "grams": grams},
            field="grams",
        )
    if grams > 5000:
        raise SafetyInvalid(_("%(grams)s g is not a sample.") % {"grams": grams}, field="grams")
    if date > timezone.localdate():
        raise SafetyInvalid(_("A meal still to come has no sample yet."), field="date")
    served = Menu.objects.filter(canteen=canteen, date=date, meal=meal, items__dish=dish).exists()
    if dish.canteen_id != canteen.pk or not served:
        raise SafetyInvalid(_("This dish is not on that meal's menu."), field="dish")
    if fridge is not None and fridge.canteen_id != canteen.pk:
        raise SafetyInvalid(_("That fridge is in another canteen."), field="fridge")
    try:
        with transaction.atomic():
            sample = FoodSample.objects.create(
                canteen=canteen,
                date=date,
                meal=meal,
                dish=dish,
                grams=grams,
                fridge=fridge,
                taken_by=actor,
                taken_at=taken_at or timezone.now(),
            )
    except IntegrityError as error:
        raise SafetyError(
            _("The sample of this dish for this meal is recorded already.")
        ) from error
    audit_record(actor=actor, action="food_sample.record", target=sample, changes={"grams": grams})
    return sample


def destroy_allowed_at(sample: FoodSample) -> dt.datetime:
    return sample.taken_at + dt.timedelta(hours=settings.FOOD_SAMPLE_HOURS)


@transaction.atomic
def sample_destroy(*, actor, sample: FoodSample, now: dt.datetime | None = None) -> FoodSample:
    check_works(actor, sample.canteen_id)
    now = now or timezone.now()
    locked = FoodSample.objects.select_for_update().get(pk=sample.pk)
    if locked.destroyed_at is not None:
        raise SafetyError(_("This sample was destroyed already."))
    allowed = destroy_allowed_at(locked)
    if now < allowed:
        raise SafetyError(
            _(
                "A sample is kept at least %(hours)s hours: this one may be destroyed from "
                "%(allowed)s."
            )
            % {
                "hours": settings.FOOD_SAMPLE_HOURS,
                "allowed": timezone.localtime(allowed).strftime("%Y-%m-%d %H:%M"),
            }
        )
    locked.destroyed_at = now
    locked.destroyed_by = actor
    locked.save(update_fields=["destroyed_at", "destroyed_by"])
    audit_record(actor=actor, action="food_sample.destroy", target=locked)
    return locked


# --- Morning checks --------------------------------------------------------------------------


@transaction.atomic
def morning_check_record(
    *,
    actor,
    worker: FoodWorker,
    date: dt.date,
    failed_items: list[str] = (),
    symptoms: list[str] = (),
    note: str = "",
) -> MorningCheck:
    """Record a worker's morning check for a day. Any failed item or symptom takes them off
    duty for the day; a worker sent off duty cannot be cleared again the same day (a second
    check may only take a cleared worker off duty)."""
    check_works(actor, worker.canteen_id)
    failed_items = sorted(set(failed_items))
    symptoms = sorted(set(symptoms))
    unknown = [k for k in failed_items if k not in CHECK_ITEMS] + [
        k for k in symptoms if k not in SYMPTOMS
    ]
    if unknown:
        raise SafetyInvalid(_("Unknown check items: %(items)s.") % {"items": ", ".join(unknown)})
    if date > timezone.localdate():
        raise SafetyInvalid(_("A day still to come cannot be checked."), field="date")
    if not worker.on_roster:
        raise SafetyInvalid(_("%(name)s is not on the roster.") % {"name": worker.name})
    note = (note or "").strip()[:NOTE_MAX_LENGTH]
    cleared = not failed_items and not symptoms
    FoodWorker.objects.select_for_update().get(pk=worker.pk)
    check = MorningCheck.objects.filter(worker=worker, date=date).first()
    if check is not None and not check.cleared and cleared:
        raise SafetyError(
            _(
                "%(name)s was taken off duty for %(date)s at the morning check and cannot be "
                "put back on duty the same day."
            )
            % {"name": worker.name, "date": date}
        )
    if check is None:
        check = MorningCheck(worker=worker, date=date)
    check.failed_items, check.symptoms, check.cleared = failed_items, symptoms, cleared
    check.note = note
    check.checked_by = actor
    check.save()
    audit_record(
        actor=actor,
        action="morning_check.clear" if cleared else "morning_check.off_duty",
        target=check,
        changes={"failed": failed_items, "symptoms": symptoms},
    )
    return check


# --- Temperatures ----------------------------------------------------------------------------


@transaction.atomic
def temperature_record(
    *,
    actor,
    fridge: Fridge,
    date: dt.date,
    slot: str,
    celsius: Decimal,
    action_note: str = "",
) -> TemperatureReading:
    check_works(actor, fridge.canteen_id)
    if slot not in TemperatureReading.Slot.values:
        raise SafetyInvalid(_("Choose the morning or the afternoon reading."), field="slot")
    if not Decimal("-60") <= celsius <= Decimal("60"):
        raise SafetyInvalid(_("Not a plausible temperature."), field="celsius")
    if date > timezone.localdate():
        raise SafetyInvalid(_("A day still to come cannot be read."), field="date")
    in_range = fridge.in_range(celsius)
    action_note = (action_note or "").strip()[:NOTE_MAX_LENGTH]
    if not in_range and not action_note:
        raise SafetyInvalid(
            _("%(celsius)s °C is out of range for %(fridge)s: say what was done about it.")
            % {"celsius": celsius, "fridge": fridge.name},
            field="action_note",
        )
    try:
        with transaction.atomic():
            reading = TemperatureReading.objects.create(
                fridge=fridge,
                date=date,
                slot=slot,
                celsius=celsius,
                in_range=in_range,
                action_note=action_note,
                recorded_by=actor,
            )
    except IntegrityError as error:
        raise SafetyError(_("This reading is recorded already.")) from error
    audit_record(
        actor=actor,
        action="temperature.record",
        target=reading,
        changes={"celsius": str(celsius), "in_range": in_range},
    )
    return reading


# --- Intake ----------------------------------------------------------------------------------


def expired_certificates(supplier: Supplier, on: dt.date) -> list:
    return [c for c in supplier.certificates.all() if c.expires_on < on]


@transaction.atomic
def intake_record(
    *,
    actor,
    canteen: Canteen,
    supplier: Supplier,
    date: dt.date,
    goods: str,
    quantity: str,
    invoice: str = "",
) -> Intake:
    """Goods received (索证索票): refused while any of the supplier's certificates has expired,
    or when the supplier has none on file."""
    check_works(actor, canteen.pk)
    goods, quantity = (goods or "").strip()[:200], (quantity or "").strip()[:100]
    if not goods or not quantity:
        raise SafetyInvalid(_("Say what was received and how much."), field="goods")
    certificates = list(supplier.certificates.all())
    if not certificates:
        raise SafetyError(
            _("%(supplier)s has no certificate on file: the intake is refused.")
            % {"supplier": supplier.name}
        )
    expired = [c for c in certificates if c.expires_on < date]
    if expired:
        raise SafetyError(
            _("The %(kind)s of %(supplier)s expired on %(date)s: the intake is refused.")
            % {
                "kind": expired[0].get_kind_display(),
                "supplier": supplier.name,
                "date": expired[0].expires_on,
            }
        )
    intake = Intake.objects.create(
        canteen=canteen,
        supplier=supplier,
        date=date,
        goods=goods,
        quantity=quantity,
        invoice=(invoice or "").strip()[:100],
        received_by=actor,
    )
    audit_record(actor=actor, action="intake.record", target=intake)
    return intake


# --- Day boards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleRow:
    meal: str
    dish: Dish
    sample: FoodSample | None


def sample_board(canteen: Canteen, day: dt.date) -> dict[str, list[SampleRow]]:
    """Each meal of the day with its dishes and their samples: two queries whatever the
    number of meals and dishes (the menu items with their dishes, the samples)."""
    from dining.models import MenuItem

    items = list(
        MenuItem.objects.filter(menu__canteen=canteen, menu__date=day)
        .select_related("dish", "menu")
        .order_by("menu__meal", "position", "id")
    )
    samples = {
        (s.meal, s.dish_id): s
        for s in FoodSample.objects.filter(canteen=canteen, date=day).select_related("taken_by")
    }
    board: dict[str, list[SampleRow]] = {}
    order = {meal: n for n, meal in enumerate(["breakfast", "lunch", "dinner"])}
    for item in sorted(items, key=lambda i: (order.get(i.menu.meal, 9), i.position, i.pk)):
        board.setdefault(item.menu.meal, []).append(
            SampleRow(item.menu.meal, item.dish, samples.get((item.menu.meal, item.dish_id)))
        )
    return board


@dataclass(frozen=True)
class CheckRow:
    worker: FoodWorker
    check: MorningCheck | None

    @property
    def state(self) -> str:
        if self.check is None:
            return "missing"
        return "cleared" if self.check.cleared else "off_duty"


def check_board(canteen: Canteen, day: dt.date) -> list[CheckRow]:
    """The roster with each worker's check of the day: two queries."""
    workers = list(FoodWorker.objects.filter(canteen=canteen, on_roster=True).order_by("name"))
    checks = {
        c.worker_id: c
        for c in MorningCheck.objects.filter(worker__canteen=canteen, date=day).select_related(
            "checked_by"
        )
    }
    return [CheckRow(w, checks.get(w.pk)) for w in workers]


def temperature_board(canteen: Canteen, day: dt.date) -> list[tuple[Fridge, dict]]:
    """Each fridge in use with its readings of the day by slot: two queries."""
    fridges = list(Fridge.objects.filter(canteen=canteen, active=True).order_by("name"))
    readings: dict[int, dict] = {}
    for reading in TemperatureReading.objects.filter(fridge__canteen=canteen, date=day):
        readings.setdefault(reading.fridge_id, {})[reading.slot] = reading
    return [(f, readings.get(f.pk, {})) for f in fridges]

"""The nightly food-safety alarms (dining.jobs), raised through the kernel's alerts for the
dining manager of the canteen's campus, with the canteen as subject (the alerts API shows it as
`canteen`). One condition, one alert: each is keyed by what it is about, so running the job
again only marks the open alerts seen; a condition that no longer holds (the sample was
recorded late, the certificate renewed) has its alert closed automatically.

Each check is a fixed number of queries whatever the number of canteens, menus and records.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse

from dining.alerts import (
    CERTIFICATE_EXPIRING,
    FOOD_SAMPLE_MISSING,
    HEALTH_CHECK_MISSING,
    TEMPERATURE_OUT_OF_RANGE,
)
from dining.models import (
    Canteen,
    FoodSample,
    FoodWorker,
    Fridge,
    Meal,
    Menu,
    MenuItem,
    MorningCheck,
    SupplierCertificate,
    TemperatureReading,
)
from logistics.alerts import AlertKind, AlertSpec, alerts_clear, alerts_raise
from logistics.models import Alert, Role

CERTIFICATE_WARN_DAYS = 30
NAMES_SHOWN = 5


def _board_url(canteen_id: int, day: dt.date) -> str:
    return reverse("dining:board", args=[canteen_id]) + f"?date={day.isoformat()}"


def _names(names: list[str]) -> str:
    shown = "、".join(names[:NAMES_SHOWN])
    return shown + ("…" if len(names) > NAMES_SHOWN else "")


def _spec(kind: AlertKind, key: str, canteen: Canteen, day: dt.date | None, url: str, **params):
    return AlertSpec(
        kind=kind,
        key=key,
        role=Role.DINING_MANAGER,
        for_date=day,
        campus_id=canteen.campus_id,
        subject=canteen,
        url=url,
        params={"canteen": canteen.name, **params},
    )


def _settle(kind: AlertKind, specs: list[AlertSpec], open_q: Q) -> int:
    """Raise `specs` and close the open alerts of `kind` matching `open_q` that are not among
    them any more (their condition no longer holds)."""
    wanted = {spec.key for spec in specs}
    stale = Alert.objects.filter(open_q, kind=kind.key, resolved_at__isnull=True).exclude(
        key__in=wanted
    )
    alerts_clear(list(stale.values_list("key", flat=True)))
    alerts_raise(specs)
    return len(specs)


def sample_key(canteen_id: int, day: dt.date, meal: str) -> str:
    return f"dining:food_sample_missing:{canteen_id}:{day.isoformat()}:{meal}"


def samples_missing_raise(day: dt.date) -> int:
    """One open `food_sample_missing` alert per canteen meal of `day` with a dish lacking its
    retained sample. Three queries and the kernel's few."""
    items = list(
        MenuItem.objects.filter(menu__date=day, menu__canteen__active=True)
        .select_related("menu__canteen", "dish")
        .order_by("menu__canteen_id", "menu__meal", "position", "id")
    )
    sampled = set(FoodSample.objects.filter(date=day).values_list("meal", "dish_id"))
    missing: dict[tuple[int, str], list] = {}
    canteens: dict[int, Canteen] = {}
    for item in items:
        if (item.menu.meal, item.dish_id) in sampled:
            continue
        canteens[item.menu.canteen_id] = item.menu.canteen
        missing.setdefault((item.menu.canteen_id, item.menu.meal), []).append(item.dish.name)
    specs = [
        _spec(
            FOOD_SAMPLE_MISSING,
            sample_key(canteen_id, day, meal),
            canteens[canteen_id],
            day,
            _board_url(canteen_id, day),
            meal=str(Meal(meal).label),
            count=len(dishes),
            dishes=_names(dishes),
        )
        for (canteen_id, meal), dishes in missing.items()
    ]
    return _settle(FOOD_SAMPLE_MISSING, specs, Q(for_date=day))


def serving_canteens(day: dt.date) -> list[Canteen]:
    """The canteens in use that served a meal on `day` (had a menu): one query."""
    return list(
        Canteen.objects.filter(
            active=True, pk__in=Menu.objects.filter(date=day).values("canteen_id")
        )
    )


def health_checks_missing_raise(day: dt.date) -> int:
    """One open `health_check_missing` alert per canteen that served on `day` with a worker on
    its roster not checked that morning. Three queries and the kernel's few."""
    canteens = {c.pk: c for c in serving_canteens(day)}
    checked = set(MorningCheck.objects.filter(date=day).values_list("worker_id", flat=True))
    missing: dict[int, list[str]] = {}
    for worker in FoodWorker.objects.filter(canteen_id__in=list(canteens), on_roster=True):
        if worker.pk not in checked:
            missing.setdefault(worker.canteen_id, []).append(worker.name)
    specs = [
        _spec(
            HEALTH_CHECK_MISSING,
            f"dining:health_check_missing:{canteen_id}:{day.isoformat()}",
            canteens[canteen_id],
            day,
            _board_url(canteen_id, day),
            count=len(names),
            workers=_names(names),
        )
        for canteen_id, names in missing.items()
    ]
    return _settle(HEALTH_CHECK_MISSING, specs, Q(for_date=day))


def temperatures_raise(day: dt.date) -> int:
    """One open `temperature_out_of_range` alert per canteen that served on `day` with a
    fridge's morning or afternoon reading missing or out of range. Three queries and the
    kernel's few."""
    canteens = {c.pk: c for c in serving_canteens(day)}
    fridges = list(Fridge.objects.filter(canteen_id__in=list(canteens), active=True))
    readings: dict[tuple[int, str], TemperatureReading] = {
        (r.fridge_id, r.slot): r
        for r in TemperatureReading.objects.filter(date=day, fridge__in=fridges)
    }
    found: dict[int, dict] = {}
    for fridge in fridges:
        for slot in TemperatureReading.Slot.values:
            reading = readings.get((fridge.pk, slot))
            if reading is not None and reading.in_range:
                continue
            entry = found.setdefault(fridge.canteen_id, {"missing": 0, "out": 0, "fridges": []})
            entry["missing" if reading is None else "out"] += 1
            if fridge.name not in entry["fridges"]:
                entry["fridges"].append(fridge.name)
    specs = [
        _spec(
            TEMPERATURE_OUT_OF_RANGE,
            f"dining:temperature_out_of_range:{canteen_id}:{day.isoformat()}",
            canteens[canteen_id],
            day,
            _board_url(canteen_id, day),
            missing=entry["missing"],
            out=entry["out"],
            fridges=_names(entry["fridges"]),
        )
        for canteen_id, entry in found.items()
    ]
    return _settle(TEMPERATURE_OUT_OF_RANGE, specs, Q(for_date=day))


def certificates_expiring_raise(day: dt.date) -> int:
    """One open `certificate_expiring` alert per supplier certificate that expires within
    CERTIFICATE_WARN_DAYS after `day` (or has expired), for each canteen the supplier serves.
    Closed once the certificate is renewed (its expiry moves). Two queries and the kernel's
    few."""
    limit = day + dt.timedelta(days=CERTIFICATE_WARN_DAYS)
    certificates = list(
        SupplierCertificate.objects.filter(expires_on__lte=limit)
        .select_related("supplier")
        .prefetch_related("supplier__canteens")
    )
    specs = []
    for certificate in certificates:
        for canteen in certificate.supplier.canteens.all():
            specs.append(
                _spec(
                    CERTIFICATE_EXPIRING,
                    f"dining:certificate_expiring:{certificate.pk}:"
                    f"{certificate.expires_on.isoformat()}:{canteen.pk}",
                    canteen,
                    None,
                    reverse("dining:suppliers"),
                    document=str(certificate.get_kind_display()),
                    number=certificate.number,
                    supplier=certificate.supplier.name,
                    expires=certificate.expires_on.isoformat(),
                )
            )
    return _settle(CERTIFICATE_EXPIRING, specs, Q())

"""Stable prices (菜价稳定): every price a dish has had (from, to, who, why), and the rule that a
rise of more than PRICE_RISE_LIMIT percent over the dish's price 30 days earlier needs the
dining manager's approval (备案) before a menu may use it.

A dish's prices form a timeline of DishPrice rows, each in force from `valid_from` to
`valid_to` (inclusive; None: until further notice). Setting a price from a day splits the
row in force that day: the new price runs until the next change already planned.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dining.access import managed_canteens
from dining.models import Dish, DishPrice, PriceRequest
from logistics.errors import ServiceError
from logistics.services import audit_record

LOOKBACK_DAYS = 30
REASON_MAX_LENGTH = 300


class PriceError(ServiceError):
    status_code = 400
    code = "invalid"


class PriceNotYours(PriceError):
    status_code = 404
    code = "not_found"


def rise_limit() -> Decimal:
    return Decimal(settings.PRICE_RISE_LIMIT)


def needs_approval(reference: Decimal | None, price: Decimal) -> bool:
    """A rise of more than PRICE_RISE_LIMIT percent over `reference` (none: a new dish)."""
    if reference is None or reference <= 0:
        return False
    return price > reference * (1 + rise_limit() / 100)


@dataclass
class Timeline:
    """One dish's prices in memory: [(valid_from, price)] sorted, each in force until the
    next one starts. Loaded from the DishPrice rows; changes are collected for writing."""

    starts: list[dt.date] = field(default_factory=list)
    prices: list[Decimal] = field(default_factory=list)
    changed: bool = False

    @classmethod
    def of(cls, rows: Iterable[DishPrice]) -> Timeline:
        timeline = cls()
        for row in sorted(rows, key=lambda r: r.valid_from):
            timeline.starts.append(row.valid_from)
            timeline.prices.append(row.price)
        return timeline

    def price_on(self, day: dt.date) -> Decimal | None:
        index = bisect_right(self.starts, day) - 1
        return self.prices[index] if index >= 0 else None

    def reference_for(self, day: dt.date) -> Decimal | None:
        """The price 30 days before `day`; for a dish younger than that, its first price
        before `day` (None for a dish without one)."""
        earlier = self.price_on(day - dt.timedelta(days=LOOKBACK_DAYS))
        if earlier is not None:
            return earlier
        if self.starts and self.starts[0] < day:
            return self.prices[0]
        return None

    def set_from(self, day: dt.date, price: Decimal) -> bool:
        """The price from `day` until the next planned change; False if it was that already."""
        if self.price_on(day) == price:
            return False
        index = bisect_right(self.starts, day)
        if index > 0 and self.starts[index - 1] == day:
            self.prices[index - 1] = price
        else:
            self.starts.insert(index, day)
            self.prices.insert(index, price)
        self.changed = True
        return True

    def rows(self) -> list[tuple[dt.date, dt.date | None, Decimal]]:
        """(from, to, price) with neighbours of one price merged."""
        merged: list[list] = []
        for start, price in zip(self.starts, self.prices, strict=True):
            if merged and merged[-1][1] == price:
                continue
            merged.append([start, price])
        result = []
        for index, (start, price) in enumerate(merged):
            end = merged[index + 1][0] - dt.timedelta(days=1) if index + 1 < len(merged) else None
            result.append((start, end, price))
        return result


def timelines_of(dish_ids: Iterable[int]) -> dict[int, Timeline]:
    """The timelines of many dishes, in one query."""
    rows: dict[int, list[DishPrice]] = {}
    for row in DishPrice.objects.filter(dish_id__in=list(dish_ids)):
        rows.setdefault(row.dish_id, []).append(row)
    return {dish_id: Timeline.of(found) for dish_id, found in rows.items()}


def timelines_write(
    timelines: dict[int, Timeline], *, actor, reason: str, approvals: dict | None = None
) -> None:
    """Write the changed timelines back: rows whose (from, to, price) stand are kept (and
    their who and why with them); the others are replaced. A fixed number of statements."""
    changed = {dish_id: t for dish_id, t in timelines.items() if t.changed}
    if not changed:
        return
    existing: dict[int, list[DishPrice]] = {}
    for row in DishPrice.objects.filter(dish_id__in=list(changed)):
        existing.setdefault(row.dish_id, []).append(row)
    delete, create, close = [], [], []
    for dish_id, timeline in changed.items():
        wanted = timeline.rows()
        rows = {row.valid_from: row for row in existing.get(dish_id, [])}
        for start, end, price in wanted:
            row = rows.pop(start, None)
            if row is not None and row.price == price:
                if row.valid_to != end:
                    row.valid_to = end
                    close.append(row)
                continue
            if row is not None:
                delete.append(row.pk)
            create.append(
                DishPrice(
                    dish_id=dish_id,
                    price=price,
                    valid_from=start,
                    valid_to=end,
                    set_by=actor,
                    reason=reason[:REASON_MAX_LENGTH],
                    approval=(approvals or {}).get((dish_id, start)),
                )
            )
        delete.extend(row.pk for row in rows.values())
    if delete:
        DishPrice.objects.filter(pk__in=delete).delete()
    if close:
        DishPrice.objects.bulk_update(close, ["valid_to"])
    if create:
        DishPrice.objects.bulk_create(create)


# --- One price, from the browser -------------------------------------------------------------


@transaction.atomic
def price_set(
    *, actor, dish: Dish, price: Decimal, valid_from: dt.date, reason: str
) -> DishPrice | PriceRequest:
    """Set a dish's price from a day, with a reason. Within the limit it applies at once (a
    DishPrice); a larger rise becomes a PriceRequest waiting for the dining manager."""
    if not managed_canteens(actor).filter(pk=dish.canteen_id).exists():
        raise PriceNotYours(_("No such dish."))
    reason = (reason or "").strip()
    if not reason:
        raise PriceError(_("Say why the price changes."), field="reason")
    if price <= 0 or price >= Decimal("100000"):
        raise PriceError(_("Enter a price above 0 yuan."), field="price")
    Dish.objects.select_for_update().get(pk=dish.pk)
    timeline = timelines_of([dish.pk]).get(dish.pk, Timeline())
    reference = timeline.reference_for(valid_from)
    if needs_approval(reference, price):
        request, _created = PriceRequest.objects.get_or_create(
            dish=dish,
            price=price,
            valid_from=valid_from,
            status=PriceRequest.Status.PENDING,
            defaults={
                "reference_price": reference,
                "requested_by": actor,
                "reason": reason[:REASON_MAX_LENGTH],
                "source": "browser",
            },
        )
        return request
    timeline.set_from(valid_from, price)
    timelines_write({dish.pk: timeline}, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="dish.price_set",
        target=dish,
        changes={"price": str(price), "from": str(valid_from), "reason": reason},
    )
    return DishPrice.objects.get(dish=dish, valid_from=valid_from)


def requests_file(specs: list[tuple[int, Decimal, Decimal, dt.date]], *, actor, source: str) -> int:
    """File pending requests for rises an import proposed: (dish id, price, reference, from);
    one per dish, price and day however often the file comes. Returns how many are new."""
    if not specs:
        return 0
    before = PriceRequest.objects.filter(status=PriceRequest.Status.PENDING).count()
    PriceRequest.objects.bulk_create(
        [
            PriceRequest(
                dish_id=dish_id,
                price=price,
                reference_price=reference,
                valid_from=day,
                requested_by=actor,
                source=source[:200],
            )
            for dish_id, price, reference, day in specs
        ],
        ignore_conflicts=True,
    )
    return PriceRequest.objects.filter(status=PriceRequest.Status.PENDING).count() - before


def pending_requests_for(user):
    return (
        PriceRequest.objects.filter(
            status=PriceRequest.Status.PENDING, dish__canteen__in=managed_canteens(user)
        )
        .select_related("dish__canteen", "requested_by")
        .order_by("valid_from", "id")
    )


@transaction.atomic
def request_decide(*, actor, request: PriceRequest, approve: bool, reason: str) -> PriceRequest:
    """The dining manager approves (备案) or rejects a rise, with a reason. Approval puts the
    price in force from the requested day."""
    if not managed_canteens(actor).filter(pk=request.dish.canteen_id).exists():
        raise PriceNotYours(_("No such price request."))
    reason = (reason or "").strip()
    if not reason:
        raise PriceError(_("Give the reason for your decision."), field="reason")
    locked = PriceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != PriceRequest.Status.PENDING:
        raise PriceError(_("This request was decided already."))
    locked.status = PriceRequest.Status.APPROVED if approve else PriceRequest.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.reason = reason[:REASON_MAX_LENGTH]
    locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    if approve:
        Dish.objects.select_for_update().get(pk=locked.dish_id)
        timeline = timelines_of([locked.dish_id]).get(locked.dish_id, Timeline())
        timeline.set_from(locked.valid_from, locked.price)
        timelines_write(
            {locked.dish_id: timeline},
            actor=actor,
            reason=reason,
            approvals={(locked.dish_id, locked.valid_from): locked},
        )
    audit_record(
        actor=actor,
        action="dish.price_approve" if approve else "dish.price_reject",
        target=locked.dish,
        changes={"price": str(locked.price), "from": str(locked.valid_from), "reason": reason},
    )
    return locked

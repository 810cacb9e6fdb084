"""The price-stability report (菜价稳定), per canteen and month:

- how many dishes changed price in the month, the average and the largest change;
- a price index against the start of the term: the average, over the dishes priced at the
  month's end, of (price at the month's end ÷ price at the term's start, or the dish's first
  price if it came later) × 100, and the same for each month of the term (the chart);
- the mix of the month's menu dishes by price band, low / middle / high (below
  DINING_PRICE_BANDS[0] yuan, up to DINING_PRICE_BANDS[1], above), against the 3:4:3 target of
  Shanghai universities' practice, with the gap in percentage points.

Four queries whatever the number of dishes: the canteen's dishes, their prices (with who set
them), and the dishes on the month's menus.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dining.models import Canteen, Dish, DishPrice, MenuItem
from logistics.spreadsheets import XlsxWriter

BANDS = (
    ("low", gettext_lazy("Low"), 3),
    ("middle", gettext_lazy("Middle"), 4),
    ("high", gettext_lazy("High"), 3),
)


def parse_month(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{raw}-01") if raw else None
    except ValueError:
        return None


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def term_start(day: dt.date) -> dt.date:
    """The latest term start (SAFETY_TERM_STARTS, MM-DD) on or before `day`."""
    starts = []
    for year in (day.year - 1, day.year):
        for text in settings.SAFETY_TERM_STARTS:
            month, dom = (int(part) for part in text.split("-"))
            starts.append(dt.date(year, month, dom))
    return max(s for s in starts if s <= day)


def band_of(price: Decimal) -> str:
    low, high = settings.DINING_PRICE_BANDS
    if price < low:
        return "low"
    if price <= high:
        return "middle"
    return "high"


@dataclass
class Change:
    dish: Dish
    day: dt.date
    old: Decimal
    new: Decimal
    reason: str
    who: str

    @property
    def percent(self) -> Decimal:
        return ((self.new - self.old) * 100 / self.old).quantize(Decimal("0.1"))


@dataclass
class PriceStability:
    canteen: Canteen
    month: dt.date
    term_start: dt.date
    dishes: int = 0
    changes: list[Change] = field(default_factory=list)
    index: Decimal | None = None
    series: list[tuple[dt.date, Decimal | None]] = field(default_factory=list)
    bands: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len({c.dish.pk for c in self.changes})

    @property
    def average_change(self) -> Decimal | None:
        if not self.changes:
            return None
        return (sum(c.percent for c in self.changes) / len(self.changes)).quantize(Decimal("0.1"))

    @property
    def largest_change(self) -> Change | None:
        return max(self.changes, key=lambda c: abs(c.percent), default=None)


def _price_on(rows: list[DishPrice], day: dt.date) -> Decimal | None:
    found = None
    for row in rows:
        if row.valid_from <= day:
            found = row.price
        else:
            break
    return found


def _index(prices_of: dict[int, list[DishPrice]], base: dt.date, day: dt.date) -> Decimal | None:
    ratios = []
    for rows in prices_of.values():
        # A dish first priced after the term started enters the index at its first price.
        start = _price_on(rows, base) or (rows[0].price if rows[0].valid_from <= day else None)
        end = _price_on(rows, day)
        if start and end:
            ratios.append(end / start)
    if not ratios:
        return None
    return (sum(ratios) * 100 / len(ratios)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def price_stability(canteen: Canteen, month: dt.date) -> PriceStability:
    first, last = month.replace(day=1), month_end(month)
    start = term_start(last)
    result = PriceStability(canteen=canteen, month=first, term_start=start)
    dishes = {d.pk: d for d in Dish.objects.filter(canteen=canteen)}
    prices_of: dict[int, list[DishPrice]] = {}
    for row in (
        DishPrice.objects.filter(dish__canteen=canteen)
        .select_related("set_by")
        .order_by("dish_id", "valid_from")
    ):
        prices_of.setdefault(row.dish_id, []).append(row)
    for dish_id, rows in prices_of.items():
        for previous, row in itertools.pairwise(rows):
            if first <= row.valid_from <= last and previous.price and row.price != previous.price:
                result.changes.append(
                    Change(
                        dish=dishes[dish_id],
                        day=row.valid_from,
                        old=previous.price,
                        new=row.price,
                        reason=row.reason,
                        who=row.set_by.display_name if row.set_by else "",
                    )
                )
    result.changes.sort(key=lambda c: (c.day, c.dish.name))
    result.index = _index(prices_of, start, last)
    cursor = start.replace(day=1)
    while cursor <= first:
        end = month_end(cursor)
        result.series.append((cursor, _index(prices_of, start, end)))
        cursor = end + dt.timedelta(days=1)

    served = set(
        MenuItem.objects.filter(
            menu__canteen=canteen, menu__date__gte=first, menu__date__lte=last
        ).values_list("dish_id", flat=True)
    )
    result.dishes = len(served)
    counts = dict.fromkeys((key for key, _l, _t in BANDS), 0)
    for dish_id in served:
        price = _price_on(prices_of.get(dish_id, []), last)
        if price is not None:
            counts[band_of(price)] += 1
    total = sum(counts.values())
    for key, label, target in BANDS:
        share = Decimal(counts[key] * 100 / total).quantize(Decimal("0.1")) if total else None
        goal = Decimal(target * 10)
        result.bands.append(
            {
                "key": key,
                "label": label,
                "count": counts[key],
                "share": share,
                "target": goal,
                "gap": (share - goal) if share is not None else None,
            }
        )
    return result


def chart(data: PriceStability) -> dict:
    """Geometry of the report's server-rendered SVG: the term's monthly index as bars around
    100, and the band mix against its target."""
    points = [(m, v) for m, v in data.series]
    values = [float(v) for _m, v in points if v is not None] or [100.0]
    low, high = min([*values, 100.0]) - 2, max([*values, 100.0]) + 2
    span = high - low or 1
    width = 300 / max(len(points), 1)
    bars = []
    for n, (m, value) in enumerate(points):
        v = float(value) if value is not None else 100.0
        y = 110 - (v - low) / span * 100
        base = 110 - (100.0 - low) / span * 100
        bars.append(
            {
                "x": round(n * width + width * 0.15, 1),
                "width": round(width * 0.7, 1),
                "y": round(min(y, base), 1),
                "height": round(max(abs(base - y), 0.5), 1),
                "label": m.strftime("%Y-%m"),
                "value": value,
                "up": v > 100,
            }
        )
    return {"bars": bars, "baseline": round(110 - (100.0 - low) / span * 100, 1)}


def as_xlsx(data: PriceStability):
    sheet = XlsxWriter(
        _("Price stability"),
        [
            _("Canteen"),
            _("Month"),
            _("Term start"),
            _("Dishes served"),
            _("Dishes changed"),
            _("Average change (%)"),
            _("Largest change (%)"),
            _("Price index"),
        ],
    )
    largest = data.largest_change
    sheet.append(
        [
            data.canteen.display_name,
            data.month.strftime("%Y-%m"),
            data.term_start.isoformat(),
            data.dishes,
            data.changed,
            float(data.average_change) if data.average_change is not None else "",
            float(largest.percent) if largest else "",
            float(data.index) if data.index is not None else "",
        ]
    )
    sheet.append([])
    sheet.append([_("Price band"), _("Dishes"), _("Share (%)"), _("Target (%)"), _("Gap")])
    for band in data.bands:
        sheet.append(
            [
                str(band["label"]),
                band["count"],
                float(band["share"]) if band["share"] is not None else "",
                float(band["target"]),
                float(band["gap"]) if band["gap"] is not None else "",
            ]
        )
    sheet.append([])
    sheet.append(
        [
            _("Dish"),
            _("From"),
            _("Old price"),
            _("New price"),
            _("Change (%)"),
            _("Reason"),
            _("Set by"),
        ]
    )
    for change in data.changes:
        sheet.append(
            [
                change.dish.display_name,
                change.day.isoformat(),
                float(change.old),
                float(change.new),
                float(change.percent),
                change.reason,
                change.who,
            ]
        )
    return sheet.response(f"price-stability-{data.month:%Y-%m}.xlsx")

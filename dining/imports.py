"""`import_menus` (CONTRACT.md "Dining"): a week's or a term's menus from a spreadsheet.

Columns, headed in English or Chinese: `canteen` 食堂 (a canteen's name), `date` 日期
(YYYY-MM-DD), `meal` 餐别 (breakfast 早餐, lunch 午餐, dinner 晚餐), `dish` 菜品, `price` 价格
(yuan), and optionally `allergens` 过敏原 (keys or Chinese names, separated by ; or ；).

All or nothing: every bad row is reported with its line and nothing is written. A menu (canteen,
day, meal) named in the file becomes exactly what the file lists, so importing the same file
again changes nothing. A dish the canteen does not have yet is created. A price different from
the dish's price that day starts from that day (the price history keeps the old one); a rise of
more than PRICE_RISE_LIMIT percent over the dish's price 30 days earlier needs the dining
manager's approval: such rows are reported as needing approval, the rises are filed as price
requests, and nothing is imported until they are approved.

A fixed number of queries whatever the number of rows: canteens, dishes, their prices and the
menus of the file's days are read at once; the writes are bulk statements.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dining import prices
from dining.access import managed_canteens
from dining.models import ALLERGENS, Canteen, Dish, Meal, Menu, MenuItem
from logistics.services import audit_record
from logistics.tables import ImportFileError, read_table


@dataclass(frozen=True)
class Column:
    field: str
    english: str
    chinese: str
    required: bool = True

    @property
    def label(self) -> str:
        return f"{self.english} / {self.chinese}"


COLUMNS = (
    Column("canteen", "canteen", "食堂"),
    Column("date", "date", "日期"),
    Column("meal", "meal", "餐别"),
    Column("dish", "dish", "菜品"),
    Column("price", "price", "价格"),
    Column("allergens", "allergens", "过敏原", required=False),
)

MEALS = {
    "breakfast": Meal.BREAKFAST,
    "早餐": Meal.BREAKFAST,
    "早": Meal.BREAKFAST,
    "lunch": Meal.LUNCH,
    "午餐": Meal.LUNCH,
    "中餐": Meal.LUNCH,
    "午": Meal.LUNCH,
    "dinner": Meal.DINNER,
    "晚餐": Meal.DINNER,
    "晚": Meal.DINNER,
}
MAX_PRICE = Decimal("9999.99")
DISH_NAME_MAX = 100


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    text = re.sub(r"[(（][^)）]*[)）]$", "", text).strip()
    return re.sub(r"[\s_\-]+", "_", text.casefold())


def _allergen_names() -> dict[str, str]:
    names = {}
    for key, (label, chinese) in ALLERGENS.items():
        names[_key(key)] = key
        names[_key(str(label))] = key
        for name in chinese:
            names[_key(name)] = key
    return names


@dataclass(frozen=True)
class RowError:
    line: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return self.reason
        if not self.column:
            return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}
        return _("line %(line)s: %(column)s: %(reason)s") % {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class MenuImportReport:
    file_name: str
    dry_run: bool
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    approvals: list[RowError] = field(default_factory=list)  # rows whose rise needs approval
    requests_filed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.approvals

    def error(self, line, column, reason) -> None:
        self.errors.append(RowError(line, column, reason))

    def problems(self) -> list[RowError]:
        return sorted(self.errors + self.approvals, key=lambda e: -1 if e.line is None else e.line)

    def summary_lines(self) -> list[str]:
        lines = [_("Import of menus from %(file)s") % {"file": self.file_name}]
        if self.dry_run:
            lines.append(_("Dry run: nothing was written."))
        if self.errors:
            lines.append(
                ngettext(
                    "%(count)s error: nothing was imported.",
                    "%(count)s errors: nothing was imported.",
                    len(self.errors),
                )
                % {"count": len(self.errors)}
            )
        if self.approvals:
            lines.append(
                ngettext(
                    "%(count)s row proposes a price rise of more than %(limit)s%% that the "
                    "dining manager must approve first: nothing was imported.",
                    "%(count)s rows propose a price rise of more than %(limit)s%% that the "
                    "dining manager must approve first: nothing was imported.",
                    len(self.approvals),
                )
                % {"count": len(self.approvals), "limit": prices.rise_limit()}
            )
            if self.requests_filed:
                lines.append(
                    _("Price rises sent for approval: %(count)s.") % {"count": self.requests_filed}
                )
        counts = {"rows": self.rows, **dict.fromkeys(COUNT_KEYS, 0), **self.counts}
        lines.append(
            _(
                "%(rows)s rows: %(menus_created)s menus created, %(items_created)s dishes "
                "added to menus, %(items_updated)s changed, %(items_removed)s removed, "
                "%(items_unchanged)s unchanged; %(dishes_created)s new dishes, "
                "%(prices_changed)s dishes with a new price."
            )
            % counts
        )
        lines.extend(self.notes)
        return lines

    def format_text(self) -> str:
        return "\n".join(self.summary_lines() + [str(e) for e in self.problems()])


COUNT_KEYS = (
    "menus_created",
    "items_created",
    "items_updated",
    "items_removed",
    "items_unchanged",
    "dishes_created",
    "prices_changed",
)


@dataclass
class _Row:
    line: int
    canteen: Canteen
    date: dt.date
    meal: str
    dish_name: str
    price: Decimal
    allergens: list[str] | None


def may_import(user) -> bool:
    """The dining manager (of any campus) and administrators; the file may only name the
    canteens they manage."""
    return managed_canteens(user).exists()


def import_menus(
    data: bytes, *, file_name: str, actor=None, dry_run: bool = False
) -> MenuImportReport:
    report = MenuImportReport(file_name=file_name[:120], dry_run=dry_run)
    try:
        table = read_table(data)
    except ImportFileError as exc:
        report.error(None, "", str(exc))
        return report
    report.notes.extend(table.notes)
    positions = _header(table, report)
    if report.errors:
        return report
    report.rows = len(table.rows)
    with transaction.atomic():
        rows = _check(table, positions, report, actor)
        plan = _plan(rows, report)  # also for a file with bad rows: report all of them
        if report.errors:
            return report
        if report.approvals:
            if not dry_run:
                report.requests_filed = prices.requests_file(
                    plan.requests, actor=actor, source=file_name
                )
            return report
        if dry_run:
            return report
        _apply(plan, report, actor)
        audit_record(
            actor=actor,
            action="menus.import",
            changes={"file": report.file_name, "counts": {"rows": report.rows, **report.counts}},
        )
        report.written = True
    return report


def _header(table, report) -> dict[str, int]:
    names = {}
    for column in COLUMNS:
        names[_key(column.english)] = column
        names[_key(column.chinese)] = column
    positions: dict[str, int] = {}
    ignored = []
    for index, heading in enumerate(table.header):
        if not heading.strip():
            continue
        column = names.get(_key(heading))
        if column is None:
            ignored.append(heading.strip()[:40])
        elif column.field in positions:
            report.error(table.header_line, heading, _("This column appears twice."))
        else:
            positions[column.field] = index
    for column in COLUMNS:
        if column.required and column.field not in positions:
            report.error(table.header_line, column.label, _("This required column is missing."))
    if ignored:
        report.notes.append(
            _("Columns ignored (not known to this import): %(columns)s.")
            % {"columns": ", ".join(ignored)}
        )
    return positions


def _check(table, positions, report, actor) -> list[_Row]:
    canteens: dict[str, Canteen] = {}
    managed = set(managed_canteens(actor).values_list("pk", flat=True)) if actor else None
    for canteen in Canteen.objects.select_related("campus"):
        canteens.setdefault(_key(canteen.name), canteen)
        if canteen.name_en:
            canteens.setdefault(_key(canteen.name_en), canteen)
    allergen_names = _allergen_names()
    label = {c.field: c.label for c in COLUMNS}
    rows = []
    for line, cells in table.rows:
        values = {
            name: (cells[index] if index < len(cells) else "").strip().strip("\ufeff\u200b").strip()
            for name, index in positions.items()
        }
        ok = True

        def fail(name, reason, line=line):
            nonlocal ok
            ok = False
            report.error(line, label[name], reason)

        for column in COLUMNS:
            if column.required and not values.get(column.field):
                fail(column.field, _("This value is required."))
        canteen = None
        if values.get("canteen"):
            canteen = canteens.get(_key(values["canteen"]))
            if canteen is None or (managed is not None and canteen.pk not in managed):
                fail("canteen", _("No canteen “%(value)s”.") % {"value": values["canteen"][:40]})
        day = None
        if values.get("date"):
            try:
                day = dt.date.fromisoformat(values["date"][:10])
            except ValueError:
                fail(
                    "date",
                    _("Not a date (YYYY-MM-DD): “%(value)s”.") % {"value": values["date"][:40]},
                )
        meal = None
        if values.get("meal"):
            meal = MEALS.get(_key(values["meal"]))
            if meal is None:
                fail(
                    "meal",
                    _("Not a meal: “%(value)s” (breakfast 早餐, lunch 午餐 or dinner 晚餐).")
                    % {"value": values["meal"][:40]},
                )
        dish = values.get("dish", "")
        if len(dish) > DISH_NAME_MAX:
            fail("dish", _("Too long: at most %(max)s characters.") % {"max": DISH_NAME_MAX})
        elif dish[:1] in ("=", "+", "-", "@"):
            fail("dish", _("A dish's name may not start with = + - or @."))
        price = None
        if values.get("price"):
            try:
                price = Decimal(values["price"].replace("¥", "").replace("元", "").strip())
                if not price.is_finite() or price <= 0 or price > MAX_PRICE:
                    raise InvalidOperation
                if price != price.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                fail(
                    "price",
                    _("Not a price in yuan above 0 with at most two decimals: “%(value)s”.")
                    % {"value": values["price"][:40]},
                )
                price = None
        allergens = None
        if "allergens" in positions:
            allergens = []
            for part in re.split(r"[;；,，、]", values.get("allergens", "")):
                if not part.strip():
                    continue
                key = allergen_names.get(_key(part))
                if key is None:
                    fail(
                        "allergens",
                        _("Not an allergen: “%(value)s”.") % {"value": part.strip()[:40]},
                    )
                elif key not in allergens:
                    allergens.append(key)
            allergens.sort()
        if ok:
            rows.append(_Row(line, canteen, day, meal, dish, price, allergens))
    return rows


@dataclass
class _Plan:
    new_dishes: dict[tuple[int, str], Dish]
    allergen_updates: list[Dish]
    timelines: dict
    menus: dict[tuple[int, dt.date, str], list[_Row]]
    dish_of: dict[tuple[int, str], Dish]
    requests: list = field(default_factory=list)


def _plan(rows: list[_Row], report: MenuImportReport) -> _Plan:
    label = {c.field: c.label for c in COLUMNS}
    canteen_ids = {row.canteen.pk for row in rows}
    dish_of = {
        (d.canteen_id, _key(d.name)): d for d in Dish.objects.filter(canteen_id__in=canteen_ids)
    }
    new_dishes: dict[tuple[int, str], Dish] = {}
    allergens_of: dict[tuple[int, str], tuple[int, list[str]]] = {}
    menus: dict[tuple[int, dt.date, str], list[_Row]] = {}
    seen: dict[tuple, int] = {}
    price_of_day: dict[tuple, tuple[int, Decimal]] = {}
    for row in rows:
        dish_key = (row.canteen.pk, _key(row.dish_name))
        where = (row.canteen.pk, row.date, row.meal, dish_key[1])
        if where in seen:
            report.error(
                row.line,
                label["dish"],
                _("The dish is listed twice for this meal (also on line %(line)s).")
                % {"line": seen[where]},
            )
            continue
        seen[where] = row.line
        day_key = (dish_key, row.date)
        if day_key in price_of_day and price_of_day[day_key][1] != row.price:
            report.error(
                row.line,
                label["price"],
                _("The dish has another price the same day on line %(line)s.")
                % {"line": price_of_day[day_key][0]},
            )
            continue
        price_of_day.setdefault(day_key, (row.line, row.price))
        if row.allergens:  # an empty cell says nothing about the dish's allergens
            if dish_key in allergens_of and allergens_of[dish_key][1] != row.allergens:
                report.error(
                    row.line,
                    label["allergens"],
                    _("Other allergens than on line %(line)s for the same dish.")
                    % {"line": allergens_of[dish_key][0]},
                )
                continue
            allergens_of.setdefault(dish_key, (row.line, row.allergens))
        if dish_key not in dish_of and dish_key not in new_dishes:
            new_dishes[dish_key] = Dish(
                canteen=row.canteen, name=row.dish_name, allergens=[], category="other"
            )
        menus.setdefault((row.canteen.pk, row.date, row.meal), []).append(row)
    allergen_updates = []
    for dish_key, (_line, keys) in allergens_of.items():
        dish = dish_of.get(dish_key) or new_dishes[dish_key]
        if sorted(dish.allergens or []) != keys:
            dish.allergens = keys
            if dish.pk:
                allergen_updates.append(dish)

    # Prices, dish by dish in date order: a change starts on its day; a rise beyond the limit
    # is held back (and every later row of that price reported with it).
    timelines = prices.timelines_of(d.pk for d in dish_of.values())
    by_dish: dict[tuple[int, str], list[tuple[dt.date, int, Decimal]]] = {}
    for (dish_key, day), (line, price) in price_of_day.items():
        by_dish.setdefault(dish_key, []).append((day, line, price))
    plan_requests = []
    for dish_key, entries in by_dish.items():
        dish = dish_of.get(dish_key)
        timeline = timelines.setdefault(dish.pk if dish else dish_key, prices.Timeline())
        held: dict[Decimal, tuple] = {}
        for day, line, price in sorted(entries):
            if timeline.price_on(day) == price:
                continue
            reference = timeline.reference_for(day)
            if prices.needs_approval(reference, price):
                if price not in held:
                    held[price] = (day, reference)
                    if dish is not None:
                        plan_requests.append((dish.pk, price, reference, day))
                report.approvals.append(
                    RowError(
                        line,
                        label["price"],
                        _(
                            "%(price)s yuan is a rise of %(rise)s%% over %(reference)s yuan 30 "
                            "days earlier: it needs the dining manager's approval first."
                        )
                        % {
                            "price": price,
                            "reference": reference,
                            "rise": ((price - reference) * 100 / reference).quantize(
                                Decimal("0.1")
                            ),
                        },
                    )
                )
                continue
            timeline.set_from(day, price)
    return _Plan(new_dishes, allergen_updates, timelines, menus, dish_of, plan_requests)


def _apply(plan: _Plan, report: MenuImportReport, actor) -> None:
    counts = dict.fromkeys(COUNT_KEYS, 0)
    if plan.new_dishes:
        Dish.objects.bulk_create(list(plan.new_dishes.values()), batch_size=1000)
        counts["dishes_created"] = len(plan.new_dishes)
    if plan.allergen_updates:
        Dish.objects.bulk_update(plan.allergen_updates, ["allergens"], batch_size=1000)
    dish_of = {**plan.dish_of, **plan.new_dishes}
    # The timelines of new dishes were keyed by their name: key them by id now.
    timelines = {}
    for key, timeline in plan.timelines.items():
        dish_id = dish_of[key].pk if isinstance(key, tuple) else key
        timelines[dish_id] = timeline
    counts["prices_changed"] = sum(1 for t in timelines.values() if t.changed)
    prices.timelines_write(
        timelines, actor=actor, reason=_("Menu import %(file)s") % {"file": report.file_name}
    )

    days = {day for (_c, day, _m) in plan.menus}
    canteen_ids = {c for (c, _d, _m) in plan.menus}
    existing = {
        (m.canteen_id, m.date, m.meal): m
        for m in Menu.objects.filter(canteen_id__in=canteen_ids, date__in=days)
    }
    missing = [
        Menu(canteen_id=c, date=d, meal=m) for (c, d, m) in plan.menus if (c, d, m) not in existing
    ]
    if missing:
        Menu.objects.bulk_create(missing, batch_size=1000)
        counts["menus_created"] = len(missing)
        existing.update({(m.canteen_id, m.date, m.meal): m for m in missing})
    menu_ids = [existing[key].pk for key in plan.menus]
    current: dict[tuple[int, int], MenuItem] = {}
    for item in MenuItem.objects.filter(menu_id__in=menu_ids):
        current[(item.menu_id, item.dish_id)] = item
    create, update, keep = [], [], set()
    for key, rows in plan.menus.items():
        menu = existing[key]
        for position, row in enumerate(rows):
            dish = dish_of[(row.canteen.pk, _key(row.dish_name))]
            item = current.get((menu.pk, dish.pk))
            keep.add((menu.pk, dish.pk))
            if item is None:
                create.append(MenuItem(menu=menu, dish=dish, price=row.price, position=position))
            elif item.price != row.price or item.position != position:
                item.price, item.position = row.price, position
                update.append(item)
            else:
                counts["items_unchanged"] += 1
    remove = [item.pk for key, item in current.items() if key not in keep]
    if remove:
        MenuItem.objects.filter(pk__in=remove).delete()
    if update:
        MenuItem.objects.bulk_update(update, ["price", "position"], batch_size=1000)
    if create:
        MenuItem.objects.bulk_create(create, batch_size=1000)
    counts.update(items_created=len(create), items_updated=len(update), items_removed=len(remove))
    report.counts = counts


# --- A template to fill in -------------------------------------------------------------------


def template_rows(language_chinese: bool) -> list[list[str]]:
    header = [c.chinese if language_chinese else c.english for c in COLUMNS]
    example = [
        "一食堂",
        "2026-09-07",
        "午餐" if language_chinese else "lunch",
        "宫保鸡丁",
        "12.00",
        "peanuts;soy",
    ]
    return [header, example]

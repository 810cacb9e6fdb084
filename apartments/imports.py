"""Imports of rooms, residents and assets from spreadsheets (CONTRACT.md, "Management commands").

One engine for the `import_rooms`/`import_residents` commands and the upload page:

    read the file (CSV or XLSX, decided by content) → map the header row (English or Chinese)
    → check every row, collecting every error → apply everything in one transaction, or
    nothing at all when any row is bad (and nothing either on a dry run).

Lookups are preloaded into dicts with a fixed handful of queries and the writes are bulk
queries in batches, so the number of queries does not grow with the rows (a 30,000-resident
file imports in seconds: bench/import_residents.py).

Every value from a file is only ever text: nothing is evaluated, control characters are
refused, and a value starting with = + - @ is stored as it is.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Lookup
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apartments.models import (
    Asset,
    AssetCondition,
    AssetType,
    Bed,
    Building,
    Category,
    Gender,
    GenderPolicy,
    KitCheck,
    Resident,
    Room,
    RoomKind,
    Stay,
    Storeroom,
)
from logistics.access import ALL, has_role, roles_of
from logistics.models import Campus, Role, RoleGrant, User
from logistics.services import audit_record

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)
MAX_ROWS = 100_000
# An .xlsx is a zip; refuse one that unpacks to far more than any real export would.
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_COLUMNS = 64
BATCH_SIZE = 2000  # rows per INSERT/UPDATE
LOOKUP_CHUNK = 5000  # values per `IN (…)` when preloading

MIN_FLOOR, MAX_FLOOR = -5, 200
MIN_BEDS, MAX_BEDS = 1, 20
MAX_BED_NUMBER = 99


class ImportKind(models.TextChoices):
    ROOMS = "rooms", gettext_lazy("Rooms and beds")
    RESIDENTS = "residents", gettext_lazy("Residents and their portal accounts")
    ASSETS = "assets", gettext_lazy("Room and storeroom assets")


def may_import(user) -> bool:
    """Imports change buildings and residents of every campus: administrators, and heads of
    a department serving the apartments on every campus."""
    if Role.ADMIN in roles_of(user):
        return True
    if not has_role(user, Role.DEPARTMENT_HEAD):
        return False
    from apartments.selectors import apartment_head_campuses

    return apartment_head_campuses(user) is ALL


# --- The report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the line as in the file (the header is line 1; None for the whole file),
    the column as headed in the file, and why."""

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
class ImportReport:
    kind: str
    file_name: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # rooms: buildings_created, buildings_updated, beds_added, beds_removed;
    # residents: accounts_created, reservations_made, reservations_moved, checked_in_kept
    details: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int | None, column: str, reason: str) -> None:
        self.errors.append(RowError(line, column, reason))

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            **self.details,
        }

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: -1 if e.line is None else e.line)

    def summary_lines(self) -> list[str]:
        """The report without its errors, one sentence a line, in the active language."""
        if self.kind == ImportKind.ROOMS:
            title = _("Import of rooms from %(file)s")
        elif self.kind == ImportKind.ASSETS:
            title = _("Import of assets from %(file)s")
        else:
            title = _("Import of residents from %(file)s")
        lines = [title % {"file": self.file_name}]
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
        lines.append(
            _("%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % self.counts()
        )
        d = self.details
        if self.kind == ImportKind.ROOMS and self.ok:
            lines.append(
                _(
                    "Buildings created: %(buildings_created)s, updated: %(buildings_updated)s. "
                    "Beds added: %(beds_added)s, removed: %(beds_removed)s."
                )
                % d
            )
        elif self.kind == ImportKind.RESIDENTS and self.ok:
            lines.append(
                _(
                    "Portal accounts created: %(accounts_created)s. Reservations made: "
                    "%(reservations_made)s (moved from another bed: %(reservations_moved)s)."
                )
                % d
            )
        elif self.kind == ImportKind.ASSETS and self.ok:
            lines.append(_("Assets moved to another room or storeroom: %(moved)s.") % d)
        lines.extend(self.notes)
        return lines

    def format_text(self) -> str:
        lines = self.summary_lines()
        lines.extend(str(e) for e in self.sorted_errors())
        return "\n".join(lines)


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, size, encoding)."""


# --- Reading the file ------------------------------------------------------------------------


@dataclass
class Table:
    format: str  # "csv" or "xlsx"
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line in the file, cells)
    notes: list[str] = field(default_factory=list)


_SIGNATURES = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"\x89PNG", "binary"),
    (b"\xff\xd8\xff", "binary"),
    (b"GIF8", "binary"),
    (b"%PDF", "binary"),
    (b"\x1f\x8b", "binary"),
    (b"7z\xbc\xaf", "binary"),
    (b"Rar!", "binary"),
]


def read_limited(stream) -> bytes:
    """Read at most MAX_FILE_BYTES from a file object; refuse a larger file."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(too_large_message())
    return data


def too_large_message() -> str:
    return _("The file is larger than %(limit)s MB.") % {"limit": MAX_FILE_MB}


def read_table(data: bytes) -> Table:
    """The file's header and rows, whatever the file is named: an .xlsx is recognised by its
    content (a zip that openpyxl opens), anything else must be text CSV."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(too_large_message())
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            if what == "xls":
                raise ImportFileError(
                    _("This is an old Excel .xls file: save it as .xlsx or CSV and try again.")
                )
            raise ImportFileError(_("This file is neither a CSV nor an Excel (.xlsx) file."))
    return _read_csv(data)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:65536]:
        raise ImportFileError(_("This file is neither a CSV nor an Excel (.xlsx) file."))
    else:
        # Excel in China saves "CSV" as GBK (GB18030 is its superset); try UTF-8 first.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportFileError(
        _("The file's text could not be read: save it as CSV (UTF-8) or as .xlsx.")
    )


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for c in sample if c < " " and c not in "\t\r\n")
    return controls > max(8, len(sample) // 100)


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    if _looks_binary(text):
        raise ImportFileError(_("This file is neither a CSV nor an Excel (.xlsx) file."))
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _table("csv", _csv_rows(reader))


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    start = 1
    try:
        for cells in reader:
            yield start, cells[:MAX_COLUMNS]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file could not be read at line %(line)s: %(error)s")
            % {"line": start, "error": exc}
        ) from exc


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError(_("This file is neither a CSV nor an Excel (.xlsx) file.")) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("The Excel workbook is too large once unpacked."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a zip that is not a workbook
        raise ImportFileError(
            _(
                "This zip file is not an Excel workbook that can be read (it may be damaged "
                "or password-protected)."
            )
        ) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The file is empty."))
        sheet = workbook.worksheets[0]
        notes = []
        if len(workbook.sheetnames) > 1:
            notes.append(_("Only the first sheet, “%(sheet)s”, was read.") % {"sheet": sheet.title})
        rows = (
            (line, [_xlsx_text(v) for v in values])
            for line, values in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
            )
        )
        table = _table("xlsx", rows)
        table.notes.extend(notes)
        return table
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(
            _(
                "This zip file is not an Excel workbook that can be read (it may be damaged "
                "or password-protected)."
            )
        ) from exc
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 101.0 is room 101; a student id typed as a number
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _table(fmt: str, rows: Iterable[tuple[int, list[str]]]) -> Table:
    header_line, header, data_rows = 0, None, []
    for line, cells in rows:
        cells = ["" if c is None else str(c) for c in cells]
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header_line, header = line, cells
            continue
        data_rows.append((line, cells))
        if len(data_rows) > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(limit)s rows: split it into smaller files.")
                % {"limit": MAX_ROWS}
            )
    if header is None:
        raise ImportFileError(_("The file is empty."))
    return Table(format=fmt, header_line=header_line, header=header, rows=data_rows)


# --- Columns and values ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    english: str
    chinese: str
    required: bool = True
    other_names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.english} / {self.chinese}"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.english, self.chinese, *self.other_names)


ROOM_COLUMNS = (
    Column("campus", "campus", "校区"),
    Column("building", "building", "楼栋", other_names=("楼号", "公寓")),
    Column("floor", "floor", "楼层"),
    Column("room", "room", "房间", other_names=("房间号", "房号", "room_number")),
    Column("beds", "beds", "床位数", other_names=("capacity",)),
    Column("gender", "gender", "性别"),
    Column("type", "type", "类型", required=False, other_names=("kind", "room_type", "房间类型")),
)

RESIDENT_COLUMNS = (
    Column("student_id", "student_id", "学号", other_names=("工号", "学号/工号")),
    Column("name", "name", "姓名"),
    Column("gender", "gender", "性别"),
    Column("category", "category", "类别", other_names=("学生类别", "人员类别")),
    Column("campus", "campus", "校区"),
    Column("college", "college", "学院", other_names=("院系",)),
    Column("class", "class", "班级", required=False, other_names=("class_name",)),
    Column("building", "building", "楼栋", required=False, other_names=("楼号", "公寓")),
    Column("room", "room", "房间", required=False, other_names=("房间号", "房号")),
    Column("bed", "bed", "床位", required=False, other_names=("床号", "床位号")),
    Column("phone", "phone", "电话", required=False, other_names=("手机", "联系电话", "手机号")),
)


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    text = re.sub(r"[(（][^)）]*[)）]$", "", text).strip()  # "性别（男/女）"
    return re.sub(r"[\s_\-]+", "_", text.casefold())


def _value_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", unicodedata.normalize("NFKC", text).strip().casefold())


# Invisible characters that may pad a cell copied from a web page or a Word document.
_EDGE_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
# Control characters (Unicode Cc), lone surrogates, and the characters that reorder text on
# screen (a classic way to disguise a value).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def _shown(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


_GENDERS = {
    "m": Gender.MALE,
    "male": Gender.MALE,
    "man": Gender.MALE,
    "男": Gender.MALE,
    "男生": Gender.MALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "女": Gender.FEMALE,
    "女生": Gender.FEMALE,
}
_ROOM_GENDERS = {
    **_GENDERS,
    "x": GenderPolicy.MIXED,
    "mixed": GenderPolicy.MIXED,
    "混合": GenderPolicy.MIXED,
    "男女混合": GenderPolicy.MIXED,
}
_CATEGORIES = {
    **{c.value: c.value for c in Category},
    "本科生": Category.UNDERGRADUATE,
    "本科": Category.UNDERGRADUATE,
    "专升本": Category.TOP_UP,
    "top_up_undergraduate": Category.TOP_UP,
    "研究生": Category.POSTGRADUATE,
    "硕士研究生": Category.POSTGRADUATE,
    "博士生": Category.DOCTORAL,
    "博士研究生": Category.DOCTORAL,
    "doctoral_student": Category.DOCTORAL,
    "成教": Category.ADULT_EDUCATION,
    "成人教育": Category.ADULT_EDUCATION,
    "教工": Category.STAFF,
    "教职工": Category.STAFF,
}
_ROOM_KINDS = {
    **{k.value: k.value for k in RoomKind},
    "宿舍": RoomKind.DORMITORY,
    "学生宿舍": RoomKind.DORMITORY,
    "教工宿舍": RoomKind.STAFF,
    "教工公寓": RoomKind.STAFF,
    "staff_apartment": RoomKind.STAFF,
    "无障碍": RoomKind.ACCESSIBLE,
    "无障碍房间": RoomKind.ACCESSIBLE,
    "accessible_room": RoomKind.ACCESSIBLE,
    "客房": RoomKind.GUEST,
    "guest_room": RoomKind.GUEST,
}
_STUDENT_ID = re.compile(r"^[\w.@+-]+\Z")  # what a portal username may contain
_PHONE = re.compile(r"^[0-9+\-() ]+\Z")


def _to_int(value: str, suffixes: str = "") -> int | None:
    text = unicodedata.normalize("NFKC", value).strip()
    for suffix in suffixes:
        text = text.removesuffix(suffix).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _campus_key(value: str) -> str:
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()
    for suffix in ("校区", "campus"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return key


class _Campuses:
    """Campuses by code, name or English name, case-insensitively, with or without the
    "校区"/"campus" suffix. Imports never create campuses: an administrator does."""

    AMBIGUOUS = object()

    def __init__(self):
        self.all = list(Campus.objects.order_by("code"))
        self.by_key: dict[str, Any] = {}
        for campus in self.all:
            for value in (campus.code, campus.name, campus.name_en):
                if value:
                    key = _campus_key(value)
                    known = self.by_key.get(key)
                    self.by_key[key] = campus if known in (None, campus) else self.AMBIGUOUS

    def find(self, value: str) -> Campus | None:
        found = self.by_key.get(_campus_key(value))
        return None if found is self.AMBIGUOUS else found

    def unknown_message(self, value: str) -> str:
        if not self.all:
            return _(
                "Unknown campus “%(value)s”: no campus exists yet; an administrator creates "
                "the campuses first."
            ) % {"value": _shown(value)}
        known = ", ".join(f"{c.code} ({c.name})" for c in self.all)
        return _("Unknown campus “%(value)s”; known campuses: %(known)s.") % {
            "value": _shown(value),
            "known": known,
        }


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _AnyOf(Lookup):
    """`column = ANY(%s)` with the values as one array parameter: PostgreSQL plans it like
    IN (…), and the driver does not have to handle a query of 30,000 placeholders."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def _matching(queryset, field_name: str, values: Iterable) -> list:
    """The rows of `queryset` whose `field_name` is one of `values`: one query on PostgreSQL,
    elsewhere one per LOOKUP_CHUNK values (one for any ordinary file)."""
    values = list(values)
    if not values:
        return []
    if connection.vendor == "postgresql":
        return list(queryset.filter(_AnyOf(F(field_name), values)))
    return _in_chunks(lambda chunk: queryset.filter(**{f"{field_name}__in": chunk}), values)


def _in_chunks(make_query: Callable[[list], Iterable], values: Iterable) -> list:
    """Run `make_query(chunk)` over `values` in chunks of LOOKUP_CHUNK and concatenate: one
    query for any ordinary file, and never an IN list too long for the database."""
    values = list(values)
    found: list = []
    for chunk in _chunks(values):
        found.extend(make_query(chunk))
    return found


class _Conflict(Exception):
    """The data changed under the import (a concurrent desk or import): undo everything."""


# --- The engine ------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, str]  # field → cleaned text ("" when empty or absent)
    refused: set[str] = field(default_factory=set)  # fields already reported as unreadable


class _Importer(ABC):
    kind: str
    columns: tuple[Column, ...]
    action: str

    def __init__(self, *, file_name: str, actor, dry_run: bool):
        # The name comes from the uploader's machine: only text, and not a novel.
        file_name = _shown("".join(c for c in file_name if not _has_control(c)), 120)
        self.report = ImportReport(kind=self.kind, file_name=file_name, dry_run=dry_run)
        self.actor = actor
        self.headings: dict[str, str] = {}  # field → the column's heading in the file

    # The steps every import shares.

    def run(self, data: bytes) -> ImportReport:
        report = self.report
        try:
            table = read_table(data)
        except ImportFileError as exc:
            report.error(None, "", str(exc))
            return report
        report.notes.extend(table.notes)
        positions = self._map_header(table)
        if report.errors:
            return report
        rows = self._rows(table, positions)
        report.rows = len(rows)
        try:
            with transaction.atomic():
                plan = self.check(rows)
                if report.errors or report.dry_run:
                    return report
                self.apply(plan)
                audit_record(
                    actor=self.actor,
                    action=self.action,
                    changes={"file": report.file_name, "counts": report.counts()},
                )
                report.written = True
        except (IntegrityError, _Conflict) as exc:
            report.written = False
            report.error(
                None,
                "",
                _(
                    "The data changed while importing (%(error)s); nothing was imported. "
                    "Run the import again."
                )
                % {"error": _shown(str(exc).splitlines()[0] if str(exc) else "", 120)},
            )
        return report

    def _map_header(self, table: Table) -> dict[str, int]:
        names = {_header_key(name): column for column in self.columns for name in column.names}
        positions: dict[str, int] = {}
        ignored = []
        for index, heading in enumerate(table.header):
            heading = heading.strip()
            if not heading:
                continue
            column = names.get(_header_key(heading))
            if column is None:
                ignored.append(_shown(heading))
            elif column.field in positions:
                self.report.error(
                    table.header_line,
                    heading,
                    _("This column appears twice (also as “%(other)s”).")
                    % {"other": self.headings[column.field]},
                )
            else:
                positions[column.field] = index
                self.headings[column.field] = heading
        for column in self.columns:
            if column.required and column.field not in positions:
                self.report.error(
                    table.header_line, column.label, _("This required column is missing.")
                )
        if ignored:
            self.report.notes.append(
                _("Columns ignored (not known to this import): %(columns)s.")
                % {"columns": ", ".join(ignored)}
            )
        return positions

    def _rows(self, table: Table, positions: dict[str, int]) -> list[_Row]:
        rows = []
        for line, cells in table.rows:
            values, refused = {}, set()
            for name, index in positions.items():
                raw = cells[index] if index < len(cells) else ""
                value = raw.strip().strip(_EDGE_INVISIBLE).strip()
                if _has_control(value):
                    self.report.error(
                        line,
                        self.headings[name],
                        _("Contains control characters (such as line breaks); remove them."),
                    )
                    value = ""
                    refused.add(name)
                values[name] = value
            rows.append(_Row(line, values, refused))
        return rows

    def has(self, name: str) -> bool:
        return name in self.headings

    def fail(self, row: _Row, name: str, reason: str) -> None:
        self.report.error(row.line, self.headings.get(name, name), reason)

    def required(self, row: _Row, *names: str) -> bool:
        ok = not row.refused
        for name in names:
            if not row.values.get(name) and name not in row.refused:
                self.fail(row, name, _("This value is required."))
                ok = False
        return ok

    def text(self, row: _Row, name: str, max_length: int) -> str | None:
        value = row.values.get(name, "")
        if len(value) > max_length:
            self.fail(row, name, _("Too long: at most %(max)s characters.") % {"max": max_length})
            return None
        return value

    # The checks of one value: None, silently, for an empty value (required() reports those).

    def choice(self, row: _Row, name: str, mapping: dict, message: str, **extra) -> str | None:
        value = row.values.get(name, "")
        if not value:
            return None
        found = mapping.get(_value_key(value))
        if found is None:
            self.fail(row, name, message % {"value": _shown(value), **extra})
        return found

    def integer(
        self, row: _Row, name: str, low: int, high: int, message: str, suffixes: str = ""
    ) -> int | None:
        value = row.values.get(name, "")
        if not value:
            return None
        number = _to_int(value, suffixes)
        if number is None:
            self.fail(row, name, _("Not a whole number: “%(value)s”.") % {"value": _shown(value)})
        elif not low <= number <= high:
            self.fail(row, name, message % {"min": low, "max": high})
            return None
        return number

    def campus(self, row: _Row, campuses: _Campuses) -> Campus | None:
        value = row.values.get("campus", "")
        if not value:
            return None
        campus = campuses.find(value)
        if campus is None:
            self.fail(row, "campus", campuses.unknown_message(value))
        return campus

    @abstractmethod
    def check(self, rows: list[_Row]):
        """Every row's errors into the report; returns the plan of what to write."""

    @abstractmethod
    def apply(self, plan) -> None:
        """Write the plan (called only when no row has an error)."""


def _field_max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _insert(model, rows: list[dict[str, Any]], key: tuple[str, ...] = ()) -> dict[tuple, int]:
    """Insert `rows` (dicts of field values, all with the same fields; the other fields take
    their defaults) and return {values of the `key` fields: primary key}.

    On PostgreSQL this is one INSERT … SELECT FROM unnest(arrays): for 30,000 accounts 0.5 s
    where bulk_create takes 4 s, most of it preparing every field of every object in Python
    (bench/import_residents.py). It still runs through Django's cursor, so the query is
    logged and counted. Elsewhere (SQLite) it is bulk_create.
    """
    if not rows:
        return {}
    meta = model._meta
    names = list(rows[0])
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        if any(obj.pk is None for obj in objs):  # databases that do not return new ids
            raise ImproperlyConfigured(
                "Imports need a database that returns the ids of new rows (PostgreSQL, SQLite)."
            )
        return {tuple(getattr(obj, name) for name in key): obj.pk for obj in objs}
    template = model()  # the defaults, computed once for all rows
    columns, selects, params, arrays = [], [], [], []
    for model_field in meta.concrete_fields:
        if model_field.primary_key or getattr(model_field, "generated", False):
            continue
        db_type = model_field.db_type(connection)
        given = next((n for n in (model_field.name, model_field.attname) if n in names), None)
        if given is None:
            value = model_field.pre_save(template, add=True)
            if hasattr(value, "resolve_expression"):
                continue  # a database default: leave the column out
            selects.append(f"%s::{db_type}")
            params.append(model_field.get_db_prep_save(value, connection))
        else:
            selects.append(f"t.c{len(arrays)}")
            arrays.append((db_type, [row[given] for row in rows]))
        columns.append(connection.ops.quote_name(model_field.column))
    quote = connection.ops.quote_name
    key_columns = [quote(meta.get_field(name).column) for name in key]
    # Only names from the model's metadata, quoted, go into the text; every value is a parameter.
    table = quote(meta.db_table)
    unnest = ", ".join(f"%s::{db_type}[]" for db_type, _values in arrays)
    aliases = ", ".join(f"c{n}" for n in range(len(arrays)))
    returning = ", ".join([quote(meta.pk.column), *key_columns])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} "
    sql += f"FROM unnest({unnest}) AS t({aliases}) RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *(values for _db_type, values in arrays)])
        return {tuple(found): pk for pk, *found in cursor.fetchall()}


def _gender_policy(genders: Iterable[str]) -> str | None:
    """The policy all the genders agree on, or None if they differ (or there are none)."""
    distinct = set(genders)
    return distinct.pop() if len(distinct) == 1 else None


# --- Rooms -----------------------------------------------------------------------------------


@dataclass
class _RoomLine:
    row: _Row
    campus: Campus
    building: str  # the value in the file
    floor: int
    number: str
    beds: int
    gender: str
    kind: str | None  # None: not given (new rooms are dormitories, existing keep theirs)


@dataclass
class _RoomPlan:
    new_buildings: list[Building] = field(default_factory=list)
    changed_buildings: dict[int, tuple[Building, set[str]]] = field(default_factory=dict)
    new_rooms: list[tuple[Any, Room]] = field(default_factory=list)  # (building key, room)
    changed_rooms: list[tuple[Room, set[str]]] = field(default_factory=list)
    new_beds: list[tuple[Room, int]] = field(default_factory=list)
    removed_beds: list[int] = field(default_factory=list)


class RoomImporter(_Importer):
    kind = ImportKind.ROOMS
    columns = ROOM_COLUMNS
    action = "apartments.import_rooms"

    def check(self, rows: list[_Row]) -> _RoomPlan:
        # Rows with errors are left out; the others are still checked against the database,
        # so that one run reports every problem.
        lines = self._parse(rows)
        report = self.report

        # Preload: the buildings of the campuses named, their rooms, beds and current stays.
        campus_ids = {line.campus.pk for line in lines}
        buildings = list(Building.objects.filter(campus_id__in=campus_ids))
        by_code = {(b.campus_id, b.code.casefold()): b for b in buildings}
        by_name: dict[tuple[int, str], Building | None] = {}
        for b in buildings:
            for name in {b.name.casefold(), b.name_en.casefold()} - {""}:
                key = (b.campus_id, name)
                by_name[key] = b if by_name.get(key, b) is b else None

        def building_of(line: _RoomLine) -> Building | None:
            key = (line.campus.pk, line.building.casefold())
            return by_code.get(key) or by_name.get(key)

        matched = {building_of(line) for line in lines} - {None}
        matched_ids = [b.pk for b in matched]
        rooms = list(Room.objects.filter(building_id__in=matched_ids))
        room_by_number = {(r.building_id, r.number.casefold()): r for r in rooms}
        rooms_of_building: dict[int, list[Room]] = defaultdict(list)
        for room in rooms:
            rooms_of_building[room.building_id].append(room)
        beds: dict[int, dict[int, int]] = defaultdict(dict)  # room id → {number: bed id}
        for bed_id, room_id, number in Bed.objects.filter(
            room__building_id__in=matched_ids
        ).values_list("id", "room_id", "number"):
            beds[room_id][number] = bed_id
        current: dict[int, tuple[str, str]] = {}  # bed id → (status, resident's gender)
        for bed_id, status, gender in Stay.objects.filter(
            bed__room__building_id__in=matched_ids, status__in=Stay.CURRENT
        ).values_list("bed_id", "status", "resident__gender"):
            current[bed_id] = (status, gender)

        plan = _RoomPlan()
        seen: dict[Any, int] = {}
        new_buildings: dict[Any, Building] = {}
        new_building_genders: dict[Any, list[str]] = defaultdict(list)
        final_gender: dict[int, str] = {}  # existing room id → its gender after the import
        max_floor: dict[Any, int] = {}
        removal_candidates: list[tuple[_RoomLine, Room, int, int]] = []
        room_changes: dict[int, set[str]] = {}
        unchanged = 0

        for line in lines:
            building = building_of(line)
            if building is not None:
                bkey = ("db", building.pk)
            else:
                bkey = ("new", line.campus.pk, line.building.casefold())
            room_key = (bkey, line.number.casefold())
            if room_key in seen:
                self.fail(
                    line.row,
                    "room",
                    _("Duplicate of line %(line)s (the same building and room).")
                    % {"line": seen[room_key]},
                )
                continue
            seen[room_key] = line.row.line
            max_floor[bkey] = max(max_floor.get(bkey, line.floor), line.floor)
            label = f"{line.building}-{line.number}"

            room = room_by_number.get((building.pk, line.number.casefold())) if building else None
            if room is None:
                if building is None and bkey not in new_buildings:
                    new_buildings[bkey] = Building(
                        campus=line.campus, code=line.building, name=line.building
                    )
                new_room = Room(
                    floor=line.floor,
                    number=line.number,
                    kind=line.kind or RoomKind.DORMITORY,
                    gender=line.gender,
                    capacity=line.beds,
                )
                if building is not None:
                    new_room.building = building
                plan.new_rooms.append((bkey, new_room))
                plan.new_beds.extend((new_room, n) for n in range(1, line.beds + 1))
                if building is None:
                    new_building_genders[bkey].append(line.gender)
                continue

            changed = set()
            for name, value in (
                ("floor", line.floor),
                ("gender", line.gender),
                ("kind", line.kind),
                ("capacity", line.beds),
            ):
                if value is not None and getattr(room, name) != value:
                    setattr(room, name, value)
                    changed.add(name)
            final_gender[room.pk] = room.gender
            room_beds = beds.get(room.pk, {})
            missing = [n for n in range(1, line.beds + 1) if n not in room_beds]
            plan.new_beds.extend((room, n) for n in missing)
            for number, bed_id in sorted(room_beds.items()):
                if number > line.beds:
                    removal_candidates.append((line, room, number, bed_id))
            if "gender" in changed and room.gender != GenderPolicy.MIXED:
                others = {
                    gender
                    for number, bed_id in room_beds.items()
                    if number <= line.beds
                    for _status, gender in [current.get(bed_id, (None, None))]
                    if gender and gender != room.gender
                }
                if others:
                    self.fail(
                        line.row,
                        "gender",
                        _(
                            "Room %(room)s has current residents of another gender: move them "
                            "before changing the room's gender."
                        )
                        % {"room": label},
                    )
            if changed or missing:
                room_changes[room.pk] = changed
                plan.changed_rooms.append((room, changed))
            elif not any(number > line.beds for number in room_beds):
                unchanged += 1

        # Beds above a room's new size go only if nobody has ever stayed in them and no kit
        # was ever checked in them (stays and kit checks are kept as history, and the database
        # refuses to delete a bed that has either).
        if removal_candidates:
            candidate_ids = [c[3] for c in removal_candidates]
            with_history = set(
                _in_chunks(
                    lambda ids: (
                        Stay.objects.filter(bed_id__in=ids)
                        .values_list("bed_id", flat=True)
                        .distinct()
                    ),
                    candidate_ids,
                )
            )
            with_kit_checks = set(
                _in_chunks(
                    lambda ids: (
                        KitCheck.objects.filter(bed_id__in=ids)
                        .values_list("bed_id", flat=True)
                        .distinct()
                    ),
                    candidate_ids,
                )
            )
            for line, room, number, bed_id in removal_candidates:
                label = f"{line.building}-{line.number}"
                values = {"bed": number, "room": label}
                status = current.get(bed_id, (None, None))[0]
                if status == Stay.Status.ACTIVE:
                    self.fail(
                        line.row,
                        "beds",
                        _("Bed %(bed)s of room %(room)s is occupied; it cannot be removed.")
                        % values,
                    )
                elif status == Stay.Status.RESERVED:
                    self.fail(
                        line.row,
                        "beds",
                        _("Bed %(bed)s of room %(room)s is reserved; it cannot be removed.")
                        % values,
                    )
                elif bed_id in with_history:
                    self.fail(
                        line.row,
                        "beds",
                        _(
                            "Bed %(bed)s of room %(room)s has past stays on record; it cannot "
                            "be removed."
                        )
                        % values,
                    )
                elif bed_id in with_kit_checks:
                    self.fail(
                        line.row,
                        "beds",
                        _(
                            "Bed %(bed)s of room %(room)s has kit checks on record; it cannot "
                            "be removed."
                        )
                        % values,
                    )
                else:
                    plan.removed_beds.append(bed_id)
                    if room.pk not in room_changes:
                        room_changes[room.pk] = set()
                        plan.changed_rooms.append((room, set()))

        # Buildings: a new one takes the policy its rooms agree on (else mixed); an existing one
        # changes only when all its rooms now agree. Floors grow to the highest room.
        for bkey, building in new_buildings.items():
            building.gender_policy = (
                _gender_policy(new_building_genders[bkey]) or GenderPolicy.MIXED
            )
            building.floors = max(1, max_floor[bkey])
            plan.new_buildings.append(building)
        new_room_genders: dict[int, list[str]] = defaultdict(list)
        for bkey, room in plan.new_rooms:
            if bkey[0] == "db":
                new_room_genders[bkey[1]].append(room.gender)
        for building in matched:
            changed = set()
            genders = [final_gender.get(r.pk, r.gender) for r in rooms_of_building[building.pk]]
            policy = _gender_policy(genders + new_room_genders[building.pk])
            if policy and policy != building.gender_policy:
                building.gender_policy = policy
                changed.add("gender_policy")
            top = max_floor.get(("db", building.pk), 0)
            if top > building.floors:
                building.floors = top
                changed.add("floors")
            if changed:
                plan.changed_buildings[building.pk] = (building, changed)

        report.created = len(plan.new_rooms)
        report.updated = len(plan.changed_rooms)
        report.unchanged = unchanged
        report.details = {
            "buildings_created": len(plan.new_buildings),
            "buildings_updated": len(plan.changed_buildings),
            "beds_added": len(plan.new_beds),
            "beds_removed": len(plan.removed_beds),
        }
        return plan

    def _parse(self, rows: list[_Row]) -> list[_RoomLine]:
        campuses = _Campuses()
        lines = []
        building_max = _field_max(Building, "code")
        room_max = _field_max(Room, "number")
        # Translated once, not for each of 100,000 rows.
        bad_floor = _("Must be a floor between %(min)s and %(max)s.")
        bad_beds = _("Must be a number of beds between %(min)s and %(max)s.")
        bad_gender = _("Must be M (男), F (女) or X (混合), not “%(value)s”.")
        bad_kind = _("Unknown room type “%(value)s”; use one of: %(choices)s.")
        kinds = _kind_choices()
        for row in rows:
            errors_before = len(self.report.errors)
            self.required(row, "campus", "building", "floor", "room", "beds", "gender")
            campus = self.campus(row, campuses)
            building = self.text(row, "building", building_max)
            number = self.text(row, "room", room_max)
            floor = self.integer(row, "floor", MIN_FLOOR, MAX_FLOOR, bad_floor, suffixes="层楼Ff")
            beds = self.integer(row, "beds", MIN_BEDS, MAX_BEDS, bad_beds)
            gender = self.choice(row, "gender", _ROOM_GENDERS, bad_gender)
            kind = self.choice(row, "type", _ROOM_KINDS, bad_kind, choices=kinds)
            if not row.refused and len(self.report.errors) == errors_before:
                lines.append(_RoomLine(row, campus, building, floor, number, beds, gender, kind))
        return lines

    def apply(self, plan: _RoomPlan) -> None:
        Building.objects.bulk_create(plan.new_buildings)  # a few: every field is fine
        saved = {("new", b.campus_id, b.code.casefold()): b for b in plan.new_buildings}
        for bkey, room in plan.new_rooms:
            if bkey[0] == "new":
                room.building = saved[bkey]
        fields = ("building_id", "floor", "number", "kind", "gender", "capacity")
        room_ids = _insert(
            Room,
            [{name: getattr(room, name) for name in fields} for _key, room in plan.new_rooms],
            key=("building_id", "number"),
        )
        for _key, room in plan.new_rooms:
            room.pk = room_ids[(room.building_id, room.number)]
        _bulk_update(Building, list(plan.changed_buildings.values()))
        _bulk_update(Room, plan.changed_rooms)
        for chunk in _chunks(plan.removed_beds):
            Bed.objects.filter(pk__in=chunk, stays__isnull=True).delete()
        _insert(Bed, [{"room_id": room.pk, "number": number} for room, number in plan.new_beds])


def _kind_choices() -> str:
    return ", ".join(f"{k.value} ({zh})" for k, zh in zip(RoomKind, _KIND_ZH, strict=True))


_KIND_ZH = ("宿舍", "教工宿舍", "无障碍", "客房")


def _bulk_update(model, changes: list[tuple[models.Model, set[str]]]) -> None:
    """One bulk_update per set of changed fields: only what changed is written."""
    by_fields: dict[frozenset[str], list] = defaultdict(list)
    for obj, fields in changes:
        if fields:
            by_fields[frozenset(fields)].append(obj)
    for fields, objs in by_fields.items():
        model.objects.bulk_update(objs, sorted(fields), batch_size=BATCH_SIZE)


# --- Residents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BedInfo:
    id: int
    label: str  # "S01-101-2"


@dataclass
class _ResidentLine:
    row: _Row
    student_id: str
    fields: dict[str, Any]  # the Resident's fields as the file gives them
    bed: _BedInfo | None


@dataclass
class _ResidentPlan:
    new_users: list[dict[str, str]] = field(default_factory=list)
    renamed_users: list[tuple[User, set[str]]] = field(default_factory=list)
    new_residents: list[dict[str, Any]] = field(default_factory=list)
    changed_residents: list[tuple[Resident, set[str]]] = field(default_factory=list)
    link_user: set[str] = field(default_factory=set)  # student ids whose account to link
    cancel_stays: list[int] = field(default_factory=list)
    new_stays: list[tuple[str, int]] = field(default_factory=list)  # (student id, bed id)
    resident_ids: dict[str, int] = field(default_factory=dict)  # of the residents there already


class ResidentImporter(_Importer):
    kind = ImportKind.RESIDENTS
    columns = RESIDENT_COLUMNS
    action = "apartments.import_residents"
    bed_buildings: list[int] = []  # the buildings of the beds asked for (set by _bed_lookup)

    def check(self, rows: list[_Row]) -> _ResidentPlan:
        # Rows with errors are left out; the others are still checked against the database.
        lines = self._parse(rows)
        report = self.report
        plan = _ResidentPlan()

        # Preload: the residents (with their account's name), the accounts named like the new
        # ones, and the current stays of these residents and of the buildings asked for.
        compared = ("name", "gender", "category", "campus_id", "college", "class_name", "phone")
        existing = {
            sid: (pk, dict(zip(compared, values, strict=True)), user_id, full_name)
            for sid, pk, user_id, full_name, *values in _matching(
                Resident.objects.values_list(
                    "student_id", "id", "user_id", "user__full_name", *compared
                ),
                "student_id",
                [line.student_id for line in lines],
            )
        }
        need_account = [
            line.student_id
            for line in lines
            if existing.get(line.student_id, (0, 0, None))[2] is None
        ]
        accounts = {
            username: (pk, owner)
            for username, pk, owner in _matching(
                User.objects.values_list("username", "id", "resident__id"), "username", need_account
            )
        }
        stay_fields = ("id", "bed_id", "status", "resident__student_id")
        current = Stay.objects.filter(status__in=Stay.CURRENT).values_list(*stay_fields)
        stays = _matching(current, "resident_id", [pk for pk, *_rest in existing.values()])
        if self.bed_buildings:
            stays += current.filter(bed__room__building_id__in=self.bed_buildings)
        stay_of_resident = {sid: (pk, bed, status) for pk, bed, status, sid in stays}
        stay_on_bed = {bed: (sid, status) for _pk, bed, status, sid in stays}

        unusable = make_password(None)  # once per import, not per row
        kept_checked_in = 0
        claims: list[_ResidentLine] = []  # rows that reserve a bed
        moving: set[str] = set()  # residents whose current reservation moves to another bed
        for line in lines:
            sid = line.student_id
            found = existing.get(sid)
            if found is None:
                plan.new_residents.append({"student_id": sid, **line.fields})
                user_id = None
            else:
                pk, values, user_id, full_name = found
                plan.resident_ids[sid] = pk
                changed = {name for name, value in line.fields.items() if values[name] != value}
                if "name" in changed and user_id and full_name == values["name"]:
                    # The account's name follows the registrar's, unless someone changed it.
                    plan.renamed_users.append(
                        (User(pk=user_id, full_name=line.fields["name"]), {"full_name"})
                    )
            if user_id is None:
                account, owner = accounts.get(sid, (None, None))
                if account is None:
                    plan.new_users.append(
                        {"username": sid, "full_name": line.fields["name"], "password": unusable}
                    )
                    plan.link_user.add(sid)
                elif owner is None:
                    plan.link_user.add(sid)
                else:
                    report.notes.append(
                        _(
                            "line %(line)s: the portal account %(username)s belongs to another "
                            "resident; this resident was left without an account."
                        )
                        % {"line": line.row.line, "username": sid}
                    )
            if found is not None:
                if sid in plan.link_user:
                    changed.add("user")
                if changed:
                    resident = Resident(pk=pk, student_id=sid, **line.fields)
                    plan.changed_residents.append((resident, changed))
                else:
                    report.unchanged += 1

            if line.bed is None:
                continue
            own = stay_of_resident.get(sid)
            if own and own[1] == line.bed.id:
                continue  # already reserved for (or living in) this very bed
            if own and own[2] == Stay.Status.ACTIVE:
                kept_checked_in += 1  # checked in elsewhere: the desk moves them, not a file
                continue
            if own:
                moving.add(sid)
            claims.append(line)

        claimed: dict[int, int] = {}  # bed id → the line that reserves it
        for line in claims:
            bed = line.bed
            if bed.id in claimed:
                self.fail(
                    line.row,
                    "bed",
                    _("Bed %(bed)s is already given to line %(line)s.")
                    % {"bed": bed.label, "line": claimed[bed.id]},
                )
                continue
            claimed[bed.id] = line.row.line
            holder, status = stay_on_bed.get(bed.id, (None, None))
            if holder is not None and holder != line.student_id:
                if status == Stay.Status.ACTIVE:
                    self.fail(
                        line.row,
                        "bed",
                        _("Bed %(bed)s is occupied by %(student_id)s.")
                        % {"bed": bed.label, "student_id": holder},
                    )
                    continue
                if holder not in moving:
                    self.fail(
                        line.row,
                        "bed",
                        _("Bed %(bed)s is reserved for %(student_id)s.")
                        % {"bed": bed.label, "student_id": holder},
                    )
                    continue
            own = stay_of_resident.get(line.student_id)
            if own:
                plan.cancel_stays.append(own[0])
            plan.new_stays.append((line.student_id, bed.id))

        if kept_checked_in:
            report.notes.append(
                ngettext(
                    "%(count)s resident is already checked in elsewhere and was left in their bed.",
                    "%(count)s residents are already checked in elsewhere and were left in "
                    "their beds.",
                    kept_checked_in,
                )
                % {"count": kept_checked_in}
            )
        report.created = len(plan.new_residents)
        report.updated = len(plan.changed_residents)
        report.details = {
            "accounts_created": len(plan.new_users),
            "reservations_made": len(plan.new_stays),
            "reservations_moved": len(plan.cancel_stays),
            "checked_in_kept": kept_checked_in,
        }
        return plan

    def _parse(self, rows: list[_Row]) -> list[_ResidentLine]:
        campuses = _Campuses()
        maxima = {
            "student_id": min(_field_max(Resident, "student_id"), _field_max(User, "username")),
            "name": min(_field_max(Resident, "name"), _field_max(User, "full_name")),
            "college": _field_max(Resident, "college"),
            "class": _field_max(Resident, "class_name"),
            "phone": _field_max(Resident, "phone"),
            "building": _field_max(Building, "code"),
            "room": _field_max(Room, "number"),
        }
        categories = ", ".join(
            f"{c.value} ({zh})" for c, zh in zip(Category, _CATEGORY_ZH, strict=True)
        )
        # Translated once, not for each of 100,000 rows.
        bad_gender = _("Must be M (男) or F (女), not “%(value)s”.")
        bad_category = _("Unknown category “%(value)s”; use one of: %(choices)s.")
        seen: dict[str, int] = {}
        parsed = []
        for row in rows:
            errors_before = len(self.report.errors)
            self.required(row, "student_id", "name", "gender", "category", "campus")
            texts = {name: self.text(row, name, limit) for name, limit in maxima.items()}
            sid = texts["student_id"]
            if sid and not _STUDENT_ID.match(sid):
                self.fail(
                    row,
                    "student_id",
                    _("A student id may contain only letters, digits and @ . + - _"),
                )
            elif sid:
                if sid in seen:
                    self.fail(
                        row,
                        "student_id",
                        _("Duplicate of line %(line)s (the same student id).")
                        % {"line": seen[sid]},
                    )
                else:
                    seen[sid] = row.line
            if texts["phone"] and not _PHONE.match(texts["phone"]):
                self.fail(
                    row, "phone", _("A phone number may contain only digits, spaces and + - ( )")
                )
            gender = self.choice(row, "gender", _GENDERS, bad_gender)
            category = self.choice(row, "category", _CATEGORIES, bad_category, choices=categories)
            campus = self.campus(row, campuses)
            if row.refused or len(self.report.errors) > errors_before:
                continue
            fields = {
                "name": texts["name"],
                "gender": gender,
                "category": category,
                "campus_id": campus.pk,
                "college": texts["college"] or "",
            }
            if self.has("class"):
                fields["class_name"] = texts["class"] or ""
            if self.has("phone"):
                fields["phone"] = texts["phone"] or ""
            parsed.append((row, sid, fields, campus))

        # Beds: building, room and bed together; they must exist (rooms are imported first).
        beds = self._bed_lookup(parsed)
        lines = []
        for row, sid, fields, campus in parsed:
            bed = self._bed(row, fields, campus, beds) if beds is not None else None
            lines.append(_ResidentLine(row, sid, fields, bed))
        return lines

    def _bed_lookup(self, parsed):
        if not any(self.has(name) for name in ("building", "room", "bed")):
            return None
        wanted = {row.values.get("building", "").casefold() for row, *_rest in parsed} - {""}
        by_value: dict[str, list[Building]] = defaultdict(list)  # code or name → buildings
        for b in Building.objects.select_related("campus").order_by("campus__code", "code"):
            for value in {b.code.casefold(), b.name.casefold(), b.name_en.casefold()} & wanted:
                by_value[value].append(b)
        buildings = {b for found in by_value.values() for b in found}
        ids = self.bed_buildings = [b.pk for b in buildings]
        rooms = {
            r.pk: r
            for r in Room.objects.filter(building_id__in=ids).only(
                "id", "building_id", "number", "gender"
            )
        }
        rooms_by_number = {(r.building_id, r.number.casefold()): r for r in rooms.values()}
        beds = {
            (room_id, number): bed_id
            for bed_id, room_id, number in Bed.objects.filter(
                room__building_id__in=ids
            ).values_list("id", "room_id", "number")
        }
        return {"buildings": by_value, "rooms": rooms_by_number, "beds": beds}

    def _bed(self, row, fields, campus, lookup) -> _BedInfo | None:
        given = {name: row.values.get(name, "") for name in ("building", "room", "bed")}
        if not any(given.values()):
            return None
        missing = [name for name, value in given.items() if not value]
        if missing:
            self.fail(
                row,
                missing[0],
                _("A bed reservation needs building, room and bed together; missing: %(missing)s.")
                % {"missing": ", ".join(self.headings.get(m, m) for m in missing)},
            )
            return None
        number = _to_int(given["bed"], suffixes="床号")
        if number is None or not 1 <= number <= MAX_BED_NUMBER:
            self.fail(
                row, "bed", _("Not a bed number: “%(value)s”.") % {"value": _shown(given["bed"])}
            )
            return None
        matches = lookup["buildings"].get(given["building"].casefold(), [])
        building = next((b for b in matches if b.campus_id == campus.pk), None)
        if building is None and matches:
            self.fail(
                row,
                "building",
                _(
                    "Building %(building)s is on campus %(other)s, not on the resident's "
                    "campus %(campus)s."
                )
                % {"building": matches[0].code, "other": matches[0].campus, "campus": campus},
            )
            return None
        if building is None:
            self.fail(
                row,
                "building",
                _("No building “%(value)s” on campus %(campus)s.")
                % {"value": _shown(given["building"]), "campus": campus},
            )
            return None
        room = lookup["rooms"].get((building.pk, given["room"].casefold()))
        if room is None:
            self.fail(
                row,
                "room",
                _("No room %(room)s in building %(building)s.")
                % {"room": _shown(given["room"]), "building": building.code},
            )
            return None
        room_label = f"{building.code}-{room.number}"
        bed_id = lookup["beds"].get((room.pk, number))
        if bed_id is None:
            self.fail(
                row,
                "bed",
                _("No bed %(bed)s in room %(room)s.") % {"bed": number, "room": room_label},
            )
            return None
        gender = fields["gender"]
        for place, policy in ((room_label, room.gender), (building.code, building.gender_policy)):
            if policy not in (GenderPolicy.MIXED, gender):
                message = (
                    _("%(place)s houses women only; this resident is a man.")
                    if policy == GenderPolicy.FEMALE
                    else _("%(place)s houses men only; this resident is a woman.")
                )
                self.fail(row, "room", message % {"place": place})
                return None
        if building.categories and fields["category"] not in building.categories:
            self.fail(
                row,
                "building",
                _("Building %(building)s does not house residents of the category %(category)s.")
                % {"building": building.code, "category": Category(fields["category"]).label},
            )
            return None
        return _BedInfo(id=bed_id, label=f"{room_label}-{number}")

    def apply(self, plan: _ResidentPlan) -> None:
        now = timezone.now()
        user_ids = {
            username: pk for (username,), pk in _insert(User, plan.new_users, ("username",)).items()
        }
        # Accounts that existed before, now linked to their resident: those may hold roles.
        existing_accounts = [sid for sid in plan.link_user if sid not in user_ids]
        found = dict(
            _matching(User.objects.values_list("username", "id"), "username", existing_accounts)
        )
        granted = set(
            _matching(
                RoleGrant.objects.filter(
                    role=Role.STUDENT, campus=None, department=None
                ).values_list("user_id", flat=True),
                "user_id",
                found.values(),
            )
        )
        user_ids.update(found)
        # Every newly linked account gets the resident's role, once. Filtered by hand: SQLite
        # cannot enforce RoleGrant's NULLS NOT DISTINCT constraint.
        _insert(
            RoleGrant,
            [
                {"user_id": user_ids[sid], "role": Role.STUDENT}
                for sid in sorted(plan.link_user)
                if user_ids[sid] not in granted
            ],
        )

        for row in plan.new_residents:
            row["user_id"] = user_ids.get(row["student_id"])
        new_ids = _insert(Resident, plan.new_residents, ("student_id",))
        for resident, changed in plan.changed_residents:
            if resident.student_id in plan.link_user:
                resident.user_id = user_ids[resident.student_id]
            if "campus_id" in changed:
                changed.discard("campus_id")
                changed.add("campus")
        _bulk_update(Resident, plan.changed_residents)
        _bulk_update(User, plan.renamed_users)

        # Moves: the old reservations end before the new ones begin (one current stay per
        # bed and per resident). Only reservations: one checked in meanwhile stays as it is,
        # and the import is undone.
        cancelled = 0
        for chunk in _chunks(plan.cancel_stays):
            cancelled += Stay.objects.filter(pk__in=chunk, status=Stay.Status.RESERVED).update(
                status=Stay.Status.CANCELLED, ended_at=now
            )
        if cancelled != len(plan.cancel_stays):
            raise _Conflict(_("a reservation changed meanwhile"))
        resident_ids = {**plan.resident_ids, **{sid: pk for (sid,), pk in new_ids.items()}}
        _insert(
            Stay,
            [
                {
                    "resident_id": resident_ids[sid],
                    "bed_id": bed_id,
                    "status": Stay.Status.RESERVED,
                    "reserved_at": now,
                }
                for sid, bed_id in plan.new_stays
            ],
        )


_CATEGORY_ZH = ("本科生", "专升本", "研究生", "博士生", "成教", "教工")

# --- Assets ----------------------------------------------------------------------------------

ASSET_COLUMNS = (
    Column("campus", "campus", "校区"),
    Column("building", "building", "楼栋", required=False, other_names=("楼号", "公寓")),
    Column("room", "room", "房间", required=False, other_names=("房间号", "房号")),
    Column("storeroom", "storeroom", "库房", required=False, other_names=("仓库", "store")),
    Column("type", "type", "资产类型", other_names=("asset_type", "资产类别", "类型")),
    Column("tag", "tag", "资产编号", other_names=("tag_number", "asset_tag", "编号", "资产标签")),
    Column("condition", "condition", "状况", required=False, other_names=("状态",)),
    Column(
        "acquired_on",
        "acquired_on",
        "购置日期",
        required=False,
        other_names=("acquired", "purchase_date", "购买日期"),
    ),
)

_CONDITION_ZH = ("完好", "老化", "损坏", "丢失", "报废")
_CONDITIONS = {
    **{c.value: c.value for c in AssetCondition},
    **dict(zip(_CONDITION_ZH, AssetCondition.values, strict=True)),
    "ok": AssetCondition.GOOD,
    "良好": AssetCondition.GOOD,
    "正常": AssetCondition.GOOD,
    "破损": AssetCondition.DAMAGED,
    "缺失": AssetCondition.MISSING,
    "lost": AssetCondition.MISSING,
}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?\Z")
# Excel stores a date as days since 1899-12-30; a cell not formatted as a date shows the number.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_SERIALS = (18264, 73051)  # 1950-01-01 … 2099-12-31


def _parse_date(value: str) -> date | None:
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    serial = _to_int(text)
    if serial is not None and _EXCEL_SERIALS[0] <= serial <= _EXCEL_SERIALS[1]:
        return _EXCEL_EPOCH + timedelta(days=serial)
    return None


@dataclass
class _AssetLine:
    row: _Row
    tag: str
    type_id: int
    room_id: int | None
    storeroom_id: int | None
    condition: str | None  # None: not given (new assets are good, existing keep theirs)
    acquired_on: date | None  # None: not given (existing keep theirs)


@dataclass
class _AssetPlan:
    new_assets: list[dict[str, Any]] = field(default_factory=list)
    changed_assets: list[tuple[Asset, set[str]]] = field(default_factory=list)


class AssetImporter(_Importer):
    """Assets by tag: a new tag is created, a known one updated (its type, place, condition
    and purchase date as the file gives them). Asset types and storerooms are the admin's:
    the file must name ones that exist."""

    kind = ImportKind.ASSETS
    columns = ASSET_COLUMNS
    action = "apartments.import_assets"

    def check(self, rows: list[_Row]) -> _AssetPlan:
        lines = self._parse(rows)
        plan = _AssetPlan()
        existing = {
            tag: (pk, values)
            for tag, pk, *values in _matching(
                Asset.objects.values_list(
                    "tag",
                    "id",
                    "asset_type_id",
                    "room_id",
                    "storeroom_id",
                    "condition",
                    "acquired_on",
                ),
                "tag",
                [line.tag for line in lines],
            )
        }
        moved = 0
        for line in lines:
            found = existing.get(line.tag)
            if found is None:
                new = {
                    "tag": line.tag,
                    "asset_type_id": line.type_id,
                    "room_id": line.room_id,
                    "storeroom_id": line.storeroom_id,
                    "condition": line.condition or AssetCondition.GOOD,
                    "acquired_on": line.acquired_on,
                }
                plan.new_assets.append(new)
                continue
            pk, (type_id, room_id, storeroom_id, condition, acquired_on) = found
            asset = Asset(
                pk=pk,
                tag=line.tag,
                asset_type_id=type_id,
                room_id=room_id,
                storeroom_id=storeroom_id,
                condition=condition,
                acquired_on=acquired_on,
            )
            changed = set()
            for name, attname, value in (
                ("asset_type", "asset_type_id", line.type_id),
                ("room", "room_id", line.room_id),
                ("storeroom", "storeroom_id", line.storeroom_id),
                ("condition", "condition", line.condition),
                ("acquired_on", "acquired_on", line.acquired_on),
            ):
                if name in ("condition", "acquired_on") and value is None:
                    continue  # not given: kept
                if getattr(asset, attname) != value:
                    setattr(asset, attname, value)
                    changed.add(name)
            if {"room", "storeroom"} & changed:
                moved += 1
            if changed:
                plan.changed_assets.append((asset, changed))
            else:
                self.report.unchanged += 1
        self.report.created = len(plan.new_assets)
        self.report.updated = len(plan.changed_assets)
        self.report.details = {"moved": moved}
        return plan

    def _parse(self, rows: list[_Row]) -> list[_AssetLine]:
        report = self.report
        campuses = _Campuses()
        types = _AssetTypes()
        tag_max = _field_max(Asset, "tag")
        building_max = _field_max(Building, "code")
        room_max = _field_max(Room, "number")
        storeroom_max = _field_max(Storeroom, "code")
        bad_condition = _("Unknown condition “%(value)s”; use one of: %(choices)s.")
        conditions = ", ".join(
            f"{c.value} ({zh})" for c, zh in zip(AssetCondition, _CONDITION_ZH, strict=True)
        )
        bad_date = _("Not a date: “%(value)s”; write it as YYYY-MM-DD (e.g. 2024-09-01).")
        future_date = _("A purchase date cannot be in the future.")
        today = timezone.localdate()
        seen: dict[str, int] = {}
        parsed = []
        for row in rows:
            errors_before = len(report.errors)
            self.required(row, "campus", "type", "tag")
            tag = self.text(row, "tag", tag_max)
            building = self.text(row, "building", building_max)
            room = self.text(row, "room", room_max)
            storeroom = self.text(row, "storeroom", storeroom_max)
            if tag:
                if tag in seen:
                    self.fail(
                        row,
                        "tag",
                        _("Duplicate of line %(line)s (the same tag number).")
                        % {"line": seen[tag]},
                    )
                else:
                    seen[tag] = row.line
            campus = self.campus(row, campuses)
            type_value = row.values.get("type", "")
            asset_type = types.find(type_value) if type_value else None
            if type_value and asset_type is None:
                self.fail(row, "type", types.unknown_message(type_value))
            condition = self.choice(
                row, "condition", _CONDITIONS, bad_condition, choices=conditions
            )
            acquired_on = None
            date_value = row.values.get("acquired_on", "")
            if date_value:
                acquired_on = _parse_date(date_value)
                if acquired_on is None:
                    self.fail(row, "acquired_on", bad_date % {"value": _shown(date_value)})
                elif acquired_on > today:
                    self.fail(row, "acquired_on", future_date)
                    acquired_on = None
            if (building or room) and storeroom:
                self.fail(
                    row,
                    "storeroom",
                    _("Give either a building and room or a storeroom, not both."),
                )
            elif not (building or room or storeroom) and "room" not in row.refused:
                self.fail(
                    row,
                    "room" if self.has("room") else "storeroom",
                    _("Where is this asset? Give a building and room, or a storeroom."),
                )
            elif (building or room) and not (building and room):
                missing = "room" if building else "building"
                self.fail(
                    row,
                    missing,
                    _("A room needs building and room together; missing: %(missing)s.")
                    % {"missing": self.headings.get(missing, missing)},
                )
            if row.refused or len(report.errors) > errors_before:
                continue
            parsed.append(
                (row, tag, asset_type, campus, building, room, storeroom, condition, acquired_on)
            )

        places = self._places(parsed)
        lines = []
        for row, tag, asset_type, campus, building, room, storeroom, condition, acquired in parsed:
            room_id = storeroom_id = None
            if storeroom:
                storeroom_id = places.storeroom(campus, storeroom)
                if storeroom_id is None:
                    self.fail(
                        row,
                        "storeroom",
                        _(
                            "No storeroom “%(value)s” on campus %(campus)s; storerooms are "
                            "created in the administration."
                        )
                        % {"value": _shown(storeroom), "campus": campus},
                    )
                    continue
            else:
                found = places.building(campus, building)
                if found is None:
                    self.fail(
                        row,
                        "building",
                        _("No building “%(value)s” on campus %(campus)s.")
                        % {"value": _shown(building), "campus": campus},
                    )
                    continue
                room_id = places.rooms.get((found.pk, room.casefold()))
                if room_id is None:
                    self.fail(
                        row,
                        "room",
                        _("No room %(room)s in building %(building)s.")
                        % {"room": _shown(room), "building": found.code},
                    )
                    continue
            lines.append(
                _AssetLine(row, tag, asset_type.pk, room_id, storeroom_id, condition, acquired)
            )
        return lines

    def _places(self, parsed) -> _AssetPlaces:
        """The buildings, their rooms and the storerooms of the campuses named: three queries."""
        campus_ids = {campus.pk for _row, _tag, _type, campus, *_rest in parsed}
        places = _AssetPlaces()
        buildings = list(Building.objects.filter(campus_id__in=campus_ids))
        for b in buildings:
            places.by_code[(b.campus_id, b.code.casefold())] = b
            for name in {b.name.casefold(), b.name_en.casefold()} - {""}:
                key = (b.campus_id, name)
                places.by_name[key] = b if places.by_name.get(key, b) is b else None
        wanted = {
            found.pk
            for _row, _tag, _type, campus, building, *_rest in parsed
            if building and (found := places.building(campus, building)) is not None
        }
        places.rooms = {
            (building_id, number.casefold()): pk
            for pk, building_id, number in Room.objects.filter(building_id__in=wanted).values_list(
                "id", "building_id", "number"
            )
        }
        for s in Storeroom.objects.filter(campus_id__in=campus_ids):
            places.storerooms[(s.campus_id, s.code.casefold())] = s.pk
            for name in {s.name.casefold(), s.name_en.casefold()} - {""}:
                key = (s.campus_id, name)
                places.storeroom_names[key] = (
                    s.pk if places.storeroom_names.get(key, s.pk) == s.pk else None
                )
        return places

    def apply(self, plan: _AssetPlan) -> None:
        _insert(Asset, plan.new_assets)
        now = timezone.now()
        for asset, changed in plan.changed_assets:
            asset.updated_at = now  # bulk_update does not touch auto_now fields itself
            changed.add("updated_at")
        _bulk_update(Asset, plan.changed_assets)


@dataclass
class _AssetPlaces:
    by_code: dict[tuple[int, str], Building] = field(default_factory=dict)
    by_name: dict[tuple[int, str], Building | None] = field(default_factory=dict)
    rooms: dict[tuple[int, str], int] = field(default_factory=dict)
    storerooms: dict[tuple[int, str], int] = field(default_factory=dict)
    storeroom_names: dict[tuple[int, str], int | None] = field(default_factory=dict)

    def building(self, campus: Campus, value: str) -> Building | None:
        key = (campus.pk, value.casefold())
        return self.by_code.get(key) or self.by_name.get(key)

    def storeroom(self, campus: Campus, value: str) -> int | None:
        key = (campus.pk, value.casefold())
        return self.storerooms.get(key) or self.storeroom_names.get(key)


class _AssetTypes:
    """Asset types by code, Chinese or English name. Imports never create them: the price
    list is kept in the administration."""

    def __init__(self):
        self.all = list(AssetType.objects.order_by("code"))
        self.by_key: dict[str, AssetType | None] = {}
        for asset_type in self.all:
            for value in (asset_type.code, asset_type.name, asset_type.name_en):
                if value:
                    key = _value_key(value)
                    known = self.by_key.get(key, asset_type)
                    self.by_key[key] = asset_type if known is asset_type else None

    def find(self, value: str) -> AssetType | None:
        return self.by_key.get(_value_key(value))

    def unknown_message(self, value: str) -> str:
        if not self.all:
            return _(
                "Unknown asset type “%(value)s”: no asset type exists yet; an administrator "
                "creates them in the administration (with their prices)."
            ) % {"value": _shown(value)}
        known = ", ".join(f"{t.code} ({t.name})" for t in self.all)
        return _("Unknown asset type “%(value)s”; known types: %(known)s.") % {
            "value": _shown(value),
            "known": known,
        }


IMPORTERS: dict[str, type[_Importer]] = {
    ImportKind.ROOMS: RoomImporter,
    ImportKind.RESIDENTS: ResidentImporter,
    ImportKind.ASSETS: AssetImporter,
}


def run_import(
    kind: str, *, data: bytes, file_name: str, actor=None, dry_run=False
) -> ImportReport:
    """Import `data` (the file's bytes) as rooms or residents; see the module's docstring."""
    return IMPORTERS[kind](file_name=file_name, actor=actor, dry_run=dry_run).run(data)


def import_rooms(*, data: bytes, file_name: str, actor=None, dry_run=False) -> ImportReport:
    return run_import(
        ImportKind.ROOMS, data=data, file_name=file_name, actor=actor, dry_run=dry_run
    )


def import_assets(*, data: bytes, file_name: str, actor=None, dry_run=False) -> ImportReport:
    return run_import(
        ImportKind.ASSETS, data=data, file_name=file_name, actor=actor, dry_run=dry_run
    )


def import_residents(*, data: bytes, file_name: str, actor=None, dry_run=False) -> ImportReport:
    return run_import(
        ImportKind.RESIDENTS, data=data, file_name=file_name, actor=actor, dry_run=dry_run
    )


# --- Templates -------------------------------------------------------------------------------


def template_rows(kind: str) -> list[list[str]]:
    """The Chinese header row and one example row, for the downloadable templates."""
    campus = Campus.objects.order_by("code").first()
    campus_name = campus.name if campus else "松北校区"
    if kind == ImportKind.ROOMS:
        return [
            [c.chinese for c in ROOM_COLUMNS],
            [campus_name, "S01", "1", "101", "4", "男", "宿舍"],
        ]
    if kind == ImportKind.ASSETS:
        asset_type = AssetType.objects.order_by("code").first()
        return [
            [c.chinese for c in ASSET_COLUMNS],
            [
                campus_name,
                "S01",
                "101",
                "",
                asset_type.code if asset_type else "chair",
                "S01-101-chair-1",
                "完好",
                "2024-09-01",
            ],
        ]
    return [
        [c.chinese for c in RESIDENT_COLUMNS],
        [
            "2025000001",
            "张三",
            "男",
            "本科生",
            campus_name,
            "计算机学院",
            "计科25-1班",
            "S01",
            "101",
            "1",
            "13800000000",
        ],
    ]


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "ImportFileError",
    "ImportKind",
    "ImportReport",
    "RowError",
    "import_assets",
    "import_residents",
    "import_rooms",
    "may_import",
    "read_limited",
    "read_table",
    "run_import",
    "template_rows",
]

"""The engine every import shares: map the header, clean every cell, check every row
(collecting every error), and apply all of it in one transaction or nothing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apartments.imports.bulk import _field_max
from apartments.imports.reader import (
    ImportFileError,
    Table,
    read_table,
)
from apartments.imports.report import ImportReport
from apartments.imports.values import (
    _EDGE_INVISIBLE,
    Column,
    _campus_key,
    _Campuses,
    _formula_start,
    _has_control,
    _header_key,
    _shown,
    _to_int,
    _value_key,
)
from logistics.models import Campus
from logistics.services import audit_record


class _Conflict(Exception):
    """The data changed under the import (a concurrent desk or import): undo everything."""


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

    def code_or_name(self, row: _Row, name: str, max_length: int) -> str | None:
        """A value the import stores as a code or a name: text(), and never one a spreadsheet
        would run as a formula when the value is exported or pasted there."""
        value = self.text(row, name, max_length)
        start = _formula_start(value or "")
        if start:
            self.fail(
                row,
                name,
                _(
                    "Starts with “%(char)s”: a spreadsheet would run it as a formula. Codes and "
                    "names may not start with = + - or @."
                )
                % {"char": start},
            )
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
        if campus is not None:
            return campus
        if campuses.create and not campuses.is_ambiguous(value):
            if self.code_or_name(row, "campus", _field_max(Campus, "name")) is None:
                return None
            return campuses.to_create(value)
        campuses.unknown.setdefault(_campus_key(value), value)
        self.fail(row, "campus", campuses.unknown_message(value))
        return None

    @abstractmethod
    def check(self, rows: list[_Row]):
        """Every row's errors into the report; returns the plan of what to write."""

    @abstractmethod
    def apply(self, plan) -> None:
        """Write the plan (called only when no row has an error)."""

"""Reading a spreadsheet for any app's import: CSV (UTF-8, UTF-16 or GB18030, any delimiter)
or .xlsx, decided by content, within size limits; every cell comes back as text."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILE_MB = MAX_FILE_BYTES // (1024 * 1024)
MAX_ROWS = 100_000
# An .xlsx is a zip; refuse one that unpacks to far more than any real export would.
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_COLUMNS = 64


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, size, encoding)."""


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

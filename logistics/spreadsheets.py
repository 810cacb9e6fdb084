"""Excel files the portal writes. Every value is written as text or a number, never as a
formula: a name like =HYPERLINK(...) from an imported file must not run in someone's Excel."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(sheet, value):
    """A cell holding `value`; strings are always plain text."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


class XlsxWriter:
    """A write-only workbook with one sheet, streamed into an HTTP download."""

    def __init__(self, title: str, header: Iterable[str]):
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title[:31])  # Excel's limit for sheet names
        self.append(header)

    def append(self, values: Iterable) -> None:
        self.sheet.append([safe_cell(self.sheet, v) for v in values])

    def response(self, filename: str) -> HttpResponse:
        response = HttpResponse(content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        self.workbook.save(response)
        return response

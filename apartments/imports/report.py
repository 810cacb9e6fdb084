"""What an import reports: its kind, its counts, every bad row with its line."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


class ImportKind(models.TextChoices):
    ROOMS = "rooms", gettext_lazy("Rooms and beds")
    RESIDENTS = "residents", gettext_lazy("Residents and their portal accounts")
    ASSETS = "assets", gettext_lazy("Room and storeroom assets")


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
    campuses: list[str] = field(default_factory=list)  # rooms: the campuses the file creates
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
        if self.campuses:
            created = _("Campuses created: %(campuses)s.")
            to_create = _("Campuses to create: %(campuses)s.")
            lines.append(
                (created if self.written else to_create) % {"campuses": ", ".join(self.campuses)}
            )
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

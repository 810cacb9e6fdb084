from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apartments.imports import MAX_FILE_BYTES, ImportKind, run_import, too_large_message


class Command(BaseCommand):
    help = (
        "Import rooms (campus, building, floor, room, beds, gender; optional type) from a .csv "
        "or .xlsx file with English or Chinese headers. A file with any bad row imports "
        "nothing; importing a file again updates, never duplicates. An unknown campus is a bad "
        "row unless --create-campuses is given."
    )
    kind = ImportKind.ROOMS

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file only; write nothing"
        )
        if self.kind == ImportKind.ROOMS:
            parser.add_argument(
                "--create-campuses",
                action="store_true",
                help=(
                    "create the campuses the file names that do not exist yet (listed in the "
                    "report, and in a dry run); without it an unknown campus is a bad row"
                ),
            )

    def handle(self, *args, file, dry_run, create_campuses=False, **options):
        path = Path(file)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{file}: {too_large_message()}")
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise CommandError(_("%(file)s: no such file.") % {"file": file}) from exc
        except IsADirectoryError as exc:
            raise CommandError(_("%(file)s: a folder, not a file.") % {"file": file}) from exc
        except OSError as exc:
            raise CommandError(
                _("%(file)s: cannot be read (%(error)s).") % {"file": file, "error": exc.strerror}
            ) from exc
        report = run_import(
            self.kind,
            data=data,
            file_name=path.name,
            dry_run=dry_run,
            create_campuses=create_campuses,
        )
        for line in report.summary_lines():
            self.stdout.write(line)
        if report.errors:
            for error in report.sorted_errors():
                self.stderr.write(str(error))
            count = len(report.errors)
            raise CommandError(
                ngettext(
                    "%(count)s error in %(file)s: nothing was imported.",
                    "%(count)s errors in %(file)s: nothing was imported.",
                    count,
                )
                % {"count": count, "file": path.name}
            )
        if report.written:
            self.stdout.write(self.style.SUCCESS(_("Imported.")))

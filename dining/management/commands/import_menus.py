from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dining.imports import import_menus
from logistics.tables import MAX_FILE_BYTES, too_large_message


class Command(BaseCommand):
    help = (
        "Import menus (canteen, date, meal, dish, price; optional allergens) from a .csv or "
        ".xlsx file with English or Chinese headers. A file with any bad row imports nothing; "
        "importing a file again changes nothing. Rows proposing a price rise beyond "
        "PRICE_RISE_LIMIT are reported as needing approval (and sent to the dining manager), "
        "and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file only; write nothing"
        )

    def handle(self, *args, file, dry_run, **options):
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
        report = import_menus(data, file_name=path.name, dry_run=dry_run)
        for line in report.summary_lines():
            self.stdout.write(line)
        problems = report.problems()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                ngettext(
                    "%(count)s problem in %(file)s: nothing was imported.",
                    "%(count)s problems in %(file)s: nothing was imported.",
                    len(problems),
                )
                % {"count": len(problems), "file": path.name}
            )
        if report.written:
            self.stdout.write(self.style.SUCCESS(_("Imported.")))

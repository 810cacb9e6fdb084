"""Verify the seal chain of the inspection records (quality.seals.verify_chain)."""

from django.core.management.base import BaseCommand, no_translations

from quality import seals
from quality.inspections import chain_verdict


class Command(BaseCommand):
    help = (
        "Verify the tamper-evident chain of sealed inspection records. Exit 0 when it is "
        "intact; exit 1 naming the first broken record and why."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--photos",
            action="store_true",
            help="also re-read every photo file and compare it with its sealed fingerprint",
        )
        parser.add_argument(
            "--anchor",
            action="store_true",
            help="after a good verification, write down the chain's head as an anchor",
        )

    @no_translations
    def handle(self, *args, **options):
        report = seals.verify_chain(check_photos=options["photos"])
        headline, details = chain_verdict(report)
        if not report.ok:
            self.stderr.write(headline)
            for line in details:
                self.stderr.write(f"  {line}")
            raise SystemExit(1)
        self.stdout.write(headline)
        if report.checked:
            self.stdout.write(f"  head: {report.head_sequence} {report.head_seal}")
        if options["anchor"]:
            anchor = seals.anchor_now()
            if anchor is None:
                self.stdout.write("  anchor: the head is already anchored (or the chain is empty)")
            else:
                self.stdout.write(f"  anchor written: {anchor.sequence} {anchor.seal}")

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from logistics.jobs import NIGHTLY_JOBS, run_nightly_jobs
from logistics.models import JobRun


class Command(BaseCommand):
    help = (
        "Run the nightly jobs now for a date (default: today). A job that already succeeded "
        "for that date is skipped, so running twice changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default today (Asia/Shanghai)")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        runs = {run.job: run for run in run_nightly_jobs(day, trigger="command")}
        failed = []
        for job in NIGHTLY_JOBS:
            run = runs.get(job)
            if run is None:
                self.stdout.write(f"{job}: already done for {day}, skipped")
            elif run.status == JobRun.Status.SUCCEEDED:
                self.stdout.write(f"{job}: {run.items} items in {run.duration}")
            else:
                failed.append(job)
                self.stderr.write(f"{job}: FAILED\n{run.error}")
        if failed:
            raise CommandError(f"{len(failed)} nightly job(s) failed: {', '.join(failed)}")

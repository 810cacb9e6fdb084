from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from logistics.models import JobRun
from logistics.nightly import NIGHTLY_JOBS, Outcome, run_nightly_jobs


class Command(BaseCommand):
    help = (
        "Run the nightly jobs now, in this process, for a date (default: today). A job that "
        "already succeeded for that date is skipped, one running elsewhere is left to finish, "
        "so running twice changes nothing the second time. Exits non-zero if a job's date is "
        "not done (it failed, or some of its items did)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; default today (Asia/Shanghai)")
        parser.add_argument(
            "--job",
            action="append",
            choices=list(NIGHTLY_JOBS),
            metavar="NAME",
            help="only this job (may be given more than once): " + ", ".join(NIGHTLY_JOBS),
        )

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        unfinished = []
        for outcome in run_nightly_jobs(day, trigger="command", jobs=options["job"]):
            line, ok = describe(outcome)
            (self.stdout if ok else self.stderr).write(f"{outcome.job} {day}: {line}")
            if not ok:
                unfinished.append(outcome.job)
        if unfinished:
            raise CommandError(
                f"{len(unfinished)} nightly job(s) not done for {day}: {', '.join(unfinished)}"
            )


def describe(outcome: Outcome) -> tuple[str, bool]:
    """One line for the operator, and whether the date is done as far as this run goes."""
    run = outcome.run
    if outcome.state == Outcome.ALREADY_DONE:
        return "already done, skipped", True
    if outcome.state == Outcome.ALREADY_RUNNING:
        since = timezone.localtime(run.started_at) if run else None
        where = f" (run {run.pk} on {run.worker}, since {since:%H:%M:%S})" if run else ""
        return f"already running elsewhere{where}, skipped", True
    if outcome.state == JobRun.Status.SUCCEEDED:
        return f"{run.items} items in {run.duration}", True
    if outcome.state == JobRun.Status.PARTIAL:
        failed = "; ".join(f"{f.item}: {f.error}" for f in run.item_failures.all()[:10])
        return (
            f"FINISHED WITH FAILURES: {run.items} items done, {run.failures} failed ({failed})",
            False,
        )
    return f"FAILED\n{run.error if run else outcome.detail}", False

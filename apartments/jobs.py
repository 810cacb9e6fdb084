"""The apartments app's nightly jobs (run by the kernel's engine, logistics.nightly)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from apartments import fire_equipment, reminders, rounds, safety
from logistics.nightly import JobContext, nightly_job


@nightly_job(
    "apartments.safety_inspection",
    description=_(
        "Dorm safety: plans tomorrow's day and night rounds of every building with residents, "
        "escalates hazards past their deadline, raises a zero-report-missing alert for every "
        "building with residents that has not filed its zero report for the night, and a "
        "fire-equipment-due alert for every building with equipment overdue for its check, "
        "expired or expiring soon."
    ),
    time_limit=timedelta(minutes=30),
)
def safety_inspection(run: JobContext) -> None:
    """For the run's date, one open `zero_report_missing` alert per building with residents
    and no zero report, and none for those that reported; one open `fire_equipment_due` alert
    per building with equipment due. Each step a fixed number of queries whatever the number
    of buildings: a second run finds the alerts open and only marks them seen again.

    Then, each a step of its own (one transaction, a fixed number of queries whatever the
    number of buildings, rooms and hazards; see apartments.rounds):
    - plan the next date's day and night rounds (five queries; rounds planned already are
      left alone, so a second or concurrent run adds nothing and a failed one leaves nothing);
    - escalate hazards past their deadline (two queries and the kernel's few for alerts)."""
    run.step("zero_reports", lambda: safety.missing_reports_raise(run.for_date))
    # One open alert per building with equipment due, closed once nothing is: a fixed number
    # of queries whatever the number of buildings and items (apartments.fire_equipment).
    run.step("fire_equipment", lambda: fire_equipment.due_alerts_raise(run.for_date))
    run.step("rounds_plan", lambda: rounds.rounds_plan(run.for_date))
    run.step("hazards_escalate", lambda: rounds.hazards_escalate(run.for_date))


@nightly_job(
    "apartments.resident_reminders",
    description=_(
        "Residents' reminders: a condition report still to answer whose last day is near, and "
        "keys not yet back after the move-out inspection whose planned date is near or past; "
        "each resident is reminded once per item, in the portal and by e-mail."
    ),
    time_limit=timedelta(minutes=30),
)
def resident_reminders(run: JobContext) -> None:
    """For the run's night, in committed batches (a fixed number of statements each: the
    items re-read under a row lock, marked reminded, one insert of notifications): the
    condition reports, then the keys, due a reminder (apartments.reminders). Whatever a run
    that died halfway sent is marked, so the next run sends only the rest."""
    day = run.for_date
    run.each_batch(
        reminders.condition_reports_to_remind(day),
        lambda keys: reminders.condition_reports_remind(day, keys),
        size=reminders.BATCH,
    )
    run.each_batch(
        reminders.keys_to_remind(day),
        lambda keys: reminders.keys_remind(day, keys),
        size=reminders.BATCH,
    )

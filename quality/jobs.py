"""The quality app's nightly jobs (run by the kernel's engine, logistics.nightly)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from logistics.nightly import JobContext, nightly_job
from quality import seals


@nightly_job(
    "quality.anchor_seal_chain",
    description=_(
        "Writes down the head of the inspection records' seal chain, so that a later rewrite "
        "of the chain is caught."
    ),
    time_limit=timedelta(minutes=10),
)
def anchor_seal_chain(run: JobContext) -> None:
    """Write down the head of the inspection seal chain, so that a later rewrite of the chain
    (every seal recomputed from some record on) cannot agree with it. Nothing when the chain
    is empty or its head is already anchored: safe to run twice."""
    run.step("anchor", lambda: 1 if seals.anchor_now() is not None else 0)


@nightly_job(
    "quality.satisfaction_surveys",
    description=_(
        "Satisfaction surveys: invites the reporter of every repair closed that day and every "
        "resident whose move-out was cleared that day (one invitation per service), invites "
        "the population of an open semester survey window once, sends the reminders, closes "
        "the expired invitations and recomputes the month's department scorecards."
    ),
    time_limit=timedelta(minutes=30),
)
def satisfaction_surveys(run: JobContext) -> None:
    """For the run's date D, in committed batches (a fixed number of queries each):

    - the repairs closed on D and the move-outs cleared on D, each batch's invitations
      inserted with ON CONFLICT DO NOTHING on their service, so a second, concurrent or
      resumed run invites nobody twice and, walking everything again, forgets nobody;
    - every open semester window's population, those already invited skipped;
    - the reminders due (re-read under a row lock, so none goes twice), the invitations past
      their last day closed, and the month's scorecards recomputed (published ones stay)."""
    from apartments.selectors import move_outs_cleared_between
    from maintenance.selectors import tickets_closed_between
    from quality import scorecards, surveys

    day = run.for_date
    run.each_batch(tickets_closed_between(day, day), lambda keys: surveys.invite_repairs(day, keys))
    run.each_batch(
        move_outs_cleared_between(day, day), lambda keys: surveys.invite_move_outs(day, keys)
    )
    for window in surveys.windows_open_on(day):
        for staff in surveys.window_parts(window):
            run.each_batch(
                surveys.window_population(window, staff=staff),
                lambda keys, window=window, staff=staff: surveys.invite_window(
                    window, day, keys, staff=staff
                ),
            )
    run.each_batch(surveys.reminders_due(day), lambda keys: surveys.remind(day, keys))
    run.step("close_expired", lambda: surveys.close_expired(day))
    run.step("scorecards", lambda: scorecards.compute_month(day))


@nightly_job(
    "quality.documents_and_objectives",
    description=_(
        "Controlled documents and quality objectives: approved versions whose date has come "
        "take effect (superseding the one before), overdue periodic reviews raise an alert, "
        "and every objective whose period ended gets its review with the measured value."
    ),
    time_limit=timedelta(minutes=10),
)
def documents_and_objectives(run: JobContext) -> None:
    """For the run's date D: versions effective from D on take effect; one open
    `document_review_due` alert per document whose review date is before D (an open one is
    only seen again); the review of each objective's period ended by D, once (unique per
    objective and period, so a second or concurrent run adds none)."""
    from quality import documents, objectives

    day = run.for_date
    run.step("effective", lambda: documents.make_effective(day))
    run.step("review_due", lambda: documents.review_due_alerts(day))
    run.step("objective_reviews", lambda: objectives.reviews_due(day))

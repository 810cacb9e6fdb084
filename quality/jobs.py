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

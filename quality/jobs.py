"""The quality app's nightly jobs (run by logistics.jobs)."""

from datetime import date

from logistics.jobs import nightly_job
from quality import seals


@nightly_job("quality.anchor_seal_chain")
def anchor_seal_chain(for_date: date) -> int:
    """Write down the head of the inspection seal chain, so that a later rewrite of the chain
    (every seal recomputed from some record on) cannot agree with it. Nothing when the chain
    is empty or its head is already anchored: safe to run twice."""
    return 1 if seals.anchor_now() is not None else 0

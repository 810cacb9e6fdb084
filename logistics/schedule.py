"""What the beat schedule evaluates when it sends a task (celery.beat.BeatLazyFunc): kept free
of model imports, because settings.py refers to it."""


def nightly_date() -> str:
    """The date the nightly run that is being sent works for (YYYY-MM-DD): fixed when beat
    sends the task, so a message delivered late, or again, still does that date."""
    from logistics.nightly import day_ending

    return day_ending().isoformat()

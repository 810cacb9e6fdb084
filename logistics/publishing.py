"""Sending Celery tasks from a request (or a job) without ever letting the broker hold it up.

`publish("logistics.tasks.send_due_emails", kwargs={"ids": ids})` sends the task by name (the
caller imports no task module) with short broker timeouts and no retry loop, and answers False,
logged at WARNING, when the broker cannot be reached. So a caller only publishes what is already
safe in the database: the e-mail outbox, the nightly watchdog and catch-up pick up whatever a
lost message would have done.
"""

from __future__ import annotations

import logging

from celery import current_app

logger = logging.getLogger("logistics.publishing")


def publish(task_name: str, args=(), kwargs=None, **options) -> bool:
    """Send the task `task_name` with `args`, `kwargs` (and apply_async `options`); True if
    sent (or, without a broker, run in-process), False if the broker did not take it."""
    task = current_app.tasks[task_name]
    try:
        task.apply_async(args, kwargs, **options)
    except Exception as error:
        logger.warning("could not send task %s: %s: %s", task_name, type(error).__name__, error)
        return False
    return True

"""What /healthz reports: the database (without it the portal cannot serve), and the cache and
the broker (without them it serves, degraded: pages without cache, e-mails and jobs delayed)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger("logistics.health")

OK, DOWN, NOT_USED = "ok", "down", "not used"


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        logger.error("health: database unavailable: %s", error)
        return DOWN
    return OK


def cache_state() -> str:
    ping = getattr(cache, "ping", None)
    if ping is None:
        return NOT_USED  # the process's own memory: nothing to reach
    return OK if ping() else DOWN


def broker() -> str:
    from celery import current_app

    if current_app.conf.task_always_eager or not settings.REDIS_URL:
        return NOT_USED  # tasks run in-process
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
    except Exception as error:
        logger.warning("health: broker unavailable: %s", error)
        return DOWN
    return OK


def report() -> tuple[str, dict[str, str]]:
    """("ok" | "degraded" | "down", {component: state})."""
    checks = {"database": database(), "cache": cache_state(), "broker": broker()}
    if checks["database"] == DOWN:
        return "down", checks
    if DOWN in checks.values():
        return "degraded", checks
    return "ok", checks

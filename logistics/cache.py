"""A Redis cache that the portal can live without.

Pages use the cache for what is cheap to recompute (the bell's unread count, QR codes, API
throttle counters). When Redis is down, Django's own backend raises on every call and every
signed-in page answers 500. This one answers as an empty cache instead: reads miss, writes are
dropped, `add` succeeds (a guard built on it fails open), and a warning is logged once per
outage. After a failure it leaves Redis alone for a few seconds (`RETRY_AFTER`), so a page does
not pay a connection timeout on every call while Redis is away.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("logistics.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER = 5.0  # seconds without trying Redis after it failed


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one `redis.Redis` per connection pool. Django's builds a
    new one for every call, and building one fills a table of some 170 response callbacks:
    that was a quarter of what a cache read cost a page (docs/performance.md, "Fifth pass").
    A `redis.Redis` is safe to share; its connections come from the pool as before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0  # time.monotonic() before which Redis is not tried
        self._outage = False
        self._lock = threading.Lock()

    # --- availability ---

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: Exception) -> None:
        with self._lock:
            first, self._outage = not self._outage, True
            self._down_until = time.monotonic() + RETRY_AFTER
        if first:
            logger.warning("cache unavailable, working without it: %s", error)

    def _call(self, fallback, method, *args, **kwargs):
        if not self._available():
            return fallback
        try:
            result = method(*args, **kwargs)
        except UNAVAILABLE as error:
            self._failed(error)
            return fallback
        if self._outage:
            with self._lock:
                self._outage = False
            logger.warning("cache available again")
        return result

    def ping(self) -> bool:
        """True if Redis answers now (for /healthz; ignores the pause after a failure)."""
        try:
            return bool(self._cache.get_client().ping())
        except UNAVAILABLE:
            return False

    # --- the cache API ---

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._call(missing, super().incr, key, delta, version)
        if result is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(False, super().clear)

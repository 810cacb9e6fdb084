"""The portal's Redis cache answers as an empty cache while Redis is down, and comes back by
itself: a real Redis of the test's own, stopped and started again."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches

from logistics import cache as resilient
from tests.processes import RedisServer, needs_processes

pytestmark = needs_processes


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache(redis, settings, monkeypatch):
    monkeypatch.setattr(resilient, "RETRY_AFTER", 0.0)  # try Redis again at once
    settings.CACHES = {
        "default": {
            "BACKEND": "logistics.cache.ResilientRedisCache",
            "LOCATION": redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return caches["default"]


def test_with_redis_up_it_is_a_cache(cache):
    cache.set("k", 1)
    assert cache.get("k") == 1
    assert cache.add("k", 2) is False
    assert cache.incr("k") == 2
    assert cache.get_many(["k", "missing"]) == {"k": 2}
    assert cache.ping() is True


def test_with_redis_down_it_is_an_empty_cache_that_never_raises(cache, redis, caplog):
    cache.set("k", 1)
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="logistics.cache"):
        assert cache.get("k") is None
        assert cache.get("k", "default") == "default"
        cache.set("k", 2)  # dropped, no error
        assert cache.add("guard", 1) is True  # a guard built on add() lets the caller through
        assert cache.get_many(["k"]) == {}
        assert cache.set_many({"a": 1}) == ["a"]
        assert cache.delete("k") is False
        cache.delete_many(["k"])
        assert cache.has_key("k") is False
        assert cache.get_or_set("n", lambda: 42) == 42
        with pytest.raises(ValueError):
            cache.incr("k")
        assert cache.ping() is False
    warnings = [r for r in caplog.records if "cache unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per call

    # When Redis returns, the cache works again by itself
    redis.start()
    cache.set("k", 3)
    assert cache.get("k") == 3


def test_after_a_failure_it_leaves_redis_alone_for_a_moment(cache, redis, monkeypatch):
    monkeypatch.setattr(resilient, "RETRY_AFTER", 60.0)
    redis.stop()
    assert cache.get("k") is None  # fails, and pauses
    redis.start()
    cache.set("k", 1)
    assert cache.get("k") is None  # still paused: no call reached Redis


def test_one_redis_client_serves_every_call(cache, monkeypatch):
    # Django's client builds a redis.Redis per call (its table of response callbacks was a
    # quarter of a cache read's cost); this one keeps the first it built
    built = []
    original = cache._cache._client
    monkeypatch.setattr(
        cache._cache, "_client", lambda **kwargs: built.append(1) or original(**kwargs)
    )
    for n in range(5):
        cache.set(f"k{n}", n)
        assert cache.get(f"k{n}") == n
    assert len(built) == 1

"""The cache the rate limits count in (core/sharedcache.py): shared by separate processes and
counting each request once, as gunicorn's workers need; and HOMECOMING_CACHE_URL's choices."""

import importlib.util
import multiprocessing
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from homecoming.core.sharedcache import LockedFileCache, caches_for

ROUNDS = 40


def _count(location: str, key: str):
    cache = LockedFileCache(location, {})
    for _ in range(ROUNDS):
        if not cache.add(key, 1, 600):
            cache.incr(key)


def test_processes_counting_at_once_lose_no_count(tmp_path):
    location = str(tmp_path / "cache")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_count, args=(location, "hits")) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert LockedFileCache(location, {}).get("hits") == 4 * ROUNDS


def test_the_cache_url_choices(tmp_path):
    default = caches_for("", data_dir=Path(tmp_path))["default"]
    assert default["BACKEND"].endswith("LockedFileCache")
    assert default["LOCATION"] == str(tmp_path / "cache")
    if importlib.util.find_spec("redis") is None:
        with pytest.raises(ImproperlyConfigured, match="`redis` package is not installed"):
            caches_for("redis://cache.internal:6379/0", data_dir=tmp_path)
    else:
        redis = caches_for("redis://cache.internal:6379/0", data_dir=tmp_path)["default"]
        assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    with pytest.raises(ImproperlyConfigured, match="unknown scheme 'memcached'"):
        caches_for("memcached://cache.internal", data_dir=tmp_path)

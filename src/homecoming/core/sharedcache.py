"""The cache the rate limits count in, shared by every process of the center.

django-ratelimit counts requests in Django's cache, so the count must be one for all of
gunicorn's workers: a per-process cache (Django's default, local memory) would let each worker
count on its own and the limit would be as many times higher as there are workers.

    (unset)                     files in DATA_DIR/cache, locked while counting: every process
                                on this machine that shares the data directory shares it
    redis://host:6379/0         Redis (Django's own backend; needs the `redis` package), for
    rediss://...                several application machines

Django's file cache is not atomic when it adds or increments a key (read, then write): two
requests at the same moment could both count 1. `LockedFileCache` takes an exclusive lock on a
file beside the entries for those two operations, so each request counts once."""

import fcntl
import importlib.util
import os
from contextlib import contextmanager
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import ImproperlyConfigured


class LockedFileCache(FileBasedCache):
    @contextmanager
    def _locked(self):
        os.makedirs(self._dir, 0o700, exist_ok=True)
        with open(os.path.join(self._dir, ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, key, value, timeout=None, version=None):
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._locked():
            return super().incr(key, delta, version)


def caches_for(url: str, *, data_dir: Path) -> dict:
    """Django's CACHES for HOMECOMING_CACHE_URL (see the module's first lines)."""
    url = (url or "").strip()
    if not url:
        return {
            "default": {
                "BACKEND": "homecoming.core.sharedcache.LockedFileCache",
                "LOCATION": str(data_dir / "cache"),
                # Entries are rate-limit counters, one per address and form an hour; the file
                # cache culls at random above this many, which would forget counts under load.
                "OPTIONS": {"MAX_ENTRIES": 20_000},
            }
        }
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("redis", "rediss"):
        if importlib.util.find_spec("redis") is None:
            raise ImproperlyConfigured(
                "HOMECOMING_CACHE_URL is a Redis address, but the `redis` package is not "
                "installed: pip install 'redis>=5' beside Homecoming."
            )
        return {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    raise ImproperlyConfigured(
        f"HOMECOMING_CACHE_URL: unknown scheme {scheme!r}; use redis:// or rediss://, "
        "or leave it unset for the shared file cache in the data directory."
    )

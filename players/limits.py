"""Counters that say whether one more thing is allowed for a key (a client address, a user).

Two kinds share the `Verdict` answer:
- fixed windows (`hit`): at most `limit` hits per key in each window of `window_seconds`,
  aligned to the epoch; in process memory, or in Redis so several processes share the count;
- open counts (`acquire` / `release`): at most `cap` things held at once per key, in memory.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import redis

logger = logging.getLogger("kogame.limits")

# A limit must never make sign-in slow: a Redis that does not answer this fast is skipped.
REDIS_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds until a refused hit could be allowed (0 when allowed).
    retry_after: int = 0


ALLOWED = Verdict(allowed=True)


def _window_verdict(*, count: int, limit: int, now: float, window_seconds: int) -> Verdict:
    if count <= limit:
        return ALLOWED
    window_end = (now // window_seconds + 1) * window_seconds
    return Verdict(allowed=False, retry_after=max(1, math.ceil(window_end - now)))


class MemoryWindowLimit:
    """A fixed window counted in this process (embedded mode: the only process)."""

    def __init__(self, *, limit: int, window_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: Counter[str] = Counter()

    def hit(self, key: str) -> Verdict:
        with self._lock:
            now = self.clock()
            window = int(now // self.window_seconds)
            if window != self._window:
                # Every key shares the window boundaries, so older counts can all go at once.
                self._window, self._counts = window, Counter()
            self._counts[key] += 1
            count = self._counts[key]
        return _window_verdict(count=count, limit=self.limit, now=now, window_seconds=self.window_seconds)


class RedisWindowLimit:
    """A fixed window counted in Redis (INCR and EXPIRE on a key per window), shared by every
    process that uses the same Redis. Fails open: with Redis unreachable every hit is allowed."""

    def __init__(self, *, redis_url: str, limit: int, window_seconds: int, prefix: str = "kogame:limit") -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )

    def hit(self, key: str) -> Verdict:
        now = time.time()
        window = int(now // self.window_seconds)
        redis_key = f"{self.prefix}:{key}:{window}"
        try:
            # One round trip; the key names its window, so setting the expiry again is harmless.
            pipeline = self.client.pipeline(transaction=True)
            pipeline.incr(redis_key)
            pipeline.expire(redis_key, self.window_seconds + 1)
            count, _ = pipeline.execute()
        except redis.RedisError as error:
            logger.warning("rate limit store unreachable, allowing %s: %s", key, error)
            return ALLOWED
        return _window_verdict(count=count, limit=self.limit, now=now, window_seconds=self.window_seconds)


class OpenCountLimit:
    """Things held at once per key in this process; one acquisition may count under several keys."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def acquire(self, caps: Mapping[str, int]) -> Verdict:
        """Counts one more under every key of `caps`, or under none if any key is at its cap."""
        with self._lock:
            if any(self._open[key] >= cap for key, cap in caps.items()):
                return Verdict(allowed=False)
            self._open.update(caps.keys())
        return ALLOWED

    def release(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._open[key] -= 1
                if self._open[key] <= 0:
                    # Only what is open stays in memory.
                    del self._open[key]

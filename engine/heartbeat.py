"""Where the engine reports that it is alive, and where GET /healthz reads it.

Worker mode: a Redis key, because the engine runs in another process than the web. Embedded
mode: process memory.
"""

from __future__ import annotations

import json
import threading

import redis

HEARTBEAT_KEY = "kogame:engine:heartbeat"
# Long enough to outlive a short Redis hiccup, short enough that a dead engine stops answering.
HEARTBEAT_TTL_SECONDS = 30


class RedisHeartbeat:
    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def beat(self, stats: dict) -> None:
        self.client.set(HEARTBEAT_KEY, json.dumps(stats), ex=HEARTBEAT_TTL_SECONDS)

    def read(self) -> dict | None:
        raw = self.client.get(HEARTBEAT_KEY)
        return json.loads(raw) if raw else None


class MemoryHeartbeat:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict | None = None

    def beat(self, stats: dict) -> None:
        with self._lock:
            self._stats = dict(stats)

    def read(self) -> dict | None:
        with self._lock:
            return dict(self._stats) if self._stats is not None else None

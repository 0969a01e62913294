"""Where the engine reports that it is alive, and where GET /healthz reads it.

Worker mode: a Redis key, because the engine runs in another process than the web. Embedded
mode: process memory. The engine thread never writes the key itself: it hands its latest
figures to a `HeartbeatPublisher` thread, so a slow or stalled Redis cannot hold up a tick.
"""

from __future__ import annotations

import json
import logging
import threading

import redis

logger = logging.getLogger("kogame.engine")

HEARTBEAT_KEY = "kogame:engine:heartbeat"
# Long enough to outlive a short Redis hiccup, short enough that a dead engine stops answering.
HEARTBEAT_TTL_SECONDS = 30
# A health check must answer quickly even while Redis stalls; it then uses its last good read.
READ_TIMEOUT_SECONDS = 0.5


class RedisHeartbeat:
    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=READ_TIMEOUT_SECONDS, socket_connect_timeout=READ_TIMEOUT_SECONDS
        )
        self._last_read: dict | None = None

    def beat(self, stats: dict) -> None:
        self.client.set(HEARTBEAT_KEY, json.dumps(stats), ex=HEARTBEAT_TTL_SECONDS)

    def read(self) -> dict | None:
        """The engine's last figures. When Redis does not answer, the last figures this process
        read: their `at` still says how old they are, so a stall shorter than the health check's
        limit does not fail it, and a longer one does."""
        try:
            raw = self.client.get(HEARTBEAT_KEY)
        except redis.RedisError as error:
            if self._last_read is None:
                raise
            logger.warning("heartbeat read failed (%s); using the last one read", error)
            return dict(self._last_read)
        self._last_read = json.loads(raw) if raw else None
        return dict(self._last_read) if self._last_read is not None else None


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


class HeartbeatPublisher(threading.Thread):
    """Writes the latest figures the engine offered, off the engine thread; a write that blocks
    delays only the next write, and figures offered meanwhile replace the unwritten ones."""

    def __init__(self, sink: RedisHeartbeat | MemoryHeartbeat) -> None:
        super().__init__(name="kogame-heartbeat", daemon=True)
        self.sink = sink
        self._latest: dict | None = None
        self._lock = threading.Lock()
        self._offered = threading.Event()
        self._stopping = False

    def beat(self, stats: dict) -> None:
        with self._lock:
            self._latest = stats
        self._offered.set()

    def run(self) -> None:
        while not self._stopping:
            self._offered.wait()
            self._offered.clear()
            with self._lock:
                stats, self._latest = self._latest, None
            if stats is None:
                continue
            try:
                self.sink.beat(stats)
            except Exception as error:
                # Logged once per failed write at most once a second: the engine offers once a second.
                logger.warning("heartbeat write failed: %s", error)

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping = True
        self._offered.set()
        if self.is_alive():
            self.join(timeout)

"""Where the engine reports that it is alive, and where GET /healthz reads it.

Worker mode: the worker's lease in Redis, renewed with the figures (engine/cluster/lease.py),
because the engine runs in another process than the web. Embedded mode: process memory. The
engine thread never writes to Redis itself: it hands its latest figures to a
`HeartbeatPublisher` thread, so a slow or stalled Redis cannot hold up a tick.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

logger = logging.getLogger("kogame.engine")


class HeartbeatSink(Protocol):
    def beat(self, stats: dict) -> None: ...


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

    def __init__(self, sink: HeartbeatSink) -> None:
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

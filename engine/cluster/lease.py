"""This worker's lease: who it is, and for how long the others leave its games alone.

The lease is a Redis key that expires unless renewed. It is renewed with the engine's figures
each time the engine offers them (once a second, from its loop: engine/heartbeat.py), never by
a timer of its own, so a worker whose engine thread is stuck, or whose process is stopped or
cut off, loses its lease and with it its games. Renewal only extends a lease that still exists
(SET XX): a lease that ran out is never taken back, the worker registers again under a new id.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Callable

import redis

from engine.cluster.keys import WORKERS, lease_key

logger = logging.getLogger("kogame.engine")


def new_worker_id() -> str:
    """Readable in logs (host and pid), unique per registration (the random tail)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class WorkerLease:
    def __init__(self, client: redis.Redis, *, lease_ms: int, on_lost: Callable[[], None] | None = None) -> None:
        self.client = client
        self.lease_ms = lease_ms
        self.on_lost = on_lost
        self.worker_id = new_worker_id()

    def register(self) -> str:
        """Takes a lease under a new id; returns the id."""
        self.worker_id = new_worker_id()
        pipeline = self.client.pipeline(transaction=True)
        pipeline.set(lease_key(self.worker_id), json.dumps({"games": 0}), px=self.lease_ms, nx=True)
        pipeline.sadd(WORKERS, self.worker_id)
        pipeline.execute()
        logger.info("worker %s registered (lease %d ms)", self.worker_id, self.lease_ms)
        return self.worker_id

    def beat(self, figures: dict) -> None:
        """Renews the lease with the engine's latest figures (a HeartbeatPublisher sink)."""
        renewed = self.client.set(lease_key(self.worker_id), json.dumps(figures), px=self.lease_ms, xx=True)
        if not renewed:
            logger.error("worker %s lost its lease: its games belong to other workers now", self.worker_id)
            if self.on_lost is not None:
                self.on_lost()

    def release(self) -> None:
        """Gives the lease up at once (a clean stop): the other workers adopt the games now
        rather than when the lease would have run out."""
        self.client.delete(lease_key(self.worker_id))
        logger.info("worker %s released its lease", self.worker_id)

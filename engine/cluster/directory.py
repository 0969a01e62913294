"""The live engine workers and their figures, as the web processes and GET /healthz see them."""

from __future__ import annotations

import json
import logging
import time

import redis
import redis.asyncio as aioredis

from engine.cluster.keys import WORKERS, lease_key, owned_key, text

logger = logging.getLogger("kogame.health")

# A health check must answer quickly even while Redis stalls; it then uses its last good read.
READ_TIMEOUT_SECONDS = 0.5


def _entries(ids: list[str], leases: list, now: float) -> list[dict]:
    workers = []
    for worker_id, raw in zip(ids, leases, strict=True):
        if raw is None:
            continue
        figures = json.loads(raw)
        at = figures.get("at")
        age_ms = None if at is None else max(0, round((now - at) * 1000))
        workers.append(
            {
                "id": worker_id,
                "games": int(figures.get("games", 0)),
                "last_tick_age_ms": age_ms,
                "lag_ms": figures.get("lag_ms", 0.0),
                "figures": figures,
            }
        )
    return sorted(workers, key=lambda worker: worker["id"])


def read_leases(client: redis.Redis) -> tuple[list[str], list]:
    """Every registered worker id, sorted, and its lease (None once it has run out)."""
    ids = sorted(text(member) for member in client.smembers(WORKERS))
    return ids, client.mget([lease_key(worker_id) for worker_id in ids]) if ids else []


def live_workers(client: redis.Redis) -> list[dict]:
    """Every worker whose lease is alive, with the figures it renewed the lease with."""
    return _entries(*read_leases(client), time.time())


def games_without_live_owner(client: redis.Redis, dead: list[str]) -> int:
    """Games still listed under the workers `dead`, whose leases have run out (adoption pending)."""
    if not dead:
        return 0
    pipeline = client.pipeline(transaction=False)
    for worker_id in dead:
        pipeline.scard(owned_key(worker_id))
    return sum(pipeline.execute())


async def live_workers_async(client: aioredis.Redis) -> list[dict]:
    ids = sorted(text(member) for member in await client.smembers(WORKERS))
    leases = await client.mget([lease_key(worker_id) for worker_id in ids]) if ids else []
    return _entries(ids, leases, time.time())


class WorkerDirectory:
    """GET /healthz's view of the workers. When Redis does not answer, it answers from its last
    good read, with ages counted to now: a stall shorter than the health check's limit does not
    fail it, and a longer one does."""

    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=READ_TIMEOUT_SECONDS, socket_connect_timeout=READ_TIMEOUT_SECONDS
        )
        self._last: tuple[list[str], list, int] | None = None

    def read(self) -> tuple[list[dict], int]:
        """The live workers, and how many games wait for a new owner."""
        try:
            ids, leases = read_leases(self.client)
            dead = [worker_id for worker_id, raw in zip(ids, leases, strict=True) if raw is None]
            self._last = (ids, leases, games_without_live_owner(self.client, dead))
        except redis.RedisError as error:
            if self._last is None:
                raise
            logger.warning("could not read the workers (%s); using the last read", error)
        ids, leases, unowned = self._last
        return _entries(ids, leases, time.time()), unowned

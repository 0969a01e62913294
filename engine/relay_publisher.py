"""Worker mode: each round of the engine's relay messages leaves in one round trip to Redis, one
PUBLISH per message: one per game on the game's relay channel, and the replies to single sockets
on their web process's reply channel. Every web process that holds a
socket of the game is subscribed to the game's channel and fans the message out to those
sockets (players/relay.py), so a message crosses Redis once per web process, never once per
socket.

Any worker may publish a game's messages: the web processes do not care which engine runs it.
The round is a Lua step that first checks the worker's lease is alive (engine/cluster/scripts.py):
once its lease has run out, others own its games, and nothing it still had to say reaches a
socket. The same step keeps the games the worker froze (engine/freezer.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from engine.cluster.keys import lease_key
from engine.cluster.scripts import FENCED_PUBLISH
from engine.wire import relay_payload

# Frozen games outlive the worker that froze them this long (it renews them every second).
SNAPSHOT_TTL_MS = 60_000
# A round that waits longer on Redis than this is lost (counted) rather than held: sockets heal
# by resyncing, and the rounds behind it merge meanwhile.
PUBLISH_TIMEOUT_SECONDS = 2.0


class FencedOut(Exception):
    """This worker's lease has run out: its messages were not published."""


class RedisRelayPublisher:
    def __init__(self, redis_url: str, *, worker_id: Callable[[], str]) -> None:
        # No retry: a round sent again after a timeout could reach the sockets twice (harmless for
        # versioned events, not for spectators' chat); a lost round is healed instead.
        self.client = redis.Redis.from_url(
            redis_url,
            socket_timeout=PUBLISH_TIMEOUT_SECONDS,
            socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self.worker_id = worker_id
        self._fenced_publish = self.client.register_script(FENCED_PUBLISH)

    async def publish(self, messages: list[tuple[str, dict]], snapshots: Sequence[tuple[str, dict]] = ()) -> None:
        args: list = [len(messages), SNAPSHOT_TTL_MS]
        args += [part for channel, message in messages for part in (channel, relay_payload(message))]
        args += [part for key, snapshot in snapshots for part in (key, orjson.dumps(snapshot))]
        if await self._fenced_publish(keys=[lease_key(self.worker_id())], args=args) == -1:
            raise FencedOut(f"the lease of worker {self.worker_id()} has run out")

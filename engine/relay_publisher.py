"""Worker mode: each round of the engine's relay messages leaves as one PUBLISH per message,
pipelined into one round trip to Redis: one per game on the game's relay channel, and the
replies to single sockets on their web process's reply channel. Every web process that holds a
socket of the game is subscribed to the game's channel and fans the message out to those
sockets (players/relay.py), so a message crosses Redis once per web process, never once per
socket.

Any process may publish a game's messages: the web processes do not care which engine runs it.
"""

from __future__ import annotations

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from engine.wire import relay_payload

# A round that waits longer on Redis than this is lost (counted) rather than held: sockets heal
# by resyncing, and the rounds behind it merge meanwhile.
PUBLISH_TIMEOUT_SECONDS = 2.0


class RedisRelayPublisher:
    def __init__(self, redis_url: str) -> None:
        # No retry: a round sent again after a timeout could reach the sockets twice (harmless for
        # versioned events, not for spectators' chat); a lost round is healed instead.
        self.client = redis.Redis.from_url(
            redis_url,
            socket_timeout=PUBLISH_TIMEOUT_SECONDS,
            socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )

    async def publish(self, messages: list[tuple[str, dict]]) -> None:
        pipeline = self.client.pipeline(transaction=False)
        for channel, message in messages:
            pipeline.publish(channel, relay_payload(message))
        await pipeline.execute()

"""How this web process reaches the engine (docs/scaling.md).

Worker mode: each message goes to the inbox stream of the worker that owns its game, and all
that one turn of the event loop gathers leaves in one pipelined round trip, one stream entry per
worker, so a thousand intents a second cost a few dozen Redis commands rather than a chain of
round trips each:
- `engine.start_game` assigns the game to the live worker with the fewest games (or finds the
  owner it already has: an arena started again);
- `engine.presence_report` goes to every live worker: each applies what concerns its games;
- anything else about a game goes to the game's owner, looked up in Redis once and remembered,
  even when the owner has just died: the survivors that adopt its games read on in its inbox
  (engine/cluster/dead_inboxes.py). A game with no owner (it ended) goes to any live worker.
When no worker is live, the message takes the `game_engine` channel instead, where the next
worker to start finds it.
Embedded mode: straight into the engine's inbox.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import OrderedDict

import orjson
import redis.asyncio as redis
from channels.layers import get_channel_layer
from django.conf import settings

from engine import runtime
from engine.cluster.directory import live_workers_async
from engine.cluster.keys import inbox_key, owned_key, owner_key, text
from engine.cluster.scripts import ASSIGN
from players.sent_to_engine import count_sent

logger = logging.getLogger("kogame.players")

# The live workers are read again this often (and whenever a game's owner is not among them).
WORKERS_REFRESH_SECONDS = 1.0
# Games whose owner this process remembers; the oldest are forgotten first.
OWNER_CACHE_LIMIT = 100_000
# A worker that stops reading its inbox loses the oldest entries past this many (about).
INBOX_MAX_ENTRIES = 10_000
REDIS_TIMEOUT_SECONDS = 2.0


class EngineLink:
    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self._assign = self.client.register_script(ASSIGN)
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._lookups: dict[str, asyncio.Future[str | None]] = {}
        # Live worker id -> its games, counting the games this process gave it since the read.
        self._live: dict[str, int] = {}
        self._live_read_at = -math.inf
        self._live_read: asyncio.Future[None] | None = None
        self._pending: dict[str, list[dict]] = {}
        self._flusher: asyncio.Task | None = None
        # Messages appended to an inbox, round trips that carried them, messages lost because
        # Redis failed, and messages that took the game_engine channel (GET /healthz).
        self.sent = 0
        self.round_trips = 0
        self.lost = 0
        self.via_channel = 0

    def figures(self) -> dict[str, int]:
        return {"sent": self.sent, "round_trips": self.round_trips, "lost": self.lost, "via_channel": self.via_channel}

    async def send(self, message: dict) -> None:
        try:
            workers = await self._addressees(message)
        except redis.RedisError as error:
            logger.warning("could not look up where a %s goes (%s); sending it over the channel", message["type"], error)
            workers = []
        if not workers:
            self.via_channel += 1
            # Workers reading one channel may both get a message (channels-redis backs up what it
            # pops under a shared key): the id lets the second one see it is a repeat.
            await get_channel_layer().send(runtime.ENGINE_CHANNEL, {**message, "mid": uuid.uuid4().hex})  # type: ignore[union-attr]
            return
        for worker_id in workers:
            self._pending.setdefault(worker_id, []).append(message)
        if self._flusher is None or self._flusher.done():
            # Runs after what is ready on the loop now: messages of this turn join the round.
            self._flusher = asyncio.ensure_future(self._flush())

    async def _addressees(self, message: dict) -> list[str]:
        live = await self._live_workers()
        if not live:
            return []
        if message["type"] == "engine.presence_report":
            return list(live)
        game_id = message.get("game_id")
        if not isinstance(game_id, str):
            return []
        least_loaded = min(live, key=lambda worker_id: live[worker_id])
        owner: str | None
        if message["type"] == "engine.start_game":
            owner = text(await self._assign(keys=[owner_key(game_id), owned_key(least_loaded)], args=[least_loaded, game_id]))
            if owner in live:
                live[owner] += 1
            self._remember(game_id, owner)
        else:
            owner = await self._owner(game_id)
            if owner is not None and owner not in live:
                # Perhaps adopted since: look again. If not, its inbox is still the way to it.
                self._owners.pop(game_id, None)
                owner = await self._owner(game_id)
        return [owner or least_loaded]

    async def _live_workers(self) -> dict[str, int]:
        if time.monotonic() - self._live_read_at >= WORKERS_REFRESH_SECONDS:
            if self._live_read is None or self._live_read.done():
                self._live_read = asyncio.ensure_future(self._read_live_workers())
            await asyncio.shield(self._live_read)
        return self._live

    async def _read_live_workers(self) -> None:
        workers = await live_workers_async(self.client)
        self._live = {worker["id"]: worker["games"] for worker in workers}
        self._live_read_at = time.monotonic()

    async def _owner(self, game_id: str) -> str | None:
        if game_id in self._owners:
            return self._owners[game_id]
        lookup = self._lookups.get(game_id)
        if lookup is None:
            # One lookup per game at a time: its messages keep their order behind it.
            lookup = self._lookups[game_id] = asyncio.ensure_future(self._look_up(game_id))
        return await asyncio.shield(lookup)

    async def _look_up(self, game_id: str) -> str | None:
        try:
            raw = await self.client.get(owner_key(game_id))
        finally:
            self._lookups.pop(game_id, None)
        if raw is None:
            return None
        self._remember(game_id, text(raw))
        return text(raw)

    def _remember(self, game_id: str, owner: str) -> None:
        self._owners[game_id] = owner
        self._owners.move_to_end(game_id)
        if len(self._owners) > OWNER_CACHE_LIMIT:
            self._owners.popitem(last=False)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            count = sum(len(messages) for messages in batch.values())
            pipeline = self.client.pipeline(transaction=False)
            for worker_id, messages in batch.items():
                pipeline.xadd(inbox_key(worker_id), {"m": orjson.dumps(messages)}, maxlen=INBOX_MAX_ENTRIES, approximate=True)
            try:
                await pipeline.execute()
                self.sent += count
                self.round_trips += 1
            except redis.RedisError as error:
                # Not retried: a sync is asked again, presence is reported again; an intent is
                # lost as it would be on a dropped connection.
                self.lost += count
                logger.warning("could not hand %d message(s) to the engine workers: %s", count, error)


_link: EngineLink | None = None


def engine_link() -> EngineLink:
    global _link
    if _link is None:
        _link = EngineLink(settings.REDIS_URL)
    return _link


async def send_to_engine(message: dict) -> None:
    """Hands a message to the authoritative engine: to the worker that owns its game, or
    straight into the engine's inbox when it lives in this process."""
    count_sent(message)
    if settings.EMBEDDED_ENGINE:
        engine = runtime.start_engine(own_loop=False)
        runtime.bind_server_loop(asyncio.get_running_loop())
        engine.submit(message)
    else:
        await engine_link().send(message)

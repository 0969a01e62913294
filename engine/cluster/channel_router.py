"""What a worker does with a message from the `game_engine` channel: the way in for messages
whose web process did not know which worker to address (no live owner known, no live worker).

A new game is assigned to this worker unless it has an owner; a message for a game another
worker owns is passed to that worker's inbox (a dead worker's too: the survivors that adopt its
games read on in it); anything else is this engine's to answer (a sync for a game nobody runs
gets "unknown game").

Several workers read the channel, and channels-redis may hand one message to two of them: the
web process's message id lets only the first one act on it.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
import redis.asyncio as redis

from engine.cluster.keys import inbox_key, owned_key, owner_key, text
from engine.cluster.scripts import ASSIGN

# How long a message id is remembered: far longer than a message waits on the channel.
SEEN_MS = 600_000


class ChannelRouter:
    def __init__(self, redis_url: str, *, worker_id: Callable[[], str | None]) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.worker_id = worker_id
        self._assign = self.client.register_script(ASSIGN)

    async def route(self, message: dict, submit: Callable[[dict], bool]) -> None:
        message_id = message.pop("mid", None)
        if isinstance(message_id, str) and not await self.client.set(f"kogame:seen:{message_id}", 1, nx=True, px=SEEN_MS):
            return  # another worker has it
        me = self.worker_id()
        owner = await self._owner(message, me)
        if owner is None or owner == me:
            submit(message)
            return
        # A dead owner's inbox too: the survivors that adopt its games read on in it.
        await self.client.xadd(inbox_key(owner), {"m": orjson.dumps([message])})

    async def _owner(self, message: dict, me: str | None) -> str | None:
        game_id = message.get("game_id")
        if not isinstance(game_id, str):
            return None
        if message.get("type") == "engine.start_game" and me is not None:
            return text(await self._assign(keys=[owner_key(game_id), owned_key(me)], args=[me, game_id]))
        raw = await self.client.get(owner_key(game_id))
        return text(raw) if raw is not None else None

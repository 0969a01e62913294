"""One game socket's queue of relayed messages, filled by this process's relay and emptied, in
order, by the socket's own task (PlayerConsumer)."""

from __future__ import annotations

import asyncio
from collections import deque

# Messages a socket may have waiting. A message is one game's events of one engine iteration, so
# this is more than the engine's history of 64 events: a socket this far behind could not be
# replayed anyway and is better served by a sync.
FEED_LIMIT = 64

# Put in a feed where something meant for its socket was lost: on reaching it, the socket asks
# the engine for what it lacks (the versioned-event healing of docs/protocol.md, section 5).
RELAY_LOST = {"type": "relay.lost"}


class SocketFeed:
    def __init__(self, *, socket_id: str, reply_address: str, spectator: bool, limit: int = FEED_LIMIT) -> None:
        self.socket_id = socket_id
        # Where the engine sends the replies meant for this socket alone (its `reply_channel`).
        self.reply_address = reply_address
        self.spectator = spectator
        self._limit = limit
        self._messages: deque[dict] = deque()
        self._ready = asyncio.Event()
        self._lost_waiting = False

    def offer(self, message: dict) -> bool:
        """Queues `message`; False (and a loss noted) when the feed is full."""
        if len(self._messages) >= self._limit:
            self.lose()
            return False
        self._messages.append(message)
        self._ready.set()
        return True

    def lose(self) -> None:
        """Something meant for this socket was lost: it resyncs once it has handled what came
        before. Never refused, and at most one waits, whatever the limit."""
        if not self._lost_waiting:
            self._lost_waiting = True
            self._messages.append(RELAY_LOST)
            self._ready.set()

    async def next(self) -> dict:
        while not self._messages:
            self._ready.clear()
            await self._ready.wait()
        message = self._messages.popleft()
        if message is RELAY_LOST:
            self._lost_waiting = False
        return message

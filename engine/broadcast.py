"""Sends what the engine produces from one persistent event loop, never from the engine thread.

The engine thread never awaits: `publish()` hands a batch to the loop and returns. Two lanes,
each drained by its own task so neither waits for the other:
- the relay: each round hands every message gathered since the last round to the relay
  publisher in one call (one pipelined round trip to Redis in worker mode), strictly in order,
  so a game's events leave in version order; batches that pile up while a round is in flight
  are merged into the next one, still one message per game. It carries each game's messages on
  the game's relay channel, and the replies to one socket (sync answers, errors) on its web
  process's reply channel, where the socket's `reply_channel` is a relay reply address;
- the channel layer, for replies to any other `reply_channel` (a channel-layer name, as a web
  process of an older release gives): sent concurrently, a bounded number at a time. Measured at
  1,000 sockets, a web process's channel-layer receive could not keep up with a burst of sync
  answers (its process-wide channel filled, and channels-redis refused the rest), which is why
  web processes now take their replies through the relay.

Worker mode: the broadcaster owns a loop on its own thread. Embedded mode: it is bound to the web
server's loop, because the in-memory layer and the web process's relay live there (neither is
thread-safe, and the in-memory layer only wakes receivers on its own loop).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from engine.cluster.keys import SNAPSHOT_PREFIX, snapshot_key
from engine.outbox import Send
from engine.wire import relay_channel, reply_route

logger = logging.getLogger("kogame.broadcast")

# Concurrent channel-layer replies; below channels-redis' default connection pool of 100.
MAX_CONCURRENT_REPLIES = 64


class RelayPublisher(Protocol):
    async def publish(self, messages: list[tuple[str, dict]], snapshots: Sequence[tuple[str, dict]] = ()) -> None:
        """Publishes each (relay channel, message), in order, to the web processes subscribed to
        the channel, and keeps each (snapshot key, frozen game) for a while where another worker
        finds it. Raises if they could not be handed over; the messages are then lost (and
        counted)."""


class Lane:
    """Items handed over in order and sent one round at a time by one task."""

    def __init__(self, send_round: Callable[[list], Awaitable[None]]) -> None:
        self.send_round = send_round
        self.pending: list = []
        self.sending = False
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """On `loop`, from a callback running on it."""
        self._wakeup = asyncio.Event()
        self._task = loop.create_task(self._send_forever())
        if self.pending:
            self._wakeup.set()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def add(self, items: list) -> None:
        self.pending.extend(items)
        if self._wakeup is not None:
            self._wakeup.set()

    @property
    def idle(self) -> bool:
        return not self.pending and not self.sending

    async def _send_forever(self) -> None:
        assert self._wakeup is not None  # start() sets it before starting this task
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self.pending = self.pending, []
            self.sending = True
            try:
                await self.send_round(batch)
            finally:
                self.sending = False


class EngineBroadcaster:
    def __init__(self, *, relay: RelayPublisher, channel_layer) -> None:
        self.relay = relay
        self.channel_layer = channel_layer
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._relay_lane = Lane(self._publish_round)
        self._layer_lane = Lane(self._reply_round)
        self._reply_slots: asyncio.Semaphore | None = None
        # Messages handed to the relay publisher, and those lost because it failed; the same for
        # the replies sent through the channel layer. Reported in the engine's heartbeat
        # (GET /healthz).
        self.published = 0
        self.publish_failed = 0
        self.replies = 0
        self.replies_failed = 0

    def figures(self) -> dict[str, int]:
        return {
            "published": self.published,
            "publish_failed": self.publish_failed,
            "replies": self.replies,
            "replies_failed": self.replies_failed,
        }

    def start_own_loop(self) -> None:
        """Runs a private event loop on a daemon thread (the runworker process)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="kogame-broadcast", daemon=True)
        self._thread.start()
        ready.wait()
        self.bind(loop)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Uses `loop` (already running, or about to) for every send from now on."""
        self.loop = loop
        loop.call_soon_threadsafe(self._start_lanes, loop)

    def _start_lanes(self, loop: asyncio.AbstractEventLoop) -> None:
        self._reply_slots = asyncio.Semaphore(MAX_CONCURRENT_REPLIES)
        self._relay_lane.start(loop)
        self._layer_lane.start(loop)

    def publish(self, sends: list[Send]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            # Nobody can be listening: no socket has connected yet, or the server loop is gone.
            return
        loop.call_soon_threadsafe(self._enqueue, sends)

    def _enqueue(self, sends: list[Send]) -> None:
        relayed: list[tuple[str, dict]] = []
        layered: list[tuple[str, dict]] = []
        for target, name, message in sends:
            if target == "game":
                relayed.append((relay_channel(name), message))
            elif target == "snapshot":
                relayed.append((snapshot_key(name), message))
            elif (route := reply_route(name)) is not None:
                channel, socket_id = route
                relayed.append((channel, {**message, "socket": socket_id}))
            else:
                layered.append((name, message))
        if relayed:
            self._relay_lane.add(relayed)
        if layered:
            self._layer_lane.add(layered)

    @staticmethod
    def _merge(messages: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """Folds several game.events messages for one game into one, keeping their order."""
        merged: list[tuple[str, dict]] = []
        by_game: dict[str, dict] = {}
        for channel, message in messages:
            if message.get("type") == "game.events":
                existing = by_game.get(channel)
                if existing is not None:
                    existing["events"].extend(message["events"])
                    if "head" in message:
                        existing["head"] = message["head"]
                    continue
                message = {**message, "events": list(message["events"])}
                by_game[channel] = message
            merged.append((channel, message))
        return merged

    async def _publish_round(self, batch: list[tuple[str, dict]]) -> None:
        snapshots = [(key, frozen) for key, frozen in batch if key.startswith(SNAPSHOT_PREFIX)]
        messages = self._merge([item for item in batch if not item[0].startswith(SNAPSHOT_PREFIX)])
        try:
            await self.relay.publish(messages, snapshots)
            self.published += len(messages)
        except Exception as error:
            # Lost, not retried: each socket finds the gap in `v` (or the next head) and resyncs;
            # a socket whose sync answer was lost asks again.
            self.publish_failed += len(messages)
            logger.warning("could not publish %d relay message(s): %r", len(messages), error)

    async def _reply_round(self, batch: list[tuple[str, dict]]) -> None:
        await asyncio.gather(*(self._reply(channel, message) for channel, message in batch))

    async def _reply(self, channel: str, message: dict) -> None:
        assert self._reply_slots is not None  # made with the lanes
        async with self._reply_slots:
            try:
                await self.channel_layer.send(channel, message)
                self.replies += 1
            except Exception:
                # The socket asks again: an unanswered sync is retried, an error is only a notice.
                self.replies_failed += 1
                logger.exception("could not send %s to %s", message.get("type"), channel)

    async def drained(self) -> None:
        """Returns once everything handed over so far has been sent (or lost, and counted)."""
        while not (self._relay_lane.idle and self._layer_lane.idle):
            await asyncio.sleep(0.01)

    def close(self, timeout: float = 2.0) -> None:
        """Sends what is still queued (for up to `timeout`), then stops sending."""
        loop = self.loop
        if loop is None:
            return
        if self._thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(self.drained(), loop).result(timeout)
            except Exception:
                unsent = len(self._relay_lane.pending) + len(self._layer_lane.pending)
                logger.warning("stopped with %d send(s) unsent", unsent)
        loop.call_soon_threadsafe(self._relay_lane.stop)
        loop.call_soon_threadsafe(self._layer_lane.stop)
        if self._thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=2)

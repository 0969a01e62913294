"""Sends what the engine produces from one persistent event loop, never from the engine thread.

The engine thread never awaits: `publish()` hands a batch to the loop and returns. One sender task
drains batches strictly in order, so a game's events leave in version order. Each round hands
every game message of the round to the game publisher in one call (one pipelined round trip to
Redis in worker mode), and sends the replies to single sockets through the channel layer,
concurrently, a bounded number at a time. Batches that pile up while a round is in flight are
merged into the next round: still one message per game.

Worker mode: the broadcaster owns a loop on its own thread. Embedded mode: it is bound to the web
server's loop, because the in-memory layer and the web process's relay live there (neither is
thread-safe, and the in-memory layer only wakes receivers on its own loop).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Protocol

from engine.outbox import Send

logger = logging.getLogger("kogame.broadcast")

# Concurrent replies per round; below channels-redis' default connection pool of 100.
MAX_CONCURRENT_REPLIES = 64


class GamePublisher(Protocol):
    async def publish(self, messages: list[tuple[str, dict]]) -> None:
        """Hands each (game_id, message) to every web process's sockets of that game, in order.
        Raises if they could not be handed over; the messages are then lost (and counted)."""


class EngineBroadcaster:
    def __init__(self, *, games: GamePublisher, channel_layer) -> None:
        self.games = games
        self.channel_layer = channel_layer
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pending: list[Send] = []
        self._wakeup: asyncio.Event | None = None
        self._sender: asyncio.Task | None = None
        self._sending = False
        # Game messages handed to the publisher, and those lost because it failed; the same for
        # the replies to single sockets. Reported in the engine's heartbeat (GET /healthz).
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
        loop.call_soon_threadsafe(self._start_sender)

    def _start_sender(self) -> None:
        self._wakeup = asyncio.Event()
        self._sender = asyncio.get_running_loop().create_task(self._send_forever())
        if self._pending:
            self._wakeup.set()

    def publish(self, sends: list[Send]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            # Nobody can be listening: no socket has connected yet, or the server loop is gone.
            return
        loop.call_soon_threadsafe(self._enqueue, sends)

    def _enqueue(self, sends: list[Send]) -> None:
        self._pending.extend(sends)
        if self._wakeup is not None:
            self._wakeup.set()

    async def _send_forever(self) -> None:
        assert self._wakeup is not None  # _start_sender sets it before starting this task
        semaphore = asyncio.Semaphore(MAX_CONCURRENT_REPLIES)
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._merge(self._pending), []
            game_messages = [(game_id, message) for target, game_id, message in batch if target == "game"]
            replies = [(channel, message) for target, channel, message in batch if target == "channel"]
            self._sending = True
            try:
                await asyncio.gather(
                    self._publish_games(game_messages), *(self._reply(semaphore, *reply) for reply in replies)
                )
            finally:
                self._sending = False

    @staticmethod
    def _merge(sends: list[Send]) -> list[Send]:
        """Folds several game.events messages for one game into one, keeping their order."""
        merged: list[Send] = []
        by_game: dict[str, dict] = {}
        for target, name, message in sends:
            if target == "game" and message.get("type") == "game.events":
                existing = by_game.get(name)
                if existing is not None:
                    existing["events"].extend(message["events"])
                    if "head" in message:
                        existing["head"] = message["head"]
                    continue
                message = {**message, "events": list(message["events"])}
                by_game[name] = message
            merged.append((target, name, message))
        return merged

    async def _publish_games(self, messages: list[tuple[str, dict]]) -> None:
        if not messages:
            return
        try:
            await self.games.publish(messages)
            self.published += len(messages)
        except Exception as error:
            # Lost, not retried: each socket finds the gap in `v` (or the next head) and resyncs.
            self.publish_failed += len(messages)
            logger.warning("could not publish %d game message(s): %r", len(messages), error)

    async def _reply(self, semaphore: asyncio.Semaphore, channel: str, message: dict) -> None:
        async with semaphore:
            try:
                await self.channel_layer.send(channel, message)
                self.replies += 1
            except Exception:
                # The socket asks again: an unanswered sync is retried, an error is only a notice.
                self.replies_failed += 1
                logger.exception("could not send %s to %s", message.get("type"), channel)

    async def _drain(self) -> None:
        while self._pending or self._sending:
            await asyncio.sleep(0.01)

    def close(self, timeout: float = 2.0) -> None:
        """Sends what is still queued (for up to `timeout`), then stops sending."""
        loop = self.loop
        if loop is None:
            return
        if self._thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._drain(), loop).result(timeout)
            except Exception:
                logger.warning("stopped with %d send(s) unsent", len(self._pending))
        if self._sender is not None:
            loop.call_soon_threadsafe(self._sender.cancel)
        if self._thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=2)

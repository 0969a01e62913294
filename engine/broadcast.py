"""Sends the engine's events through the channel layer from one persistent event loop.

The engine thread never awaits: `publish()` hands a batch to the loop and returns. One sender task
drains batches strictly in order (so a game's events reach its group in version order) and sends
the messages of a batch concurrently, a bounded number at a time. Batches that pile up while a
round is in flight are merged into the next round.

Worker mode: the broadcaster owns a loop on its own thread. Embedded mode: it is bound to the web
server's loop, because the in-memory layer is per process, not thread-safe, and only wakes
receivers on its own loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading

logger = logging.getLogger("kogame.broadcast")

# Concurrent sends per round; below channels-redis' default connection pool of 100.
MAX_CONCURRENT_SENDS = 64


class LayerBroadcaster:
    def __init__(self, channel_layer) -> None:
        self.channel_layer = channel_layer
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pending: list[tuple[str, str, dict]] = []
        self._wakeup: asyncio.Event | None = None
        self._sender: asyncio.Task | None = None
        self._sending = False
        self.sent = 0
        self.failed = 0

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

    def publish(self, sends: list[tuple[str, str, dict]]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            # Nobody can be listening: no socket has connected yet, or the server loop is gone.
            return
        loop.call_soon_threadsafe(self._enqueue, sends)

    def _enqueue(self, sends: list[tuple[str, str, dict]]) -> None:
        self._pending.extend(sends)
        if self._wakeup is not None:
            self._wakeup.set()

    async def _send_forever(self) -> None:
        assert self._wakeup is not None  # _start_sender sets it before starting this task
        semaphore = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._merge(self._pending), []
            self._sending = True
            try:
                await asyncio.gather(*(self._send_one(semaphore, send) for send in batch))
            finally:
                self._sending = False

    @staticmethod
    def _merge(sends: list[tuple[str, str, dict]]) -> list[tuple[str, str, dict]]:
        """Folds several game.events messages for one group into one, keeping their order."""
        merged: list[tuple[str, str, dict]] = []
        by_group: dict[str, dict] = {}
        for target, name, message in sends:
            if target == "group" and message.get("type") == "game.events":
                existing = by_group.get(name)
                if existing is not None:
                    existing["events"].extend(message["events"])
                    if "head" in message:
                        existing["head"] = message["head"]
                    continue
                message = {**message, "events": list(message["events"])}
                by_group[name] = message
            merged.append((target, name, message))
        return merged

    async def _send_one(self, semaphore: asyncio.Semaphore, send: tuple[str, str, dict]) -> None:
        target, name, message = send
        async with semaphore:
            try:
                if target == "group":
                    await self.channel_layer.group_send(name, message)
                else:
                    await self.channel_layer.send(name, message)
                self.sent += 1
            except Exception:
                self.failed += 1
                logger.exception("could not send %s to %s %s", message.get("type"), target, name)

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

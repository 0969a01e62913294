"""`runworker` as Channels has it, plus the engine's lifecycle when it serves `game_engine`:
the engine starts with the process (so GET /healthz sees it before any message arrives), and
SIGTERM/SIGINT stop it without losing what players sent (Channels' own worker dies at once on
SIGTERM, and cancelling its `handle()` would leave its listeners running).

A listener is never cancelled while it waits on Redis: channels-redis backs a popped message up
only once Redis's reply has been read, so a cancel in between loses the message. To stop, the
worker sends its own listeners a stop message on their channel and lets each return when it
reads it: what was queued before it is handled here, what comes after waits for the next worker.
"""

import asyncio
import logging
import signal
import time
import uuid

from channels.management.commands.runworker import Command as ChannelsRunworker
from channels.worker import Worker
from django.conf import settings

from engine import runtime
from engine.metrics_server import start_worker_metrics

logger = logging.getLogger("kogame.engine")

# How long a stopping worker waits for its listeners to read their stop message and for what
# they took off the channel to reach the engine's inbox.
HAND_OVER_SECONDS = 2.0
STOP_LISTENING = "worker.stop_listening"


class EngineWorker(Worker):
    listeners: list[asyncio.Task]
    # Tells this worker's stop message from another worker's.
    stop_token = uuid.uuid4().hex

    async def arun(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        self.listeners = []
        serving = asyncio.ensure_future(super().arun())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
        logger.info("worker stopping")
        # First stop taking messages: what is still on the channel waits there for the next worker.
        await self._stop_listening()
        await self._hand_over_taken_messages()
        serving.cancel()
        stopping.cancel()
        # Then the engine handles everything it accepted, saves, sends, and stops.
        await loop.run_in_executor(None, runtime.stop_engine)
        logger.info("worker stopped")
        if serving.done() and not serving.cancelled() and serving.exception():
            raise serving.exception()  # type: ignore[misc]  # not None: checked just above

    async def handle(self) -> None:
        self.listeners = [asyncio.ensure_future(self.listener(channel)) for channel in self.channels]
        await asyncio.wait(self.listeners)
        for listener in self.listeners:
            if not listener.cancelled():
                listener.result()

    async def _stop_listening(self) -> None:
        for channel in self.channels:
            stop = {"type": STOP_LISTENING, "token": self.stop_token, "until": time.time() + HAND_OVER_SECONDS}
            await self.channel_layer.send(channel, stop)
        _, still_listening = await asyncio.wait(self.listeners, timeout=HAND_OVER_SECONDS)
        if still_listening:
            logger.error("%d listener(s) did not read their stop message; cancelling them", len(still_listening))
            for listener in still_listening:
                listener.cancel()

    async def _hand_over_taken_messages(self) -> None:
        deadline = asyncio.get_running_loop().time() + HAND_OVER_SECONDS
        while any(not details["input_queue"].empty() for details in self.application_instances.values()):
            if asyncio.get_running_loop().time() > deadline:
                logger.error("stopped with messages not handed to the engine")
                return
            await asyncio.sleep(0.01)

    async def listener(self, channel: str) -> None:
        # Channels' listener raises on a message without a type, which kills the worker.
        while True:
            message = await self.channel_layer.receive(channel)
            if not isinstance(message, dict) or not message.get("type"):
                logger.warning("ignored a message without a type on %s", channel)
                continue
            if message["type"] == STOP_LISTENING:
                if message.get("token") == self.stop_token:
                    return
                if isinstance(message.get("until"), float) and time.time() < message["until"]:
                    # Another worker's, which reads this channel too: back for it to find.
                    await self.channel_layer.send(channel, message)
                continue
            scope = {"type": "channel", "channel": channel}
            instance_queue = self.get_or_create_application_instance(channel, scope)
            await instance_queue.put(message)


class Command(ChannelsRunworker):
    worker_class = EngineWorker

    def handle(self, *args, **options):
        if runtime.ENGINE_CHANNEL in options["channels"]:
            # First: a bad METRICS_PORT stops the worker before its engine takes over any game.
            start_worker_metrics(settings.METRICS_PORT)
            runtime.start_engine(own_loop=True, recover=True)
        super().handle(*args, **options)

"""`runworker` as Channels has it, plus the engine's lifecycle when it serves `game_engine`:
the engine starts with the process (so GET /healthz sees it before any message arrives), and
SIGTERM/SIGINT stop it cleanly (Channels' own worker dies at once on SIGTERM)."""

import asyncio
import logging
import signal

from channels.management.commands.runworker import Command as ChannelsRunworker
from channels.worker import Worker

from engine import runtime

logger = logging.getLogger("kogame.engine")

ENGINE_CHANNEL = "game_engine"


class EngineWorker(Worker):
    async def arun(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        serving = asyncio.ensure_future(super().arun())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
        serving.cancel()
        stopping.cancel()
        logger.info("worker stopping")
        await loop.run_in_executor(None, runtime.stop_engine)
        if serving.done() and not serving.cancelled() and serving.exception():
            raise serving.exception()

    async def listener(self, channel: str) -> None:
        # Channels' listener raises on a message without a type, which kills the worker.
        while True:
            message = await self.channel_layer.receive(channel)
            if not isinstance(message, dict) or not message.get("type"):
                logger.warning("ignored a message without a type on %s", channel)
                continue
            scope = {"type": "channel", "channel": channel}
            instance_queue = self.get_or_create_application_instance(channel, scope)
            await instance_queue.put(message)


class Command(ChannelsRunworker):
    worker_class = EngineWorker

    def handle(self, *args, **options):
        if ENGINE_CHANNEL in options["channels"]:
            runtime.start_engine(own_loop=True, recover=True)
        super().handle(*args, **options)

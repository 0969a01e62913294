"""The consumer that `runworker game_engine` runs: it only hands messages to the engine thread."""

import logging

from channels.consumer import AsyncConsumer

from engine import runtime

logger = logging.getLogger("kogame.engine")


class EngineConsumer(AsyncConsumer):
    # Async and without a database: handing a message over is a non-blocking put, so it needs no
    # hop to the worker's sync thread.
    async def dispatch(self, message: dict) -> None:
        # Every engine.* message goes to the engine's inbox; the engine validates it. Nothing here
        # may raise: Channels would drop this consumer instance and build a new one.
        if not str(message.get("type", "")).startswith("engine."):
            logger.warning("game_engine channel ignored a %r message", message.get("type"))
            return
        engine = runtime.running_engine()
        if engine is None:
            # This worker is stopping: the message belongs to the next one.
            await self.channel_layer.send(runtime.ENGINE_CHANNEL, message)
            return
        if not engine.submit(message):
            logger.warning("engine inbox full: dropped a %s message", message.get("type"))

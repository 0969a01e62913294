"""The consumer that `runworker game_engine` runs: it only hands messages to the engine thread."""

import logging

from channels.consumer import AsyncConsumer

from engine import runtime

logger = logging.getLogger("kogame.engine")


class EngineConsumer(AsyncConsumer):
    # Async and without a database: routing a message is a Redis call or two and a non-blocking
    # put, so it needs no hop to the worker's sync thread.
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
        router = runtime.channel_router()
        if router is None:
            engine.submit(message)
            return
        try:
            await router.route(message, engine.submit)
        except Exception:
            # Redis failed us: this engine answers it, which is what one worker alone would do.
            logger.exception("could not route a %s message from the channel", message.get("type"))
            engine.submit(message)

"""The consumer that `runworker game_engine` runs: it only hands messages to the engine thread."""

import logging

from channels.consumer import SyncConsumer
from channels.db import database_sync_to_async

from engine import runtime

logger = logging.getLogger("kogame.engine")


class EngineConsumer(SyncConsumer):
    # Runs on the worker's sync thread, as SyncConsumer's own dispatch does.
    @database_sync_to_async
    def dispatch(self, message: dict) -> None:
        # Every engine.* message goes to the engine's inbox; the engine validates it. Nothing here
        # may raise: Channels would drop this consumer instance and build a new one.
        if not str(message.get("type", "")).startswith("engine."):
            logger.warning("game_engine channel ignored a %r message", message.get("type"))
            return
        engine = runtime.start_engine(own_loop=True)
        if not engine.submit(message):
            logger.warning("engine inbox full: dropped a %s message", message.get("type"))

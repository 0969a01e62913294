"""The consumer that `runworker game_engine` runs: it only hands messages to the engine thread."""

import logging

from channels.consumer import SyncConsumer

from engine import runtime

logger = logging.getLogger("kogame.engine")


class EngineConsumer(SyncConsumer):
    # A handler that raised would make Channels drop this instance; submit() never raises.
    def _submit(self, message: dict) -> None:
        engine = runtime.start_engine(own_loop=True)
        if not engine.submit(message):
            logger.warning("engine inbox full: dropped a %s message", message.get("type"))

    def engine_start_game(self, message: dict) -> None:
        self._submit(message)

    def engine_intent(self, message: dict) -> None:
        self._submit(message)

    def engine_sync(self, message: dict) -> None:
        self._submit(message)

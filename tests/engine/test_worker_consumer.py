"""The `game_engine` channel's consumer, driven as runworker drives it."""

import pytest
from channels.testing import ApplicationCommunicator

from engine import runtime
from engine.consumers import EngineConsumer
from tests.conftest import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def start_message(game_id: str) -> dict:
    return {
        "type": "engine.start_game",
        "game_id": game_id,
        "kind": "snake",
        "mode": "match",
        "seats": [{"name": "a", "bot": None}, {"name": "b", "bot": None}],
        "settings": {"countdown_ticks": 100},
        "seed": 7,
    }


async def test_engine_messages_reach_the_engine_and_a_bad_message_does_not_kill_the_consumer():
    communicator = ApplicationCommunicator(EngineConsumer.as_asgi(), {"type": "channel", "channel": "game_engine"})
    await communicator.send_input({"type": "not.for.the.engine"})
    await communicator.send_input({"type": "engine.start_game", "game_id": "broken"})
    await communicator.send_input(start_message("workerGame1"))
    engine = runtime.start_engine(own_loop=False)

    async def started(game_id):
        return game_id in engine.games

    await eventually(lambda: started("workerGame1"))
    assert "broken" not in engine.games
    # The same instance still serves: a consumer that raised would have been dropped.
    assert not communicator.future.done()
    await communicator.send_input(start_message("workerGame2"))
    await eventually(lambda: started("workerGame2"))
    communicator.future.cancel()

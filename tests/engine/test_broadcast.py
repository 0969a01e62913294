"""The engine's broadcaster: a round's game messages go to the publisher in one call, one message
per game and in version order; replies go to single channels; losses are counted."""

import asyncio

from engine.broadcast import EngineBroadcaster
from engine.wire import events_message


class RecordingPublisher:
    def __init__(self) -> None:
        self.rounds: list[list[tuple[str, dict]]] = []
        self.failures = 0
        self.called = asyncio.Event()

    async def publish(self, messages):
        self.called.set()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Redis went away")
        self.rounds.append(messages)


class RecordingLayer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def send(self, channel, message):
        self.sent.append((channel, message))


async def a_round(broadcaster: EngineBroadcaster, publisher: RecordingPublisher) -> None:
    await asyncio.wait_for(publisher.called.wait(), timeout=1)
    publisher.called.clear()
    # The round's replies and counters are settled once the sender waits for the next batch.
    while broadcaster._sending or broadcaster._pending:
        await asyncio.sleep(0)


async def test_batches_that_pile_up_leave_as_one_publish_of_one_message_per_game():
    publisher, layer = RecordingPublisher(), RecordingLayer()
    broadcaster = EngineBroadcaster(games=publisher, channel_layer=layer)
    broadcaster.bind(asyncio.get_running_loop())
    chat = {"type": "game.spectator_chat", "text": "{}"}
    broadcaster.publish([("game", "g1", events_message([[1, "a"]])), ("channel", "c.one", {"type": "game.sync"})])
    broadcaster.publish([("game", "g2", events_message([[5, "e"]])), ("game", "g1", events_message([[2, "b"]], head=2))])
    broadcaster.publish([("game", "g1", chat)])
    await a_round(broadcaster, publisher)
    (published,) = publisher.rounds
    assert published == [
        ("g1", {"type": "game.events", "events": [[1, "a"], [2, "b"]], "head": 2}),
        ("g2", {"type": "game.events", "events": [[5, "e"]]}),
        ("g1", chat),
    ]
    assert layer.sent == [("c.one", {"type": "game.sync"})]
    assert broadcaster.figures() == {"published": 3, "publish_failed": 0, "replies": 1, "replies_failed": 0}
    broadcaster._sender.cancel()


async def test_a_round_the_publisher_could_not_send_is_counted_lost_and_the_next_one_goes():
    publisher = RecordingPublisher()
    publisher.failures = 1
    broadcaster = EngineBroadcaster(games=publisher, channel_layer=RecordingLayer())
    broadcaster.bind(asyncio.get_running_loop())
    broadcaster.publish([("game", "g1", events_message([[1, "a"]])), ("game", "g2", events_message([], head=4))])
    await a_round(broadcaster, publisher)
    broadcaster.publish([("game", "g1", events_message([[2, "b"]]))])
    await a_round(broadcaster, publisher)
    assert publisher.rounds == [[("g1", {"type": "game.events", "events": [[2, "b"]]})]]
    assert (broadcaster.publish_failed, broadcaster.published) == (2, 1)
    broadcaster._sender.cancel()

"""The engine's broadcaster: a round's relay messages go to the publisher in one call, one message
per game and in version order, with the replies to sockets that take them through the relay;
replies to channel-layer names go there without holding the relay up; losses are counted."""

import asyncio

from engine.broadcast import EngineBroadcaster
from engine.wire import events_message
from tests.conftest import eventually


class RecordingPublisher:
    def __init__(self) -> None:
        self.rounds: list[list[tuple[str, dict]]] = []
        self.snapshots: list[tuple[str, dict]] = []
        self.failures = 0

    async def publish(self, messages, snapshots=()):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Redis went away")
        self.rounds.append(messages)
        self.snapshots += snapshots


class RecordingLayer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def send(self, channel, message):
        self.sent.append((channel, message))


class ReplyLayerThatNeverAnswers:
    async def send(self, channel, message):
        await asyncio.Event().wait()


async def test_batches_that_pile_up_leave_as_one_publish_of_one_message_per_game():
    publisher, layer = RecordingPublisher(), RecordingLayer()
    broadcaster = EngineBroadcaster(relay=publisher, channel_layer=layer)
    broadcaster.bind(asyncio.get_running_loop())
    chat = {"type": "game.spectator_chat", "text": "{}"}
    broadcaster.publish(
        [
            ("game", "g1", events_message([[1, "a"]])),
            ("channel", "c.one", {"type": "game.sync"}),
            ("channel", "kogame:reply:p1/7", {"type": "game.error", "code": "refused"}),
        ]
    )
    broadcaster.publish([("game", "g2", events_message([[5, "e"]])), ("game", "g1", events_message([[2, "b"]], head=2))])
    broadcaster.publish([("game", "g1", chat)])
    await asyncio.wait_for(broadcaster.drained(), timeout=1)
    (published,) = publisher.rounds
    assert published == [
        ("kogame:relay:g1", {"type": "game.events", "events": [[1, "a"], [2, "b"]], "head": 2}),
        ("kogame:reply:p1", {"type": "game.error", "code": "refused", "socket": "7"}),
        ("kogame:relay:g2", {"type": "game.events", "events": [[5, "e"]]}),
        ("kogame:relay:g1", chat),
    ]
    # A reply_channel that is no relay address (a web process of an older release) gets its
    # reply through the channel layer.
    assert layer.sent == [("c.one", {"type": "game.sync"})]
    assert broadcaster.figures() == {"published": 4, "publish_failed": 0, "replies": 1, "replies_failed": 0}
    broadcaster.close()


async def test_a_round_the_publisher_could_not_send_is_counted_lost_and_the_next_one_goes():
    publisher = RecordingPublisher()
    publisher.failures = 1
    broadcaster = EngineBroadcaster(relay=publisher, channel_layer=RecordingLayer())
    broadcaster.bind(asyncio.get_running_loop())
    broadcaster.publish([("game", "g1", events_message([[1, "a"]])), ("game", "g2", events_message([], head=4))])
    await asyncio.wait_for(broadcaster.drained(), timeout=1)
    broadcaster.publish([("game", "g1", events_message([[2, "b"]]))])
    await asyncio.wait_for(broadcaster.drained(), timeout=1)
    assert publisher.rounds == [[("kogame:relay:g1", {"type": "game.events", "events": [[2, "b"]]})]]
    assert (broadcaster.publish_failed, broadcaster.published) == (2, 1)
    broadcaster.close()


async def test_replies_that_hang_do_not_hold_up_the_games_events():
    publisher = RecordingPublisher()
    broadcaster = EngineBroadcaster(relay=publisher, channel_layer=ReplyLayerThatNeverAnswers())
    broadcaster.bind(asyncio.get_running_loop())
    broadcaster.publish([("channel", f"c.{n}", {"type": "game.sync"}) for n in range(100)])
    # Each iteration's events leave in a round of their own while the replies still hang.
    for v in (1, 2, 3):
        broadcaster.publish([("game", "g1", events_message([[v, "e"]]))])

        async def published(rounds: int = v) -> bool:
            return len(publisher.rounds) == rounds

        await eventually(published, timeout=1)
    assert [messages[0][1]["events"] for messages in publisher.rounds] == [[[1, "e"]], [[2, "e"]], [[3, "e"]]]
    broadcaster.close()

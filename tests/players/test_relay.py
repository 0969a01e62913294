"""This web process's relay on its own: subscriptions that follow the sockets, the fan-out to
their feeds, and every loss counted and turned into a resync."""

import asyncio
import time

from engine.wire import relay_channel
from players.relay import LAG_BUCKETS, GameRelay
from players.socket_feed import RELAY_LOST, SocketFeed


class RecordingSubscriber:
    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    async def subscribe(self, channel: str) -> None:
        self.commands.append(("subscribe", channel))

    async def unsubscribe(self, channel: str) -> None:
        self.commands.append(("unsubscribe", channel))

    def figures(self) -> dict:
        return {"connected": True, "connections_lost": 0}


def relay_with_subscriber() -> tuple[GameRelay, RecordingSubscriber]:
    relay = GameRelay("p1")
    subscriber = RecordingSubscriber()
    relay.subscriber = subscriber  # type: ignore[assignment]  # the fake stands in for Redis
    return relay, subscriber


def events(*versions: int) -> dict:
    return {"type": "game.events", "events": [[v, f'{{"v":{v}}}'] for v in versions]}


def queued(feed: SocketFeed) -> list[dict]:
    return list(feed._messages)


async def test_a_process_subscribes_to_a_game_with_its_first_socket_and_unsubscribes_with_its_last():
    relay, subscriber = relay_with_subscriber()
    first = await relay.join("g1", spectator=False)
    second = await relay.join("g1", spectator=True)
    other = await relay.join("g2", spectator=False)
    g1, g2 = relay_channel("g1"), relay_channel("g2")
    assert subscriber.commands == [("subscribe", g1), ("subscribe", g2)]
    assert relay.channels() == ["kogame:reply:p1", g1, g2]
    await relay.leave("g1", first)
    assert subscriber.commands[-1] == ("subscribe", g2)
    await relay.leave("g1", second)
    await relay.leave("g1", second)  # a second leave of the same socket changes nothing
    await relay.leave("g2", other)
    assert subscriber.commands[2:] == [("unsubscribe", g1), ("unsubscribe", g2)]
    assert relay.figures()["games"] == relay.figures()["sockets"] == 0


async def test_game_messages_reach_every_socket_of_the_game_and_spectators_chat_only_spectators():
    relay, _ = relay_with_subscriber()
    player = await relay.join("g1", spectator=False)
    spectator = await relay.join("g1", spectator=True)
    elsewhere = await relay.join("g2", spectator=True)
    chat = {"type": "game.spectator_chat", "text": '{"type":"chat"}'}
    relay.deliver(relay_channel("g1"), events(1))
    relay.deliver(relay_channel("g1"), chat)
    relay.deliver(relay_channel("nobody"), events(1))
    assert queued(player) == [events(1)]
    assert queued(spectator) == [events(1), chat]
    assert queued(elsewhere) == []
    figures = relay.figures()
    assert (figures["received"], figures["delivered"], figures["dropped_feed_full"]) == (2, 3, 0)


async def test_a_reply_reaches_its_socket_alone_by_the_address_the_socket_gave_the_engine():
    relay, _ = relay_with_subscriber()
    asking = await relay.join("g1", spectator=False)
    other = await relay.join("g1", spectator=False)
    assert asking.reply_address == "kogame:reply:p1/1"
    answer = {"type": "game.sync", "known": True, "events": [], "socket": asking.socket_id}
    relay.deliver("kogame:reply:p1", answer)
    relay.deliver("kogame:reply:p1", {**answer, "socket": "closed long ago"})
    assert (queued(asking), queued(other)) == ([answer], [])


async def test_embedded_publishes_are_delivered_in_order():
    relay = GameRelay("p1")
    feed = await relay.join("g1", spectator=False)
    g1, g2 = relay_channel("g1"), relay_channel("g2")
    await relay.publish([(g1, events(1)), (g2, events(7)), (g1, events(2, 3))])
    assert [await feed.next(), await feed.next()] == [events(1), events(2, 3)]


async def test_a_full_feed_drops_the_incoming_message_counts_it_and_has_its_socket_resync_once():
    relay, _ = relay_with_subscriber()
    feed = await relay.join("g1", spectator=False)
    feed._limit = 2
    for v in range(1, 6):
        relay.deliver(relay_channel("g1"), events(v))
    assert queued(feed) == [events(1), events(2), RELAY_LOST]
    assert relay.dropped_feed_full == 3
    assert [await feed.next() for _ in range(3)] == [events(1), events(2), RELAY_LOST]
    # Once the socket has handled the loss, the next loss is marked again.
    for v in range(6, 9):
        relay.deliver(relay_channel("g1"), events(v))
    assert queued(feed) == [events(6), events(7), RELAY_LOST]


async def test_a_lapsed_subscription_has_every_socket_resync_after_what_it_already_holds():
    relay, _ = relay_with_subscriber()
    feeds = [await relay.join("g1", spectator=False), await relay.join("g2", spectator=True)]
    relay.deliver(relay_channel("g1"), events(1))
    relay.lost_all()
    relay.lost_all()  # still one resync per socket waiting
    assert queued(feeds[0]) == [events(1), RELAY_LOST]
    assert queued(feeds[1]) == [RELAY_LOST]
    assert relay.resyncs == 4


async def test_a_socket_waiting_on_its_feed_wakes_for_the_next_message():
    feed = SocketFeed(socket_id="1", reply_address="kogame:reply:p1/1", spectator=False)
    waiting = asyncio.ensure_future(feed.next())
    await asyncio.sleep(0)
    assert not waiting.done()
    feed.offer(events(1))
    assert await asyncio.wait_for(waiting, timeout=1) == events(1)


async def test_the_relay_measures_the_lag_of_game_messages_from_the_engine_stamp():
    relay, _ = relay_with_subscriber()
    await relay.join("g1", spectator=False)
    sent_60_ms_ago = int(time.time() * 1000) - 60
    relay.deliver(relay_channel("g1"), {**events(1), "sent_ms": sent_60_ms_ago})
    relay.deliver(relay_channel("g1"), events(2))  # from an engine that does not stamp: not measured
    relay.deliver(relay_channel("nobody"), {**events(1), "sent_ms": sent_60_ms_ago})  # not for this process
    counts, total = relay.lag.snapshot()
    assert sum(counts) == 1
    assert counts[LAG_BUCKETS.index(0.1)] == 1  # above 50 ms, at most 100
    assert 0.06 <= total < 0.1

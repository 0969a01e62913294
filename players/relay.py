"""This web process's relay: which of its sockets watch which game, and the fan-out to them.

The engine sends each game's events once per loop iteration, already encoded. In worker mode it
publishes them on the game's Redis channel and this process receives them once, on its one
subscriber connection (players/relay_subscriber.py), subscribed to exactly the games it has
sockets of, and to its own reply channel, where the engine publishes the replies meant for one
of its sockets (sync answers, errors). In embedded mode the engine hands all of that to
`publish` directly. Either way `deliver` puts each message in the feed of every local socket it
is for (players/socket_feed.py), with no Redis message and no channel layer per socket.

Every loss is counted (`figures`, shown by GET /healthz) and healed by the socket resyncing.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Sequence

from django.conf import settings

from engine.fixed_histogram import FixedHistogram
from engine.wire import RELAY_CHANNEL_PREFIX, relay_channel, reply_address, reply_channel
from players.relay_subscriber import RelaySubscriber
from players.socket_feed import SocketFeed

# Upper bounds, in seconds, of the buckets of the relay's lag (kogame_relay_lag_seconds).
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GameRelay:
    def __init__(self, process_id: str) -> None:
        self.process_id = process_id
        self.reply_channel = reply_channel(process_id)
        self._feeds: dict[str, list[SocketFeed]] = {}  # by game id
        self._sockets: dict[str, SocketFeed] = {}  # by socket id
        self._socket_ids = itertools.count(1)
        self.subscriber: RelaySubscriber | None = None
        # Messages that reached this process for a socket it has; messages put in a socket's
        # feed; those dropped because the feed was full; sockets told to resync because their
        # messages may have been lost on the way (the subscriber had no connection).
        self.received = 0
        self.delivered = 0
        self.dropped_feed_full = 0
        self.resyncs = 0
        # From the engine handing a game's message over to its arrival here (wall clocks: across
        # hosts, their skew counts too).
        self.lag = FixedHistogram(LAG_BUCKETS)

    def channels(self) -> list[str]:
        """The Redis channels this process listens on: its reply channel and its games'."""
        return [self.reply_channel, *(relay_channel(game_id) for game_id in self._feeds)]

    async def join(self, game_id: str, *, spectator: bool) -> SocketFeed:
        """A socket of `game_id` opened here; the first one subscribes this process to the game."""
        socket_id = str(next(self._socket_ids))
        feed = SocketFeed(socket_id=socket_id, reply_address=reply_address(self.process_id, socket_id), spectator=spectator)
        self._sockets[socket_id] = feed
        feeds = self._feeds.get(game_id)
        if feeds is not None:
            feeds.append(feed)
            return feed
        self._feeds[game_id] = [feed]
        subscriber = self._subscriber()
        if subscriber is not None:
            await subscriber.subscribe(relay_channel(game_id))
        return feed

    async def leave(self, game_id: str, feed: SocketFeed) -> None:
        """The socket of `feed` closed; the last one of a game unsubscribes this process."""
        self._sockets.pop(feed.socket_id, None)
        feeds = self._feeds.get(game_id)
        if feeds is None or feed not in feeds:
            return
        feeds.remove(feed)
        if feeds:
            return
        del self._feeds[game_id]
        if self.subscriber is not None:
            await self.subscriber.unsubscribe(relay_channel(game_id))

    def _subscriber(self) -> RelaySubscriber | None:
        """Worker mode: the subscriber, started on first use on the server's loop."""
        if self.subscriber is None and not settings.EMBEDDED_ENGINE:
            self.subscriber = RelaySubscriber(settings.REDIS_URL, self)
        return self.subscriber

    async def publish(self, messages: list[tuple[str, dict]], snapshots: Sequence[tuple[str, dict]] = ()) -> None:
        """Embedded mode: the engine's relay messages, straight from its broadcaster (a lone
        engine freezes no games: nobody would thaw them)."""
        for channel, message in messages:
            self.deliver(channel, message)

    def deliver(self, channel: str, message: dict) -> None:
        """Puts a message that came on `channel` in the feed of every local socket it is for: a
        reply, in its socket's; a game message, in those of every socket of the game
        (spectators' chat: of every spectator's socket). The sockets share it: nobody may change it."""
        if channel == self.reply_channel:
            feed = self._sockets.get(message["socket"])
            feeds = [] if feed is None else [feed]  # a socket that closed meanwhile needs nothing
        else:
            # None when the last socket of the game left while the message was on its way.
            feeds = self._feeds.get(channel.removeprefix(RELAY_CHANNEL_PREFIX)) or []
        if not feeds:
            return
        self.received += 1
        if "sent_ms" in message:
            self.lag.observe(time.time() - message["sent_ms"] / 1000)
        spectators_only = message["type"] == "game.spectator_chat"
        for feed in feeds:
            if spectators_only and not feed.spectator:
                continue
            if feed.offer(message):
                self.delivered += 1
            else:
                self.dropped_feed_full += 1

    def lost_all(self) -> None:
        """Messages for any socket here may have been lost: every socket resyncs."""
        for feed in self._sockets.values():
            feed.lose()
            self.resyncs += 1

    def figures(self) -> dict:
        return {
            "games": len(self._feeds),
            "sockets": len(self._sockets),
            "received": self.received,
            "delivered": self.delivered,
            "dropped_feed_full": self.dropped_feed_full,
            "resyncs": self.resyncs,
            "subscriber": self.subscriber.figures() if self.subscriber is not None else None,
        }


# Named afresh by each process: its reply channel is its own.
this_relay = GameRelay(uuid.uuid4().hex)

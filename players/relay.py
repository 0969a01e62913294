"""This web process's relay: which of its sockets watch which game, and the fan-out to them.

The engine sends each game's events once per loop iteration, already encoded. In worker mode it
publishes them on the game's Redis channel and this process receives them once, on its one
subscriber connection (players/relay_subscriber.py), subscribed to exactly the games it has
sockets of. In embedded mode the engine hands them to `publish` directly. Either way `deliver`
puts each message in the feed of every local socket of the game (players/socket_feed.py), with
no Redis message and no channel layer per socket. Replies to one socket (sync answers, errors)
still travel on the channel layer: there are few of them.

Every loss is counted (`figures`, shown by GET /healthz) and healed by the socket resyncing.
"""

from __future__ import annotations

from django.conf import settings

from players.relay_subscriber import RelaySubscriber
from players.socket_feed import SocketFeed


class GameRelay:
    def __init__(self) -> None:
        self._feeds: dict[str, list[SocketFeed]] = {}
        self.subscriber: RelaySubscriber | None = None
        # Messages that reached this process for a game it has sockets of; messages put in a
        # socket's feed; those dropped because the feed was full; sockets told to resync because
        # their messages were lost on the way (the subscriber lost its connection).
        self.received = 0
        self.delivered = 0
        self.dropped_feed_full = 0
        self.resyncs = 0

    def games(self) -> list[str]:
        return list(self._feeds)

    async def join(self, game_id: str, *, spectator: bool) -> SocketFeed:
        """A socket of `game_id` opened here; the first one subscribes this process to the game."""
        feed = SocketFeed(spectator=spectator)
        feeds = self._feeds.get(game_id)
        if feeds is not None:
            feeds.append(feed)
            return feed
        self._feeds[game_id] = [feed]
        subscriber = self._subscriber()
        if subscriber is not None:
            await subscriber.subscribe(game_id)
        return feed

    async def leave(self, game_id: str, feed: SocketFeed) -> None:
        """The socket of `feed` closed; the last one of a game unsubscribes this process."""
        feeds = self._feeds.get(game_id)
        if feeds is None or feed not in feeds:
            return
        feeds.remove(feed)
        if feeds:
            return
        del self._feeds[game_id]
        if self.subscriber is not None:
            await self.subscriber.unsubscribe(game_id)

    def _subscriber(self) -> RelaySubscriber | None:
        """Worker mode: the subscriber, started on first use on the server's loop."""
        if self.subscriber is None and not settings.EMBEDDED_ENGINE:
            self.subscriber = RelaySubscriber(settings.REDIS_URL, self)
        return self.subscriber

    async def publish(self, messages: list[tuple[str, dict]]) -> None:
        """Embedded mode: the engine's game messages, straight from its broadcaster."""
        for game_id, message in messages:
            self.deliver(game_id, message)

    def deliver(self, game_id: str, message: dict) -> None:
        """Puts `message` in the feed of every local socket of the game (spectators' chat: of every
        spectator's socket). The sockets share it: nobody may change it."""
        feeds = self._feeds.get(game_id)
        if feeds is None:
            return  # the last socket left while the message was on its way
        self.received += 1
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
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.lose()
                self.resyncs += 1

    def figures(self) -> dict:
        return {
            "games": len(self._feeds),
            "sockets": sum(len(feeds) for feeds in self._feeds.values()),
            "received": self.received,
            "delivered": self.delivered,
            "dropped_feed_full": self.dropped_feed_full,
            "resyncs": self.resyncs,
            "subscriber": self.subscriber.figures() if self.subscriber is not None else None,
        }


this_relay = GameRelay()

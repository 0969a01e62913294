"""`/ws/game/<game_id>/`: players play and everyone else watches; events relayed in order."""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async

from engine import selectors as game_selectors
from engine import services as game_services
from players.consumers.guarded import CLOSE_UNAUTHENTICATED, CLOSE_UNKNOWN_GAME, GuardedConsumer
from players.engine_link import send_to_engine
from players.protocol import BadFrame, clean_game_intent, parse_version_param
from players.relay import this_relay
from players.socket_feed import SocketFeed
from players.web_process import this_process

logger = logging.getLogger("kogame.players")

# A sync the engine has not answered after this long is asked again, the wait doubling up to the
# limit, for as long as the socket is open: the engine may be restarting, or the request lost.
SYNC_RETRY_SECONDS = 0.5
SYNC_RETRY_LIMIT_SECONDS = 5.0
# After this many syncs the engine answered with "unknown game", look in the database: the game
# may have ended while no engine ran it.
SYNC_ATTEMPTS_BEFORE_DATABASE = 3
# Events held while waiting for the engine's answer to a sync; past this we ask again.
PENDING_EVENTS_LIMIT = 256
# Lag probes (chess players who connect with ?lag=1): how often, and how many round trips the
# estimate keeps. The server measures the round trip itself; clients only echo the probe's id.
LAG_PROBE_SECONDS = 2.0
LAG_SAMPLES = 5


class PlayerConsumer(GuardedConsumer):
    """`/ws/game/<game_id>/`: play (players) or watch (everyone else)."""

    announced_presence = False
    feed: SocketFeed | None = None
    relayer: asyncio.Task | None = None  # handles what the relay puts in `feed`
    lag_prober: asyncio.Task | None = None
    sync_retry: asyncio.TimerHandle | None = None
    sync_request: asyncio.Task | None = None  # held so the event loop's weak reference is not the only one

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.probes_sent: dict[int, float] = {}
        self.round_trips: deque[float] = deque(maxlen=LAG_SAMPLES)

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.reject(CLOSE_UNAUTHENTICATED)
            return
        self.username = user.username
        self.game_id = self.scope["url_route"]["kwargs"]["game_id"]
        loaded = await database_sync_to_async(self._load_game)()
        if loaded is None:
            await self.reject(CLOSE_UNKNOWN_GAME)
            return
        game, seats, final_state = loaded
        self.kind = game.kind
        self.mode = game.mode
        self.is_player = game.mode == game.Mode.ARENA or any(seat.bot is None and seat.name == self.username for seat in seats)
        # The last version this client has; -1 before it has any.
        self.last_v = -1
        self.synced = False
        self.pending: list = []
        # Sync requests sent since the last one answered.
        self.sync_attempts = 0
        await self.accept()
        # Before asking for the state: events published from now on reach this socket.
        self.feed = await this_relay.join(self.game_id, spectator=not self.is_player)
        self.reply_address = self.feed.reply_address
        self.relayer = asyncio.ensure_future(self._relay_forever(self.feed))
        if final_state is not None:
            self.synced = True
            self.last_v = final_state["v"]
            await self.send_json(self._with_viewer(final_state))
            return
        if game.mode == game.Mode.ARENA:
            # The arena lives as long as someone visits it: (re)start it in the engine if needed.
            await send_to_engine(await database_sync_to_async(game_services.game_start_message)(game=game))
        seen = parse_version_param(self.query_param("v"))
        if seen is not None:
            self.last_v = seen
        await self._request_sync()
        if self.is_player:
            self.announced_presence = True
            await self._presence(True)
        if self.is_player and self.kind == "chess" and self.query_param("lag") == "1":
            self.lag_prober = asyncio.ensure_future(self._probe_lag())

    def _load_game(self):
        game = game_selectors.game_get(game_id=self.game_id)
        if game is None:
            return None
        final_state = None if game.is_live else game_selectors.finished_game_state(game=game)
        return game, game_selectors.game_seats(game=game), final_state

    async def _request_sync(self) -> None:
        """Asks the engine for what this client lacks after `last_v` (or for the full state), and
        asks again later if no answer has come by then."""
        self.synced = False
        self.sync_attempts += 1
        seen = self.last_v if self.last_v >= 0 else None
        if self.sync_retry is not None:
            self.sync_retry.cancel()
        wait = min(SYNC_RETRY_LIMIT_SECONDS, SYNC_RETRY_SECONDS * 2 ** min(self.sync_attempts - 1, 8))
        self.sync_retry = asyncio.get_running_loop().call_later(wait, self._sync_unanswered, self.sync_attempts)
        await send_to_engine(
            {"type": "engine.sync", "game_id": self.game_id, "v": seen, "reply_channel": self.reply_address}
        )

    def _synced(self) -> None:
        self.synced = True
        # The next gap starts its retries from the shortest wait again.
        self.sync_attempts = 0

    def _sync_unanswered(self, attempt: int) -> None:
        if not self.synced and not self.closing and attempt == self.sync_attempts:
            self.sync_request = asyncio.ensure_future(self._request_sync())

    async def disconnect(self, code):
        if self.lag_prober is not None:
            self.lag_prober.cancel()
        if self.sync_retry is not None:
            self.sync_retry.cancel()
        if self.relayer is not None:
            self.relayer.cancel()
        if self.feed is not None:
            await this_relay.leave(self.game_id, self.feed)
        if self.announced_presence:
            await self._presence(False)

    async def _presence(self, connected: bool) -> None:
        this_process.ensure_reporting()
        await this_process.player_socket(game_id=self.game_id, username=self.username, connected=connected)

    async def _probe_lag(self) -> None:
        probe_id = 0
        while True:
            probe_id += 1
            self.probes_sent[probe_id] = time.monotonic()
            await self.send_json({"type": "lagProbe", "id": probe_id})
            await asyncio.sleep(LAG_PROBE_SECONDS)
            self.probes_sent.pop(probe_id - 2, None)

    def _lag_ms(self) -> int:
        """One-way lag estimate from the round trips this server measured (0 until measured)."""
        if not self.round_trips:
            return 0
        return int(statistics.median(self.round_trips) * 1000 / 2)

    async def dispatch(self, message):
        # Client frames are a hot path and never touch the database here: skip the per-message
        # connection cleanup (a hop to the sync thread) that Channels adds. (What the engine
        # sends comes through the relay, to `_relay_forever`.)
        if message["type"] in ("websocket.connect", "websocket.disconnect"):
            await super().dispatch(message)
        else:
            await getattr(self, get_handler_name(message))(message)

    # -- from the engine ------------------------------------------------------------------

    async def _relay_forever(self, feed: SocketFeed) -> None:
        """Handles what the relay brings (game.events, game.spectator_chat, the replies game.sync
        and game.error, relay.lost) one at a time, in order, on this socket's own task."""
        while True:
            message = await feed.next()
            try:
                await getattr(self, get_handler_name(message))(message)
            except Exception:
                # A server bug: logged, and this socket goes on receiving.
                logger.exception("failed to relay a %r message", message["type"])

    async def relay_lost(self, message):
        # Something meant for this socket was lost on the way: ask for what it lacks. A socket
        # already waiting for a sync gets everything from its answer.
        if self.synced:
            await self._request_sync()

    async def game_sync(self, message):
        if self.synced:
            # The answer to a request already answered (a retry crossed the first answer).
            return
        if not message["known"]:
            await self._engine_does_not_know_game()
            return
        for v, text in message["events"]:
            if text.startswith('{"type":"gameState"'):
                await self.send(text_data=json.dumps(self._with_viewer(json.loads(text)), separators=(",", ":")))
                self.last_v = v
            elif v > self.last_v:
                await self.send(text_data=text)
                self.last_v = v
        self._synced()
        held, self.pending = self.pending, []
        await self._relay(held)

    async def _engine_does_not_know_game(self) -> None:
        """Its start message may still be on its way, or no engine runs it: the retry scheduled
        by `_request_sync` asks again; after a few answers like this one, the database may show
        that the game has ended meanwhile."""
        if self.sync_attempts < SYNC_ATTEMPTS_BEFORE_DATABASE:
            return
        loaded = await database_sync_to_async(self._load_game)()
        if loaded is None or loaded[2] is None or self.synced:
            return
        final_state = loaded[2]
        self._synced()
        self.last_v = final_state["v"]
        self.pending = []
        await self.send_json(self._with_viewer(final_state))

    async def game_events(self, message):
        if not self.synced:
            self.pending.extend(message["events"])
            if len(self.pending) > PENDING_EVENTS_LIMIT:
                self.pending = []
                await self._request_sync()
            return
        await self._relay(message["events"])
        if self.synced and message.get("head", -1) > self.last_v:
            # The engine has released an event this socket never received: heal the gap.
            await self._request_sync()

    async def game_spectator_chat(self, message):
        await self.send(text_data=message["text"])

    async def _relay(self, events) -> None:
        for index, (v, text) in enumerate(events):
            if v <= self.last_v:
                continue
            if v > self.last_v + 1:
                # An event went missing on the way: hold the rest and ask for what we lack.
                self.pending = list(events[index:])
                await self._request_sync()
                return
            await self.send(text_data=text)
            self.last_v = v

    async def game_error(self, message):
        await self.send_error(message["code"], message["message"])

    def _with_viewer(self, state: dict) -> dict:
        return {**state, "you": {"username": self.username, "role": "player" if self.is_player else "spectator"}}

    # -- from the client ------------------------------------------------------------------

    async def on_message(self, content: dict) -> None:
        if content["type"] == "ping":
            # The last version sent on this socket: a client that applied fewer lost one.
            await self.send_json({"type": "pong", "v": self.last_v if self.last_v >= 0 else None})
            return
        if content["type"] == "lagEcho":
            # type() rather than isinstance(): true and false are ints too, and would match probe 1.
            sent = self.probes_sent.pop(content.get("id"), None) if type(content.get("id")) is int else None
            if sent is None:
                raise BadFrame("bad_field", '"id" must be the id of a recent lagProbe')
            self.round_trips.append(time.monotonic() - sent)
            return
        intent = clean_game_intent(self.kind, content)
        if intent["type"] == "chat":
            intent["room"] = "player" if self.is_player else "spectator"
        elif not self.is_player:
            raise BadFrame("not_player", "spectators cannot act in this game")
        elif intent["type"] == "move":
            intent["lag_ms"] = self._lag_ms()
        await send_to_engine(
            {
                "type": "engine.intent",
                "game_id": self.game_id,
                "username": self.username,
                "intent": intent,
                "reply_channel": self.reply_address,
            }
        )

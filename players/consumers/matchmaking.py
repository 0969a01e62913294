"""`/ws/queue/?game=...`: wait in the public queue until a match is found and announced."""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from engine import services as game_services
from engine.games.chess.clock import TimeControl
from engine.runtime import send_to_engine
from players import services
from players.consumers.guarded import CLOSE_CANCELLED, CLOSE_MATCHED, CLOSE_UNAUTHENTICATED, GuardedConsumer
from players.protocol import BadFrame
from players.web_process import this_process

logger = logging.getLogger("kogame.players")


class QueueConsumer(GuardedConsumer):
    """`/ws/queue/?game=snake` or `/ws/queue/?game=chess&tc=3+2`: wait for a match."""

    MATCH_POLL_SECONDS = 1.0

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.reject(CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.matched = False
        self.seated = False
        self.poller: asyncio.Task | None = None
        self.bot_offer: asyncio.TimerHandle | None = None
        self.bots_offered = False
        await self.accept()
        try:
            self.kind, self.time_control = self._requested_queue()
        except BadFrame as bad:
            await self.send_error(bad.code, bad.message)
            await self.close_with(CLOSE_CANCELLED)
            return
        replaced = await database_sync_to_async(services.queue_join)(
            user=user,
            kind=self.kind,
            time_control=self.time_control,
            channel_name=self.channel_name,
            process_id=this_process.id,
        )
        this_process.ensure_reporting()
        self.seated = True
        if replaced:
            await self.channel_layer.send(replaced, {"type": "queue.replaced"})
        queued = {"type": "queued", "game": self.kind}
        if self.time_control:
            queued["tc"] = self.time_control
        await self.send_json(queued)
        await self._poll_once()
        self.poller = asyncio.ensure_future(self._poll())
        if self.kind == "snake":
            self.bot_offer = asyncio.get_running_loop().call_later(
                settings.KOGAME["SNAKE_BOT_OFFER_SECONDS"], lambda: asyncio.ensure_future(self._offer_bots())
            )

    async def _offer_bots(self) -> None:
        if not self.matched and not self.closing:
            self.bots_offered = True
            await self.send_json({"type": "bot_offer", "waited_s": settings.KOGAME["SNAKE_BOT_OFFER_SECONDS"]})

    async def _play_with_bots(self) -> None:
        if not self.bots_offered:
            raise BadFrame("not_offered", "a game with bots is offered after waiting alone in the Snake queue")
        limits = settings.KOGAME
        game = await database_sync_to_async(services.queue_play_with_bots)(
            user=self.user,
            channel_name=self.channel_name,
            table=limits["SNAKE_MATCH_PLAYERS"],
            bot_level=limits["SNAKE_BOT_OFFER_LEVEL"],
        )
        if game is not None:
            await send_to_engine(await database_sync_to_async(game_services.game_start_message)(game=game))
        # Announces this game, or the match another player's try made first.
        await self._poll_once()

    def _requested_queue(self) -> tuple[str, str]:
        kind = self.query_param("game")
        if kind == "snake":
            return kind, ""
        if kind == "chess":
            # A literal "+" in a query string reads as a space: accept "3+2" as well as "3%2B2".
            requested = (self.query_param("tc") or "").replace(" ", "+")
            try:
                return kind, TimeControl.parse(requested).label
            except ValueError as error:
                raise BadFrame("bad_query", f"bad time control: {error}") from None
        raise BadFrame("bad_query", "the queue needs ?game=snake or ?game=chess&tc=<minutes>+<increment>")

    async def _poll(self) -> None:
        while not self.matched:
            await asyncio.sleep(self.MATCH_POLL_SECONDS)
            try:
                await self._poll_once()
            except Exception:
                logger.exception("matchmaking attempt failed")

    async def _poll_once(self) -> None:
        """Tries to make a match, then looks whether this seat was matched: a match_found message
        lost on its way is found here within one poll."""
        await self._try_match()
        game_id = await database_sync_to_async(services.queue_take_match)(
            user=self.user, kind=self.kind, channel_name=self.channel_name
        )
        if game_id is not None:
            await self._announce_match(game_id)

    async def _try_match(self) -> None:
        if self.kind == "chess":
            match = await database_sync_to_async(services.queue_match_chess)(time_control=self.time_control)
        else:
            limits = settings.KOGAME
            match = await database_sync_to_async(services.queue_match_snake)(
                full_table=limits["SNAKE_MATCH_PLAYERS"], wait_seconds=limits["SNAKE_MATCH_WAIT_SECONDS"]
            )
        if match is None:
            return
        game, seated = match
        # The engine hears of the game before its players do, so their first sync finds it.
        await send_to_engine(await database_sync_to_async(game_services.game_start_message)(game=game))
        for _, channel in seated:
            await self.channel_layer.send(channel, {"type": "queue.match_found", "game_id": game.id})

    async def queue_match_found(self, message):
        if self.matched:
            return
        await database_sync_to_async(services.queue_take_match)(
            user=self.user, kind=self.kind, channel_name=self.channel_name
        )
        await self._announce_match(message["game_id"])

    async def _announce_match(self, game_id: str) -> None:
        if self.matched:
            return
        self.matched = True
        await self.send_json({"type": "match_found", "game_id": game_id})
        await self.close_with(CLOSE_MATCHED)

    async def queue_replaced(self, message):
        self.seated = False
        await self.send_error("replaced", "this queue seat was taken over by another connection of yours")
        await self.close_with(CLOSE_CANCELLED)

    async def on_message(self, content: dict) -> None:
        if content["type"] == "cancel":
            await self._leave()
            await self.close_with(CLOSE_CANCELLED)
            return
        if content["type"] == "play_bots":
            await self._play_with_bots()
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})
            return
        raise BadFrame("unknown_type", f"unknown message type {content['type']!r}")

    async def _leave(self) -> None:
        if self.seated and not self.matched:
            self.seated = False
            await database_sync_to_async(services.queue_leave)(
                user=self.user, kind=self.kind, channel_name=self.channel_name
            )

    async def disconnect(self, code):
        if getattr(self, "poller", None) is not None:
            self.poller.cancel()
        if getattr(self, "bot_offer", None) is not None:
            self.bot_offer.cancel()
        if hasattr(self, "seated"):
            await self._leave()

"""`/ws/queue/?game=...`: wait in the public queue until a match is found and announced."""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from engine import services as game_services
from engine.games.chess.clock import TimeControl
from players import services
from players.consumers.guarded import CLOSE_CANCELLED, CLOSE_MATCHED, CLOSE_UNAUTHENTICATED, GuardedConsumer
from players.engine_link import send_to_engine
from players.matchmaker import matchmaker
from players.protocol import BadFrame
from players.web_process import this_process

logger = logging.getLogger("kogame.players")


class QueueConsumer(GuardedConsumer):
    """`/ws/queue/?game=snake` or `/ws/queue/?game=chess&tc=3+2`: wait for a match."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.reject(CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.matched = False
        self.seated = False
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
        matchmaker.join(self)
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
        # This process's matchmaker announces this game, or a match a round made first.
        matchmaker.wake()

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

    async def queue_match_found(self, message):
        """A match made by another web process's matchmaker: this process's next round announces
        it (and gives the seat up with the others it tells)."""
        matchmaker.wake()

    async def announce_match(self, game_id: str) -> None:
        """Tells the player, once; the matchmaker gives the seat up after."""
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
        matchmaker.leave(self)
        if getattr(self, "bot_offer", None) is not None:
            self.bot_offer.cancel()
        if hasattr(self, "seated"):
            await self._leave()

"""One matchmaker per web process: it seats the queue's players in rounds, instead of every
waiting socket asking the database each second.

A round seats every table and pair the whole queue allows (any process's seats: the database is
the queue, and skip-locked row locks keep two processes' rounds from taking one seat), tells the
engine of each new game first, then its players: this process's sockets directly, other
processes' through the channel layer. Each round also announces this process's seats that were
matched and not yet told, so a message lost between processes costs at most one round, and then
gives up the seats it announced in one query: the database work of a round does not grow with
the number of players it tells (one query per socket, queued behind every other socket's
handshake on the process's one database thread, took seconds per thousand players).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from engine import services as game_services
from players import services
from players.engine_link import send_to_engine
from players.web_process import this_process

logger = logging.getLogger("kogame.players")

# A round runs this often while this process has queue sockets, and at once when one joins.
ROUND_SECONDS = 0.5
# The most games one round starts: a burst of arrivals is seated over a few rounds.
GAMES_PER_ROUND = 200


class QueueSocket(Protocol):
    channel_name: str

    async def announce_match(self, game_id: str) -> None: ...


class Matchmaker:
    def __init__(self) -> None:
        self.sockets: dict[str, QueueSocket] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def join(self, socket: QueueSocket) -> None:
        self.sockets[socket.channel_name] = socket
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run())
        self.wake()

    def wake(self) -> None:
        """Runs a round now rather than at the next period."""
        self._wake.set()

    def leave(self, socket: QueueSocket) -> None:
        self.sockets.pop(socket.channel_name, None)

    async def _run(self) -> None:
        while self.sockets:
            self._wake.clear()
            try:
                await self.round()
            except Exception:
                logger.exception("matchmaking round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), ROUND_SECONDS)

    async def round(self) -> None:
        layer = get_channel_layer()
        for start_message, seated in await database_sync_to_async(_match_round)():
            # The engine hears of the game before its players do, so their first sync finds it.
            await send_to_engine(start_message)
            for _, channel in seated:
                if channel not in self.sockets:
                    await layer.send(channel, {"type": "queue.match_found", "game_id": start_message["game_id"]})  # type: ignore[union-attr]
        told = []
        for channel, game_id in await database_sync_to_async(services.queue_matched_seats)(process_id=this_process.id):
            socket = self.sockets.get(channel)
            if socket is not None:
                await socket.announce_match(game_id)
                told.append(channel)
        if told:
            await database_sync_to_async(services.queue_matches_told)(channel_names=told)


def _match_round() -> list[tuple[dict, list[tuple[str, str]]]]:
    """The round's new games as engine.start_game messages, each with its players' (username,
    queue channel)."""
    limits = settings.KOGAME
    matches = services.queue_match_round(
        full_table=limits["SNAKE_MATCH_PLAYERS"], wait_seconds=limits["SNAKE_MATCH_WAIT_SECONDS"], most_games=GAMES_PER_ROUND
    )
    return [(game_services.game_start_message(game=game), seated) for game, seated in matches]


matchmaker = Matchmaker()

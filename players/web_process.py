"""This web process as the engine and the queue see it: an id, its player sockets, a lease.

The engine learns which players are connected from each web process's changes and from its full
report every REPORT_SECONDS (engine/presence.py); queue seats belong to the process that holds
their socket through a lease in the database that the same report renews. A process that dies
(SIGTERM, kill -9, a cut network) stops reporting: within seconds its players count as gone and
its queue seats are removed, so nobody is matched with a ghost or waits on one.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections import Counter

from channels.db import database_sync_to_async

from players import services
from players.engine_link import send_to_engine

logger = logging.getLogger("kogame.players")

# The engine drops a process's sockets after three missed reports (engine.presence); the queue
# lease lasts as long (services.WEB_PROCESS_LEASE_SECONDS).
REPORT_SECONDS = 2.0
# How long a stopping web process may spend saying goodbye before Daphne goes on stopping.
LEAVE_SECONDS = 2.0


class WebProcess:
    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        # Counts every change of `player_sockets`; a report says up to which change it is complete.
        self.seq = 0
        self.player_sockets: Counter[tuple[str, str]] = Counter()
        self._reporter: asyncio.Task | None = None
        self._reporter_loop: asyncio.AbstractEventLoop | None = None
        self._leave_registered = False

    def ensure_reporting(self) -> None:
        """Starts the periodic report on this server's loop (once per loop)."""
        loop = asyncio.get_running_loop()
        if self._reporter_loop is loop and self._reporter is not None and not self._reporter.done():
            return
        self._reporter_loop = loop
        self._reporter = loop.create_task(self._report_forever())
        self._leave_when_daphne_stops()

    def _leave_when_daphne_stops(self) -> None:
        """On SIGTERM Daphne cancels every consumer without running its disconnect handler: say
        goodbye first, so this process's players count as gone and its queue seats vanish at
        once rather than when its lease runs out (which still covers kill -9)."""
        if "twisted.internet.reactor" not in sys.modules or self._leave_registered:
            return  # not under Daphne (tests, management commands), or already registered
        from twisted.internet import defer, reactor

        self._leave_registered = True
        reactor.addSystemEventTrigger(
            "before", "shutdown", lambda: defer.Deferred.fromFuture(asyncio.ensure_future(self.leave()))
        )

    async def leave(self) -> None:
        """Reports no sockets and gives up the lease (and with it this process's queue seats)."""
        self.player_sockets.clear()
        self.seq += 1
        try:
            async with asyncio.timeout(LEAVE_SECONDS):
                await send_to_engine({"type": "engine.presence_report", "process": self.id, "seq": self.seq, "sockets": []})
                await database_sync_to_async(services.web_process_lease_end)(process_id=self.id)
        except Exception:
            logger.exception("could not say goodbye for this web process; its lease will run out")

    async def player_socket(self, *, game_id: str, username: str, connected: bool) -> None:
        """A player's socket of `game_id` opened or closed in this process."""
        seat = (game_id, username)
        self.seq += 1
        if connected:
            self.player_sockets[seat] += 1
        else:
            self.player_sockets[seat] -= 1
            if self.player_sockets[seat] <= 0:
                del self.player_sockets[seat]
        message = {
            "type": "engine.presence",
            "process": self.id,
            "seq": self.seq,
            "game_id": game_id,
            "username": username,
            "connected": connected,
        }
        await send_to_engine(message)

    async def report(self) -> None:
        sockets = [[game_id, username] for (game_id, username), count in self.player_sockets.items() for _ in range(count)]
        await send_to_engine({"type": "engine.presence_report", "process": self.id, "seq": self.seq, "sockets": sockets})
        await database_sync_to_async(services.web_process_lease_renew)(process_id=self.id)

    async def _report_forever(self) -> None:
        while True:
            try:
                await self.report()
            except Exception:
                logger.exception("could not report this web process's sockets")
            await asyncio.sleep(REPORT_SECONDS)


this_process = WebProcess()

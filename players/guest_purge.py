"""Runs the stale-guest purge from every web process, so operators need not schedule it.

An ASGI wrapper: the first request a process serves starts a task on the server's event loop that
purges at once (a restart runs it too) and then every `interval_seconds`. The purge runs in a
worker thread, off the thread that serves Django's views. Several web processes each purge on
their own clock; the deletes are idempotent, so that costs only the repeated query.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from players import services

logger = logging.getLogger("kogame.guests")


def purge_stale_guests() -> int:
    try:
        return services.guest_purge_stale(max_age=timedelta(seconds=settings.KOGAME["STALE_GUEST_AGE_SECONDS"]))
    finally:
        # The thread goes back to a pool: it must not keep a connection open.
        connection.close()


class PeriodicGuestPurge:
    def __init__(self, inner, *, interval_seconds: float, purge: Callable[[], int] = purge_stale_guests) -> None:
        self.inner = inner
        self.interval_seconds = interval_seconds
        self.purge = purge
        self.task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
        return await self.inner(scope, receive, send)

    async def _run(self) -> None:
        while True:
            try:
                deleted = await sync_to_async(self.purge, thread_sensitive=False)()
                if deleted:
                    logger.info("deleted %d stale guest(s)", deleted)
            except Exception:
                logger.exception("stale guest purge failed; trying again in %.0f s", self.interval_seconds)
            await asyncio.sleep(self.interval_seconds)

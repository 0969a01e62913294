"""The checks every websocket frame passes before a consumer acts on it: size, rate, JSON shape."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from players.protocol import BadFrame, TokenBucket, frame_size, parse_frame
from players.socket_caps import socket_admit

logger = logging.getLogger("kogame.players")

CLOSE_CANCELLED = 4000
CLOSE_MATCHED = 4001
CLOSE_UNAUTHENTICATED = 4002
CLOSE_UNKNOWN_GAME = 4004
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009


class GuardedConsumer(AsyncWebsocketConsumer):
    """Checks size, rate and JSON shape of every frame before `on_message` sees it."""

    closing = False

    async def websocket_connect(self, message):
        limits = settings.KOGAME
        self.bucket = TokenBucket(burst=limits["RATE_BURST"], rate=limits["RATE_PER_SECOND"])
        if not socket_admit(scope=self.scope):
            await self.reject(CLOSE_POLICY)
            return
        await super().websocket_connect(message)

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        if frame_size(text_data, bytes_data) > settings.KOGAME["MAX_FRAME_BYTES"]:
            await self.close_with(CLOSE_TOO_BIG)
            return
        if not self.bucket.take():
            await self.close_with(CLOSE_POLICY)
            return
        try:
            await self.on_message(parse_frame(text_data, bytes_data))
        except BadFrame as bad:
            await self.send_error(bad.code, bad.message)
        except Exception:
            # A server bug: logged, reported on this socket, which stays open (not a 1011 close).
            logger.exception("failed to handle a client frame")
            await self.send_error("server_error", "the server failed to handle this frame")

    async def on_message(self, content: dict) -> None:
        raise NotImplementedError

    async def websocket_disconnect(self, message):
        self.closing = True
        await super().websocket_disconnect(message)

    async def send(self, text_data=None, bytes_data=None, close=False):
        # Once the socket is closing, nothing more reaches it: an answer still on its way (an
        # engine reply, a relayed event) is dropped rather than raised on by Daphne.
        if self.closing:
            return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def close_with(self, code: int) -> None:
        self.closing = True
        await self.close(code=code)

    async def reject(self, code: int) -> None:
        # Closing before accept() turns into an HTTP 403 and the client never sees the code.
        await self.accept()
        await self.close_with(code)

    def query_param(self, name: str) -> str | None:
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get(name)
        return values[0] if values else None

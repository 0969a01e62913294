"""ASGI middleware: HTTP request bodies over a size limit get 413 before the application reads them.

Django's ASGI handler reads the whole body (spooling it to disk) before any view or
DATA_UPLOAD_MAX_MEMORY_SIZE check runs. This answers 413 when Content-Length is over the limit
without reading any of the body, and stops reading a body without a length (chunked) as soon as
it passes the limit: the application is then told the client went away, and never runs.
"""

from __future__ import annotations

import json

TOO_LARGE_STATUS = 413


class RequestBodyLimit:
    def __init__(self, inner, *, max_bytes: int) -> None:
        self.inner = inner
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        if self._declared_length(scope) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        over_limit = False

        async def receive_within_limit():
            nonlocal received, over_limit
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over_limit = True
                    # Django's handler stops at a disconnect and sends nothing.
                    return {"type": "http.disconnect"}
            return message

        await self.inner(scope, receive_within_limit, send)
        if over_limit:
            await self._refuse(send)

    @staticmethod
    def _declared_length(scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0  # Counted as it streams instead.
        return 0

    async def _refuse(self, send) -> None:
        message = f"request bodies are limited to {self.max_bytes} bytes"
        body = json.dumps({"type": "error", "code": "body_too_large", "message": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": TOO_LARGE_STATUS,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

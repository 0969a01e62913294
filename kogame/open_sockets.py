"""This process's websockets by kind (game, queue, room), counted around each socket's application
instance: it starts when the client connects and ends when the socket closes, however it closes.
Read by GET /metrics."""

from __future__ import annotations

from collections import Counter

# The first path segment after /ws/; anything else (a probe of a random path) counts as "other".
SOCKET_KINDS = ("game", "queue", "room")


def socket_kind(path: str) -> str:
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "ws" and parts[1] in SOCKET_KINDS:
        return parts[1]
    return "other"


class SocketCensus:
    def __init__(self) -> None:
        # Touched on the server's event loop only; read as copies.
        self._open: Counter[str] = Counter()
        self._opened: Counter[str] = Counter()

    def figures(self) -> dict[str, dict[str, int]]:
        return {"open": dict(self._open), "opened": dict(self._opened)}

    def opened(self, kind: str) -> None:
        self._open[kind] += 1
        self._opened[kind] += 1

    def closed(self, kind: str) -> None:
        self._open[kind] -= 1


class CountOpenSockets:
    """ASGI middleware around the websocket application."""

    def __init__(self, inner, census: SocketCensus) -> None:
        self.inner = inner
        self.census = census

    async def __call__(self, scope, receive, send):
        kind = socket_kind(scope["path"])
        self.census.opened(kind)
        try:
            return await self.inner(scope, receive, send)
        finally:
            self.census.closed(kind)


this_process_sockets = SocketCensus()

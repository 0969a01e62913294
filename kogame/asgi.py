"""ASGI entry point for Daphne: HTTP, websockets, and the `game_engine` channel for runworker.

In embedded mode (no REDIS_URL) this process also runs the engine; its sends go through the
server's own event loop, which it learns from the first connection.
"""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kogame.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from engine import runtime  # noqa: E402
from engine.consumers import EngineConsumer  # noqa: E402
from kogame import close_codes  # noqa: E402
from kogame.body_limit import RequestBodyLimit  # noqa: E402
from kogame.open_sockets import CountOpenSockets, this_process_sockets  # noqa: E402
from kogame.routing import websocket_urlpatterns  # noqa: E402
from players.auth import WebsocketAuthStack  # noqa: E402
from players.guest_purge import PeriodicGuestPurge  # noqa: E402

close_codes.install()


class EmbeddedEngineBinder:
    """Hands the engine this server's loop on the first connection of any kind."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        runtime.bind_server_loop(asyncio.get_running_loop())
        return await self.inner(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": PeriodicGuestPurge(
            RequestBodyLimit(django_asgi_app, max_bytes=settings.KOGAME["MAX_REQUEST_BODY_BYTES"]),
            interval_seconds=settings.KOGAME["GUEST_PURGE_INTERVAL_SECONDS"],
        ),
        "websocket": CountOpenSockets(WebsocketAuthStack(URLRouter(websocket_urlpatterns)), this_process_sockets),
        "channel": ChannelNameRouter({"game_engine": EngineConsumer.as_asgi()}),
    }
)

if settings.EMBEDDED_ENGINE:
    runtime.start_engine(own_loop=False, recover=True)
    application = EmbeddedEngineBinder(application)

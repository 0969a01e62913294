"""Caps on open websockets per user and per client address, counted in this web process only
(each web process admits up to the caps on its own)."""

from __future__ import annotations

import asyncio

from django.conf import settings

from players.client_address import client_address_from_scope
from players.limits import OpenCountLimit

_open_sockets = OpenCountLimit()


def socket_admit(*, scope) -> bool:
    """Counts the socket of `scope` against the caps; False if it is over one of them.

    Call it from the consumer's own task (its websocket_connect): the socket's place is given back
    when that task ends, which Channels does on websocket.disconnect and which a crash or a
    server dropping the application also does, so no path out of the consumer keeps a place.
    """
    limits = settings.KOGAME
    caps = {}
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        caps[f"user:{user.pk}"] = limits["MAX_SOCKETS_PER_USER"]
    address = client_address_from_scope(scope)
    if address is not None:
        caps[f"address:{address}"] = limits["MAX_SOCKETS_PER_ADDRESS"]
    if not _open_sockets.acquire(caps).allowed:
        return False
    asyncio.current_task().add_done_callback(lambda _task: _open_sockets.release(caps))
    return True

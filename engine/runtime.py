"""The process-wide GameEngine: made once, whichever consumer instance or request asks first.

Channels may build the worker consumer more than once per process (it drops an instance whose
handler raised), so the engine must not belong to a consumer instance.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from channels.layers import get_channel_layer
from django.conf import settings

from engine.broadcast import LayerBroadcaster
from engine.heartbeat import MemoryHeartbeat, RedisHeartbeat
from engine.loop import GameEngine
from engine.store import DatabaseResultStore

logger = logging.getLogger("kogame.engine")

_lock = threading.Lock()
_engine: GameEngine | None = None
_broadcaster: LayerBroadcaster | None = None
_store: DatabaseResultStore | None = None
_memory_heartbeat = MemoryHeartbeat()


def heartbeat_reader() -> RedisHeartbeat | MemoryHeartbeat:
    if settings.EMBEDDED_ENGINE:
        return _memory_heartbeat
    return RedisHeartbeat(settings.REDIS_URL)


def start_engine(*, own_loop: bool, recover: bool = False) -> GameEngine:
    """Starts the engine once per process. `own_loop`: sends from a private event loop (worker);
    otherwise they wait for `bind_server_loop()` (embedded). `recover`: first take over the games
    a previous process left live (chess resumes, Snake ends)."""
    global _engine, _broadcaster, _store
    with _lock:
        if _engine is not None and _engine.is_alive():
            return _engine
        _store = DatabaseResultStore()
        recovered = _store.recover_games() if recover else []
        _broadcaster = LayerBroadcaster(get_channel_layer())
        if own_loop:
            _broadcaster.start_own_loop()
        heartbeat = _memory_heartbeat if settings.EMBEDDED_ENGINE else RedisHeartbeat(settings.REDIS_URL)
        _engine = GameEngine(broadcaster=_broadcaster, store=_store, heartbeat=heartbeat)
        for message in recovered:
            _engine.submit(message)
        if recovered:
            logger.warning("resumed %d chess game(s) left live by a previous engine process", len(recovered))
        _engine.start()
        return _engine


def bind_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Embedded mode: send through the web server's own loop, where the in-memory layer lives."""
    broadcaster = _broadcaster
    if broadcaster is not None and broadcaster.loop is not loop:
        with _lock:
            if broadcaster.loop is not loop:
                broadcaster.bind(loop)


def stop_engine(timeout: float = 5.0) -> None:
    global _engine, _broadcaster, _store
    with _lock:
        if _engine is not None:
            _engine.stop(timeout)
            _engine.flush()
        if _broadcaster is not None:
            _broadcaster.close()
        if _store is not None:
            _store.close()
        _engine = _broadcaster = _store = None


async def send_to_engine(message: dict) -> None:
    """Hands a message to the authoritative engine: over the `game_engine` channel when a worker
    runs it, straight into its inbox when it lives in this process."""
    if settings.EMBEDDED_ENGINE:
        engine = start_engine(own_loop=False)
        bind_server_loop(asyncio.get_running_loop())
        engine.submit(message)
    else:
        await get_channel_layer().send("game_engine", message)

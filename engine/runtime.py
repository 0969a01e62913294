"""The process-wide GameEngine: made once, whichever consumer instance or request asks first.

Channels may build the worker consumer more than once per process (it drops an instance whose
handler raised), so the engine must not belong to a consumer instance. Once a worker has stopped
its engine (SIGTERM), no message may start a fresh one: `running_engine()` then answers None and
the consumer hands the message back to the channel for the next worker.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from channels.layers import get_channel_layer
from django.conf import settings

from engine.broadcast import EngineBroadcaster, RelayPublisher
from engine.games.chess.bot_runner import ChessBotRunner
from engine.heartbeat import HeartbeatPublisher, MemoryHeartbeat, RedisHeartbeat
from engine.loop import GameEngine
from engine.relay_publisher import RedisRelayPublisher
from engine.sent_to_engine import count_sent
from engine.store import DatabaseResultStore

logger = logging.getLogger("kogame.engine")

# The named channel on which web processes reach the engine (`runworker game_engine`).
ENGINE_CHANNEL = "game_engine"

_lock = threading.Lock()
_engine: GameEngine | None = None
_broadcaster: EngineBroadcaster | None = None
_store: DatabaseResultStore | None = None
_heartbeat: HeartbeatPublisher | None = None
_bots: ChessBotRunner | None = None
_stopped = False
_memory_heartbeat = MemoryHeartbeat()
_redis_heartbeat: RedisHeartbeat | None = None


def heartbeat_reader() -> RedisHeartbeat | MemoryHeartbeat:
    """One per process: it keeps the last good read for when Redis stalls."""
    global _redis_heartbeat
    if settings.EMBEDDED_ENGINE:
        return _memory_heartbeat
    if _redis_heartbeat is None:
        _redis_heartbeat = RedisHeartbeat(settings.REDIS_URL)
    return _redis_heartbeat


def relay_publisher() -> RelayPublisher:
    """Where the engine's relay messages go: Redis pub/sub, which every web process subscribes to
    (worker mode), or straight to this process's relay (embedded mode: its sockets are the only
    ones)."""
    if settings.EMBEDDED_ENGINE:
        from players.relay import this_relay  # the web side, imported only where it runs in this process

        return this_relay
    return RedisRelayPublisher(settings.REDIS_URL)


def start_engine(*, own_loop: bool, recover: bool = False) -> GameEngine:
    """Starts the engine once per process. `own_loop`: sends from a private event loop (worker);
    otherwise they wait for `bind_server_loop()` (embedded). `recover`: first take over the games
    a previous process left live (chess resumes, Snake ends)."""
    global _engine, _broadcaster, _store, _heartbeat, _bots, _stopped
    with _lock:
        if _engine is not None and _engine.is_alive():
            return _engine
        _stopped = False
        _store = DatabaseResultStore()
        recovered = _store.recover_games() if recover else []
        _broadcaster = EngineBroadcaster(relay=relay_publisher(), channel_layer=get_channel_layer())
        if own_loop:
            _broadcaster.start_own_loop()
        _heartbeat = HeartbeatPublisher(_memory_heartbeat if settings.EMBEDDED_ENGINE else RedisHeartbeat(settings.REDIS_URL))
        _heartbeat.start()
        _engine = GameEngine(broadcaster=_broadcaster, store=_store, heartbeat=_heartbeat)
        # Bots think in their own threads and processes and answer through the engine's inbox.
        _bots = ChessBotRunner(_engine.submit, engine_kind=str(settings.KOGAME["CHESS_BOTS"]))
        _engine.bots = _bots
        for message in recovered:
            _engine.submit(message)
        if recovered:
            resumed = sum(1 for message in recovered if message["type"] == "engine.start_game")
            logger.warning(
                "a previous engine process left %d game(s) live: %d resumed, %d ended",
                len(recovered), resumed, len(recovered) - resumed,
            )
        _engine.start()
        return _engine


def bind_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Embedded mode: send through the web server's own loop, where the in-memory layer and the
    relay live."""
    broadcaster = _broadcaster
    if broadcaster is not None and broadcaster.loop is not loop:
        with _lock:
            if broadcaster.loop is not loop:
                broadcaster.bind(loop)


def running_engine() -> GameEngine | None:
    """The engine of this worker process; None once it has stopped (see the module's doc)."""
    if _stopped:
        return None
    return start_engine(own_loop=True)


def current_engine() -> GameEngine | None:
    """The engine this process runs, if any, without starting one (read by the metrics)."""
    return _engine


def stop_engine() -> None:
    """Stops the engine after it has handled what it accepted, then sends what it produced."""
    global _engine, _broadcaster, _store, _heartbeat, _bots, _stopped
    with _lock:
        _stopped = True
        if _engine is not None:
            _engine.stop()
            _engine.flush()
        if _bots is not None:
            _bots.close()
        if _broadcaster is not None:
            _broadcaster.close()
        if _store is not None:
            _store.close()
        if _heartbeat is not None:
            _heartbeat.stop()
        _engine = _broadcaster = _store = _heartbeat = _bots = None


async def send_to_engine(message: dict) -> None:
    """Hands a message to the authoritative engine: over the `game_engine` channel when a worker
    runs it, straight into its inbox when it lives in this process."""
    count_sent(message)
    if settings.EMBEDDED_ENGINE:
        engine = start_engine(own_loop=False)
        bind_server_loop(asyncio.get_running_loop())
        engine.submit(message)
    else:
        await get_channel_layer().send(ENGINE_CHANNEL, message)  # type: ignore[union-attr]  # settings always set a layer

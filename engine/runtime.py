"""The process-wide GameEngine: made once, whichever consumer instance or request asks first.

Channels may build the worker consumer more than once per process (it drops an instance whose
handler raised), so the engine must not belong to a consumer instance. Once a worker has stopped
its engine (SIGTERM), no message may start a fresh one: `running_engine()` then answers None and
the consumer hands the message back to the channel for the next worker.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import threading

import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from engine import selectors
from engine.broadcast import EngineBroadcaster, RelayPublisher
from engine.cluster.caretaker import Caretaker
from engine.cluster.channel_router import ChannelRouter
from engine.cluster.directory import WorkerDirectory
from engine.cluster.inbox_reader import InboxReader
from engine.cluster.lease import WorkerLease
from engine.freezer import Freezer
from engine.games.chess.bot_runner import ChessBotRunner
from engine.heartbeat import HeartbeatPublisher, HeartbeatSink, MemoryHeartbeat
from engine.loop import GameEngine
from engine.relay_publisher import RedisRelayPublisher
from engine.store import DatabaseResultStore

logger = logging.getLogger("kogame.engine")

# The named channel on which web processes reach the engine (`runworker game_engine`) when
# they do not know which worker to address (players/engine_link.py).
ENGINE_CHANNEL = "game_engine"
# Redis calls of the worker's own threads (lease, inbox, caretaker) give up after this long.
REDIS_TIMEOUT_SECONDS = 2.0

_lock = threading.Lock()
_engine: GameEngine | None = None
_broadcaster: EngineBroadcaster | None = None
_store: DatabaseResultStore | None = None
_heartbeat: HeartbeatPublisher | None = None
_bots: ChessBotRunner | None = None
_lease: WorkerLease | None = None
_inbox: InboxReader | None = None
_caretaker: Caretaker | None = None
_stopped = False
_memory_heartbeat = MemoryHeartbeat()
_worker_directory: WorkerDirectory | None = None
_channel_router: ChannelRouter | None = None


def memory_heartbeat() -> MemoryHeartbeat:
    """Embedded mode: where the engine in this process reports."""
    return _memory_heartbeat


def worker_directory() -> WorkerDirectory:
    """Worker mode: one per process; it keeps the last good read for when Redis stalls."""
    global _worker_directory
    if _worker_directory is None:
        _worker_directory = WorkerDirectory(settings.REDIS_URL)
    return _worker_directory


def channel_router() -> ChannelRouter | None:
    """Worker mode: routes what the game_engine channel brings (engine/cluster/channel_router.py).
    None in embedded mode, where the engine is the only one."""
    global _channel_router
    if settings.EMBEDDED_ENGINE:
        return None
    if _channel_router is None:
        _channel_router = ChannelRouter(settings.REDIS_URL, worker_id=this_worker_id)
    return _channel_router


def this_worker_id() -> str | None:
    """This process's worker id while it runs an engine in worker mode."""
    return _lease.worker_id if _lease is not None else None


def relay_publisher() -> RelayPublisher:
    """Where the engine's relay messages go: Redis pub/sub, which every web process subscribes to
    (worker mode), or straight to this process's relay (embedded mode: its sockets are the only
    ones)."""
    if settings.EMBEDDED_ENGINE:
        from players.relay import this_relay  # the web side, imported only where it runs in this process

        return this_relay
    lease = _lease
    assert lease is not None  # a worker registers before it makes its broadcaster
    return RedisRelayPublisher(settings.REDIS_URL, worker_id=lambda: lease.worker_id)


def start_engine(*, own_loop: bool, recover: bool = False) -> GameEngine:
    """Starts the engine once per process. `own_loop`: sends from a private event loop (worker);
    otherwise they wait for `bind_server_loop()` (embedded). `recover` (embedded): first take
    over the games a previous process left live (chess resumes, Snake ends); a worker adopts
    what nobody owns through its caretaker instead."""
    global _engine, _broadcaster, _store, _heartbeat, _bots, _stopped
    with _lock:
        if _engine is not None and _engine.is_alive():
            return _engine
        _stopped = False
        _store = DatabaseResultStore(worker_id=this_worker_id)
        recovered = _store.adopt_games() if recover and settings.EMBEDDED_ENGINE else []
        sink: HeartbeatSink = _memory_heartbeat if settings.EMBEDDED_ENGINE else _register_worker()
        _broadcaster = EngineBroadcaster(relay=relay_publisher(), channel_layer=get_channel_layer())
        if own_loop:
            _broadcaster.start_own_loop()
        _heartbeat = HeartbeatPublisher(sink)
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
                len(recovered),
                resumed,
                len(recovered) - resumed,
            )
        _engine.start()
        if not settings.EMBEDDED_ENGINE:
            _start_worker_threads(_engine, _store)
        return _engine


def _register_worker() -> WorkerLease:
    global _lease
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    _lease = WorkerLease(client, lease_ms=settings.LEASE_MS)
    _lease.register()
    return _lease


def _start_worker_threads(engine: GameEngine, store: DatabaseResultStore) -> None:
    """The inbox reader and the caretaker of a worker among several (engine/cluster)."""
    global _inbox, _caretaker
    assert _lease is not None  # registered before the engine was made
    lease = _lease
    lease_seconds = lease.lease_ms / 1000

    def unowned_games() -> list[str]:
        created_before = timezone.now() - datetime.timedelta(seconds=lease_seconds)
        return selectors.live_game_ids(created_before=created_before)

    _caretaker = Caretaker(
        lease.client, lease=lease, submit=engine.submit, adopt_games=store.adopt_games, unowned_games=unowned_games
    )
    engine.ownership = _caretaker
    engine.hold = _caretaker.hold
    engine.freezer = Freezer(engine.outbox)
    lease.on_lost = _caretaker.lease_lost
    _inbox = InboxReader(lease.client, worker_id=lambda: lease.worker_id, submit=engine.submit)
    _caretaker.start()
    _inbox.start()


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
    """Stops the engine after it has handled what it accepted, then sends what it produced, then
    gives up this worker's lease so the other workers adopt its games at once."""
    global _engine, _broadcaster, _store, _heartbeat, _bots, _stopped, _lease, _inbox, _caretaker
    with _lock:
        _stopped = True
        if _inbox is not None:
            _inbox.stop()
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
        if _caretaker is not None:
            _caretaker.stop()
        if _lease is not None:
            try:
                _lease.release()
            except redis.RedisError as error:
                logger.warning("could not release the lease (%s); it runs out by itself", error)
        _engine = _broadcaster = _store = _heartbeat = _bots = _lease = _inbox = _caretaker = None

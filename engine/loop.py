"""The GameEngine: one thread that advances every live game on its own fixed timestep.

Messages come in through `submit()` (from the `game_engine` channel's consumer, or straight from
the websocket consumers in embedded mode); engine/inbound.py says what each one does. Every
event a game produces is numbered, encoded once, held until durable if it must be
(engine/live_game.py), and handed to the broadcaster at the end of the loop iteration, one relay
message per game. Nothing slow runs on this thread: persistence, the heartbeat, the sends and the
chess bots' thinking are handed to other threads. No Django here, so the loop runs under a fake
clock in tests.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from engine.bot_turns import BotRunner, ask_bot
from engine.cluster.adoption_hold import AdoptionHold
from engine.deadlines import Deadlines
from engine.engine_stats import EngineStats
from engine.freezer import Freezer
from engine.games import KINDS
from engine.games.effects import (
    BotTurn,
    Effect,
    EncodedEvent,
    Event,
    GameCreated,
    GameSession,
    IntentRefused,
    NewGame,
    Outcome,
    Record,
)
from engine.ids import new_game_id
from engine.inbound import Inbound
from engine.live_game import RETAIN_ENDED_SECONDS, LiveGame
from engine.orphans import ORPHAN_HEAD, Orphans
from engine.outbox import Outbox, Send
from engine.presence import PresenceBook
from engine.ticking import tick_games
from engine.wire import end_event

logger = logging.getLogger("kogame.engine")

# The whole inbox (all games); overflow drops the incoming message and counts it.
INBOX_LIMIT = 100_000
# Longest the loop sleeps without looking at the inbox.
IDLE_WAIT_SECONDS = 0.25
# Presence expiry, orphan announcements, the heartbeat and the late-tick log run this often.
HOUSEKEEPING_SECONDS = 1.0
# On stop, how long the engine keeps handling what is already in its inbox and waiting for its
# saves to be confirmed, so nothing it accepted is lost.
DRAIN_SECONDS = 5.0
# CPython collects its youngest generation after 700 net allocations of container objects, and
# may walk the whole heap every hundredth time. Ticking 1,000 four-player Snake games, that made
# five collections per iteration and a full one every 27 iterations, of 26 to 37 ms (97 ms with
# the worker's modules loaded), which set the tick's tail. A tick's containers are freed as soon
# as it ends, so the count falls back between ticks: at this threshold no collection ran in 300
# iterations (bench/engine_tick.py --gc tuned default).
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Run once where the engine starts. What exists then (modules, Django, settings) lives as long
    as the process: it is frozen out of every later collection, so a full one walks only what
    came after. Process-wide: in embedded mode, the web server's collections too."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)


class Broadcaster(Protocol):
    def publish(self, sends: list[Send]) -> None:
        """Sends ("game" | "channel", name, message) in order, without blocking the caller."""

    def figures(self) -> dict[str, int]:
        """Messages sent so far, and those lost on the way."""


class ResultStore(Protocol):
    def game_ended(self, game_id: str, outcome: Outcome, last_v: int) -> None: ...

    def persist(self, game_id: str, record: Record, v: int, on_done: Callable[[bool], None]) -> None:
        """Saves `record` (of the event numbered `v`) durably, then calls on_done(saved) from any thread."""


class HeartbeatSink(Protocol):
    def beat(self, stats: dict) -> None:
        """Takes the engine's figures without blocking (a HeartbeatPublisher writes them)."""


class Ownership(Protocol):
    """Where a worker among several records which games it owns (engine/cluster/caretaker.py)."""

    def claim(self, game_id: str) -> None: ...

    def release(self, game_id: str) -> None: ...


class GameEngine(threading.Thread):
    def __init__(
        self,
        *,
        broadcaster: Broadcaster,
        store: ResultStore,
        heartbeat: HeartbeatSink | None = None,
        clock: Callable[[], float] = time.monotonic,
        bots: BotRunner | None = None,
        session_factories: dict[str, Callable[..., GameSession]] | None = None,
        ownership: Ownership | None = None,
    ) -> None:
        super().__init__(name="kogame-engine", daemon=True)
        self.broadcaster = broadcaster
        self.store = store
        self.heartbeat = heartbeat
        self.clock = clock
        self.bots = bots
        self.ownership = ownership
        # Worker mode: messages for games being adopted wait for their start (engine/cluster),
        # and Snake boards are frozen into Redis for the worker that adopts them next.
        self.hold: AdoptionHold | None = None
        self.freezer: Freezer | None = None
        self.session_factories = session_factories or {name: kind.session for name, kind in KINDS.items()}
        self.games: dict[str, LiveGame] = {}
        self.orphans = Orphans()
        self.presence = PresenceBook()
        self.stats = EngineStats()
        self._inbox: queue.Queue[dict] = queue.Queue(maxsize=INBOX_LIMIT)
        self._deadlines = Deadlines()
        self.outbox = Outbox()
        self._stop_requested = threading.Event()
        self._last_housekeeping = float("-inf")
        self.inbound = Inbound(self)

    # -- entry points, callable from any thread ---------------------------------------------

    def submit(self, message: dict) -> bool:
        """Queues a message for the engine thread. Never raises; False if the inbox is full."""
        try:
            self._inbox.put_nowait(message)
            return True
        except queue.Full:
            self.stats.dropped_messages += 1
            return False

    def inbox_backlog(self) -> int:
        """Messages waiting for the engine thread (approximate while it runs)."""
        return self._inbox.qsize()

    def stop(self, timeout: float = DRAIN_SECONDS + 2.0) -> None:
        """Stops after handling what the inbox holds and the store confirms (see `drain`)."""
        self._stop_requested.set()
        if self.is_alive():
            self.join(timeout)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        tune_garbage_collector()
        logger.info("engine started")
        while not self._stop_requested.is_set():
            next_at = self._deadlines.next_at()
            wait = IDLE_WAIT_SECONDS if next_at is None else min(IDLE_WAIT_SECONDS, max(0.0, next_at - self.clock()))
            try:
                message = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
            except queue.Empty:
                message = None
            if message is not None:
                self.handle(message)
            self.pump()
        self.drain()
        if self.freezer is not None:
            # For the workers that adopt these games next: the boards exactly as they stopped.
            self.freezer.freeze_all(self.games.values(), self.clock())
            self.flush()
        logger.info("engine stopped")

    def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Handles every message already accepted and waits for pending saves to be confirmed, so
        their events leave before the process does. The caller has stopped feeding the inbox."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            waiting = sum(1 for game in self.games.values() if game.unconfirmed)
            if not waiting:
                return
            if time.monotonic() > deadline:
                logger.error("stopped with unconfirmed saves in %d game(s)", waiting)
                return
            with contextlib.suppress(queue.Empty):
                self.handle(self._inbox.get(timeout=0.05))

    def pump(self) -> None:
        """One iteration without waiting: handle what is queued, tick what is due, publish."""
        started = time.perf_counter()
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                break
            self.handle(message)
        now = self.clock()
        self.advance(now)
        if now - self._last_housekeeping >= HOUSEKEEPING_SECONDS:
            self._last_housekeeping = now
            self._housekeeping(now)
        self.flush()
        self.stats.record_iteration(time.perf_counter() - started)

    def _schedule(self, game: LiveGame, at: float) -> None:
        game.deadline = at
        self._deadlines.add(at, game.game_id)

    def advance(self, now: float) -> None:
        """Ticks every game whose deadline has come. Each next deadline is the previous one plus
        the period, so timing never drifts; a game that fell more than a period behind skips the
        ticks it missed instead of running them back to back."""
        due = []
        for deadline, game_id in self._deadlines.due(now):
            game = self.games.get(game_id)
            if game is None or game.deadline != deadline:
                continue
            if game.ended_at is None:
                due.append(game)
                continue
            # A finished game wakes only to announce its head and, in the end, to be evicted.
            evict_at = game.ended_at + RETAIN_ENDED_SECONDS
            if now >= evict_at:
                self._evict(game_id)
            else:
                self._announce_head(game, now)
                self._schedule(game, min(evict_at, game.next_head_at()))
        for game, ticked in tick_games(due, now):
            if isinstance(ticked, Exception):
                self._fail(game, now, "tick", ticked)
            else:
                self.stats.ticks += 1
                for effect in ticked:
                    self.emit(game, effect)
                self._check_end(game, now)
            if self.freezer is not None:
                self.freezer.after_tick(game, now)
            self._announce_head(game, now)
            period = game.session.period
            missed = self.stats.record_lateness(now - game.deadline, period)
            self._schedule(game, game.deadline + (missed + 1) * period)

    def _evict(self, game_id: str) -> None:
        del self.games[game_id]
        self.presence.forget_game(game_id)
        if self.ownership is not None:
            self.ownership.release(game_id)
        if self.freezer is not None:
            self.freezer.forget(game_id)

    def _check_end(self, game: LiveGame, now: float) -> None:
        if game.ended_at is not None or game.mode == "arena":
            return
        outcome = game.session.outcome()
        if outcome is not None:
            self._end(game, now, outcome)

    def _end(self, game: LiveGame, now: float, outcome: Outcome) -> None:
        game.ended_at = now
        game.outcome = outcome
        self.emit(game, Event(end_event(outcome)))
        try:
            self.store.game_ended(game.game_id, outcome, game.v)
        except Exception:
            logger.exception("could not hand the result of game %s to the store", game.game_id, extra={"game_id": game.game_id})

    def _fail(self, game: LiveGame, now: float, during: str, error: Exception | None = None) -> None:
        # One game's bug must not stop the others: end it with a reason players can read.
        logger.error(
            "game %s failed during %s; ending it", game.game_id, during, exc_info=error or True, extra={"game_id": game.game_id}
        )
        self.abort(game, now)

    def abort(self, game: LiveGame, now: float) -> None:
        self.stats.failed_games += 1
        try:
            outcome = game.session.abort("engine_error", now)
        except Exception:
            # The session that failed may fail again: end the game without it.
            logger.exception("game %s could not be aborted cleanly", game.game_id, extra={"game_id": game.game_id})
            outcome = Outcome(status="aborted", reason="engine_error", winner=None)
        self._end(game, now, outcome)

    def emit(self, game: LiveGame, effect: Effect) -> None:
        if isinstance(effect, EncodedEvent):
            self.stats.events += 1
            self.publish_released(game, game.add_encoded(effect.text, now=self.clock()))
            return
        if isinstance(effect, BotTurn):
            ask_bot(self.bots, game.game_id, effect)
            return
        event, record = effect.body, effect.record
        if effect.new_game is not None:
            new = effect.new_game
            event["game_id"] = self._spawn(new)
            record = GameCreated(game_id=event["game_id"], kind=new.kind, seats=new.seats, settings=new.settings)
        released = game.add_event(event, durable=record is not None, now=self.clock())
        self.stats.events += 1
        if record is not None:
            self.store.persist(game.game_id, record, game.v, self._confirmation(game.game_id, game.v))
        self.publish_released(game, released)

    def publish_released(self, game: LiveGame, released: list[tuple[int, str]]) -> None:
        for v, text in released:
            self.outbox.event(game.game_id, v, text)
        if released and game.ended_at is not None and game.next_head_at() < game.deadline:
            # Released after the end (a save confirmed late): wake in time to announce it.
            self._schedule(game, game.next_head_at())

    def _announce_head(self, game: LiveGame, now: float) -> None:
        head = game.head_due(now)
        if head is not None:
            self.outbox.head(game.game_id, head)

    def _confirmation(self, game_id: str, v: int) -> Callable[[bool], None]:
        def confirm(saved: bool) -> None:
            # Blocking put: a lost confirmation would hold the game's events forever.
            self._inbox.put({"type": "engine.persisted", "game_id": game_id, "v": v, "saved": saved})

        return confirm

    def _spawn(self, new: NewGame) -> str:
        game_id = new_game_id()
        seats = [seat.to_message() for seat in new.seats]
        start = {"game_id": game_id, "seed": random.getrandbits(48), "mode": "match", "kind": new.kind, "seats": seats}
        self.start_game({**start, "settings": new.settings})
        if self.ownership is not None:
            self.ownership.claim(game_id)
        return game_id

    def flush(self) -> None:
        if not self.outbox:
            return
        sends = self.outbox.take()
        try:
            self.broadcaster.publish(sends)
        except Exception:
            logger.exception("broadcaster refused %d send(s)", len(sends))

    def _housekeeping(self, now: float) -> None:
        self.inbound.apply_presence(self.presence.expire(now), now)
        for game_id in self.orphans.to_announce(now):
            self.outbox.head(game_id, ORPHAN_HEAD)
        self.stats.log_late_ticks(logger)
        self.stats.close_lag_window()
        if self.heartbeat is not None:
            bots = {"bots": self.bots.stats()} if self.bots is not None else {}
            figures = {"games": len(self.games), **self.stats.figures(), "broadcast": self.broadcaster.figures(), **bots}
            self.heartbeat.beat({"at": time.time(), **figures})

    # -- messages -----------------------------------------------------------------------------

    def handle(self, message: dict) -> None:
        """Applies one inbound message (engine/inbound.py). Nothing a message holds may raise out of here."""
        kind = message.get("type")
        if self.hold is not None and self.hold.holds(message, self.games):
            return
        try:
            if kind == "engine.start_game":
                self.start_game(message)
            elif kind == "engine.resign" and isinstance(message.get("done"), threading.Event):
                self._resign(message["done"])
            elif not self.inbound.handle(message):
                logger.warning("engine ignored a message of type %r", kind)
        except Exception:
            logger.exception("engine could not handle a %r message", kind)

    def _resign(self, done: threading.Event) -> None:
        """This worker lost its lease, so other workers own its games now: drop every one of them
        without a word (its outputs are fenced out meanwhile)."""
        logger.error("dropping %d game(s) after losing the lease", len(self.games))
        self.games.clear()
        self._deadlines = Deadlines()
        self.outbox.take()
        self.presence = PresenceBook()
        done.set()

    def start_game(self, message: dict) -> None:
        game_id = str(message["game_id"])
        if game_id in self.games:
            return
        game = LiveGame.started(message, self.session_factories[message["kind"]], self.clock())
        self.games[game_id] = game
        self._schedule(game, game.deadline)
        # Sockets that arrived before the game did (a game adopted from a dead worker, or one whose
        # players connected before its start reached the engine): its rules must not wait for them.
        here = [((game_id, seat.name), True) for seat in game.session.seats if self.presence.is_connected((game_id, seat.name))]
        self.inbound.apply_presence(here, self.clock())
        if message.get("resume_after_v") is not None:
            # Its versions jumped: connected clients see the new head and resync at once, rather
            # than at the game's next event (a chess game may wait minutes for a move).
            self.outbox.head(game_id, game.v)
        logger.info("game %s (%s) started", game_id, game.session.kind, extra={"game_id": game_id})

    def play(self, game: LiveGame, now: float, during: str, step: Callable[[], list[Effect]]) -> None:
        """Runs one step of a game's session, emits its effects, and ends the game if the step
        did. A session that fails ends its game; one that refuses (IntentRefused) is the caller's."""
        try:
            effects = step()
        except IntentRefused:
            raise
        except Exception:
            self._fail(game, now, during)
            return
        for effect in effects:
            self.emit(game, effect)
        self._check_end(game, now)

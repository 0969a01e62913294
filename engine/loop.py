"""The GameEngine: one thread that advances every live game on its own fixed timestep.

Messages come in through `submit()` (from the `game_engine` channel's consumer, or straight from
the websocket consumers in embedded mode). Every event a game produces gets the game's next
version `v`, is JSON-encoded once, kept in a short history for reconnects, and handed to the
broadcaster at the end of the loop iteration. No Django here: persistence and the heartbeat are
injected, so the loop runs under a fake clock in tests.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.ids import new_game_id
from engine.presence import Flip, PresenceBook
from engine.sessions import SESSION_FACTORIES, GameSession, IntentRefused, Outcome, SessionFactory

logger = logging.getLogger("kogame.engine")

# Per-game queue of intents waiting for the next tick. When full the OLDEST intent is dropped:
# the newest input is what the player means now. Socket rate limits keep real players far below it.
INTENT_QUEUE_LIMIT = 64
# The whole inbox (all games); overflow drops the incoming message and counts it.
INBOX_LIMIT = 100_000
# Events kept per game for reconnecting clients (?v=): 6.4 s of Snake at 10 Hz.
HISTORY_LIMIT = 64
# A finished game stays this long so late and reconnecting clients still get its gameEnd, and
# players can chat and agree on a rematch.
RETAIN_ENDED_SECONDS = 120.0
# Longest the loop sleeps without looking at the inbox or publishing a heartbeat.
IDLE_WAIT_SECONDS = 0.25
# How far the versions of a game resumed after a restart jump past its last saved version.
RESUME_VERSION_GAP = 1_000_000
HEARTBEAT_INTERVAL_SECONDS = 1.0
# A game quiet this long since its last event announces its head (latest version) to its sockets,
# and repeats it while quiet: a socket that lost an event sees the gap and resyncs.
HEAD_AFTER_QUIET_SECONDS = 0.5
HEAD_REPEAT_SECONDS = 5.0
# A game this engine could not resume (a Snake board lost with the previous process) is announced
# for this long, so that its still-connected sockets resync and hear its gameEnd.
ORPHAN_ANNOUNCE_SECONDS = 5.0
# Above any version a live game reaches: an orphan's announced head is always ahead of its sockets.
ORPHAN_HEAD = 2**52
# On stop, how long the engine keeps handling what is already in its inbox and waiting for its
# saves to be confirmed, so nothing it accepted is lost.
DRAIN_SECONDS = 5.0


class Broadcaster(Protocol):
    def publish(self, sends: list[tuple[str, str, dict]]) -> None:
        """Sends ("group" | "channel", name, message) in order, without blocking the caller."""


class ResultStore(Protocol):
    def game_ended(self, game_id: str, outcome: Outcome, last_v: int) -> None: ...

    def persist(self, game_id: str, record: dict, on_done: Callable[[bool], None]) -> None:
        """Saves `record` durably, then calls on_done(saved) from any thread."""


class HeartbeatSink(Protocol):
    def beat(self, stats: dict) -> None: ...


# One encoder for every event: json.dumps builds a new one per call when given separators.
_encode_json = json.JSONEncoder(separators=(",", ":")).encode


def group_name(game_id: str) -> str:
    return f"game.{game_id}"


def spectators_group_name(game_id: str) -> str:
    """Spectators' chat goes here only, unversioned: players never receive it."""
    return f"game.{game_id}.spectators"


def end_event(outcome: Outcome) -> dict:
    event: dict[str, object] = {
        "type": "gameEnd",
        "status": outcome.status,
        "reason": outcome.reason,
        "winner": outcome.winner,
        "scores": outcome.scores,
    }
    if outcome.final_clock is not None:
        # Chess: the clocks as they stopped, so no client keeps its own estimate.
        event["clock"] = {**outcome.final_clock, "running": None}
    return event


@dataclass
class LiveGame:
    game_id: str
    session: GameSession
    mode: str
    deadline: float
    v: int = 0
    history: deque = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    intents: deque = field(default_factory=lambda: deque(maxlen=INTENT_QUEUE_LIMIT))
    ended_at: float | None = None
    outcome: Outcome | None = None
    dropped_intents: int = 0
    # Versions whose record the store has not confirmed yet, and the encoded events held back
    # until it does: an event that must be durable never leaves before it is, nor anything after it.
    unconfirmed: deque = field(default_factory=deque)
    held: deque = field(default_factory=deque)
    # When the last event left, and the head last announced (see HEAD_AFTER_QUIET_SECONDS).
    last_event_at: float = 0.0
    head_sent_v: int = 0
    head_sent_at: float = 0.0


@dataclass
class OrphanedGame:
    """A game the previous engine process ran and this one could not resume: only its end is known."""

    end: dict
    since: float


@dataclass
class EngineStats:
    ticks: int = 0
    late_ticks: int = 0
    skipped_ticks: int = 0
    max_lateness_ms: float = 0.0
    dropped_messages: int = 0
    dropped_intents: int = 0
    failed_games: int = 0
    last_iteration_ms: float = 0.0


class GameEngine(threading.Thread):
    def __init__(
        self,
        *,
        broadcaster: Broadcaster,
        store: ResultStore,
        heartbeat: HeartbeatSink | None = None,
        clock: Callable[[], float] = time.monotonic,
        session_factories: dict[str, SessionFactory] | None = None,
    ) -> None:
        super().__init__(name="kogame-engine", daemon=True)
        self.broadcaster = broadcaster
        self.store = store
        self.heartbeat = heartbeat
        self.clock = clock
        self.session_factories = session_factories if session_factories is not None else SESSION_FACTORIES
        self.games: dict[str, LiveGame] = {}
        self.orphans: dict[str, OrphanedGame] = {}
        self.presence = PresenceBook()
        self.stats = EngineStats()
        self._inbox: queue.Queue[dict] = queue.Queue(maxsize=INBOX_LIMIT)
        self._deadlines: list[tuple[float, int, str]] = []
        self._deadline_seq = 0
        self._outbox: list[tuple[str, str, Any]] = []  # payload: a message, [v, text] for "events", v for "head"
        self._stop_requested = threading.Event()
        self._last_beat = float("-inf")
        # Worst lateness since the last heartbeat, logged once per beat rather than per game.
        self._late_since_beat = 0.0
        self._late_ticks_at_beat = 0

    # -- entry points, callable from any thread ---------------------------------------------

    def submit(self, message: dict) -> bool:
        """Queues a message for the engine thread. Never raises; False if the inbox is full."""
        try:
            self._inbox.put_nowait(message)
            return True
        except queue.Full:
            self.stats.dropped_messages += 1
            return False

    def stop(self, timeout: float = DRAIN_SECONDS + 2.0) -> None:
        """Stops after handling what the inbox holds and the store confirms (see `drain`)."""
        self._stop_requested.set()
        if self.is_alive():
            self.join(timeout)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        logger.info("engine started")
        while not self._stop_requested.is_set():
            wait = min(IDLE_WAIT_SECONDS, max(0.0, self._next_deadline() - self.clock()))
            try:
                message = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
            except queue.Empty:
                message = None
            if message is not None:
                self.handle(message)
            self.pump()
        self.drain()
        logger.info("engine stopped")

    def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Handles every message already accepted and waits for pending saves to be confirmed, so
        their events leave before the process does. The caller has stopped feeding the inbox."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if not any(game.unconfirmed for game in self.games.values()):
                return
            if time.monotonic() > deadline:
                logger.error("stopped with unconfirmed saves in %d game(s)", sum(1 for g in self.games.values() if g.unconfirmed))
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
        self.advance(self.clock())
        self._each_second()
        self.flush()
        self.stats.last_iteration_ms = (time.perf_counter() - started) * 1000

    def _next_deadline(self) -> float:
        return self._deadlines[0][0] if self._deadlines else self.clock() + IDLE_WAIT_SECONDS

    def _schedule(self, game: LiveGame) -> None:
        self._deadline_seq += 1
        heapq.heappush(self._deadlines, (game.deadline, self._deadline_seq, game.game_id))

    def advance(self, now: float) -> None:
        """Ticks every game whose deadline has come. Each next deadline is the previous one plus
        the period, so timing never drifts; a game that fell more than a period behind skips the
        ticks it missed instead of running them back to back."""
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, game_id = heapq.heappop(self._deadlines)
            game = self.games.get(game_id)
            if game is None or game.deadline != deadline:
                continue
            if game.ended_at is not None:
                # A finished game wakes only to announce its head and, in the end, to be evicted.
                if now >= game.ended_at + RETAIN_ENDED_SECONDS:
                    del self.games[game_id]
                    self.presence.forget_game(game_id)
                else:
                    self._announce_head(game, now)
                    game.deadline = min(game.ended_at + RETAIN_ENDED_SECONDS, self._next_head_at(game))
                    self._schedule(game)
                continue
            self._tick(game, now)
            self._announce_head(game, now)
            period = game.session.period
            lateness = now - deadline
            missed = int(lateness // period)
            if missed:
                self.stats.late_ticks += 1
                self.stats.skipped_ticks += missed
                self.stats.max_lateness_ms = max(self.stats.max_lateness_ms, lateness * 1000)
                self._late_since_beat = max(self._late_since_beat, lateness * 1000)
            game.deadline = deadline + (missed + 1) * period
            self._schedule(game)

    def _tick(self, game: LiveGame, now: float) -> None:
        intents = list(game.intents)
        game.intents.clear()
        try:
            events = game.session.tick(intents, now)
        except Exception:
            self._fail(game, now, "tick")
            return
        self.stats.ticks += 1
        for event in events:
            self._emit(game, event)
        self._check_end(game, now)

    def _check_end(self, game: LiveGame, now: float) -> None:
        if game.ended_at is not None or game.mode == "arena":
            return
        outcome = game.session.outcome()
        if outcome is not None:
            self._end(game, now, outcome)

    def _end(self, game: LiveGame, now: float, outcome: Outcome) -> None:
        game.ended_at = now
        game.outcome = outcome
        self._emit(game, end_event(outcome))
        try:
            self.store.game_ended(game.game_id, outcome, game.v)
        except Exception:
            logger.exception("could not hand the result of game %s to the store", game.game_id)

    def _fail(self, game: LiveGame, now: float, during: str) -> None:
        # One game's bug must not stop the others: end it with a reason players can read.
        logger.exception("game %s failed during %s; ending it", game.game_id, during)
        self.stats.failed_games += 1
        self._end(game, now, Outcome(status="aborted", reason="engine_error", winner=None))

    def _emit(self, game: LiveGame, event: dict) -> None:
        spawn = event.pop("_spawn", None)
        if spawn is not None:
            event["game_id"] = self._spawn(spawn)
            event["_persist"] = {"op": "create_game", "game_id": event["game_id"], **spawn}
        record = event.pop("_persist", None)
        game.v += 1
        event["v"] = game.v
        # Server wall time in ms: clients use it to measure lag and to run clocks between events.
        event["ts"] = round(time.time() * 1000)
        text = _encode_json(event)
        if record is not None:
            game.unconfirmed.append(game.v)
            self.store.persist(game.game_id, {**record, "v": game.v}, self._confirmation(game.game_id, game.v))
        if game.unconfirmed:
            game.held.append((game.v, text))
        else:
            self._release(game, game.v, text)

    def _release(self, game: LiveGame, v: int, text: str) -> None:
        game.history.append((v, text))
        game.last_event_at = self.clock()
        self._outbox.append(("events", game.game_id, [v, text]))
        if game.ended_at is not None and self._next_head_at(game) < game.deadline:
            # Released after the end (a save confirmed late): wake in time to announce it.
            game.deadline = self._next_head_at(game)
            self._schedule(game)

    def _next_head_at(self, game: LiveGame) -> float:
        released = game.history[-1][0] if game.history else 0
        if not released:
            return float("inf")
        if game.head_sent_v != released:
            return game.last_event_at + HEAD_AFTER_QUIET_SECONDS
        return game.head_sent_at + HEAD_REPEAT_SECONDS

    def _announce_head(self, game: LiveGame, now: float) -> None:
        if now >= self._next_head_at(game):
            game.head_sent_v = game.history[-1][0]
            game.head_sent_at = now
            self._outbox.append(("head", game.game_id, game.head_sent_v))

    def _confirmation(self, game_id: str, v: int) -> Callable[[bool], None]:
        def confirm(saved: bool) -> None:
            # Blocking put: a lost confirmation would hold the game's events forever.
            self._inbox.put({"type": "engine.persisted", "game_id": game_id, "v": v, "saved": saved})

        return confirm

    def _persisted(self, message: dict) -> None:
        game = self.games.get(message["game_id"])
        if game is None:
            return
        v = message["v"]
        if game.unconfirmed and game.unconfirmed[0] == v:
            game.unconfirmed.popleft()
        release_below = game.unconfirmed[0] if game.unconfirmed else float("inf")
        while game.held and game.held[0][0] < release_below:
            self._release(game, *game.held.popleft())
        if not message["saved"] and game.ended_at is None:
            logger.error("game %s: the store could not save event %d; ending the game", game.game_id, v)
            self.stats.failed_games += 1
            self._end(game, self.clock(), Outcome(status="aborted", reason="engine_error", winner=None))

    def _spawn(self, spawn: dict) -> str:
        game_id = new_game_id()
        self._start_game({"game_id": game_id, "seed": random.getrandbits(48), "mode": "match", **spawn})
        return game_id

    def _reply(self, channel: str | None, message: dict) -> None:
        if channel:
            self._outbox.append(("channel", channel, message))

    def flush(self) -> None:
        if not self._outbox:
            return
        # One group message per game per iteration: its events in version order, then its head.
        sends: list[tuple[str, str, dict]] = []
        by_game: dict[str, dict] = {}
        for target, name, payload in self._outbox:
            if target in ("events", "head"):
                message = by_game.get(name)
                if message is None:
                    message = by_game[name] = {"type": "game.events", "events": []}
                    sends.append(("group", group_name(name), message))
                if target == "events":
                    message["events"].append(payload)
                else:
                    message["head"] = payload
            else:
                sends.append((target, name, payload))
        self._outbox = []
        try:
            self.broadcaster.publish(sends)
        except Exception:
            logger.exception("broadcaster refused %d send(s)", len(sends))

    def _each_second(self) -> None:
        now = self.clock()
        if now - self._last_beat < HEARTBEAT_INTERVAL_SECONDS:
            return
        self._last_beat = now
        wall = time.time()
        self._apply_presence(self.presence.expire(now), now)
        self._announce_orphans(now)
        if self._late_since_beat:
            logger.warning(
                "%d late tick(s) in the last second, the worst %.1f ms late; missed ticks were skipped",
                self.stats.late_ticks - self._late_ticks_at_beat,
                self._late_since_beat,
            )
            self._late_since_beat = 0.0
            self._late_ticks_at_beat = self.stats.late_ticks
        if self.heartbeat is None:
            return
        # Non-blocking: the runtime's sink is a HeartbeatPublisher thread.
        self.heartbeat.beat({"at": wall, "games": len(self.games), **self.stats.__dict__})

    # -- messages -----------------------------------------------------------------------------

    def handle(self, message: dict) -> None:
        """Applies one inbound message. Nothing a message holds may raise out of here."""
        try:
            kind = message.get("type")
            if kind == "engine.start_game":
                self._start_game(message)
            elif kind == "engine.intent":
                self._intent(message)
            elif kind == "engine.sync":
                self._sync(message)
            elif kind == "engine.persisted":
                self._persisted(message)
            elif kind == "engine.presence":
                self._presence(message)
            elif kind == "engine.presence_report":
                self._presence_report(message)
            elif kind == "engine.orphaned":
                self._orphaned(message)
            else:
                logger.warning("engine ignored a message of type %r", kind)
        except Exception:
            logger.exception("engine could not handle a %r message", message.get("type"))

    def _start_game(self, message: dict) -> None:
        game_id = str(message["game_id"])
        if game_id in self.games:
            return
        factory = self.session_factories[message["kind"]]
        resume = {"saved_moves": message["saved_moves"]} if message.get("saved_moves") else {}
        session = factory(
            players=list(message["players"]),
            settings=dict(message["settings"]),
            seed=int(message["seed"]),
            now=self.clock(),
            **resume,
        )
        game = LiveGame(
            game_id=game_id, session=session, mode=message.get("mode", "match"), deadline=self.clock() + session.period
        )
        if message.get("resume_after_v"):
            # Events of the previous engine process went up to an unknown version past the last
            # saved one: jump well clear of it. Clients see the jump as a gap and get a fresh gameState.
            game.v = message["resume_after_v"] + RESUME_VERSION_GAP
        self.games[game_id] = game
        self._schedule(game)
        logger.info("game %s (%s) started with %d player(s)", game_id, session.kind, len(message["players"]))

    def _intent(self, message: dict) -> None:
        game = self.games.get(message.get("game_id"))  # type: ignore[arg-type]  # no game_id, no game
        reply_to = message.get("reply_channel")
        username = message["username"]
        intent = message["intent"]
        if game is None:
            self._reply(reply_to, {"type": "game.error", "code": "game_over", "message": "this game is not running"})
            return
        if game.ended_at is not None and intent.get("type") not in game.session.post_game_intents | {"chat"}:
            self._reply(reply_to, {"type": "game.error", "code": "game_over", "message": "this game is over"})
            return
        if intent.get("type") == "chat":
            chat = {"type": "chat", "username": username, "message": intent["message"], "room": intent.get("room", "player")}
            if chat["room"] == "spectator":
                # Unversioned and never to the players (in chess it would let spectators feed
                # hints); spectators miss none of the versioned events for it.
                self._outbox.append(
                    ("group", spectators_group_name(game.game_id), {"type": "game.spectator_chat", "text": _encode_json(chat)})
                )
            else:
                self._emit(game, chat)
            return
        error = game.session.validate(username, intent)
        if error is not None:
            self._reply(reply_to, {"type": "game.error", "code": "refused", "message": error})
            return
        if intent["type"] in game.session.immediate_intents:
            now = self.clock()
            try:
                events = game.session.apply(username, intent, now)
            except IntentRefused as refused:
                self._reply(reply_to, {"type": "game.error", "code": refused.code, "message": refused.message})
                return
            except Exception:
                self._fail(game, now, f"{intent['type']} by {username}")
                return
            for event in events:
                self._emit(game, event)
            self._check_end(game, now)
            return
        if len(game.intents) == game.intents.maxlen:
            game.dropped_intents += 1
            self.stats.dropped_intents += 1
        game.intents.append((username, intent))

    def _presence(self, message: dict) -> None:
        """One player socket opened or closed in a web process."""
        now = self.clock()
        seat = (str(message["game_id"]), str(message["username"]))
        delta = 1 if message["connected"] else -1
        flips = self.presence.change(process=str(message["process"]), seq=int(message["seq"]), seat=seat, delta=delta, now=now)
        self._apply_presence(flips, now)

    def _presence_report(self, message: dict) -> None:
        """Every player socket a web process has open: keeps presence true across restarts."""
        now = self.clock()
        seats = [(str(game_id), str(username)) for game_id, username in message["sockets"]]
        flips = self.presence.report(process=str(message["process"]), seq=int(message["seq"]), seats=seats, now=now)
        self._apply_presence(flips, now)

    def _apply_presence(self, flips: list[Flip], now: float) -> None:
        """Tells the rules when a player's first socket arrived or last socket left."""
        for (game_id, username), connected in flips:
            game = self.games.get(game_id)
            if game is None or game.ended_at is not None:
                continue
            try:
                events = game.session.presence(username, connected, now)
            except Exception:
                self._fail(game, now, f"presence of {username}")
                continue
            for event in events:
                self._emit(game, event)
            self._check_end(game, now)

    def _orphaned(self, message: dict) -> None:
        game_id = str(message["game_id"])
        outcome = Outcome(status=message["status"], reason=message["reason"], winner=None)
        self.orphans[game_id] = OrphanedGame(end=end_event(outcome), since=self.clock())
        self._outbox.append(("head", game_id, ORPHAN_HEAD))

    def _announce_orphans(self, now: float) -> None:
        for game_id, orphan in list(self.orphans.items()):
            if now - orphan.since > RETAIN_ENDED_SECONDS:
                del self.orphans[game_id]
            elif now - orphan.since <= ORPHAN_ANNOUNCE_SECONDS:
                self._outbox.append(("head", game_id, ORPHAN_HEAD))

    def _sync(self, message: dict) -> None:
        """Answers a (re)connecting socket with the events it missed, or with a fresh gameState."""
        reply_to = message.get("reply_channel")
        game = self.games.get(message.get("game_id"))  # type: ignore[arg-type]  # no game_id, no game
        seen = message.get("v")
        orphan = self.orphans.get(message.get("game_id"))  # type: ignore[arg-type]  # no game_id, no game
        if game is None and orphan is not None and isinstance(seen, int):
            # The socket's versions came from the process that ran the game: its end follows them.
            self._reply(
                reply_to,
                {"type": "game.sync", "known": True, "events": [[seen + 1, _encode_json({**orphan.end, "v": seen + 1})]]},
            )
            return
        if game is None:
            self._reply(reply_to, {"type": "game.sync", "known": False, "events": []})
            return
        oldest = game.history[0][0] if game.history else game.v + 1
        if isinstance(seen, int) and oldest - 1 <= seen <= game.v:
            events = [[v, text] for v, text in game.history if v > seen]
        else:
            events = [[game.v, _encode_json(self.game_state(game))]]
        self._reply(reply_to, {"type": "game.sync", "known": True, "events": events})

    def game_state(self, game: LiveGame) -> dict:
        state = {
            "type": "gameState",
            "v": game.v,
            "game": game.session.kind,
            "game_id": game.game_id,
            "mode": game.mode,
            **game.session.snapshot(self.clock()),
            # After the snapshot: an outcome the loop imposed (engine_error) overrides the rules' view.
            "status": game.outcome.status if game.outcome else "started",
        }
        if game.outcome is not None:
            state["result"] = {"reason": game.outcome.reason, "winner": game.outcome.winner, "scores": game.outcome.scores}
        return state

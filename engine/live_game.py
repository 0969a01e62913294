"""One game as the engine holds it: its session, versions, durable hold-back, history and head.

Every event gets the game's next version `v` and is encoded once. An event whose record must be
saved first is held, and so is everything after it, until the store confirms: nothing leaves
out of order or before it is durable. Released events go to the history that reconnecting
sockets are replayed from, and a quiet game announces its head so a socket that lost its last
event notices.
"""

from __future__ import annotations

import math
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.games.effects import GameSession, Outcome, seats_from_message
from engine.wire import encode_json, game_state_message, result_of

# Per-game queue of intents waiting for the next tick. When full the OLDEST intent is dropped:
# the newest input is what the player means now. Socket rate limits keep real players far below it.
INTENT_QUEUE_LIMIT = 64
# Events kept per game for reconnecting clients (?v=): 6.4 s of Snake at 10 Hz.
HISTORY_LIMIT = 64
# A finished game stays this long so late and reconnecting clients still get its gameEnd, and
# players can chat and agree on a rematch.
RETAIN_ENDED_SECONDS = 120.0
# A game quiet this long since its last event announces its head (latest released version),
# and repeats it while quiet: a socket that lost an event sees the gap and resyncs.
HEAD_AFTER_QUIET_SECONDS = 0.5
HEAD_REPEAT_SECONDS = 5.0
# Beats a period on which games start ticking (next_beat).
TICK_PHASES = 10
# How far the versions of a game that moved to another engine process jump past its last known
# version: the previous process may have sent events after it.
RESUME_VERSION_GAP = 1_000_000


def next_beat(now: float, period: float, game_id: str) -> float:
    """When a game starting at `now` first ticks: on one of TICK_PHASES beats a period, chosen by
    its id. Games on one beat tick at the same moments, so the engine ticks them together (a kind
    may step them all in one go, as Snake does); spreading them over the beats spreads the events
    the web processes relay, which all at once would wait behind each other."""
    offset = zlib.crc32(game_id.encode()) % TICK_PHASES * period / TICK_PHASES
    return (math.floor((now - offset) / period) + 1) * period + offset


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
    # Versions whose record the store has not confirmed yet, and the encoded events held back.
    unconfirmed: deque = field(default_factory=deque)
    held: deque = field(default_factory=deque)
    # When the last event was released, and the head last announced.
    last_event_at: float = 0.0
    head_sent_v: int = 0
    head_sent_at: float = 0.0

    @classmethod
    def started(cls, message: dict, factory: Callable[..., GameSession], now: float) -> LiveGame:
        """A game from its engine.start_game message: new, or going on from its saved moves
        (`saved_moves`) and what its previous engine froze (`frozen`), its versions then jumping
        well clear of what that engine may have sent (clients see a gap and get a fresh gameState)."""
        resume = {key: message[key] for key in ("saved_moves", "frozen") if message.get(key)}
        seats = seats_from_message(list(message["seats"]))
        session = factory(seats=seats, settings=dict(message["settings"]), seed=int(message["seed"]), now=now, **resume)
        mode = message.get("mode", "match")
        game_id = str(message["game_id"])
        game = cls(game_id=game_id, session=session, mode=mode, deadline=next_beat(now, session.period, game_id))
        # Zero too: a board frozen before its first event may have sent events after it.
        if message.get("resume_after_v") is not None:
            game.v = message["resume_after_v"] + RESUME_VERSION_GAP
        return game

    def add_event(self, event: dict, *, durable: bool, now: float) -> list[tuple[int, str]]:
        """Numbers and encodes `event`; returns the events released by it (none while held)."""
        self.v += 1
        event["v"] = self.v
        # Server wall time in ms: clients use it to measure lag and to run clocks between events.
        event["ts"] = round(time.time() * 1000)
        if durable:
            self.unconfirmed.append(self.v)
        return self._hold_or_release(encode_json(event), now)

    def add_encoded(self, text: str, *, now: float) -> list[tuple[int, str]]:
        """add_event for an event already encoded (a JSON object): its version and time are
        written into its end."""
        self.v += 1
        return self._hold_or_release(f'{text[:-1]},"v":{self.v},"ts":{round(time.time() * 1000)}}}', now)

    def _hold_or_release(self, text: str, now: float) -> list[tuple[int, str]]:
        """The event just numbered waits behind an unconfirmed save, or leaves now."""
        if self.unconfirmed:
            self.held.append((self.v, text))
            return []
        return self._release([(self.v, text)], now)

    def confirm(self, v: int, now: float) -> list[tuple[int, str]]:
        """The store saved (or gave up on) version `v`: returns the events that may now leave."""
        if self.unconfirmed and self.unconfirmed[0] == v:
            self.unconfirmed.popleft()
        release_below = self.unconfirmed[0] if self.unconfirmed else float("inf")
        released = []
        while self.held and self.held[0][0] < release_below:
            released.append(self.held.popleft())
        return self._release(released, now)

    def _release(self, events: list[tuple[int, str]], now: float) -> list[tuple[int, str]]:
        if events:
            self.history.extend(events)
            self.last_event_at = now
        return events

    def next_head_at(self) -> float:
        released = self.history[-1][0] if self.history else 0
        if not released:
            return float("inf")
        if self.head_sent_v != released:
            return self.last_event_at + HEAD_AFTER_QUIET_SECONDS
        return self.head_sent_at + HEAD_REPEAT_SECONDS

    def head_due(self, now: float) -> int | None:
        """The head to announce now, if one is due (and then it counts as announced)."""
        if now < self.next_head_at():
            return None
        self.head_sent_v = self.history[-1][0]
        self.head_sent_at = now
        return self.head_sent_v

    def missed_since(self, seen: object, now: float) -> list:
        """What a socket that has seen up to `seen` lacks: the events after it while the history
        still holds them all, else a fresh gameState."""
        oldest = self.history[0][0] if self.history else self.v + 1
        if isinstance(seen, int) and oldest - 1 <= seen <= self.v:
            return [[v, text] for v, text in self.history if v > seen]
        return [[self.v, encode_json(self.state(now))]]

    def state(self, now: float) -> dict:
        # The outcome the loop holds overrides the rules' view: it may have imposed one (engine_error).
        return game_state_message(
            v=self.v,
            kind=self.session.kind,
            game_id=self.game_id,
            mode=self.mode,
            status=self.outcome.status if self.outcome else "started",
            result=result_of(self.outcome) if self.outcome else None,
            body=self.session.snapshot(now),
        )

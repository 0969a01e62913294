"""What the engine loop needs from a game kind, and the Snake adapter.

Pure Python: no Django, no Channels. A session wraps one game's rules state; time is passed in
as `now` (monotonic seconds) and randomness comes from the seeded generator the session owns.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from engine.rules import chess_game, snake
from engine.rules.chess_clock import TimeControl


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str
    # As players see it in gameEnd: a username in Snake, "white"/"black" in chess.
    winner: str | None
    # The winning user, for the database.
    winner_username: str | None = None
    scores: dict[str, int] = field(default_factory=dict)
    # Chess: both sides' remaining ms when the game ended ({"white": ms, "black": ms}).
    final_clock: dict[str, int] | None = None


@dataclass(frozen=True)
class NewGame:
    """A game a session asks the engine to start (a rematch)."""

    kind: str
    players: list[str]
    settings: dict


@dataclass
class Event:
    """What a session hands the loop: an event for everyone in the game. With `record`, the store
    saves it first and nothing of the game leaves before it is saved; with `new_game`, the engine
    starts that game, and the event and its record carry the new game's id."""

    body: dict
    record: dict | None = None
    new_game: NewGame | None = None


class IntentRefused(Exception):
    """An intent the rules refuse: the engine answers the sender with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GameSession(Protocol):
    kind: str
    # Seconds between two ticks of this game.
    period: float
    # Intent types applied the moment they reach the engine; the others wait for the next tick.
    immediate_intents: frozenset[str]
    # Intent types still accepted once the game is over (e.g. a rematch).
    post_game_intents: frozenset[str]

    def validate(self, username: str, intent: dict) -> str | None:
        """None if `username` may send `intent` now, else a short reason."""

    def apply(self, username: str, intent: dict, now: float) -> list[Event]:
        """Applies one immediate intent; returns the events to broadcast, or raises IntentRefused."""

    def presence(self, username: str, connected: bool, now: float) -> list[Event]:
        """A player's first socket arrived or last socket left."""

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Event]:
        """Advances one timestep with the queued intents; returns the events to broadcast."""

    def snapshot(self, now: float) -> dict:
        """The full state, JSON-ready, as sent in gameState."""

    def outcome(self) -> Outcome | None:
        """How the game ended, or None while it goes on."""

    def abort(self, reason: str, now: float) -> Outcome:
        """The engine ends the game itself (its code or a save failed): stop what runs, and say
        how it ended."""


# An arena player whose last socket left keeps their snake this long: a network blip or a page
# reload must not throw them out.
ARENA_AWAY_GRACE_SECONDS = 15.0


class SnakeSession:
    kind = "snake"
    immediate_intents: frozenset[str] = frozenset()
    post_game_intents: frozenset[str] = frozenset()

    def __init__(self, *, players: list[str], settings: dict, seed: int, now: float) -> None:
        self.config = snake.SnakeConfig.from_settings(settings)
        self.rng = random.Random(seed)
        self.state = snake.new_game(self.config, players, self.rng)
        self.period = 1.0 / self.config.tick_hz
        # Arena players whose last socket left, and when their snakes leave unless they come back.
        self.away_until: dict[str, float] = {}

    def validate(self, username: str, intent: dict) -> str | None:
        return snake.validate_intent(self.state, username, intent)

    def apply(self, username: str, intent: dict, now: float) -> list[Event]:
        raise IntentRefused("refused", f"snake has no immediate intent {intent.get('type')!r}")

    def presence(self, username: str, connected: bool, now: float) -> list[Event]:
        if not self.config.arena:
            return []
        if connected:
            self.away_until.pop(username, None)
        elif username in self.state.snakes:
            self.away_until[username] = now + ARENA_AWAY_GRACE_SECONDS
        return []

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Event]:
        departed = [name for name, until in self.away_until.items() if until <= now]
        if departed:
            intents = [(name, {"type": "leave"}) for name in departed] + intents
            for name in departed:
                del self.away_until[name]
        happenings = snake.step(self.state, intents, self.rng)
        return [Event({"type": "tick", **snake.render(self.state), "events": happenings})]

    def snapshot(self, now: float) -> dict:
        return {**snake.render(self.state), "settings": self.config.to_settings()}

    def outcome(self) -> Outcome | None:
        result = snake.result(self.state)
        if result is None:
            return None
        return Outcome(
            status="finished",
            reason=result["reason"],
            winner=result["winner"],
            winner_username=result["winner"],
            scores=result["scores"],
        )

    def abort(self, reason: str, now: float) -> Outcome:
        return Outcome(status="aborted", reason=reason, winner=None)


class ChessSession:
    kind = "chess"
    # The clocks are checked every tick: a flag falls within 50 ms of the time running out.
    period = 0.05
    # Every chess intent applies the moment it arrives, not at a tick.
    immediate_intents: frozenset[str] = chess_game.INTENTS
    post_game_intents: frozenset[str] = chess_game.AFTER_GAME_INTENTS

    def __init__(
        self, *, players: list[str], settings: dict, seed: int, now: float, saved_moves: list | None = None
    ) -> None:
        white, black = players
        self.tc = TimeControl.parse(settings["tc"])
        if saved_moves:
            # The engine restarted: pick the game up from its saved moves and clocks.
            self.game = chess_game.resume_game(white=white, black=black, tc=self.tc, moves=saved_moves, now=now)
        else:
            self.game = chess_game.new_game(white=white, black=black, tc=self.tc, now=now)

    def validate(self, username: str, intent: dict) -> str | None:
        if chess_game.color_of(self.game, username) is None:
            return "not a player of this game"
        return None

    def apply(self, username: str, intent: dict, now: float) -> list[Event]:
        try:
            events = chess_game.handle(self.game, username, intent, now, intent.get("lag_ms", 0))
        except chess_game.ChessError as refused:
            raise IntentRefused(refused.code, refused.message) from None
        return self._for_engine(events)

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Event]:
        return self._for_engine(chess_game.on_tick(self.game, now))

    def presence(self, username: str, connected: bool, now: float) -> list[Event]:
        color = chess_game.color_of(self.game, username)
        if color is None or self.game.status != "started":
            return []
        chess_game.set_presence(self.game, username, connected, now)
        # Lets the opponent's client show the claim countdown.
        claim_after_ms = 0 if connected else chess_game.DISCONNECT_CLAIM_MS
        return [Event({"type": "presence", "player": color, "connected": connected, "claim_after_ms": claim_after_ms})]

    def _for_engine(self, events: list[dict]) -> list[Event]:
        """Says what must be saved before it is broadcast; the engine announces the end itself."""
        kept = []
        for event in events:
            if event["type"] == "gameEnd":
                continue
            if event["type"] in ("move", "takeback"):
                # Clients show legal destinations without a move generator of their own.
                board = self.game.board
                ongoing = self.game.status == "started"
                event["legal_moves"] = [move.uci() for move in board.legal_moves] if ongoing else []
                event["check"] = board.is_check()
            if event["type"] == "move":
                move = self.game.moves[-1]
                record = {
                    "op": "move",
                    "ply": event["ply"],
                    "uci": event["uci"],
                    "san": event["san"],
                    "white_ms": event["clock"]["white"],
                    "black_ms": event["clock"]["black"],
                    "spent_ms": move.spent_ms,
                    "lag_comp_ms": event.get("lag_comp_ms", 0),
                }
                kept.append(Event(event, record=record))
            elif event["type"] == "takeback":
                kept.append(Event(event, record={"op": "takeback", "ply": event["ply"]}))
            elif event["type"] == "rematch":
                rematch = NewGame(kind="chess", players=[event["white"], event["black"]], settings={"tc": self.tc.label})
                kept.append(Event(event, new_game=rematch))
            else:
                kept.append(Event(event))
        return kept

    def snapshot(self, now: float) -> dict:
        return chess_game.snapshot(self.game, now)

    def outcome(self) -> Outcome | None:
        result = chess_game.result(self.game)
        if result is None:
            return None
        winner = result["winner"]
        winner_username = {"white": self.game.white, "black": self.game.black}.get(winner)
        return Outcome(
            status=result["status"],
            reason=result["reason"],
            winner=winner,
            winner_username=winner_username,
            final_clock=result["clock"],
        )

    def abort(self, reason: str, now: float) -> Outcome:
        chess_game.abort(self.game, reason, now)
        final = self.game.final_clock
        return Outcome(status="aborted", reason=reason, winner=None, final_clock=dict(final) if final else None)


SessionFactory = Callable[..., GameSession]

SESSION_FACTORIES: dict[str, SessionFactory] = {
    "snake": SnakeSession,
    "chess": ChessSession,
}

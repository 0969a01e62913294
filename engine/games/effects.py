"""What a game kind's session and the engine loop say to each other: seats, typed effects,
outcomes and the session protocol.

Pure Python: no Django, no Channels. A session wraps one game's rules state; time is passed in
as `now` (monotonic seconds) and randomness comes from the seeded generator the session owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

BOT_LEVELS = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Seat:
    """One place at a game: a person (by username) or a bot (by level). The rules know players
    by `name`, unique within a game."""

    index: int
    name: str
    bot: str | None = None

    @classmethod
    def person(cls, index: int, username: str) -> Seat:
        return cls(index=index, name=username)

    @classmethod
    def robot(cls, index: int, level: str) -> Seat:
        if level not in BOT_LEVELS:
            raise ValueError(f"unknown bot level {level!r}, expected one of {', '.join(BOT_LEVELS)}")
        # A space is never part of a username, so a bot's name cannot be taken by a person.
        return cls(index=index, name=f"{level.capitalize()} bot {index + 1}", bot=level)

    def to_message(self) -> dict:
        return {"name": self.name, "bot": self.bot}

    @classmethod
    def from_message(cls, index: int, message: dict) -> Seat:
        bot = message.get("bot")
        if bot is not None and bot not in BOT_LEVELS:
            raise ValueError(f"unknown bot level {bot!r}")
        return cls(index=index, name=str(message["name"]), bot=bot)


def seats_from_message(seats: list[dict]) -> list[Seat]:
    return [Seat.from_message(index, seat) for index, seat in enumerate(seats)]


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str
    # As players see it in gameEnd: a seat's name in Snake, "white"/"black" in chess.
    winner: str | None
    # The indexes of the winning seats (none for a draw or an aborted game).
    winner_seats: tuple[int, ...] = ()
    # By seat name.
    scores: dict[str, int] = field(default_factory=dict)
    # Chess: both sides' remaining ms when the game ended ({"white": ms, "black": ms}).
    final_clock: dict[str, int] | None = None


@dataclass(frozen=True)
class NewGame:
    """A game a session asks the engine to start (a rematch)."""

    kind: str
    seats: list[Seat]
    settings: dict


class Record:
    """Something the store saves before the event that carries it leaves the engine. Each game
    kind defines its records; the engine's own is GameCreated."""


@dataclass(frozen=True)
class GameCreated(Record):
    game_id: str
    kind: str
    seats: list[Seat]
    settings: dict


@dataclass
class Event:
    """An event for everyone in the game. With `record`, the store saves it first and nothing of
    the game leaves before it is saved; with `new_game`, the engine starts that game, and the event
    carries the new game's id."""

    body: dict
    record: Record | None = None
    new_game: NewGame | None = None


class EncodedEvent(NamedTuple):
    """An event for everyone in the game, already encoded as a JSON object, for a kind that
    writes its frequent events straight from its arrays (Snake's ticks): the loop adds the
    version and time to it. Never held for a record."""

    text: str


@dataclass(frozen=True)
class BotTurn:
    """A bot must choose a move off the engine thread; its answer comes back as an
    engine.bot_move message for position `ply`."""

    seat: str
    level: str
    fen: str
    ply: int
    remaining_ms: int
    increment_ms: int


Effect = Event | EncodedEvent | BotTurn


class IntentRefused(Exception):
    """An intent the rules refuse: the engine answers the sender with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GameSession(Protocol):
    kind: str
    seats: list[Seat]
    # Seconds between two ticks of this game.
    period: float
    # Intent types applied the moment they reach the engine; the others wait for the next tick.
    immediate_intents: frozenset[str]
    # Intent types still accepted once the game is over (e.g. a rematch).
    post_game_intents: frozenset[str]

    def validate(self, name: str, intent: dict) -> str | None:
        """None if the player `name` may send `intent` now, else a short reason."""

    def apply(self, name: str, intent: dict, now: float) -> list[Effect]:
        """Applies one immediate intent; returns its effects, or raises IntentRefused."""

    def bot_move(self, seat: str, ply: int, move: str, now: float) -> list[Effect]:
        """A bot's answer to a BotTurn; ignored (no effects) if the position moved on."""

    def presence(self, name: str, connected: bool, now: float) -> list[Effect]:
        """A player's first socket arrived or last socket left."""

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Effect]:
        """Advances one timestep with the queued intents; returns the effects."""

    def snapshot(self, now: float) -> dict:
        """The kind's part of gameState, JSON-ready (engine/games/<kind>/state.py builds it)."""

    def outcome(self) -> Outcome | None:
        """How the game ended, or None while it goes on."""

    def abort(self, reason: str, now: float) -> Outcome:
        """The engine ends the game itself (its code or a save failed): stop what runs, and say
        how it ended."""


def winner_seats(seats: list[Seat], *names: str | None) -> tuple[int, ...]:
    by_name = {seat.name: seat.index for seat in seats}
    return tuple(by_name[name] for name in names if name in by_name)

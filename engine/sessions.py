"""What the engine loop needs from a game kind, and the Snake adapter.

Pure Python: no Django, no Channels. A session wraps one game's rules state; time is passed in
as `now` (monotonic seconds) and randomness comes from the seeded generator the session owns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Protocol

from engine.rules import snake


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str
    winner: str | None
    scores: dict[str, int] = field(default_factory=dict)


class GameSession(Protocol):
    kind: str
    # Seconds between two ticks of this game.
    period: float
    # Intent types applied the moment they reach the engine; the others wait for the next tick.
    immediate_intents: frozenset[str]

    def validate(self, username: str, intent: dict) -> str | None:
        """None if `username` may send `intent` now, else a short reason."""

    def apply(self, username: str, intent: dict, now: float) -> list[dict]:
        """Applies one immediate intent; returns the events to broadcast."""

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[dict]:
        """Advances one timestep with the queued intents; returns the events to broadcast."""

    def snapshot(self) -> dict:
        """The full state, JSON-ready, as sent in gameState."""

    def outcome(self) -> Outcome | None:
        """How the game ended, or None while it goes on."""


class SnakeSession:
    kind = "snake"
    immediate_intents: frozenset[str] = frozenset()

    def __init__(self, *, players: list[str], settings: dict, seed: int) -> None:
        self.config = snake.SnakeConfig.from_settings(settings)
        self.rng = random.Random(seed)
        self.state = snake.new_game(self.config, players, self.rng)
        self.period = 1.0 / self.config.tick_hz

    def validate(self, username: str, intent: dict) -> str | None:
        return snake.validate_intent(self.state, username, intent)

    def apply(self, username: str, intent: dict, now: float) -> list[dict]:
        raise ValueError(f"snake has no immediate intent {intent.get('type')!r}")

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[dict]:
        happenings = snake.step(self.state, intents, self.rng)
        tick_event = {"type": "tick", **snake.render(self.state), "events": happenings}
        return [tick_event]

    def snapshot(self) -> dict:
        return {**snake.render(self.state), "settings": self.config.to_settings()}

    def outcome(self) -> Outcome | None:
        result = snake.result(self.state)
        if result is None:
            return None
        return Outcome(status="finished", reason=result["reason"], winner=result["winner"], scores=result["scores"])


SessionFactory = Callable[..., GameSession]

SESSION_FACTORIES: dict[str, SessionFactory] = {
    "snake": SnakeSession,
}

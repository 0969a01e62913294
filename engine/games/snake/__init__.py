"""Snake: rules, session, intents, state builder and bots of the multiplayer Snake game."""

from __future__ import annotations

from typing import Any

from engine.games.effects import Seat
from engine.games.kind import GameKind
from engine.games.snake.intents import CLEANERS
from engine.games.snake.rules import SnakeConfig
from engine.games.snake.session import SnakeSession
from engine.games.snake.state import finished_snake_state


def _clean_settings(mode: str, settings: dict) -> dict:
    return SnakeConfig.from_settings({**settings, "arena": mode == "arena"}).to_settings()


def _finished_state(game: Any, seats: list[Seat]) -> dict:
    scores = (game.result or {}).get("scores", {})
    return finished_snake_state(seats=seats, settings=game.settings, scores=scores)


KIND = GameKind(
    name="snake",
    session=SnakeSession,
    intents=CLEANERS,
    clean_settings=_clean_settings,
    min_seats=1,
    max_seats=SnakeConfig.max_players,
    finished_state=_finished_state,
    # A board lives only in its engine process.
    resumable=False,
)

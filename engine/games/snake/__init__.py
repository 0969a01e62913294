"""Snake: rules, session, intents, state builder and bots of the multiplayer Snake game."""

from __future__ import annotations

from engine.games.kind import GameKind
from engine.games.snake.intents import CLEANERS
from engine.games.snake.rules import SnakeConfig
from engine.games.snake.session import SnakeSession


def _clean_settings(mode: str, settings: dict) -> dict:
    return SnakeConfig.from_settings({**settings, "arena": mode == "arena"}).to_settings()



KIND = GameKind(
    name="snake",
    session=SnakeSession,
    intents=CLEANERS,
    clean_settings=_clean_settings,
    min_seats=1,
    max_seats=SnakeConfig.max_players,
    # A board is not saved in the database; workers keep it frozen in Redis instead.
    resumable=False,
    freezes=True,
    storage="engine.games.snake.storage",
)

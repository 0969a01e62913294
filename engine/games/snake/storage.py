"""Snake in the database: a finished game's state and its part of the API summary. Snake saves
no records while it plays: its board lives only in the engine process."""

from __future__ import annotations

from engine.games.effects import Record, Seat
from engine.games.snake.state import finished_snake_state
from engine.models import Game

RECORDS: tuple[type[Record], ...] = ()


def save_records(records: list[tuple[str, Record, int]]) -> None:
    raise ValueError("Snake saves no records")


def winner_label(seats: list[Seat], winners: list[int]) -> str | None:
    """The winner as gameEnd names it: the winning snake's player."""
    return seats[winners[0]].name if winners else None


def resume_fields(game: Game) -> dict:
    raise ValueError("a Snake game cannot be resumed")


def finished_state(game: Game, seats: list[Seat], winners: list[int]) -> dict:
    scores = (game.result or {}).get("scores", {})
    return finished_snake_state(seats=seats, settings=game.settings, scores=scores)


def summary(game: Game, seats: list[Seat]) -> dict:
    return {}

"""Snake's part of gameState: one builder for a live game and for a finished one."""

from __future__ import annotations

import collections

import numpy as np

from engine.games.effects import Seat
from engine.games.snake.rules import Snake, SnakeConfig, SnakeState, render


def snake_state(state: SnakeState, seats: list[Seat]) -> dict:
    return {**render(state), "settings": state.config.to_settings(), "seats": [seat.to_message() for seat in seats]}


def finished_snake_state(*, seats: list[Seat], settings: dict, scores: dict[str, int]) -> dict:
    """A finished game the engine no longer holds: its board is gone, its seats and scores are
    kept, so every snake is shown dead with its final score."""
    config = SnakeConfig.from_settings(settings)
    snakes = {
        seat.name: Snake(player=seat.name, body=collections.deque(), direction="UP", alive=False, score=scores.get(seat.name, 0))
        for seat in seats
    }
    occupancy = np.zeros((config.height, config.width), dtype=np.int16)
    state = SnakeState(config=config, tick=config.countdown_ticks, snakes=snakes, food=[], occupancy=occupancy, over=True)
    return snake_state(state, seats)

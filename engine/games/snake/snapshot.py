"""A Snake session frozen into plain data, and thawed again in another engine process.

An engine worker freezes each live board about once a second and keeps the result in Redis, so a
worker that adopts the game after its owner died (or handed it over) goes on from at most a
second back. The food and spawn draws after the thaw come from a generator seeded from the game's
seed and tick: deterministic, without carrying the 625 words of the old generator's state.
Times are kept as seconds left, since engine clocks differ between processes.
"""

from __future__ import annotations

import collections
import random

import numpy as np

from engine.games.snake import rules


def freeze(state: rules.SnakeState, *, away_in: dict[str, float], arriving: set[str], seating_in: float) -> dict:
    return {
        "tick": state.tick,
        "snakes": [
            [snake.player, [list(cell) for cell in snake.body], snake.direction, snake.alive, snake.score, snake.death_cause]
            for snake in state.snakes.values()
        ],
        "food": [list(cell) for cell in state.food],
        "over": state.over,
        "winner": state.winner,
        "end_reason": state.end_reason,
        "away_in": away_in,
        "arriving": sorted(arriving),
        "seating_in": seating_in,
    }


def thaw_state(config: rules.SnakeConfig, frozen: dict) -> rules.SnakeState:
    state = rules.SnakeState(
        config=config,
        tick=int(frozen["tick"]),
        snakes={},
        food=[(int(x), int(y)) for x, y in frozen["food"]],
        occupancy=np.zeros((config.height, config.width), dtype=np.int16),
        over=bool(frozen["over"]),
        winner=frozen["winner"],
        end_reason=frozen["end_reason"],
    )
    for player, body, direction, alive, score, death_cause in frozen["snakes"]:
        cells = collections.deque((int(x), int(y)) for x, y in body)
        state.snakes[player] = rules.Snake(
            player=player, body=cells, direction=direction, alive=alive, score=score, death_cause=death_cause
        )
        for x, y in cells:
            state.occupancy[y, x] += 1
    return state


def thawed_rng(seed: int, tick: int) -> random.Random:
    return random.Random(f"{seed}:{tick}")

"""Snake's tick event and result, read from the boards' arrays (boards.py): the tick of many
boards written as JSON in one pass over the arrays, what `{"type": "tick", **rules.render_tick(state),
"events": events}` encodes to (tests/rules/test_snake_boards.py checks it), and rules.result."""

from __future__ import annotations

import numpy as np
import orjson

from engine.games.snake.boards import DIRECTION_NAMES, SEATS, Board, SnakeBoards

_SEAT_OFFSETS = np.arange(SEATS, dtype=np.int64)


def encode_ticks(boards: SnakeBoards, ticked: list[Board], events: list[list[dict]]) -> list[str]:
    """Each board's tick event as JSON text, in order, with its events."""
    if not ticked:
        return []
    with boards.lock:
        slots = np.fromiter((board.slot for board in ticked), dtype=np.int64, count=len(ticked))
        snakes = (slots[:, None] * SEATS + _SEAT_OFFSETS[None, :]).ravel()
        head_x = boards.head_x[snakes].tolist()
        head_y = boards.head_y[snakes].tolist()
        direction = boards.direction[snakes].tolist()
        alive = boards.alive[snakes].tolist()
        score = boards.score[snakes].tolist()
        length = boards.length[snakes].tolist()
        texts = []
        for position, board in enumerate(ticked):
            first = position * SEATS
            changes = board.changes
            players = []
            for seat, name in enumerate(board.names):
                snake = first + seat
                player = {
                    "username": name,
                    "head": [head_x[snake], head_y[snake]] if length[snake] else None,
                    "direction": DIRECTION_NAMES[direction[snake]],
                    "alive": alive[snake],
                    "score": score[snake],
                    "length": length[snake],
                }
                if changes.spawned and name in changes.spawned:
                    player["body"] = boards.body(board.slot * SEATS + seat)
                players.append(player)
            tick = {"type": "tick", "tick": board.tick, "countdown": max(0, board.moving_from - board.tick), "players": players}
            if changes.food_removed:
                tick["food_removed"] = changes.food_removed
            if changes.food_added:
                tick["food_added"] = changes.food_added
            tick["events"] = events[position]
            texts.append(orjson.dumps(tick).decode())
        return texts


def result(boards: SnakeBoards, board: Board) -> dict | None:
    """rules.result of the board."""
    if not board.over:
        return None
    first = board.slot * SEATS
    scores = {name: int(boards.score[first + seat]) for seat, name in enumerate(board.names)}
    return {"winner": board.winner, "reason": board.end_reason, "scores": scores}

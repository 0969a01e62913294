"""rules.step for many boards at once (boards.py holds them).

On most ticks of most boards nothing happens but every live snake moving one cell into an empty
cell, some of them onto food. Those boards move together, in a few array operations over all
their snakes, and only the snakes that ate take a line of Python each. A board where anything
else may happen (a snake dies or meets another, a player joins, respawns or leaves, the
countdown runs, food is short) goes through the reference rules (rules.step on its SnakeState)
and back. Both give the same boards and events, tick for tick (tests/rules/test_snake_boards.py).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from engine.games.snake import rules
from engine.games.snake.boards import CELLS, DIRECTION_INDEX, SEATS, STEP_X, STEP_Y, STRIDE, Board, SnakeBoards

Intent = tuple[str, dict]
# What a tick that only moved changed besides the moves: nothing. Shared, never changed (rules.step
# starts from a new one).
NO_CHANGES = rules.TickChanges()
# The snake slots of one board, as offsets from its first.
_SEAT_OFFSETS = np.arange(SEATS, dtype=np.int64)


def validate_intent(boards: SnakeBoards, board: Board, player: str, intent: dict) -> str | None:
    """rules.validate_intent, read from the arrays."""
    seat = board.seat_of.get(player) if isinstance(player, str) else None
    return rules.intent_refusal(
        intent,
        player=player,
        over=board.over,
        arena=board.config.arena,
        full=len(board.seat_of) >= board.config.max_players,
        present=seat is not None,
        alive=seat is not None and boards.alive.item(board.slot * SEATS + seat),
    )


def step_boards(
    boards: SnakeBoards, turns: Sequence[tuple[Board, Sequence[Intent], random.Random]]
) -> list[list[dict] | Exception]:
    """Advances each board one tick with its intents, as rules.step would; returns each board's
    events (or what the rules raised, the board left as it was), in the order of `turns`."""
    events: list[list[dict] | Exception] = [[] for _ in turns]
    with boards.lock:
        usual = [index for index, (board, intents, _) in enumerate(turns) if _turn_directions(boards, board, intents)]
        moved = _move_usual(boards, [turns[index][0] for index in usual], [turns[index][2] for index in usual])
        for position, happened in moved.items():
            events[usual[position]] = happened
        unusual = set(range(len(turns))) - {usual[position] for position in moved}
        for index in sorted(unusual):
            board, intents, rng = turns[index]
            try:
                state = boards.to_state(board)
                events[index] = rules.step(state, intents, rng)
                boards.load(board, state)
            except Exception as error:  # a bug in one game's tick ends that game, not the others
                events[index] = error
    return events


def _turn_directions(boards: SnakeBoards, board: Board, intents: Sequence[Intent]) -> bool:
    """Applies a board's direction intents as rules.step would, if the tick may be a usual one
    (running, no countdown, no join, respawn or leave); False if it may not. The intents the rules
    refuse are skipped, as rules.step skips them. Turning twice gives what turning once does, so
    rules.step may apply the turns again."""
    if board.over or board.tick < board.moving_from:
        return False
    for player, intent in intents:
        if validate_intent(boards, board, player, intent) is not None:
            continue
        if intent["type"] != "direction":
            return False  # a join, respawn or leave
        snake = board.slot * SEATS + board.seat_of[player]
        dx, dy = rules.DIRECTIONS[intent["direction"]]
        if boards.length.item(snake) > 1:
            # Onto its own neck: ignored, as in the rules.
            neck = boards.ring.item(snake, (boards.ring_head.item(snake) - 1) % boards.ring_size)
            if neck == (boards.head_y.item(snake) + dy) * STRIDE + boards.head_x.item(snake) + dx:
                continue
        boards.direction[snake] = DIRECTION_INDEX[intent["direction"]]
    return True


def _move_usual(boards: SnakeBoards, candidates: list[Board], rngs: list[random.Random]) -> dict[int, list[dict]]:
    """Moves every snake of the candidate boards on which nothing happens this tick but moving
    and eating; returns the events of the boards it moved, by position in `candidates`."""
    if not candidates:
        return {}
    slots = np.fromiter((board.slot for board in candidates), dtype=np.int64, count=len(candidates))
    seats = slots[:, None] * SEATS + _SEAT_OFFSETS[None, :]
    alive = boards.alive[seats]
    # Food is topped up after a snake eats or joins: a board short of it is full, not usual.
    food = np.fromiter((len(board.food) for board in candidates), dtype=np.int64, count=len(candidates))
    unusual = food < 1 + alive.sum(axis=1) // 2

    owner = np.nonzero(alive)[0]  # the candidate each live snake belongs to
    snakes = seats[alive]
    direction = boards.direction[snakes]
    x = boards.head_x[snakes] + STEP_X[direction]
    y = boards.head_y[snakes] + STEP_Y[direction]
    board_slot = slots[owner]
    inside = (x >= 0) & (x < boards.width[board_slot]) & (y >= 0) & (y < boards.height[board_slot])
    cell = np.where(inside, y * STRIDE + x, 0)
    flat = board_slot * CELLS + cell
    # Into a wall or any segment (a tail leaving this tick included), or two heads into one cell:
    # the rules decide who dies.
    blocked = ~inside | (boards.occupancy.ravel()[flat] != 0)
    by_cell = np.argsort(flat)
    blocked[by_cell[1:][flat[by_cell][1:] == flat[by_cell][:-1]]] = True
    eats = boards.food_at.ravel()[flat] & ~blocked
    # A body as long as the ring needs a larger ring first: the rules' path makes it.
    blocked |= eats & (boards.length[snakes] >= boards.ring_size)
    unusual[owner[blocked]] = True

    moving = ~unusual[owner]
    snakes, cell, flat, board_slot, eats = snakes[moving], cell[moving], flat[moving], board_slot[moving], eats[moving]
    ring_size = boards.ring_size
    head_at = boards.ring_head[snakes]
    length = boards.length[snakes]
    leaving = ~eats  # a snake that eats keeps its tail: that is how it grows
    tail = boards.ring[snakes[leaving], (head_at[leaving] - length[leaving] + 1) % ring_size]
    occupancy = boards.occupancy.ravel()
    # Every cell holds one segment at most between ticks, so the tails are distinct cells.
    occupancy[board_slot[leaving] * CELLS + tail] -= 1
    occupancy[flat] = 1
    head_at = (head_at + 1) % ring_size
    boards.ring[snakes, head_at] = cell
    boards.ring_head[snakes] = head_at
    boards.head_x[snakes] = x[moving]
    boards.head_y[snakes] = y[moving]
    eaters = snakes[eats]
    boards.length[eaters] += 1
    boards.score[eaters] += 1
    boards.food_at.ravel()[flat[eats]] = False

    events: dict[int, list[dict]] = {}
    for position in np.nonzero(~unusual)[0].tolist():
        board = candidates[position]
        board.tick += 1
        board.changes = NO_CHANGES
        events[position] = []
    fed = owner[moving][eats].tolist()
    for position in set(fed):
        candidates[position].changes = rules.TickChanges()
    for position, snake, at in zip(fed, eaters.tolist(), cell[eats].tolist(), strict=True):
        board = candidates[position]
        _eat(board, board.names[snake % SEATS], (at % STRIDE, at // STRIDE), events[position])
    for position in set(fed):
        _top_up_food(boards, candidates[position], rngs[position])
    return events


def _eat(board: Board, player: str | None, at: rules.Cell, events: list[dict]) -> None:
    board.food.remove(at)
    board.changes.food_removed.append(at)
    events.append({"kind": "ate", "player": player, "at": list(at)})


def _top_up_food(boards: SnakeBoards, board: Board, rng: random.Random) -> None:
    config, slot = board.config, board.slot
    alive = int(np.count_nonzero(boards.alive[slot * SEATS : (slot + 1) * SEATS]))
    missing = 1 + alive // 2 - len(board.food)
    if missing <= 0:
        return
    grid = boards.occupancy[slot].reshape(-1, STRIDE)[: config.height, : config.width]
    added = rules.place_food(grid, board.food, missing, rng)
    for x, y in added:
        boards.food_at[slot, y * STRIDE + x] = True
    board.food.extend(added)
    board.changes.food_added = added

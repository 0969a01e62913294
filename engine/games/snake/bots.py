"""Snake bots: the direction a computer-controlled snake asks for each tick.

Pure and cheap, to be called on the engine's tick thread: once per tick for each bot, before
`step`, whose answer is sent as that bot's direction intent. Nothing here changes the state.

Levels:

- easy: greedy for food (straight-line distance) and checks only the next cell against walls
  and bodies; one decision in EASY_MISTAKE_RATE is a random move, which may be fatal.
- medium: only moves that survive this tick (a tail that leaves frees its cell, unless its snake
  may eat); prefers moves with room ahead (a flood fill of up to half its length), then the
  nearest food in a straight line.
- hard: as medium, but it also stays off cells another head could enter this tick (a head-on
  kills both snakes, whatever their lengths) and floods as though those cells were taken; its
  flood fill counts body cells that will have left by the time it gets there, up to its whole
  length; and it heads for the food nearest by path (A*), not in a straight line.

The board is a flat list padded with a wall ring, so neighbours are index offsets and walls need
no bounds checks. Each cell holds the move on which it is free: 0 for an empty cell, k for a
segment that leaves on the k-th move from now (the tail leaves on the first), WALL for walls.
"""

from __future__ import annotations

import functools
import heapq
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from engine.games.effects import BOT_LEVELS
from engine.games.snake.rules import DIRECTIONS, Cell, Snake, SnakeState

LEVELS = BOT_LEVELS

EASY_MISTAKE_RATE = 0.2

# A hard bot's path search for food gives up after this many cells and falls back to straight-line
# distance: it bounds the cost of a decision when food is far or walled off. Hard's win rates against
# medium with 40 to 300 cells differed by no more than seed noise.
FOOD_SEARCH_CELLS = 64

# The free-on-move value of walls and of cells assumed taken: later than any search looks.
WALL = 1 << 30

_STRAIGHT_FIRST = {heading: (heading, *(other for other in DIRECTIONS if other != heading)) for heading in DIRECTIONS}


class _Move(NamedTuple):
    direction: str
    cell: int  # index into the padded board
    eats: bool


@dataclass(slots=True)
class _Board:
    """The padded board as seen by one snake, before this tick's moves; its own copy to mark up."""

    free_on_move: list[int]
    row: int  # padded width: the index offset of one step down
    offsets: Mapping[str, int]  # direction -> index offset of one step that way
    food: frozenset[int]
    food_distance: bytes  # per cell, the straight-line (Manhattan) distance to the nearest food
    head: int
    occupancy: np.ndarray  # the state's, unpadded


def choose_direction(state: SnakeState, player: str, level: str, rng: random.Random) -> str | None:
    """The direction `player`'s bot asks for this tick: None to keep going, and also when its
    snake is dead or every move is fatal.

    Call it with the state as the previous step() left it. Never the reversal onto the neck.
    Deterministic for a given state and rng; the state is not changed.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown bot level {level!r}")
    snake = state.snakes.get(player)
    if snake is None or not snake.alive or state.over:
        return None
    direction = _easy(state, snake, rng) if level == "easy" else _careful(state, snake, rng, cautious=level == "hard")
    return None if direction == snake.direction else direction


def random_direction(state: SnakeState, player: str, rng: random.Random) -> str | None:
    """A uniformly random move other than the reversal: the baseline the levels are measured against."""
    snake = state.snakes.get(player)
    if snake is None or not snake.alive or state.over:
        return None
    direction = rng.choice(_forward_directions(snake))
    return None if direction == snake.direction else direction


# --------------------------------------------------------------------------- levels


def _easy(state: SnakeState, snake: Snake, rng: random.Random) -> str:
    directions = _forward_directions(snake)
    if rng.random() < EASY_MISTAKE_RATE:
        return rng.choice(directions)
    width, height = state.config.width, state.config.height
    occupancy = state.occupancy
    head_x, head_y = snake.body[0]
    scored = []
    for direction in directions:
        dx, dy = DIRECTIONS[direction]
        x, y = head_x + dx, head_y + dy
        if 0 <= x < width and 0 <= y < height and occupancy.item(y, x) == 0:
            distance = min((abs(x - food_x) + abs(y - food_y) for food_x, food_y in state.food), default=0)
            scored.append((distance, direction))
    if not scored:
        return rng.choice(directions)
    nearest = min(distance for distance, _ in scored)
    return _pick(snake, [direction for distance, direction in scored if distance == nearest], rng)


def _careful(state: SnakeState, snake: Snake, rng: random.Random, *, cautious: bool) -> str | None:
    """medium (cautious=False) and hard (cautious=True); None when every move is fatal."""
    board = _build_board(state, snake)
    moves = [move for move in _forward_moves(board, snake) if board.free_on_move[move.cell] <= 1]
    if not moves:
        return None
    length = len(snake.body)
    area_cap = length if cautious else max(2, length // 2)
    risks = _head_on_risks(board, state, snake) if cautious else {}
    _assume_taken(board, risks)
    areas = _areas(board, moves, area_cap, timed=cautious)
    # Room first: a cramped move dies later but surely, a head-on only perhaps; then the larger area.
    ranks = {move: (areas[move] >= area_cap, -risks.get(move.cell, 0), areas[move]) for move in moves}
    best_rank = max(ranks.values())
    best = [move for move in moves if ranks[move] == best_rank]
    if len(best) > 1:
        found = _nearest_food_by_path(board, best) if cautious else []
        best = found or _nearest_food_in_line(board, best)
    return _pick(snake, [move.direction for move in best], rng)


def _pick(snake: Snake, directions: list[str], rng: random.Random) -> str:
    """Keep going straight when that is among the best, so bots do not zigzag for nothing."""
    if snake.direction in directions:
        return snake.direction
    return rng.choice(directions)


# --------------------------------------------------------------------------- board


@functools.lru_cache(maxsize=16)
def _walled_board(width: int, height: int) -> tuple[int, ...]:
    row = width + 2
    return tuple(
        WALL if x in (0, row - 1) or y in (0, height + 1) else 0 for y in range(height + 2) for x in range(row)
    )


@functools.lru_cache(maxsize=16)
def _offsets(row: int) -> Mapping[str, int]:
    return {direction: dy * row + dx for direction, (dx, dy) in DIRECTIONS.items()}


@functools.lru_cache(maxsize=1024)
def _food_distances(width: int, height: int, food: tuple[Cell, ...]) -> bytes:
    """The padded board's straight-line distance to the nearest food, one byte per cell (0 with no
    food). Food moves only when eaten, so every bot of a game reuses this for many ticks; 1,024
    boards take under a megabyte."""
    if not food:
        return bytes((height + 2) * (width + 2))
    rows, columns = np.indices((height + 2, width + 2))
    nearest = np.full_like(rows, WALL)
    for x, y in food:
        np.minimum(nearest, np.abs(rows - y - 1) + np.abs(columns - x - 1), out=nearest)
    return nearest.astype(np.uint8).tobytes()


def _build_board(state: SnakeState, me: Snake) -> _Board:
    width = state.config.width
    row = width + 2
    food = frozenset((y + 1) * row + x + 1 for x, y in state.food)
    free_on_move = list(_walled_board(width, state.config.height))
    for snake in state.snakes.values():
        if not snake.alive:
            continue
        # A snake that eats keeps its tail. Whether another snake eats this tick is unknown, so
        # one with food beside its head is assumed to; this one eats only on a food move, which
        # never enters its own tail, so its own segments are timed as if it does not.
        delay = 1 if snake is not me and _may_eat(snake, food, row) else 0
        on_move = len(snake.body) + delay
        for x, y in snake.body:  # head first: the head leaves last
            free_on_move[(y + 1) * row + x + 1] = on_move
            on_move -= 1
    food_distance = _food_distances(width, state.config.height, tuple(state.food))
    head = _index(me.body[0], row)
    return _Board(free_on_move, row, _offsets(row), food, food_distance, head, state.occupancy)


def _may_eat(snake: Snake, food: frozenset[int], row: int) -> bool:
    if not food:
        return False
    head = _index(snake.body[0], row)
    return head - row in food or head + row in food or head - 1 in food or head + 1 in food


def _forward_directions(snake: Snake) -> list[str]:
    """Every direction but the one onto the neck (which step() would ignore anyway), straight ahead first."""
    head_x, head_y = snake.body[0]
    neck = snake.body[1] if len(snake.body) > 1 else None
    return [
        direction
        for direction in _STRAIGHT_FIRST[snake.direction]
        if (head_x + DIRECTIONS[direction][0], head_y + DIRECTIONS[direction][1]) != neck
    ]


def _forward_moves(board: _Board, snake: Snake) -> list[_Move]:
    """Like _forward_directions, on the padded board."""
    head = board.head
    neck = _index(snake.body[1], board.row) if len(snake.body) > 1 else None
    moves = []
    for direction in _STRAIGHT_FIRST[snake.direction]:
        cell = head + board.offsets[direction]
        if cell != neck:
            moves.append(_Move(direction, cell, cell in board.food))
    return moves


def _head_on_risks(board: _Board, state: SnakeState, me: Snake) -> dict[int, int]:
    """Cells another live head can safely enter this tick -> how likely that is (straight ahead
    counts double: snakes mostly keep going). Entering one of them too risks a head-on."""
    row, free_on_move = board.row, board.free_on_move
    risks: dict[int, int] = {}
    for snake in state.snakes.values():
        if snake is me or not snake.alive:
            continue
        head = _index(snake.body[0], row)
        neck = _index(snake.body[1], row) if len(snake.body) > 1 else None
        for direction, offset in board.offsets.items():
            cell = head + offset
            if cell != neck and free_on_move[cell] <= 1:
                risks[cell] = risks.get(cell, 0) + (2 if direction == snake.direction else 1)
    return risks


def _assume_taken(board: _Board, cells: Iterable[int]) -> None:
    """Block these cells for the searches that follow, as though another head entered them."""
    for cell in cells:
        board.free_on_move[cell] = WALL


def _index(cell: Cell, row: int) -> int:
    x, y = cell
    return (y + 1) * row + x + 1


# --------------------------------------------------------------------------- searches


def _areas(board: _Board, moves: list[_Move], cap: int, *, timed: bool) -> dict[_Move, int]:
    """Each move's reachable area, counted up to `cap`. Moves whose cells one search reaches share
    its count: they open onto the same region (give or take the cell the snake enters)."""
    areas: dict[_Move, int] = {}
    searches: list[tuple[set[int], int]] = []
    for move in moves:
        shared = next((area for seen, area in searches if move.cell in seen), None)
        if shared is None:
            seen = _reachable_cells(board, move, cap, timed=timed)
            shared = len(seen)
            searches.append((seen, shared))
        areas[move] = shared
    return areas


def _reachable_cells(board: _Board, move: _Move, cap: int, *, timed: bool) -> set[int]:
    """Cells reachable from the move's cell, breadth first, until `cap` of them are found.

    timed: a body cell counts once the search reaches it on or after the move it frees up on;
    otherwise only cells free after this tick count. Growing on a food move delays every segment
    by one move: exact for the snake's own, cautious for the others.
    """
    free_on_move, row = board.free_on_move, board.row
    growth = 1 if move.eats else 0
    seen = {move.cell}
    frontier = [move.cell]
    arrival = 1  # the move on which the snake would enter the frontier's cells
    while frontier:
        arrival += 1
        latest_free = arrival - growth if timed else 1
        next_frontier = []
        for cell in frontier:
            for neighbour in (cell - row, cell + row, cell - 1, cell + 1):
                if neighbour not in seen and free_on_move[neighbour] <= latest_free:
                    seen.add(neighbour)
                    if len(seen) >= cap:
                        return seen
                    next_frontier.append(neighbour)
        frontier = next_frontier
    return seen


def _nearest_food_by_path(board: _Board, moves: list[_Move]) -> list[_Move]:
    """The moves that start a shortest path to food, crossing only cells free after this tick;
    empty if none is found within FOOD_SEARCH_CELLS cells."""
    if not board.food:
        return []
    return (
        [move for move in moves if move.eats]
        or _moves_into_clear_rectangle(board, moves)
        or _first_move_of_a_shortest_path(board, moves)
    )


def _moves_into_clear_rectangle(board: _Board, moves: list[_Move]) -> list[_Move]:
    """When no snake lies in the rectangle spanned by the head and the food nearest in a straight
    line, any move into that rectangle starts a shortest path (a staircase inside it): the common
    case, answered without a search. Empty otherwise."""
    row = board.row
    head_y, head_x = divmod(board.head, row)
    food_y, food_x = min(
        (divmod(cell, row) for cell in board.food), key=lambda food: abs(food[0] - head_y) + abs(food[1] - head_x)
    )
    top, bottom = sorted((head_y, food_y))
    left, right = sorted((head_x, food_x))
    # Padded rows and columns are one more than the occupancy's; the head is the one segment allowed.
    if np.count_nonzero(board.occupancy[top - 1 : bottom, left - 1 : right]) > 1:
        return []
    return [move for move in moves if top <= move.cell // row <= bottom and left <= move.cell % row <= right]


def _first_move_of_a_shortest_path(board: _Board, moves: list[_Move]) -> list[_Move]:
    """A* search with the straight-line distance to the nearest food as its estimate: on an open
    board it walks about the path's length instead of flooding a disc around the head."""
    free_on_move, row, food, estimate = board.free_on_move, board.row, board.food, board.food_distance

    # Entries: (steps + estimate, -steps, push order, cell, index of the first move). Among equal
    # totals the deepest goes first (it follows one path instead of widening), then the order of
    # `moves`, which lists straight ahead first.
    queue = [(1 + estimate[move.cell], -1, order, move.cell, order) for order, move in enumerate(moves)]
    heapq.heapify(queue)
    steps_to = {move.cell: 1 for move in moves}
    pushes = len(queue)
    while queue and len(steps_to) < FOOD_SEARCH_CELLS:
        _, negative_steps, _, cell, first = heapq.heappop(queue)
        steps = -negative_steps
        if steps > steps_to[cell]:
            continue  # a shorter way here was found after this entry was queued
        if cell in food:
            return [moves[first]]
        steps += 1
        for neighbour in (cell - row, cell + row, cell - 1, cell + 1):
            if free_on_move[neighbour] <= 1 and steps < steps_to.get(neighbour, WALL):
                steps_to[neighbour] = steps
                pushes += 1
                heapq.heappush(queue, (steps + estimate[neighbour], -steps, pushes, neighbour, first))
    return []


def _nearest_food_in_line(board: _Board, moves: list[_Move]) -> list[_Move]:
    """The moves whose cells are nearest to some food in straight-line (Manhattan) distance."""
    nearest = min(board.food_distance[move.cell] for move in moves)
    return [move for move in moves if board.food_distance[move.cell] == nearest]

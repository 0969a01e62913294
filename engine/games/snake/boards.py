"""Every Snake board of an engine process in numpy arrays, so that one tick moves them all at once.

What a tick touches lies in arrays indexed by board slot (occupancy and food cells, laid out 64
cells wide whatever the board's width) and by snake slot, eight per board (head, direction,
alive, length, score, and the body as a ring of cells whose head is at `ring_head`). What changes
rarely lies in the board's `Board`: names, food in the order placed, tick and result.

rules.py stays the reference: `to_state` gives a board as a rules.SnakeState and `load` takes one
back. board_step.py ticks many boards together and hands the unusual ones to rules.step through
them; tests/rules/test_snake_boards.py plays games both ways and compares them tick for tick.

Pure Python and numpy, like the rules.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field

import numpy as np

from engine.games.snake import rules

# Cells of a board row in the arrays: the widest board allowed (rules._INT_SETTING_RANGES).
STRIDE = 64
CELLS = STRIDE * 64
# Snake slots per board: the most players a board may have.
SEATS = 8
DIRECTION_NAMES = tuple(rules.DIRECTIONS)
DIRECTION_INDEX = {name: index for index, name in enumerate(DIRECTION_NAMES)}
STEP_X = np.array([dx for dx, _ in rules.DIRECTIONS.values()], dtype=np.int32)
STEP_Y = np.array([dy for _, dy in rules.DIRECTIONS.values()], dtype=np.int32)


@dataclass(eq=False)
class Board:
    """One game's board: its slot in the arrays and what the arrays do not hold."""

    slot: int
    config: rules.SnakeConfig
    tick: int = 0
    food: list[rules.Cell] = field(default_factory=list)  # in the order placed, as the rules keep it
    over: bool = False
    winner: str | None = None
    end_reason: str | None = None
    changes: rules.TickChanges = field(default_factory=rules.TickChanges)
    # The players in the order they joined (the rules' order), and each one's snake slot: the
    # slots follow that order (0, 1, ...), so array order is join order.
    names: list[str] = field(default_factory=list)
    seat_of: dict[str, int] = field(default_factory=dict)
    death_causes: list[str | None] = field(default_factory=lambda: [None] * SEATS)
    # The tick from which snakes move: an arena has no countdown.
    moving_from: int = field(init=False)

    def __post_init__(self) -> None:
        self.moving_from = 0 if self.config.arena else self.config.countdown_ticks


class SnakeBoards:
    """The arrays of every open board. One lock guards them: several engines may share a process
    (tests, embedded mode), and a growing array is replaced."""

    occupancy: np.ndarray  # (board, cell): segments in the cell
    food_at: np.ndarray  # (board, cell)
    width: np.ndarray  # (board,)
    height: np.ndarray
    head_x: np.ndarray  # (snake,): board * SEATS + seat
    head_y: np.ndarray
    direction: np.ndarray  # index in DIRECTION_NAMES
    alive: np.ndarray
    length: np.ndarray
    score: np.ndarray
    ring: np.ndarray  # (snake, ring_size): the body's cells, the head at ring_head, the tail before it
    ring_head: np.ndarray

    def __init__(self, games: int = 64, ring: int = 64) -> None:
        self.lock = threading.RLock()
        self.boards: list[Board | None] = []
        self._free: list[int] = []
        self.ring_size = 0
        self._games = 0
        self._grow(games, ring)

    # -- storage --------------------------------------------------------------------------

    def _grow(self, games: int, ring: int) -> None:
        """Makes room for `games` boards and bodies of `ring` cells, keeping what is there."""
        old_games, old_ring = self._games, self.ring_size
        snakes = games * SEATS

        def grown(name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
            array: np.ndarray = np.zeros(shape, dtype=dtype)
            if old_games:
                old = getattr(self, name)
                array[tuple(slice(0, size) for size in old.shape)] = old
            return array

        self.occupancy = grown("occupancy", (games, CELLS), np.int16)
        self.food_at = grown("food_at", (games, CELLS), np.bool_)
        self.width = grown("width", (games,), np.int32)
        self.height = grown("height", (games,), np.int32)
        self.head_x = grown("head_x", (snakes,), np.int32)
        self.head_y = grown("head_y", (snakes,), np.int32)
        self.direction = grown("direction", (snakes,), np.int8)
        self.alive = grown("alive", (snakes,), np.bool_)
        self.length = grown("length", (snakes,), np.int32)
        self.score = grown("score", (snakes,), np.int32)
        if ring != old_ring and old_games:
            # Unroll each body so that its head sits at the end of the old ring's span.
            rolled = (self.ring_head[:, None] + 1 + np.arange(old_ring)[None, :]) % old_ring
            unrolled = np.take_along_axis(self.ring, rolled, axis=1)
            self.ring = np.zeros((old_games * SEATS, ring), dtype=np.int32)
            self.ring[:, :old_ring] = unrolled
            self.ring_head = np.full(old_games * SEATS, old_ring - 1, dtype=np.int32)
        self.ring = grown("ring", (snakes, ring), np.int32)
        self.ring_head = grown("ring_head", (snakes,), np.int32)
        self.boards.extend([None] * (games - old_games))
        self._free.extend(range(games - 1, old_games - 1, -1))
        self._games, self.ring_size = games, ring

    def open(self, state: rules.SnakeState) -> Board:
        """A board for a game, starting from `state`."""
        with self.lock:
            if not self._free:
                self._grow(self._games * 2, self.ring_size)
            slot = self._free.pop()
            board = Board(slot=slot, config=state.config)
            self.boards[slot] = board
            self.width[slot], self.height[slot] = state.config.width, state.config.height
            self.load(board, state)
            return board

    def close(self, board: Board) -> None:
        with self.lock:
            if self.boards[board.slot] is not board:
                return
            slot = board.slot
            self.boards[slot] = None
            self.occupancy[slot] = 0
            self.food_at[slot] = False
            snakes = slice(slot * SEATS, (slot + 1) * SEATS)
            self.alive[snakes] = False
            self.length[snakes] = 0
            self._free.append(slot)

    # -- to and from the rules' state ---------------------------------------------------------

    def body(self, snake: int) -> list[rules.Cell]:
        """A snake's cells, head first."""
        length = int(self.length[snake])
        head_at = int(self.ring_head[snake])
        ring = self.ring[snake]
        if length <= head_at + 1:
            cells = ring[head_at - length + 1 : head_at + 1].tolist()
        else:  # wrapped round the ring's end
            cells = ring[head_at - length + 1 + self.ring_size :].tolist() + ring[: head_at + 1].tolist()
        return [(cell % STRIDE, cell // STRIDE) for cell in reversed(cells)]

    def to_state(self, board: Board) -> rules.SnakeState:
        """The board as the rules hold it (a copy: changing it changes nothing here)."""
        with self.lock:
            config, slot = board.config, board.slot
            grid = self.occupancy[slot].reshape(-1, STRIDE)[: config.height, : config.width].copy()
            snakes = {}
            for seat, name in enumerate(board.names):
                snake = slot * SEATS + seat
                snakes[name] = rules.Snake(
                    player=name,
                    body=collections.deque(self.body(snake)),
                    direction=DIRECTION_NAMES[self.direction[snake]],
                    alive=bool(self.alive[snake]),
                    score=int(self.score[snake]),
                    death_cause=board.death_causes[seat],
                )
            return rules.SnakeState(
                config=config,
                tick=board.tick,
                snakes=snakes,
                food=list(board.food),
                occupancy=grid,
                over=board.over,
                winner=board.winner,
                end_reason=board.end_reason,
                changes=board.changes,
            )

    def load(self, board: Board, state: rules.SnakeState) -> None:
        """Writes `state` (of this board's game) into the arrays."""
        with self.lock:
            longest = max((len(snake.body) for snake in state.snakes.values()), default=0)
            if longest > self.ring_size:
                self._grow(self._games, max(longest, self.ring_size * 2))
            config, slot = board.config, board.slot
            self._seat(board, list(state.snakes))
            for name, snake in state.snakes.items():
                seat = board.seat_of[name]
                index = slot * SEATS + seat
                body = snake.body
                if body:
                    self.ring[index, : len(body)] = [y * STRIDE + x for x, y in reversed(body)]
                    self.head_x[index], self.head_y[index] = body[0]
                self.ring_head[index] = len(body) - 1 if body else 0
                self.length[index] = len(body)
                self.direction[index] = DIRECTION_INDEX[snake.direction]
                self.alive[index] = snake.alive
                self.score[index] = snake.score
                board.death_causes[seat] = snake.death_cause
            grid = self.occupancy[slot].reshape(-1, STRIDE)
            grid[: config.height, : config.width] = state.occupancy
            food_at = self.food_at[slot]
            for x, y in board.food:
                food_at[y * STRIDE + x] = False
            for x, y in state.food:
                food_at[y * STRIDE + x] = True
            board.food = list(state.food)
            board.tick = state.tick
            board.over, board.winner, board.end_reason = state.over, state.winner, state.end_reason
            board.changes = state.changes

    def _seat(self, board: Board, players: list[str]) -> None:
        """Gives the players the board's first snake slots, in join order, and empties the rest."""
        board.names = players
        board.seat_of = {name: seat for seat, name in enumerate(players)}
        empty = slice(board.slot * SEATS + len(players), (board.slot + 1) * SEATS)
        self.alive[empty] = False
        self.length[empty] = 0


# The boards of this process's engines.
BOARDS = SnakeBoards()

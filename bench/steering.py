"""How the end-to-end bench's bot clients steer: to stay alive on late state and late turns.

Under load a tick reaches the client late and a turn reaches the engine late, so a turn decided
on tick T takes effect some ticks after T + 1, and the snake goes straight meanwhile. The bots
measure that delay (`TurnDelay`: ticks from the tick a turn was decided on to the first tick
that shows it), move their head that far ahead in their direction before choosing, and keep a
margin from walls, bodies and other heads. They steer clear of food, so snakes stay short: a
snake of at most 4 cells cannot run into itself, and the board stays open. The point is games
that stay live through the measured window, with the turns a player would send, not good play.
"""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass

Cell = tuple[int, int]

DIRECTIONS = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}
OPPOSITE = {"UP": "DOWN", "DOWN": "UP", "LEFT": "RIGHT", "RIGHT": "LEFT"}
ROOM_CAP = 16  # cells a flood fill counts: plenty for a snake kept short
WALL_MARGIN = 3  # cells from a wall below which open space is not "calm"


class TurnDelay:
    """Ticks from the tick a turn was decided on to the first tick that shows it applied, over
    the client's recent turns (all bots share the same path, so they share the estimate)."""

    def __init__(self, initial: int = 2, keep: int = 300) -> None:
        self.recent: collections.deque[int] = collections.deque(maxlen=keep)
        self.lead = initial
        self._since_update = 0

    def observe(self, ticks: int) -> None:
        self.recent.append(ticks)
        self._since_update += 1
        if self._since_update >= 25:  # a p90 over a few hundred values, now and then
            self._since_update = 0
            ordered = sorted(self.recent)
            self.lead = max(1, min(10, ordered[int(0.9 * (len(ordered) - 1))]))


@dataclass
class Board:
    """One snake's view of a board (a gameState with the ticks applied), ready to test cells."""

    width: int
    height: int
    blocked: set[Cell]
    food: set[Cell]
    head: Cell
    direction: str
    others_ahead: set[Cell]  # next to another head, or on its straight path for `lead` + 1 cells
    other_heads: list[Cell]

    def free(self, c: Cell) -> bool:
        return 0 <= c[0] < self.width and 0 <= c[1] < self.height and c not in self.blocked

    def edge(self, c: Cell) -> int:
        return min(c[0], c[1], self.width - 1 - c[0], self.height - 1 - c[1])

    def clearance(self, c: Cell, direction: str, cap: int = 6) -> int:
        dx, dy = DIRECTIONS[direction]
        run = 0
        while run < cap and self.free((c[0] + dx * (run + 1), c[1] + dy * (run + 1))):
            run += 1
        return run

    def room(self, c: Cell) -> int:
        seen, todo = {c}, [c]
        while todo and len(seen) < ROOM_CAP:
            x, y = todo.pop()
            for dx, dy in DIRECTIONS.values():
                n = (x + dx, y + dy)
                if n not in seen and self.free(n):
                    seen.add(n)
                    todo.append(n)
        return len(seen)


def read_board(board: dict, username: str, lead: int) -> Board | None:
    """The board as `username`'s snake sees it, or None when that snake is dead or absent."""
    me = None
    blocked: set[Cell] = set()
    others_ahead: set[Cell] = set()
    other_heads = []
    for player in board["players"]:
        if not player["alive"] or not player["body"]:
            continue
        blocked.update((x, y) for x, y in player["body"])
        if player["username"] == username:
            me = player
            continue
        hx, hy = player["head"]
        other_heads.append((hx, hy))
        others_ahead.update((hx + dx, hy + dy) for dx, dy in DIRECTIONS.values())
        dx, dy = DIRECTIONS[player["direction"]]
        others_ahead.update((hx + dx * k, hy + dy * k) for k in range(2, lead + 2))
    if me is None:
        return None
    return Board(
        width=board["width"],
        height=board["height"],
        blocked=blocked,
        food={(x, y) for x, y in board["food"]},
        head=tuple(me["head"]),
        direction=me["direction"],
        others_ahead=others_ahead,
        other_heads=other_heads,
    )


def landing_cells(view: Board, lead: int, countdown: int) -> list[Cell]:
    """Where the head may be when a turn sent now takes effect: from where it is (the turn is on
    time) to where it gets by going straight for `lead` - 1 ticks (the turn is as late as usual).
    Snakes stand still during the countdown; a blocked straight path ends the list."""
    dx, dy = DIRECTIONS[view.direction]
    cells = [view.head]
    for _ in range(max(0, lead - 1 - countdown)):
        ahead = (cells[-1][0] + dx, cells[-1][1] + dy)
        if not view.free(ahead):
            break
        cells.append(ahead)
    return cells


def near_other_heads(view: Board, cell: Cell, lead: int) -> bool:
    return any(abs(x - cell[0]) + abs(y - cell[1]) <= lead + 1 for x, y in view.other_heads)


def is_calm(view: Board, landings: list[Cell], lead: int) -> bool:
    dx, dy = DIRECTIONS[view.direction]
    origin = landings[-1]
    ahead = (origin[0] + dx, origin[1] + dy)
    return (
        view.clearance(origin, view.direction) >= 4
        and view.edge(origin) >= WALL_MARGIN
        and not any(c in view.others_ahead for c in (*landings[1:], ahead))
        and ahead not in view.food
        and not any(abs(x - origin[0]) + abs(y - origin[1]) <= lead + 4 for x, y in view.other_heads)
    )


def choose_direction(board: dict, username: str, lead: int, rng: random.Random, wander: float) -> str | None:
    """The direction to send now, or None to keep going. `lead`: ticks until a turn sent now
    usually takes effect (TurnDelay.lead); it must be safe however early it lands."""
    view = read_board(board, username, lead)
    if view is None:
        return None
    landings = landing_cells(view, lead, board["countdown"])
    wandering = rng.random() < wander
    if not wandering and is_calm(view, landings, lead):
        return None
    options = []
    for direction, (dx, dy) in DIRECTIONS.items():
        if direction == OPPOSITE[view.direction]:
            continue
        targets = [(x + dx, y + dy) for x, y in landings]
        if not all(view.free(c) for c in targets):
            continue
        cell = targets[-1]
        run = view.clearance(cell, direction)
        score = view.room(cell) + 2 * run + 3 * min(view.edge(cell), 4)
        score -= 15 * max(0, lead + 1 - run)  # the next turn, too, may take `lead` ticks to land
        score -= 40 * sum(c in view.others_ahead or near_other_heads(view, c, lead) for c in targets)
        score -= 6 if cell in view.food else 0  # short snakes cannot bite themselves
        score += rng.random() * (12 if wandering else 1)
        score += 1.5 if direction == view.direction else 0  # keep going when it is as good
        options.append((score, direction))
    if not options:
        return None
    best = max(options)[1]
    return None if best == view.direction else best

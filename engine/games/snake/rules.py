"""Multiplayer Snake rules.

Pure game logic: no I/O, no framework, no clock. The engine owns the tick loop and
calls `step` once per tick with the intents received since the previous tick.

Coordinates: x grows to the right, y grows downwards, (0, 0) is the top-left cell.
The occupancy grid is indexed [y, x] and holds the number of snake segments in
each cell; it is updated incrementally so collision and free-cell lookups never
need to rebuild the board.
"""

from __future__ import annotations

import collections
import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

Cell = tuple[int, int]

DIRECTIONS: dict[str, tuple[int, int]] = {
    "UP": (0, -1),
    "DOWN": (0, 1),
    "LEFT": (-1, 0),
    "RIGHT": (1, 0),
}
_DIRECTION_NAMES = tuple(DIRECTIONS)

# Every cell of a freshly spawned snake keeps this many cells between itself and each wall.
SPAWN_WALL_MARGIN = 2

# Random spawn attempts before enumerating every placement. On a roomy board a random
# attempt almost always succeeds, so enumeration (the slow path) only runs when crowded.
_SPAWN_RANDOM_ATTEMPTS = 64

# Inclusive ranges accepted for integer settings; min_players is further bounded by max_players.
_INT_SETTING_RANGES = {
    "width": (10, 64),
    "height": (10, 64),
    "min_players": (2, 8),
    "max_players": (2, 8),
    "start_length": (2, 6),
    "countdown_ticks": (0, 100),
    "seating_seconds": (0, 60),
}
_TICK_HZ_RANGE = (1.0, 30.0)


@dataclass(frozen=True)
class SnakeConfig:
    """Game settings. Every instance is validated, whether built directly or from settings."""

    width: int = 24
    height: int = 24
    arena: bool = False  # arena: players join/respawn at will, the game never ends
    min_players: int = 2  # matched games
    max_players: int = 8
    start_length: int = 3
    # A matched game waits at most this long for its people to connect before its countdown
    # starts (engine/games/snake/session.py): players matched under load may take a while.
    seating_seconds: int = 10
    # Ticks at the start of a matched game during which nothing moves. Ignored in arenas,
    # which have no common start.
    countdown_ticks: int = 30
    tick_hz: float = 10.0

    def __post_init__(self) -> None:
        low: float  # the integer settings' bounds, then tick_hz's
        high: float
        for name, (low, high) in _INT_SETTING_RANGES.items():
            value = getattr(self, name)
            # bool is a subclass of int, but true/false is never a meaningful size.
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value}")
        if self.min_players > self.max_players:
            raise ValueError(
                f"min_players ({self.min_players}) must not exceed max_players ({self.max_players})"
            )
        if not isinstance(self.arena, bool):
            raise ValueError(f"arena must be true or false, got {self.arena!r}")
        hz = self.tick_hz
        if not isinstance(hz, (int, float)) or isinstance(hz, bool) or not math.isfinite(hz):
            raise ValueError(f"tick_hz must be a number, got {hz!r}")
        low, high = _TICK_HZ_RANGE
        if not low <= hz <= high:
            raise ValueError(f"tick_hz must be between {low:g} and {high:g}, got {hz}")
        object.__setattr__(self, "tick_hz", float(hz))

    @classmethod
    def from_settings(cls, settings: dict) -> SnakeConfig:
        """Build a config from an untrusted dict (network/DB). Missing keys take defaults."""
        if not isinstance(settings, dict):
            raise ValueError("settings must be an object")
        known = {field.name for field in fields(cls)}
        unknown = sorted(str(key) for key in settings if key not in known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**settings)

    def to_settings(self) -> dict:
        return asdict(self)


@dataclass
class Snake:
    player: str
    body: collections.deque[Cell]  # head first; empty once dead
    direction: str
    alive: bool = True
    score: int = 0
    death_cause: str | None = None  # "wall", "self", "snake", "head_on"


@dataclass
class TickChanges:
    """What the last step changed besides each live snake's one-cell move and its own fields:
    what a tick must send beyond the heads for a client to rebuild the board (render_tick)."""

    spawned: set[str] = field(default_factory=set)  # players given a new body: arena joins and respawns
    food_removed: list[Cell] = field(default_factory=list)  # eaten, in the order eaten
    food_added: list[Cell] = field(default_factory=list)  # in the order appended to SnakeState.food


@dataclass
class SnakeState:
    config: SnakeConfig
    tick: int
    snakes: dict[str, Snake]  # insertion order = join order
    food: list[Cell]
    occupancy: np.ndarray  # shape (height, width), int16 count of snake segments per cell
    over: bool = False
    winner: str | None = None  # set when over (None = draw / no winner)
    end_reason: str | None = None  # "last_snake_standing", "all_died"
    changes: TickChanges = field(default_factory=TickChanges)  # of the last step only


# --------------------------------------------------------------------------- public API


def new_game(config: SnakeConfig, players: Sequence[str], rng: random.Random) -> SnakeState:
    """Place one snake per player (in order, positions drawn from rng) and the initial food.

    min_players is not enforced here (the matchmaker does that); a matched game needs at
    least one player, an arena may start empty. Raises ValueError when the players are
    invalid or the board has no room for all of them.
    """
    players = list(players)
    for player in players:
        if not isinstance(player, str) or not player:
            raise ValueError(f"player names must be non-empty strings, got {player!r}")
    if len(set(players)) != len(players):
        raise ValueError("duplicate player names")
    if len(players) > config.max_players:
        raise ValueError(f"too many players: {len(players)} > max_players {config.max_players}")
    if not players and not config.arena:
        raise ValueError("a matched game needs at least one player")

    state = SnakeState(
        config=config,
        tick=0,
        snakes={},
        food=[],
        occupancy=np.zeros((config.height, config.width), dtype=np.int16),
    )
    for player in players:
        body, direction = _find_spawn(state, rng)
        state.snakes[player] = Snake(player=player, body=body, direction=direction)
        _add_to_board(state.occupancy, body)
    _top_up_food(state, rng)
    return state


def step(state: SnakeState, intents: Sequence[tuple[str, dict]], rng: random.Random) -> list[dict]:
    """Advance one tick in place and return the events of this tick.

    Intents are applied in arrival order before anything moves; invalid ones (see
    validate_intent) are skipped silently because the caller reports them.
    """
    state.changes = TickChanges()
    if state.over:
        return []
    events: list[dict] = []
    for player, intent in intents:
        if validate_intent(state, player, intent) is None:
            _apply_intent(state, player, intent, rng, events)

    if _countdown_left(state) == 0:
        died = _move_snakes(state, events)
        if died and not state.config.arena:
            _check_end(state, died, events)
    state.changes.food_added = _top_up_food(state, rng)
    state.tick += 1
    return events


def validate_intent(state: SnakeState, player: str, intent: dict) -> str | None:
    """None if `intent` is acceptable for `player` now, else a short human-readable reason.

    A direction that reverses onto the neck is acceptable here: it is a normal race with
    the previous turn, and step() simply ignores it.
    """
    snake = state.snakes.get(player) if isinstance(player, str) else None
    return intent_refusal(
        intent,
        player=player,
        over=state.over,
        arena=state.config.arena,
        full=len(state.snakes) >= state.config.max_players,
        present=snake is not None,
        alive=snake is not None and snake.alive,
    )


def intent_refusal(
    intent: object, *, player: object, over: bool, arena: bool, full: bool, present: bool, alive: bool
) -> str | None:
    """validate_intent from what the board says of the player (a snake `present`, `alive`) and
    the game (`over`, `arena`, `full`): the one check, for the boards held in arrays too
    (board_step.py)."""
    if not isinstance(intent, dict):
        return "intent must be an object"
    if over:
        return "game is over"
    kind = intent.get("type")

    if kind == "direction":
        if not present:
            return "not a player of this game"
        direction = intent.get("direction")
        if not isinstance(direction, str) or direction not in DIRECTIONS:
            return "unknown direction"
        if not alive:
            return "your snake is not alive"
        return None
    if kind == "respawn":
        if not arena:
            return "respawn is only for arenas"
        if not present:
            if not isinstance(player, str) or not player:
                return "invalid player name"
            if full:
                return "arena is full"
            return None
        if alive:
            return "your snake is still alive"
        return None
    if kind == "leave":
        if not arena:
            return "leave is only for arenas"
        if not present:
            return "not a player of this game"
        return None
    return "unknown intent type"


def render(state: SnakeState) -> dict:
    """JSON-ready snapshot of the whole board: the board part of gameState (state.py)."""
    return {
        "tick": state.tick,
        "width": state.config.width,
        "height": state.config.height,
        "arena": state.config.arena,
        "countdown": _countdown_left(state),
        "players": [
            {
                "username": snake.player,
                "head": list(snake.body[0]) if snake.body else None,
                "body": [[x, y] for x, y in snake.body],
                "direction": snake.direction,
                "alive": snake.alive,
                "score": snake.score,
            }
            for snake in state.snakes.values()
        ],
        "food": [[x, y] for x, y in state.food],
    }


def render_tick(state: SnakeState) -> dict:
    """JSON-ready delta of the last step: what turns the board rendered before it into
    render(state) (apply_tick; docs/protocol.md, section 6, `tick`).

    Every player's head, direction, alive, score and body length, but a whole body only for a
    snake placed this tick: a live snake's body is otherwise its previous body with the new head
    in front, cut to its length. Food as the cells removed and added, each key only when
    non-empty: on most ticks nothing is eaten, and one eaten piece costs fewer bytes than the
    whole food list.
    """
    spawned = state.changes.spawned
    players = []
    for snake in state.snakes.values():
        body = snake.body
        player: dict[str, object] = {
            "username": snake.player,
            "head": list(body[0]) if body else None,
            "direction": snake.direction,
            "alive": snake.alive,
            "score": snake.score,
            "length": len(body),
        }
        if snake.player in spawned:
            player["body"] = [[x, y] for x, y in body]
        players.append(player)
    tick = {"tick": state.tick, "countdown": _countdown_left(state), "players": players}
    if state.changes.food_removed:
        tick["food_removed"] = [[x, y] for x, y in state.changes.food_removed]
    if state.changes.food_added:
        tick["food_added"] = [[x, y] for x, y in state.changes.food_added]
    return tick


def apply_tick(board: dict, tick: dict) -> dict | None:
    """The board after `tick`: render(state) rebuilt from the render before the step and the
    step's render_tick. None when the tick does not follow that board (a live snake without a
    body to move): the client then needs a fresh gameState. The reference for clients
    (static/js/snake-tick.js is the browser's)."""
    previous_bodies = {player["username"]: player["body"] for player in board["players"]}
    players = []
    for entry in tick["players"]:
        if "body" in entry:
            body = entry["body"]
        elif not entry["alive"]:
            body = []
        else:
            body = previous_bodies.get(entry["username"])
            if not body:
                return None
            # The head stays put only while the countdown holds every snake still.
            if body[0] != entry["head"]:
                body = [entry["head"], *body]
            body = body[: entry["length"]]
        players.append(
            {
                "username": entry["username"],
                "head": entry["head"],
                "body": body,
                "direction": entry["direction"],
                "alive": entry["alive"],
                "score": entry["score"],
            }
        )
    removed = tick.get("food_removed", [])
    food = [cell for cell in board["food"] if cell not in removed] + tick.get("food_added", [])
    return {**board, "tick": tick["tick"], "countdown": tick["countdown"], "players": players, "food": food}


def result(state: SnakeState) -> dict | None:
    if not state.over:
        return None
    return {
        "winner": state.winner,
        "reason": state.end_reason,
        "scores": {name: snake.score for name, snake in state.snakes.items()},
    }


# --------------------------------------------------------------------------- intents


def _apply_intent(
    state: SnakeState, player: str, intent: dict, rng: random.Random, events: list[dict]
) -> None:
    kind = intent["type"]
    if kind == "direction":
        snake = state.snakes[player]
        direction = intent["direction"]
        dx, dy = DIRECTIONS[direction]
        head_x, head_y = snake.body[0]
        # Checked against the neck rather than the current direction: two quick turns in
        # one tick (e.g. RIGHT -> DOWN -> LEFT) must not fold the snake back onto itself.
        if len(snake.body) > 1 and (head_x + dx, head_y + dy) == snake.body[1]:
            return
        snake.direction = direction
    elif kind == "respawn":
        _spawn_in_arena(state, player, rng, events)
    elif kind == "leave":
        snake = state.snakes.pop(player)
        _remove_from_board(state.occupancy, snake.body)
        events.append({"kind": "left", "player": player})


def _spawn_in_arena(state: SnakeState, player: str, rng: random.Random, events: list[dict]) -> None:
    try:
        body, direction = _find_spawn(state, rng)
    except ValueError:
        # A full board is a normal arena situation, not an error: the player may retry.
        events.append({"kind": "no_room", "player": player})
        return
    _add_to_board(state.occupancy, body)
    state.changes.spawned.add(player)
    snake = state.snakes.get(player)
    if snake is None:
        state.snakes[player] = Snake(player=player, body=body, direction=direction)
        events.append({"kind": "joined", "player": player})
        return
    # Score counts food eaten during the current life.
    snake.body = body
    snake.direction = direction
    snake.alive = True
    snake.score = 0
    snake.death_cause = None
    events.append({"kind": "respawned", "player": player})


# --------------------------------------------------------------------------- movement


def _move_snakes(state: SnakeState, events: list[dict]) -> list[Snake]:
    """Move every live snake one cell, resolve all deaths simultaneously, feed the survivors.

    Returns the snakes that died this tick.
    """
    width, height = state.config.width, state.config.height
    occupancy = state.occupancy
    food = state.food

    moves: list[tuple[Snake, Cell, Cell, bool]] = []  # (snake, old head, new head, eats)
    for snake in state.snakes.values():
        if snake.alive:
            dx, dy = DIRECTIONS[snake.direction]
            old_x, old_y = old_head = snake.body[0]
            new_head = (old_x + dx, old_y + dy)
            moves.append((snake, old_head, new_head, new_head in food))

    # Tails leave first, so a head may enter a cell vacated this very tick. A snake that
    # eats keeps its tail (that is how it grows), so that cell stays blocked.
    # Grid cells are read with item(), which returns a plain int several times faster
    # than numpy scalar indexing; this loop is the hot path of the server.
    for snake, _, _, eats in moves:
        if not eats:
            tail_x, tail_y = snake.body.pop()
            occupancy[tail_y, tail_x] = occupancy.item(tail_y, tail_x) - 1

    snakes_heading_to: dict[Cell, int] = {}
    for snake, _, new_head, _ in moves:
        x, y = new_head
        snakes_heading_to[new_head] = snakes_heading_to.get(new_head, 0) + 1
        if 0 <= x < width and 0 <= y < height:
            occupancy[y, x] = occupancy.item(y, x) + 1
            snake.body.appendleft(new_head)

    dead: list[tuple[Snake, str]] = []
    for snake, old_head, new_head, _ in moves:
        x, y = new_head
        if not (0 <= x < width and 0 <= y < height):
            cause = "wall"
        elif snakes_heading_to[new_head] > 1:
            cause = "head_on"
        elif occupancy.item(y, x) == 1:
            continue  # only this head is there
        elif any(other_old == new_head and other_new == old_head for _, other_old, other_new, _ in moves):
            cause = "head_on"  # swapped places with the snake whose head was at new_head
        else:
            # The cell holds this head plus exactly one older segment: whose is it?
            cause = "self" if new_head in itertools.islice(snake.body, 1, None) else "snake"
        dead.append((snake, cause))

    for snake, cause in dead:
        snake.alive = False
        snake.death_cause = cause
        _remove_from_board(occupancy, snake.body)
        snake.body.clear()
        events.append({"kind": "died", "player": snake.player, "cause": cause})

    for snake, _, new_head, eats in moves:
        if eats and snake.alive:
            snake.score += 1
            food.remove(new_head)
            state.changes.food_removed.append(new_head)
            events.append({"kind": "ate", "player": snake.player, "at": list(new_head)})

    return [snake for snake, _ in dead]


def _check_end(state: SnakeState, died_this_tick: list[Snake], events: list[dict]) -> None:
    """Called only after a tick with deaths, so a solo game (possible only if the caller
    bypassed min_players) ends exactly when its snake dies."""
    alive = [snake for snake in state.snakes.values() if snake.alive]
    if len(alive) > 1:
        return
    winner: str | None
    if alive:
        winner, reason = alive[0].player, "last_snake_standing"
    else:
        best = max(snake.score for snake in died_this_tick)
        leaders = [snake.player for snake in died_this_tick if snake.score == best]
        winner, reason = (leaders[0] if len(leaders) == 1 else None), "all_died"
    state.over = True
    state.winner = winner
    state.end_reason = reason
    events.append({"kind": "over", "winner": winner, "reason": reason})


def _countdown_left(state: SnakeState) -> int:
    if state.config.arena:
        return 0
    return max(0, state.config.countdown_ticks - state.tick)


# --------------------------------------------------------------------------- board helpers


def _add_to_board(occupancy: np.ndarray, cells: Iterable[Cell]) -> None:
    for x, y in cells:
        occupancy[y, x] += 1


def _remove_from_board(occupancy: np.ndarray, cells: Iterable[Cell]) -> None:
    for x, y in cells:
        occupancy[y, x] -= 1


def _food_target(state: SnakeState) -> int:
    alive = sum(1 for snake in state.snakes.values() if snake.alive)
    return 1 + alive // 2


def _top_up_food(state: SnakeState, rng: random.Random) -> list[Cell]:
    """Add food on uniformly random free cells until the target count is reached (or the board
    is full); returns the cells added."""
    missing = _food_target(state) - len(state.food)
    if missing <= 0:
        return []
    added = place_food(state.occupancy, state.food, missing, rng)
    state.food.extend(added)
    return added


def place_food(occupancy: np.ndarray, food: Sequence[Cell], count: int, rng: random.Random) -> list[Cell]:
    """`count` cells for new food (fewer if the board is fuller), drawn uniformly from the cells
    without a snake or food, in the order drawn. Boards held in arrays draw theirs here too
    (board_step.py), so both draw alike."""
    free = occupancy == 0
    for x, y in food:
        free[y, x] = False
    free_cells = np.flatnonzero(free)  # row-major indices: y * width + x
    width = occupancy.shape[1]
    added = []
    for choice in rng.sample(range(len(free_cells)), min(count, len(free_cells))):
        y, x = divmod(int(free_cells[choice]), width)
        added.append((x, y))
    return added


# --------------------------------------------------------------------------- spawning


def _find_spawn(state: SnakeState, rng: random.Random) -> tuple[collections.deque[Cell], str]:
    """Choose a straight body of start_length cells and a direction for a new snake.

    The choice is uniform over all valid placements (see _is_valid_spawn). Raises
    ValueError if there is none.
    """
    config = state.config
    low_x, high_x = SPAWN_WALL_MARGIN, config.width - 1 - SPAWN_WALL_MARGIN
    low_y, high_y = SPAWN_WALL_MARGIN, config.height - 1 - SPAWN_WALL_MARGIN
    # Never spawn on food, nor in the path just ahead of a live snake.
    forbidden_for_body = set(state.food) | _cells_ahead_of_live_heads(state)

    # Rejection sampling over (head, direction) is uniform over the valid placements,
    # exactly like the enumeration below, and far cheaper when the board is roomy.
    for _ in range(_SPAWN_RANDOM_ATTEMPTS):
        head = (rng.randint(low_x, high_x), rng.randint(low_y, high_y))
        direction = rng.choice(_DIRECTION_NAMES)
        if _is_valid_spawn(state, head, direction, forbidden_for_body):
            return _straight_body(head, direction, config.start_length), direction

    placements = [
        ((x, y), direction)
        for y in range(low_y, high_y + 1)
        for x in range(low_x, high_x + 1)
        for direction in _DIRECTION_NAMES
        if _is_valid_spawn(state, (x, y), direction, forbidden_for_body)
    ]
    if not placements:
        raise ValueError("no room on the board to place a snake")
    head, direction = rng.choice(placements)
    return _straight_body(head, direction, config.start_length), direction


def _is_valid_spawn(state: SnakeState, head: Cell, direction: str, forbidden_for_body: set[Cell]) -> bool:
    """A placement is valid when:

    - the whole body lies inside the wall margin, on empty cells, not on food and not just
      ahead of another live snake;
    - the head is the body end nearer the board centre (along the body's axis), so the
      snake faces the larger free side;
    - the start_length cells ahead of the head that are on the board hold no snake.
    The head itself is assumed to lie inside the wall margin.
    """
    config = state.config
    occupancy = state.occupancy
    length = config.start_length
    dx, dy = DIRECTIONS[direction]
    head_x, head_y = head
    tail_x, tail_y = head_x - dx * (length - 1), head_y - dy * (length - 1)

    # Sign of (centre - body midpoint) along the facing direction, in doubled coordinates.
    if dx * (config.width - 1 - head_x - tail_x) + dy * (config.height - 1 - head_y - tail_y) < 0:
        return False
    # The body is a straight segment, so head and tail inside the margin means all of it is.
    if not (
        SPAWN_WALL_MARGIN <= tail_x <= config.width - 1 - SPAWN_WALL_MARGIN
        and SPAWN_WALL_MARGIN <= tail_y <= config.height - 1 - SPAWN_WALL_MARGIN
    ):
        return False
    for i in range(length):
        x, y = head_x - dx * i, head_y - dy * i
        if occupancy.item(y, x) or (x, y) in forbidden_for_body:
            return False
    for i in range(1, length + 1):
        x, y = head_x + dx * i, head_y + dy * i
        if not (0 <= x < config.width and 0 <= y < config.height):
            break
        if occupancy.item(y, x):
            return False
    return True


def _cells_ahead_of_live_heads(state: SnakeState) -> set[Cell]:
    config = state.config
    cells: set[Cell] = set()
    for snake in state.snakes.values():
        if not snake.alive:
            continue
        dx, dy = DIRECTIONS[snake.direction]
        head_x, head_y = snake.body[0]
        for i in range(1, config.start_length + 1):
            x, y = head_x + dx * i, head_y + dy * i
            if 0 <= x < config.width and 0 <= y < config.height:
                cells.add((x, y))
    return cells


def _straight_body(head: Cell, direction: str, length: int) -> collections.deque[Cell]:
    dx, dy = DIRECTIONS[direction]
    head_x, head_y = head
    return collections.deque((head_x - dx * i, head_y - dy * i) for i in range(length))

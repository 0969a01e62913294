"""Seeded Snake games played by bots, recorded as a client sees them: the first full board
(render), then per tick the delta (render_tick) and the full board after it.

The property test in test_snake_ticks.py plays many of them; a few are kept as the JavaScript
client's fixture (tests/js/fixtures/snake-ticks.json), so both decoders are checked against the
same games. After a change to the rules or the tick format, write the fixture again with

    .venv/bin/python -m tests.rules.snake_tick_games
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.games.snake import bots
from engine.games.snake.rules import DIRECTIONS, SnakeConfig, SnakeState, new_game, render, render_tick, step

JS_FIXTURE = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "snake-ticks.json"


@dataclass(frozen=True)
class GameSpec:
    seed: int
    ticks: int
    width: int = 10
    height: int = 10
    arena: bool = False
    countdown_ticks: int = 0
    players: int = 4  # seated at the start (an arena's others join as it goes)
    churn: float = 0.0  # arena: per tick and player, the chance to join, respawn or leave
    turn_chance: float = 0.0  # per tick and live snake, the chance of a random turn (reversals too)


# The JavaScript fixture: a matched game through its countdown to its end, and two busy arenas.
JS_GAMES = (
    GameSpec(seed=11, ticks=30, countdown_ticks=3, players=4, turn_chance=0.2),
    GameSpec(seed=12, ticks=30, arena=True, players=2, churn=0.15, turn_chance=0.2),
    GameSpec(seed=13, ticks=30, width=12, height=10, arena=True, players=3, churn=0.1),
)

_ARENA_NAMES = ("ann", "bob", "cat", "dan", "eve", "fay")
_LEVELS = bots.LEVELS


def _json(value: dict) -> dict:
    """What a client holds: the message after the trip through JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def _intents(state: SnakeState, spec: GameSpec, chooser: random.Random) -> list[tuple[str, dict]]:
    intents: list[tuple[str, dict]] = []
    for index, (name, snake) in enumerate(state.snakes.items()):
        if snake.alive:
            direction = bots.choose_direction(state, name, _LEVELS[index % len(_LEVELS)], chooser)
            if chooser.random() < spec.turn_chance:
                direction = chooser.choice(list(DIRECTIONS))
            if direction is not None:
                intents.append((name, {"type": "direction", "direction": direction}))
    if spec.arena:
        for name in _ARENA_NAMES:
            if chooser.random() >= spec.churn:
                continue
            snake = state.snakes.get(name)
            # Present players mostly leave when dead; the absent and the dead (re)join.
            leaves = snake is not None and chooser.random() < (0.5 if not snake.alive else 0.1)
            intents.append((name, {"type": "leave" if leaves else "respawn"}))
    return intents


def play(spec: GameSpec) -> Iterator[tuple[SnakeState, list[dict]]]:
    """The game before its first tick (no events), then after each tick with that tick's events.
    The state is changed in place: render it before asking for the next tick."""
    config = SnakeConfig(
        width=spec.width, height=spec.height, arena=spec.arena, countdown_ticks=spec.countdown_ticks
    )
    rng, chooser = random.Random(spec.seed), random.Random(spec.seed + 1)
    names = list(_ARENA_NAMES[: spec.players]) if spec.arena else [f"p{i}" for i in range(spec.players)]
    state = new_game(config, names, rng)
    yield state, []
    for _ in range(spec.ticks):
        if state.over:
            return
        yield state, step(state, _intents(state, spec, chooser), rng)


def recording(spec: GameSpec) -> dict:
    """The first board, then each tick's delta and the board after it, all through JSON."""
    game = play(spec)
    first = _json(render(next(game)[0]))
    ticks, boards = [], []
    for state, _ in game:
        ticks.append(_json(render_tick(state)))
        boards.append(_json(render(state)))
    return {"first": first, "ticks": ticks, "boards": boards}


def js_fixture() -> dict:
    return {
        "about": "Written by `python -m tests.rules.snake_tick_games`: per game the first full board, "
        "then each tick's delta and the full board after it.",
        "games": [recording(spec) for spec in JS_GAMES],
    }


if __name__ == "__main__":
    JS_FIXTURE.parent.mkdir(exist_ok=True)
    JS_FIXTURE.write_text(json.dumps(js_fixture(), separators=(",", ":")) + "\n")
    print(f"wrote {JS_FIXTURE} ({JS_FIXTURE.stat().st_size} bytes)")

"""The boards in arrays (engine/games/snake/boards.py, board_step.py, board_render.py) against the
reference rules: many games of every shape played both ways side by side, ticked together,
compared tick for tick (events, tick deltas, whole boards, occupancy)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from engine.games.snake import rules
from engine.games.snake.board_render import encode_ticks, result
from engine.games.snake.board_step import step_boards, validate_intent
from engine.games.snake.boards import SnakeBoards
from tests.rules.snake_tick_games import GameSpec, _intents


def _specs(count: int, seed: int) -> list[GameSpec]:
    chooser = random.Random(seed)
    return [
        GameSpec(
            seed=chooser.randrange(2**32),
            ticks=0,
            width=chooser.choice([10, 12, 16, 24, 64]),
            height=chooser.choice([10, 13, 16, 24, 64]),
            arena=chooser.random() < 0.5,
            countdown_ticks=chooser.choice([0, 0, 3]),
            players=chooser.randint(2, 6),
            churn=chooser.choice([0.0, 0.05, 0.3]),
            turn_chance=chooser.choice([0.0, 0.1, 0.4]),
        )
        for _ in range(count)
    ]


class Pair:
    """One game played by the rules and on the boards, with the same draws."""

    def __init__(self, boards: SnakeBoards, spec: GameSpec) -> None:
        config = rules.SnakeConfig(width=spec.width, height=spec.height, arena=spec.arena, countdown_ticks=spec.countdown_ticks)
        names = (
            ["ann", "bob", "cat", "dan", "eve", "fay"][: spec.players] if spec.arena else [f"p{i}" for i in range(spec.players)]
        )
        self.spec = spec
        self.reference = rules.new_game(config, names, random.Random(spec.seed))
        self.board = boards.open(rules.new_game(config, names, random.Random(spec.seed)))
        self.reference_rng = random.Random(spec.seed + 7)
        self.board_rng = random.Random(spec.seed + 7)
        self.chooser = random.Random(spec.seed + 1)


def _same(boards: SnakeBoards, pair: Pair) -> None:
    mirrored = boards.to_state(pair.board)
    assert rules.render(mirrored) == rules.render(pair.reference)
    assert (mirrored.occupancy == pair.reference.occupancy).all()
    assert {name: snake.death_cause for name, snake in mirrored.snakes.items()} == {
        name: snake.death_cause for name, snake in pair.reference.snakes.items()
    }
    assert result(boards, pair.board) == rules.result(pair.reference)


@pytest.mark.parametrize("seed", range(6))
def test_boards_ticked_together_match_the_rules_tick_for_tick(seed: int) -> None:
    boards = SnakeBoards(games=4, ring=4)  # both grow as the games do
    pairs = [Pair(boards, spec) for spec in _specs(40, seed)]
    usual_ticks = 0
    for _ in range(150):
        live = [pair for pair in pairs if not pair.reference.over]
        if not live:
            break
        turns = []
        for pair in live:
            intents = _intents(pair.reference, pair.spec, pair.chooser)
            # Intents the rules refuse, which both must skip.
            intents.append(("nobody", {"type": "direction", "direction": "UP"}))
            intents.append(("ann", {"type": "jump"}))
            turns.append((pair, intents))
        expected = [rules.step(pair.reference, intents, pair.reference_rng) for pair, intents in turns]
        got = step_boards(boards, [(pair.board, intents, pair.board_rng) for pair, intents in turns])
        assert got == expected
        texts = encode_ticks(boards, [pair.board for pair in live], expected)
        sent = [
            {"type": "tick", **rules.render_tick(pair.reference), "events": events}
            for pair, events in zip(live, expected, strict=True)
        ]
        assert [json.loads(text) for text in texts] == json.loads(json.dumps(sent))
        usual_ticks += sum(1 for events in expected if not events)
        for pair in live:
            _same(boards, pair)
    assert usual_ticks > 1000  # most ticks took the array path


def test_intents_are_refused_with_the_rules_reasons() -> None:
    boards = SnakeBoards(games=2)
    arena = rules.new_game(rules.SnakeConfig(arena=True, max_players=2), ["ann"], random.Random(1))
    match = rules.new_game(rules.SnakeConfig(), ["ann", "bob"], random.Random(2))
    cases = [
        ("ann", {"type": "direction", "direction": "UP"}),
        ("ann", {"type": "direction", "direction": "NORTH"}),
        ("zed", {"type": "direction", "direction": "UP"}),
        ("ann", {"type": "respawn"}),
        ("zed", {"type": "respawn"}),
        ("", {"type": "respawn"}),
        ("ann", {"type": "leave"}),
        ("zed", {"type": "leave"}),
        ("ann", {"type": "fly"}),
        ("ann", "UP"),
    ]
    for state in (arena, match):
        board = boards.open(state)
        for player, intent in cases:
            assert validate_intent(boards, board, player, intent) == rules.validate_intent(state, player, intent)  # type: ignore[arg-type]


def test_a_closed_board_leaves_nothing_behind_for_the_next() -> None:
    boards = SnakeBoards(games=1)
    first = boards.open(rules.new_game(rules.SnakeConfig(), ["ann", "bob"], random.Random(3)))
    boards.close(first)
    state = rules.new_game(rules.SnakeConfig(width=12, height=12), ["cat", "dan"], random.Random(4))
    second = boards.open(state)
    assert second.slot == first.slot
    assert rules.render(boards.to_state(second)) == rules.render(state)
    assert int(np.count_nonzero(boards.occupancy[second.slot])) == int(np.count_nonzero(state.occupancy))


def test_a_board_short_of_food_is_topped_up_as_the_rules_do() -> None:
    # Food runs short only on a crowded board; here it is taken away by hand.
    boards = SnakeBoards(games=1)
    state = rules.new_game(rules.SnakeConfig(width=24, height=24, arena=True), ["ann", "bob"], random.Random(5))
    state.food.clear()
    board = boards.open(state)
    reference_rng, board_rng = random.Random(6), random.Random(6)
    expected = rules.step(state, [], reference_rng)
    assert step_boards(boards, [(board, [], board_rng)]) == [expected]
    (text,) = encode_ticks(boards, [board], [expected])
    assert json.loads(text) == json.loads(json.dumps({"type": "tick", **rules.render_tick(state), "events": expected}))
    assert state.food and board.food == state.food

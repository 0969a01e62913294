"""Snake ticks as deltas: render_tick sends what changed, and a client holding the last full board
(render) rebuilds every later board exactly with apply_tick (docs/protocol.md, section 6)."""

from __future__ import annotations

import json
import random
from collections import deque
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.games.snake.rules import Snake, SnakeConfig, SnakeState, apply_tick, render, render_tick, step
from tests.rules.snake_tick_games import JS_FIXTURE, JS_GAMES, GameSpec, js_fixture, play

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=80)

game_specs = st.builds(
    GameSpec,
    seed=st.integers(0, 2**32),
    ticks=st.just(120),
    width=st.integers(12, 16),
    height=st.integers(12, 16),
    arena=st.booleans(),
    countdown_ticks=st.integers(0, 4),
    players=st.integers(2, 6),
    churn=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    turn_chance=st.sampled_from([0.0, 0.1, 0.3]),
)


def through_json(value: dict) -> dict:
    return json.loads(json.dumps(value))


def bodies_sent(tick: dict) -> set[str]:
    return {player["username"] for player in tick["players"] if "body" in player}


@FUZZ
@given(game_specs)
def test_each_tick_applied_to_the_board_before_it_gives_the_full_board(spec):
    game = play(spec)
    state, _ = next(game)
    board = through_json(render(state))
    for state, events in game:
        tick = through_json(render_tick(state))
        board = apply_tick(board, tick)
        assert board == through_json(render(state)), f"tick {state.tick}"
        # Whole bodies only for the snakes placed this tick.
        assert bodies_sent(tick) <= {event["player"] for event in events if event["kind"] in ("joined", "respawned")}


def test_the_recorded_games_cover_every_part_of_a_tick():
    """The recorded games (the JavaScript fixture) replay exactly and go through everything a tick
    can carry, so the JavaScript decoder is checked against all of it too."""
    seen_events, seen_keys, countdown_ticks = set(), set(), 0
    for spec in JS_GAMES:
        game = play(spec)
        state, _ = next(game)
        board = through_json(render(state))
        for state, events in game:
            tick = through_json(render_tick(state))
            board = apply_tick(board, tick)
            assert board == through_json(render(state))
            seen_events |= {event["kind"] for event in events}
            seen_keys |= set(tick) | {"body" for _ in bodies_sent(tick)}
            countdown_ticks += tick["countdown"] > 0
    assert {"joined", "respawned", "left", "died", "ate", "over"} <= seen_events
    assert {"body", "food_removed", "food_added"} <= seen_keys
    assert countdown_ticks > 0


def test_the_javascript_fixture_is_the_current_recording():
    """tests/js/fixtures/snake-ticks.json must be written again after a change of the rules or
    the tick format (see tests/rules/snake_tick_games.py)."""
    assert json.loads(JS_FIXTURE.read_text()) == through_json(js_fixture())


# --------------------------------------------------------------------------- fixed sequences


def hand_built(snakes: dict, food: list, *, countdown_ticks: int = 0, arena: bool = False) -> SnakeState:
    config = SnakeConfig(width=10, height=10, countdown_ticks=countdown_ticks, arena=arena)
    occupancy = np.zeros((10, 10), dtype=np.int16)
    built = {}
    for name, (cells, direction) in snakes.items():
        for x, y in cells:
            occupancy[y, x] += 1
        built[name] = Snake(player=name, body=deque(cells), direction=direction)
    return SnakeState(config=config, tick=0, snakes=built, food=list(food), occupancy=occupancy)


def test_a_move_sends_the_new_head_and_the_length_and_no_body():
    # Enough food that none is added: target is 1 + 2 // 2.
    state = hand_built({"a": ([(4, 4), (3, 4), (2, 4)], "RIGHT"), "b": ([(4, 7), (3, 7)], "RIGHT")}, [(0, 0), (9, 0)])
    board = render(state)
    step(state, [("b", {"type": "direction", "direction": "UP"})], random.Random(1))
    tick = render_tick(state)
    assert tick == {
        "tick": 1,
        "countdown": 0,
        "players": [
            {"username": "a", "head": [5, 4], "direction": "RIGHT", "alive": True, "score": 0, "length": 3},
            {"username": "b", "head": [4, 6], "direction": "UP", "alive": True, "score": 0, "length": 2},
        ],
    }
    assert apply_tick(board, tick)["players"][1]["body"] == [[4, 6], [4, 7]]


def test_eating_keeps_the_tail_and_sends_the_food_removed_and_added():
    state = hand_built({"a": ([(4, 4), (3, 4), (2, 4)], "RIGHT")}, [(5, 4)])
    board = through_json(render(state))
    step(state, [], random.Random(1))
    tick = through_json(render_tick(state))
    (added,) = tick["food_added"]
    assert (tick["players"][0]["length"], tick["food_removed"]) == (4, [[5, 4]])
    board = apply_tick(board, tick)
    assert board["players"][0]["body"] == [[5, 4], [4, 4], [3, 4], [2, 4]]
    assert board["food"] == [added] == [list(cell) for cell in state.food]


def test_a_death_sends_no_head_and_length_zero():
    state = hand_built({"a": ([(9, 4), (8, 4)], "RIGHT"), "b": ([(4, 7), (3, 7)], "RIGHT")}, [(0, 0), (9, 0)])
    board = render(state)
    step(state, [], random.Random(1))
    tick = render_tick(state)
    assert tick["players"][0] == {"username": "a", "head": None, "direction": "RIGHT", "alive": False, "score": 0, "length": 0}
    assert apply_tick(board, tick)["players"][0]["body"] == []


def test_the_countdown_sends_heads_that_stay_put():
    state = hand_built({"a": ([(4, 4), (3, 4)], "RIGHT"), "b": ([(4, 7), (3, 7)], "RIGHT")}, [(0, 0), (9, 0)], countdown_ticks=2)
    board = render(state)
    step(state, [("a", {"type": "direction", "direction": "UP"})], random.Random(1))
    tick = render_tick(state)
    assert tick["countdown"] == 1
    assert tick["players"][0] == {"username": "a", "head": [4, 4], "direction": "UP", "alive": True, "score": 0, "length": 2}
    assert apply_tick(board, tick) == render(state)


def test_arena_joins_and_respawns_send_whole_bodies_and_leavers_drop_out():
    state = hand_built({"a": ([(4, 4), (3, 4)], "RIGHT"), "b": ([], "UP")}, [(0, 0), (9, 0), (0, 9)], arena=True)
    state.snakes["b"].alive = False
    board = render(state)
    step(state, [("a", {"type": "leave"}), ("b", {"type": "respawn"}), ("c", {"type": "respawn"})], random.Random(1))
    tick = render_tick(state)
    assert [player["username"] for player in tick["players"]] == ["b", "c"]
    for player, snake in zip(tick["players"], state.snakes.values(), strict=True):
        assert player["body"] == [list(cell) for cell in snake.body] and player["length"] == len(snake.body)
    assert apply_tick(board, tick) == render(state)
    # The next tick moves them like any other snake.
    step(state, [], random.Random(1))
    assert bodies_sent(render_tick(state)) == set()


def test_a_tick_after_the_end_changes_nothing():
    state = hand_built({"a": ([(9, 4), (8, 4)], "RIGHT"), "b": ([(4, 7), (3, 7)], "RIGHT")}, [(4, 6)])
    step(state, [("b", {"type": "direction", "direction": "UP"})], random.Random(1))
    assert state.over
    board = render(state)
    step(state, [], random.Random(1))
    tick = render_tick(state)
    assert "food_removed" not in tick and "food_added" not in tick
    assert apply_tick(board, tick) == render(state)


def test_a_tick_that_does_not_follow_the_board_is_refused():
    state = hand_built({"a": ([(4, 4), (3, 4)], "RIGHT"), "b": ([(4, 7), (3, 7)], "RIGHT")}, [(0, 0), (9, 0)])
    board = render(state)
    step(state, [], random.Random(1))
    stranger = {**board, "players": [board["players"][0]]}  # knows nothing of b's body
    assert apply_tick(stranger, render_tick(state)) is None


def test_the_protocol_docs_example_applies_as_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    example = doc[doc.index("An example in the arena.") :]
    before, tick, after = (json.loads(block.split("```")[0]) for block in example.split("```json")[1:4])
    assert apply_tick(before, tick) == after

"""Unit tests for engine.games.snake.rules (pure Python, no Django)."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import deque

import numpy as np
import pytest

from engine.games.snake.rules import (
    DIRECTIONS,
    SPAWN_WALL_MARGIN,
    Snake,
    SnakeConfig,
    SnakeState,
    _top_up_food,  # board-level food edge cases have no cheap public trigger
    new_game,
    render,
    result,
    step,
    validate_intent,
)

# --------------------------------------------------------------------------- helpers


def make_state(snakes, food=(), *, width=10, height=10, arena=False, countdown_ticks=0, tick=0):
    """A hand-built state. `snakes` maps player -> (body cells head first, direction)."""
    config = SnakeConfig(width=width, height=height, arena=arena, countdown_ticks=countdown_ticks)
    occupancy = np.zeros((height, width), dtype=np.int16)
    built = {}
    for player, (cells, direction) in snakes.items():
        for x, y in cells:
            occupancy[y, x] += 1
        built[player] = Snake(player=player, body=deque(cells), direction=direction)
    return SnakeState(config=config, tick=tick, snakes=built, food=list(food), occupancy=occupancy)


def plenty_of_food(state):
    """Food in the far corners, enough that step() never places food at random."""
    corners = [
        (0, 0), (state.config.width - 1, 0), (0, state.config.height - 1), (state.config.width - 1, state.config.height - 1)
    ]
    return [cell for cell in corners if state.occupancy[cell[1], cell[0]] == 0]


def turn(direction):
    return {"type": "direction", "direction": direction}


def rebuilt_occupancy(state):
    grid = np.zeros_like(state.occupancy)
    for snake in state.snakes.values():
        for x, y in snake.body:
            grid[y, x] += 1
    return grid


def assert_consistent(state):
    """Invariants that must hold after every tick."""
    assert np.array_equal(state.occupancy, rebuilt_occupancy(state))
    assert state.occupancy.max(initial=0) <= 1, "two segments share a cell"
    assert len(set(state.food)) == len(state.food)
    for x, y in state.food:
        assert 0 <= x < state.config.width and 0 <= y < state.config.height
        assert state.occupancy[y, x] == 0, "food on a snake"
    for snake in state.snakes.values():
        if not snake.alive:
            assert not snake.body
            continue
        cells = list(snake.body)
        for (ax, ay), (bx, by) in itertools.pairwise(cells):
            assert abs(ax - bx) + abs(ay - by) == 1, "body is not contiguous"


def died(events):
    return {event["player"]: event["cause"] for event in events if event["kind"] == "died"}


RNG_SEED = 1234


def rng():
    return random.Random(RNG_SEED)


# --------------------------------------------------------------------------- collisions


@pytest.mark.parametrize(
    "body, direction",
    [
        ([(0, 5), (1, 5), (2, 5)], "LEFT"),
        ([(9, 5), (8, 5), (7, 5)], "RIGHT"),
        ([(5, 0), (5, 1), (5, 2)], "UP"),
        ([(5, 9), (5, 8), (5, 7)], "DOWN"),
    ],
)
def test_wall_on_each_side_kills(body, direction):
    state = make_state({"a": (body, direction), "b": ([(4, 4), (3, 4), (2, 4)], "RIGHT")}, arena=True)
    state.food = plenty_of_food(state)
    events = step(state, [], rng())
    assert died(events) == {"a": "wall"}
    snake = state.snakes["a"]
    assert not snake.alive and snake.death_cause == "wall"
    assert not snake.body
    assert state.snakes["b"].alive
    assert_consistent(state)


def test_running_into_own_body_kills():
    # Head (2,2) turning down hits (2,3), which is not the tail.
    body = [(2, 2), (3, 2), (3, 3), (2, 3), (1, 3)]
    state = make_state({"a": (body, "DOWN")}, arena=True)
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {"a": "self"}
    assert_consistent(state)


def test_moving_into_own_leaving_tail_is_allowed():
    body = [(2, 2), (3, 2), (3, 3), (2, 3)]  # a 2x2 loop: head goes where the tail leaves
    state = make_state({"a": (body, "DOWN")}, arena=True)
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {}
    assert list(state.snakes["a"].body) == [(2, 3), (2, 2), (3, 2), (3, 3)]
    assert_consistent(state)


def test_running_into_another_snakes_body_kills_only_the_mover():
    state = make_state(
        {
            "a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"),
            "b": ([(5, 3), (5, 4), (5, 5), (5, 6), (5, 7)], "UP"),
        },
        arena=True,
    )
    state.food = plenty_of_food(state)
    events = step(state, [], rng())
    assert died(events) == {"a": "snake"}
    assert state.snakes["b"].alive
    assert list(state.snakes["b"].body) == [(5, 2), (5, 3), (5, 4), (5, 5), (5, 6)]
    assert_consistent(state)


def test_heads_on_the_same_cell_all_die():
    state = make_state(
        {
            "a": ([(2, 5), (1, 5), (0, 5)], "RIGHT"),
            "b": ([(4, 5), (5, 5), (6, 5)], "LEFT"),
            "c": ([(7, 1), (6, 1), (5, 1)], "RIGHT"),
        },
        arena=True,
    )
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {"a": "head_on", "b": "head_on"}
    assert state.occupancy.sum() == len(state.snakes["c"].body)
    assert_consistent(state)


def test_three_heads_on_one_cell_all_die():
    state = make_state(
        {
            "a": ([(4, 5), (3, 5)], "RIGHT"),
            "b": ([(6, 5), (7, 5)], "LEFT"),
            "c": ([(5, 6), (5, 7)], "UP"),
        },
        arena=True,
    )
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {"a": "head_on", "b": "head_on", "c": "head_on"}
    assert state.occupancy.sum() == 0


def test_swapping_heads_kills_both():
    state = make_state(
        {
            "a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"),
            "b": ([(5, 5), (6, 5), (7, 5)], "LEFT"),
        },
        arena=True,
    )
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {"a": "head_on", "b": "head_on"}
    assert state.occupancy.sum() == 0


def test_moving_into_another_snakes_leaving_tail_is_allowed():
    state = make_state(
        {
            "a": ([(4, 7), (3, 7), (2, 7)], "RIGHT"),  # heads for (5,7)
            "b": ([(5, 5), (5, 6), (5, 7)], "RIGHT"),  # tail (5,7) leaves this tick
        },
        arena=True,
    )
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {}
    assert state.snakes["a"].body[0] == (5, 7)
    assert_consistent(state)


def test_moving_into_the_tail_of_a_growing_snake_kills():
    state = make_state(
        {
            "a": ([(4, 7), (3, 7), (2, 7)], "RIGHT"),
            "b": ([(5, 5), (5, 6), (5, 7)], "RIGHT"),  # eats at (6,5), so its tail stays
        },
        food=[(6, 5), (0, 0)],
        arena=True,
    )
    events = step(state, [], rng())
    assert died(events) == {"a": "snake"}
    assert {"kind": "ate", "player": "b", "at": [6, 5]} in events
    assert list(state.snakes["b"].body) == [(6, 5), (5, 5), (5, 6), (5, 7)]
    assert_consistent(state)


def test_a_dying_snake_still_blocks_during_its_last_tick():
    state = make_state(
        {
            "a": ([(9, 5), (9, 6), (9, 7)], "RIGHT"),  # hits the right wall
            "b": ([(8, 3), (7, 3), (6, 3)], "DOWN"),  # moves to (8,4), a free cell
            "c": ([(8, 6), (7, 6), (6, 6)], "RIGHT"),  # moves into a's body at (9,6)
        },
        arena=True,
    )
    state.food = plenty_of_food(state)
    assert died(step(state, [], rng())) == {"a": "wall", "c": "snake"}
    assert state.snakes["b"].alive
    assert_consistent(state)


def test_dead_snakes_are_removed_from_the_board():
    state = make_state(
        {"a": ([(0, 5), (1, 5), (2, 5)], "LEFT"), "b": ([(5, 5), (5, 6), (5, 7)], "UP")},
        arena=True,
    )
    state.food = plenty_of_food(state)
    step(state, [], rng())
    assert state.occupancy[5, 1:3].sum() == 0
    assert state.occupancy.sum() == len(state.snakes["b"].body)


# --------------------------------------------------------------------------- direction intents


def test_reversal_onto_the_neck_is_ignored():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT")}, arena=True)
    state.food = plenty_of_food(state)
    step(state, [("a", turn("LEFT"))], rng())
    assert state.snakes["a"].direction == "RIGHT"
    assert state.snakes["a"].body[0] == (5, 5)


def test_last_valid_direction_of_the_tick_wins():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT")}, arena=True)
    state.food = plenty_of_food(state)
    step(state, [("a", turn("UP")), ("a", turn("DOWN"))], rng())
    assert state.snakes["a"].body[0] == (4, 6)


def test_each_intent_is_checked_against_the_neck_not_the_current_direction():
    # After DOWN, LEFT is not the opposite of DOWN, but it would still fold onto the neck.
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT")}, arena=True)
    state.food = plenty_of_food(state)
    step(state, [("a", turn("DOWN")), ("a", turn("LEFT"))], rng())
    assert state.snakes["a"].direction == "DOWN"
    assert state.snakes["a"].body[0] == (4, 6)
    assert state.snakes["a"].alive


def test_invalid_intents_are_ignored_by_step():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"), "b": ([(4, 1), (3, 1), (2, 1)], "RIGHT")})
    state.food = plenty_of_food(state)
    intents = [
        ("a", turn("SIDEWAYS")),
        ("a", {"type": "teleport"}),
        ("a", "not a dict"),
        ("stranger", turn("UP")),
        ("a", {"type": "respawn"}),  # not an arena
        ("a", {"type": "leave"}),
    ]
    events = step(state, intents, rng())
    assert events == []
    assert state.snakes["a"].body[0] == (5, 5)
    assert set(state.snakes) == {"a", "b"}


# --------------------------------------------------------------------------- growth and food


def test_eating_grows_scores_and_replaces_the_food():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT")}, food=[(5, 5)], arena=True)
    events = step(state, [], rng())
    snake = state.snakes["a"]
    assert events == [{"kind": "ate", "player": "a", "at": [5, 5]}]
    assert list(snake.body) == [(5, 5), (4, 5), (3, 5), (2, 5)]
    assert snake.score == 1
    assert (5, 5) not in state.food
    assert len(state.food) == 1  # 1 + 1 // 2
    assert_consistent(state)
    step(state, [], rng())
    assert len(snake.body) == 4  # grows once, then moves normally


@pytest.mark.parametrize("players", range(0, 9))
def test_food_count_scales_with_live_snakes(players):
    config = SnakeConfig(arena=True, countdown_ticks=0)
    state = new_game(config, [f"p{i}" for i in range(players)], rng())
    assert len(state.food) == 1 + players // 2
    assert_consistent(state)


def test_food_is_topped_up_when_snakes_join():
    state = new_game(SnakeConfig(arena=True), [], rng())
    assert len(state.food) == 1
    step(state, [(f"p{i}", {"type": "respawn"}) for i in range(4)], rng())
    assert len(state.food) == 3
    assert_consistent(state)


def test_surplus_food_stays_when_snakes_die():
    state = make_state(
        {
            "a": ([(0, 2), (1, 2), (2, 2)], "LEFT"),
            "b": ([(0, 4), (1, 4), (2, 4)], "LEFT"),
            "c": ([(5, 6), (4, 6), (3, 6)], "RIGHT"),
            "d": ([(5, 8), (4, 8), (3, 8)], "RIGHT"),
        },
        food=[(9, 0), (8, 0), (7, 0)],
        arena=True,
    )
    assert died(step(state, [], rng())) == {"a": "wall", "b": "wall"}
    assert state.food == [(9, 0), (8, 0), (7, 0)]  # target is now 2, nothing is taken away


def test_food_is_never_placed_on_a_snake_or_on_other_food():
    config = SnakeConfig(width=10, height=10, arena=True, max_players=8)
    for seed in range(20):
        state = new_game(config, [f"p{i}" for i in range(4)], random.Random(seed))
        assert_consistent(state)


def test_food_fills_only_what_free_cells_allow():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"), "b": ([(4, 1), (3, 1), (2, 1)], "RIGHT")})
    state.occupancy[:] = 1  # pretend snakes cover every cell but one
    state.occupancy[7, 0] = 0
    _top_up_food(state, rng())  # the target is 2, only one cell is free
    assert state.food == [(0, 7)]


def test_food_placement_is_uniform_over_free_cells():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT")}, arena=True)
    generator = random.Random(7)
    draws = 20000
    counts = np.zeros((10, 10))
    for _ in range(draws):
        state.food.clear()
        _top_up_food(state, generator)
        ((x, y),) = state.food
        counts[y, x] += 1
    assert counts[5, 2:5].sum() == 0
    free_counts = counts[state.occupancy == 0]
    assert len(free_counts) == 97
    expected = draws / 97
    assert expected * 0.7 < free_counts.min() and free_counts.max() < expected * 1.3


# --------------------------------------------------------------------------- spawning


def spawn_cells_are_valid(state, snake):
    config = state.config
    body = list(snake.body)
    assert len(body) == config.start_length
    dx, dy = DIRECTIONS[snake.direction]
    for i, (x, y) in enumerate(body):
        assert (x, y) == (body[0][0] - dx * i, body[0][1] - dy * i), "straight, facing away from the body"
        assert SPAWN_WALL_MARGIN <= x <= config.width - 1 - SPAWN_WALL_MARGIN
        assert SPAWN_WALL_MARGIN <= y <= config.height - 1 - SPAWN_WALL_MARGIN
    # Facing the centre: the head is not farther from the centre than the tail.
    centre = ((config.width - 1) / 2, (config.height - 1) / 2)
    (hx, hy), (tx, ty) = body[0], body[-1]
    assert abs(hx - centre[0]) + abs(hy - centre[1]) <= abs(tx - centre[0]) + abs(ty - centre[1])
    # Free room ahead (on the board).
    for i in range(1, config.start_length + 1):
        x, y = body[0][0] + dx * i, body[0][1] + dy * i
        if 0 <= x < config.width and 0 <= y < config.height:
            assert state.occupancy[y, x] == 0


@pytest.mark.parametrize("seed", range(25))
def test_eight_players_spawn_without_overlap_on_24x24(seed):
    config = SnakeConfig(max_players=8, start_length=6)
    state = new_game(config, [f"p{i}" for i in range(8)], random.Random(seed))
    all_cells = [cell for snake in state.snakes.values() for cell in snake.body]
    assert len(all_cells) == len(set(all_cells)) == 8 * 6
    for snake in state.snakes.values():
        spawn_cells_are_valid(state, snake)
    assert_consistent(state)


def test_spawn_is_deterministic_per_seed():
    config = SnakeConfig()
    first = new_game(config, ["a", "b", "c"], random.Random(42))
    second = new_game(config, ["a", "b", "c"], random.Random(42))
    other = new_game(config, ["a", "b", "c"], random.Random(43))
    assert render(first) == render(second)
    assert render(first) != render(other)


@pytest.mark.parametrize("seed", range(25))
def test_later_spawns_keep_clear_of_earlier_snakes_paths_on_a_small_board(seed):
    # spawn_cells_are_valid checks every snake's room ahead once all have been placed.
    config = SnakeConfig(width=10, height=10, start_length=3)
    state = new_game(config, ["a", "b", "c", "d"], random.Random(seed))
    for snake in state.snakes.values():
        spawn_cells_are_valid(state, snake)


def test_spawn_raises_when_there_is_no_room():
    # The 6x6 spawn zone of a 10x10 board cannot hold 8 snakes of length 6.
    config = SnakeConfig(width=10, height=10, start_length=6, max_players=8)
    with pytest.raises(ValueError, match="no room"):
        new_game(config, [f"p{i}" for i in range(8)], rng())


@pytest.mark.parametrize("seed", range(20))
def test_spawn_finds_the_last_gap_on_a_crowded_board(seed):
    # Only row 2 of the spawn zone is free: the random attempts often all miss (7 of these
    # 20 seeds), and the exhaustive fallback must then find a placement there.
    config = SnakeConfig(width=10, height=10, start_length=3, arena=True)
    state = new_game(config, [], random.Random(seed))
    state.food.clear()
    state.occupancy[3:8, 2:8] = 1
    step(state, [("new", {"type": "respawn"})], random.Random(seed))
    snake = state.snakes["new"]
    assert snake.alive
    assert snake.direction in ("LEFT", "RIGHT")
    # It spawned on row 2 and has already moved one cell along it.
    assert all(y == 2 for _, y in snake.body)


@pytest.mark.parametrize(
    "players, message",
    [(["a", "a"], "duplicate"), ([f"p{i}" for i in range(3)], "too many"), ([], "at least one"), ([""], "non-empty")],
)
def test_new_game_rejects_bad_player_lists(players, message):
    with pytest.raises(ValueError, match=message):
        new_game(SnakeConfig(max_players=2), players, rng())


# --------------------------------------------------------------------------- countdown


def test_countdown_freezes_movement_but_allows_turning():
    state = make_state(
        {"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"), "b": ([(4, 1), (3, 1), (2, 1)], "RIGHT")},
        countdown_ticks=5,
    )
    state.food = plenty_of_food(state)
    bodies = {name: list(snake.body) for name, snake in state.snakes.items()}
    assert render(state)["countdown"] == 5
    # The snake turns UP in place; LEFT stays a reversal onto the unchanged neck.
    intents_per_tick = [[("a", turn("UP"))], [("a", turn("LEFT"))], [], [("a", turn("LEFT"))], []]
    for intents, countdown_after in zip(intents_per_tick, (4, 3, 2, 1, 0), strict=True):
        assert step(state, intents, rng()) == []
        assert render(state)["countdown"] == countdown_after
        assert {name: list(snake.body) for name, snake in state.snakes.items()} == bodies
    assert state.snakes["a"].direction == "UP"
    step(state, [], rng())
    assert state.snakes["a"].body[0] == (4, 4)
    assert state.snakes["b"].body[0] == (5, 1)
    assert render(state)["countdown"] == 0


def test_arenas_have_no_countdown():
    state = new_game(SnakeConfig(arena=True, countdown_ticks=30), ["a"], rng())
    head = state.snakes["a"].body[0]
    assert render(state)["countdown"] == 0
    step(state, [], rng())
    assert state.snakes["a"].body[0] != head


# --------------------------------------------------------------------------- end of game


def test_last_snake_standing_wins():
    state = make_state({"a": ([(0, 5), (1, 5), (2, 5)], "LEFT"), "b": ([(5, 5), (5, 6), (5, 7)], "UP")})
    state.food = plenty_of_food(state)
    events = step(state, [], rng())
    assert state.over and state.winner == "b" and state.end_reason == "last_snake_standing"
    assert events[-1] == {"kind": "over", "winner": "b", "reason": "last_snake_standing"}
    assert result(state) == {"winner": "b", "reason": "last_snake_standing", "scores": {"a": 0, "b": 0}}


def test_game_goes_on_while_two_snakes_live():
    state = make_state(
        {
            "a": ([(0, 5), (1, 5), (2, 5)], "LEFT"),
            "b": ([(5, 5), (5, 6), (5, 7)], "UP"),
            "c": ([(7, 5), (7, 6), (7, 7)], "UP"),
        }
    )
    state.food = plenty_of_food(state)
    step(state, [], rng())
    assert not state.over and result(state) is None


def test_all_died_highest_score_of_the_final_tick_wins():
    state = make_state(
        {
            "a": ([(3, 5), (2, 5), (1, 5)], "RIGHT"),
            "b": ([(7, 5), (8, 5), (9, 5)], "LEFT"),
            "c": ([(0, 1), (1, 1), (2, 1)], "LEFT"),  # dies first with the best score: does not count
        }
    )
    state.food = plenty_of_food(state)
    state.snakes["a"].score, state.snakes["b"].score = 3, 1
    state.snakes["c"].score = 10
    step(state, [], rng())
    assert not state.over and not state.snakes["c"].alive
    events = step(state, [], rng())  # a and b meet at (5,5)
    assert died(events) == {"a": "head_on", "b": "head_on"}
    assert state.over and state.winner == "a" and state.end_reason == "all_died"
    assert result(state)["scores"] == {"a": 3, "b": 1, "c": 10}


def test_all_died_with_tied_scores_has_no_winner():
    state = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"), "b": ([(5, 5), (6, 5), (7, 5)], "LEFT")})
    state.food = plenty_of_food(state)
    state.snakes["a"].score = state.snakes["b"].score = 2
    events = step(state, [], rng())
    assert state.over and state.winner is None and state.end_reason == "all_died"
    assert events[-1] == {"kind": "over", "winner": None, "reason": "all_died"}


def test_solo_game_ends_only_when_its_snake_dies():
    state = make_state({"a": ([(2, 5), (3, 5), (4, 5)], "LEFT")})
    state.food = plenty_of_food(state)
    step(state, [], rng())
    assert not state.over
    step(state, [], rng())
    step(state, [], rng())
    assert state.over and state.winner == "a" and state.end_reason == "all_died"


def test_step_does_nothing_once_over():
    state = make_state({"a": ([(0, 5), (1, 5), (2, 5)], "LEFT"), "b": ([(5, 5), (5, 6), (5, 7)], "UP")})
    state.food = plenty_of_food(state)
    step(state, [], rng())
    before = render(state)
    assert step(state, [("b", turn("LEFT"))], rng()) == []
    assert render(state) == before
    assert validate_intent(state, "b", turn("LEFT")) == "game is over"


# --------------------------------------------------------------------------- arena


def test_arena_join_respawn_leave_and_never_end():
    config = SnakeConfig(arena=True, countdown_ticks=0, max_players=2)
    state = new_game(config, [], rng())
    assert state.snakes == {} and not state.over

    events = step(state, [("ann", {"type": "respawn"}), ("bob", {"type": "respawn"}), ("cat", {"type": "respawn"})], rng())
    assert [e for e in events if e["kind"] == "joined"] == [
        {"kind": "joined", "player": "ann"},
        {"kind": "joined", "player": "bob"},
    ]
    assert list(state.snakes) == ["ann", "bob"]  # cat: arena is full
    assert validate_intent(state, "cat", {"type": "respawn"}) == "arena is full"
    assert validate_intent(state, "ann", {"type": "respawn"}) == "your snake is still alive"

    # Kill both: the arena goes on, the dead stay listed.
    state.food = []
    for snake in state.snakes.values():
        snake.direction = "UP"
    state.snakes["ann"].body = deque([(5, 0), (5, 1), (5, 2)])
    state.snakes["bob"].body = deque([(8, 0), (8, 1), (8, 2)])
    state.occupancy[:] = rebuilt_occupancy(state)
    events = step(state, [], rng())
    assert died(events) == {"ann": "wall", "bob": "wall"}
    assert not state.over and result(state) is None
    players = render(state)["players"]
    assert [(p["username"], p["alive"], p["head"], p["body"]) for p in players] == [
        ("ann", False, None, []),
        ("bob", False, None, []),
    ]
    for _ in range(5):
        step(state, [], rng())
    assert not state.over

    state.snakes["ann"].score = 4
    events = step(state, [("ann", {"type": "respawn"})], rng())
    assert {"kind": "respawned", "player": "ann"} in events
    ann = state.snakes["ann"]
    assert ann.alive and ann.death_cause is None and ann.score == 0 and len(ann.body) == 3
    assert_consistent(state)

    events = step(state, [("ann", {"type": "leave"})], rng())
    assert events == [{"kind": "left", "player": "ann"}]
    assert list(state.snakes) == ["bob"]
    assert state.occupancy.sum() == 0
    assert validate_intent(state, "ann", {"type": "leave"}) == "not a player of this game"

    events = step(state, [("cat", {"type": "respawn"}), ("cat", turn("UP"))], rng())
    assert {"kind": "joined", "player": "cat"} in events
    assert_consistent(state)


def test_arena_respawn_without_room_reports_no_room():
    config = SnakeConfig(width=10, height=10, arena=True, start_length=6)
    state = new_game(config, [], rng())
    state.occupancy[2:8, 2:8] = 1  # pretend the spawn zone is full
    events = step(state, [("ann", {"type": "respawn"})], rng())
    assert events == [{"kind": "no_room", "player": "ann"}]
    assert "ann" not in state.snakes


# --------------------------------------------------------------------------- validation


def test_validate_intent_messages():
    match = make_state({"a": ([(4, 5), (3, 5), (2, 5)], "RIGHT"), "b": ([(4, 1), (3, 1), (2, 1)], "RIGHT")})
    assert validate_intent(match, "a", turn("UP")) is None
    assert validate_intent(match, "a", turn("LEFT")) is None  # a reversal is a race, not an error
    assert validate_intent(match, "x", turn("UP")) == "not a player of this game"
    assert validate_intent(match, "a", turn("up")) == "unknown direction"
    assert validate_intent(match, "a", {"type": "direction"}) == "unknown direction"
    assert validate_intent(match, "a", {"type": "direction", "direction": ["UP"]}) == "unknown direction"
    assert validate_intent(match, "a", {"type": "respawn"}) == "respawn is only for arenas"
    assert validate_intent(match, "a", {"type": "leave"}) == "leave is only for arenas"
    assert validate_intent(match, "a", {"type": "jump"}) == "unknown intent type"
    assert validate_intent(match, "a", {}) == "unknown intent type"
    assert validate_intent(match, "a", ["direction"]) == "intent must be an object"
    match.snakes["a"].alive = False
    assert validate_intent(match, "a", turn("UP")) == "your snake is not alive"


def test_settings_round_trip():
    config = SnakeConfig(
        width=30, height=20, arena=True, min_players=3, max_players=5, start_length=4, countdown_ticks=0, tick_hz=15
    )
    settings = config.to_settings()
    assert json.loads(json.dumps(settings)) == settings
    assert SnakeConfig.from_settings(settings) == config
    assert SnakeConfig.from_settings({}) == SnakeConfig()
    assert SnakeConfig.from_settings({"tick_hz": 20}).tick_hz == 20.0


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"colour": "green"}, "unknown setting.*colour"),
        ({"width": 9}, "width must be between 10 and 64"),
        ({"width": 65}, "width must be between 10 and 64"),
        ({"height": 100}, "height must be between"),
        ({"width": "24"}, "width must be an integer"),
        ({"width": 24.0}, "width must be an integer"),
        ({"width": True}, "width must be an integer"),
        ({"max_players": 1}, "max_players must be between 2 and 8"),
        ({"max_players": 9}, "max_players must be between 2 and 8"),
        ({"min_players": 1}, "min_players must be between"),
        ({"min_players": 5, "max_players": 4}, "min_players .* must not exceed max_players"),
        ({"start_length": 1}, "start_length must be between 2 and 6"),
        ({"start_length": 7}, "start_length must be between 2 and 6"),
        ({"countdown_ticks": -1}, "countdown_ticks must be between 0 and 100"),
        ({"countdown_ticks": 101}, "countdown_ticks must be between 0 and 100"),
        ({"tick_hz": 0.5}, "tick_hz must be between 1 and 30"),
        ({"tick_hz": 31}, "tick_hz must be between 1 and 30"),
        ({"tick_hz": "10"}, "tick_hz must be a number"),
        ({"tick_hz": math.nan}, "tick_hz must be a number"),
        ({"tick_hz": False}, "tick_hz must be a number"),
        ({"arena": "yes"}, "arena must be true or false"),
        ({"arena": 1}, "arena must be true or false"),
    ],
)
def test_from_settings_rejects_bad_values(settings, message):
    with pytest.raises(ValueError, match=message):
        SnakeConfig.from_settings(settings)


@pytest.mark.parametrize("settings", [None, [], "width=24"])
def test_from_settings_rejects_non_objects(settings):
    with pytest.raises(ValueError, match="settings must be an object"):
        SnakeConfig.from_settings(settings)


# --------------------------------------------------------------------------- render and determinism


def test_render_is_json_ready_with_the_documented_fields():
    state = new_game(SnakeConfig(countdown_ticks=3), ["a", "b"], rng())
    frame = render(state)
    assert json.loads(json.dumps(frame)) == frame  # only JSON types: no tuples, no numpy ints
    assert set(frame) == {"tick", "width", "height", "arena", "countdown", "players", "food"}
    assert (frame["tick"], frame["width"], frame["height"], frame["arena"], frame["countdown"]) == (0, 24, 24, False, 3)
    assert [p["username"] for p in frame["players"]] == ["a", "b"]
    for player, snake in zip(frame["players"], state.snakes.values(), strict=True):
        assert set(player) == {"username", "head", "body", "direction", "alive", "score"}
        assert player["head"] == player["body"][0] == list(snake.body[0])
        assert player["body"] == [list(cell) for cell in snake.body]
        assert player["direction"] in DIRECTIONS and player["alive"] is True and player["score"] == 0
    assert frame["food"] == [list(cell) for cell in state.food]
    assert all(type(v) is int for cell in frame["food"] for v in cell)


def random_intents(state, generator):
    intents = []
    for name in [*state.snakes, "newcomer"]:
        roll = generator.random()
        if roll < 0.3:
            intents.append((name, turn(generator.choice(list(DIRECTIONS)))))
        elif roll < 0.35:
            intents.append((name, {"type": "respawn"}))
        elif roll < 0.36:
            intents.append((name, {"type": "leave"}))
    return intents


def play(config, players, seed, ticks):
    """Frames and events of a game driven by seeded random intents; checks invariants every tick."""
    game_rng, intent_rng = random.Random(seed), random.Random(seed + 1)
    state = new_game(config, players, game_rng)
    frames, all_events = [render(state)], []
    for _ in range(ticks):
        all_events.append(step(state, random_intents(state, intent_rng), game_rng))
        assert_consistent(state)
        frames.append(render(state))
    return frames, all_events, state


@pytest.mark.parametrize("arena", [False, True])
def test_same_seed_and_intents_give_identical_games(arena):
    config = SnakeConfig(arena=arena, countdown_ticks=0 if arena else 10, width=16, height=16)
    players = ["a", "b", "c", "d"]
    frames, events, _ = play(config, players, seed=99, ticks=200)
    frames_again, events_again, _ = play(config, players, seed=99, ticks=200)
    assert frames == frames_again and events == events_again
    assert play(config, players, seed=100, ticks=200)[0] != frames
    # The random games must actually exercise dying (and so the end or respawns).
    assert any(event["kind"] == "died" for tick_events in events for event in tick_events)


def test_long_random_arena_keeps_invariants():
    config = SnakeConfig(arena=True, countdown_ticks=0, width=12, height=12)
    _, events, state = play(config, ["a", "b", "c", "d", "e", "f"], seed=5, ticks=1000)
    kinds = {event["kind"] for tick_events in events for event in tick_events}
    assert {"ate", "died", "respawned", "left", "joined"} <= kinds
    assert not state.over and result(state) is None

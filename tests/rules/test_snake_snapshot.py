"""A Snake game frozen in one engine process goes on in another exactly where it was."""

import random

from engine.games.effects import Seat
from engine.games.snake.session import ARENA_AWAY_GRACE_SECONDS, SnakeSession

SEATS = [Seat(index=0, name="ann", bot=None), Seat(index=1, name="bob", bot=None), Seat(index=2, name="Easy bot 3", bot="easy")]


def played(session: SnakeSession, ticks: int, rng: random.Random, now: float) -> float:
    for _ in range(ticks):
        now += session.period
        turn = rng.choice(["UP", "DOWN", "LEFT", "RIGHT"])
        session.tick([("ann", {"type": "direction", "direction": turn})], now)
    return now


def test_a_thawed_game_has_the_same_board_and_goes_on_from_it():
    settings = {"countdown_ticks": 3, "seating_seconds": 0}
    session = SnakeSession(seats=SEATS, settings=settings, seed=7, now=0.0)
    now = played(session, 25, random.Random(1), 0.0)
    frozen = session.freeze(now)
    thawed = SnakeSession(seats=SEATS, settings=settings, seed=7, now=500.0, frozen=frozen)
    assert thawed.snapshot(500.0) == session.snapshot(now)
    assert (thawed.state.occupancy == session.state.occupancy).all()
    assert thawed.freeze(500.0) == frozen
    # It goes on: the same moves move the same snakes (food may be placed elsewhere).
    before = {name: list(snake.body) for name, snake in thawed.state.snakes.items()}
    thawed.tick([("ann", {"type": "direction", "direction": "LEFT"})], 500.0 + thawed.period)
    assert thawed.state.tick == session.state.tick + 1
    assert {name: list(snake.body) for name, snake in thawed.state.snakes.items()} != before


def test_a_frozen_game_keeps_its_seating_wait_and_away_players_as_time_left():
    session = SnakeSession(seats=SEATS, settings={"arena": True}, seed=3, now=100.0)
    session.presence("ann", False, 100.0)
    frozen = session.freeze(104.0)
    assert frozen["away_in"] == {"ann": ARENA_AWAY_GRACE_SECONDS - 4.0}
    thawed = SnakeSession(seats=SEATS, settings={"arena": True}, seed=3, now=10.0, frozen=frozen)
    assert thawed.away_until == {"ann": 10.0 + ARENA_AWAY_GRACE_SECONDS - 4.0}

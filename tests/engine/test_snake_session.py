"""SnakeSession: an arena player who drops out briefly keeps their snake; a board is given back."""

import gc

from engine.games.effects import Seat
from engine.games.snake.boards import BOARDS
from engine.games.snake.session import ARENA_AWAY_GRACE_SECONDS, SnakeSession


def arena_with(player: str) -> SnakeSession:
    session = SnakeSession(seats=[], settings={"arena": True}, seed=3, now=0.0)
    session.tick([(player, {"type": "respawn"})], 0.0)
    assert player in session.state.snakes
    return session


def test_a_brief_network_drop_keeps_the_arena_snake():
    session = arena_with("alice")
    session.presence("alice", False, 1.0)
    session.tick([], 1.0 + ARENA_AWAY_GRACE_SECONDS / 2)
    session.presence("alice", True, 1.0 + ARENA_AWAY_GRACE_SECONDS / 2)
    session.tick([], 1.0 + ARENA_AWAY_GRACE_SECONDS * 2)
    assert "alice" in session.state.snakes


def test_a_player_away_longer_than_the_grace_leaves_the_arena():
    session = arena_with("alice")
    session.presence("alice", False, 1.0)
    session.tick([], 1.0 + ARENA_AWAY_GRACE_SECONDS - 0.1)
    assert "alice" in session.state.snakes
    session.tick([], 1.0 + ARENA_AWAY_GRACE_SECONDS)
    assert "alice" not in session.state.snakes


def matched(seats, **settings) -> SnakeSession:
    return SnakeSession(seats=seats, settings={"countdown_ticks": 0, **settings}, seed=5, now=0.0)


def test_a_matched_board_waits_for_its_people_then_moves():
    session = matched([Seat.person(0, "alice"), Seat.person(1, "bob"), Seat.robot(2, "hard")])
    assert session.tick([], 1.0) == [] and session.state.tick == 0
    session.presence("alice", True, 1.5)
    assert session.tick([], 2.0) == [] and session.state.tick == 0
    session.presence("bob", True, 2.5)
    assert session.tick([], 3.0) and session.state.tick == 1


def test_a_person_who_never_connects_holds_the_board_only_for_the_seating_time():
    session = matched([Seat.person(0, "alice"), Seat.person(1, "bob")], seating_seconds=4)
    session.presence("alice", True, 0.5)
    assert session.tick([], 3.9) == []
    assert session.tick([], 4.0) and session.state.tick == 1


def test_bots_alone_never_wait():
    session = matched([Seat.robot(0, "easy"), Seat.robot(1, "easy")])
    assert session.tick([], 0.1) and session.state.tick == 1


def test_a_game_the_engine_lets_go_of_gives_its_board_back():
    session = arena_with("alice")
    board = session.board
    assert BOARDS.boards[board.slot] is board
    del session
    gc.collect()
    assert BOARDS.boards[board.slot] is not board
    assert not BOARDS.occupancy[board.slot].any()


def test_a_bot_that_fails_ends_only_its_own_game(monkeypatch):
    seats = [Seat.robot(0, "easy"), Seat.robot(1, "easy")]
    with_bots = SnakeSession(seats=seats, settings={"countdown_ticks": 0}, seed=1, now=0.0)
    without = arena_with("alice")

    def broken(*args, **kwargs):
        raise RuntimeError("a bot's bug")

    monkeypatch.setattr("engine.games.snake.bots.choose_direction", broken)
    failed, ticked = SnakeSession.tick_together([(with_bots, []), (without, [])], 1.0)
    assert isinstance(failed, RuntimeError)
    assert [type(effect).__name__ for effect in ticked] == ["EncodedEvent"]

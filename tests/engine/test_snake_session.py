"""SnakeSession: an arena player who drops out briefly keeps their snake."""

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

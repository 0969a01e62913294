"""The counters behind the guest and socket limits: fixed windows in memory and in Redis."""

import logging
import uuid

import redis

from players.limits import MemoryWindowLimit, OpenCountLimit, RedisWindowLimit

# Its own Redis database, apart from the integration tests (15) and the benchmarks (14).
REDIS_LIMIT_TEST_URL = "redis://127.0.0.1:6379/12"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_memory_window_allows_the_limit_then_refuses_until_the_window_ends():
    clock = Clock(60 * 16_666 + 20.0)  # 20 s into a 60 s window
    limit = MemoryWindowLimit(limit=2, window_seconds=60, clock=clock)
    assert [limit.hit("a").allowed for _ in range(3)] == [True, True, False]
    assert limit.hit("a").retry_after == 40
    assert limit.hit("b").allowed
    clock.now += 40
    assert limit.hit("a").allowed


def test_redis_window_is_shared_by_every_process_that_uses_the_same_redis():
    redis.Redis.from_url(REDIS_LIMIT_TEST_URL, socket_connect_timeout=1).ping()  # fail loudly without Redis
    key = f"test-{uuid.uuid4().hex}"
    # Two web processes: two limiters, each with its own connection pool.
    first = RedisWindowLimit(redis_url=REDIS_LIMIT_TEST_URL, limit=3, window_seconds=60)
    second = RedisWindowLimit(redis_url=REDIS_LIMIT_TEST_URL, limit=3, window_seconds=60)
    verdicts = [first.hit(key), second.hit(key), first.hit(key), second.hit(key), first.hit(key)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert 1 <= verdicts[3].retry_after <= 60
    assert second.hit(f"{key}-other").allowed


def test_redis_window_lets_everyone_through_with_a_warning_when_redis_is_unreachable(caplog):
    unreachable = RedisWindowLimit(redis_url="redis://127.0.0.1:1/0", limit=1, window_seconds=60)
    with caplog.at_level(logging.WARNING, logger="kogame.limits"):
        assert all(unreachable.hit("a").allowed for _ in range(3))
    assert "unreachable" in caplog.text


def test_open_count_admits_up_to_each_cap_and_frees_a_place_on_release():
    sockets = OpenCountLimit()
    caps = {"user:1": 2, "address:x": 3}
    assert sockets.acquire(caps).allowed and sockets.acquire(caps).allowed
    assert not sockets.acquire(caps).allowed
    # A refusal takes nothing: the address still has one place for another user.
    assert sockets.acquire({"user:2": 2, "address:x": 3}).allowed
    assert not sockets.acquire({"user:3": 2, "address:x": 3}).allowed
    sockets.release(caps)
    assert sockets.acquire(caps).allowed

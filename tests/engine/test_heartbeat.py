"""The heartbeat never blocks the engine, and a Redis stall does not fail the health check."""

import threading
import time

import pytest
import redis

from engine.heartbeat import HeartbeatPublisher, RedisHeartbeat


class StallingSink:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.written: list[dict] = []

    def beat(self, stats):
        self.release.wait(5)
        self.written.append(stats)


def test_offering_a_beat_returns_at_once_while_the_sink_stalls():
    sink = StallingSink()
    publisher = HeartbeatPublisher(sink)
    publisher.start()
    publisher.beat({"at": 1})
    started = time.perf_counter()
    for at in range(2, 50):
        publisher.beat({"at": at})
    assert time.perf_counter() - started < 0.05
    sink.release.set()
    publisher.stop()
    # The stalled write finishes, then only the latest figures are written.
    assert sink.written[-1] == {"at": 49} and len(sink.written) <= 2


def test_a_reader_uses_its_last_good_read_while_redis_does_not_answer(monkeypatch):
    reader = RedisHeartbeat("redis://127.0.0.1:6379/13")
    reader.beat({"at": 123.0, "games": 2})
    assert reader.read()["at"] == 123.0

    def stalled(*args, **kwargs):
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(reader.client, "get", stalled)
    assert reader.read() == {"at": 123.0, "games": 2}
    fresh = RedisHeartbeat("redis://127.0.0.1:6379/13")
    monkeypatch.setattr(fresh.client, "get", stalled)
    with pytest.raises(redis.TimeoutError):
        fresh.read()

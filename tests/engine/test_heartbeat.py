"""The heartbeat never blocks the engine, and a Redis stall does not fail the health check."""

import threading
import time

import pytest
import redis

from engine.cluster.directory import WorkerDirectory
from engine.cluster.lease import WorkerLease
from engine.heartbeat import HeartbeatPublisher

# A Redis database of the cluster tests' own, flushed by them.
CLUSTER_TEST_REDIS = "redis://127.0.0.1:6379/8"


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


def test_the_health_reader_uses_its_last_good_read_while_redis_does_not_answer(monkeypatch):
    client = redis.Redis.from_url(CLUSTER_TEST_REDIS)
    client.flushdb()
    lease = WorkerLease(client, lease_ms=5000)
    lease.register()
    lease.beat({"at": time.time(), "games": 2, "lag_ms": 1.5})
    reader = WorkerDirectory(CLUSTER_TEST_REDIS)
    workers, without_owner = reader.read()
    assert [(w["id"], w["games"], w["lag_ms"]) for w in workers] == [(lease.worker_id, 2, 1.5)] and without_owner == 0

    def stalled(*args, **kwargs):
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(reader.client, "smembers", stalled)
    assert [w["id"] for w in reader.read()[0]] == [lease.worker_id]
    fresh = WorkerDirectory(CLUSTER_TEST_REDIS)
    monkeypatch.setattr(fresh.client, "smembers", stalled)
    with pytest.raises(redis.TimeoutError):
        fresh.read()

"""The engine's metrics: the iteration histogram, and the worker's own endpoint (METRICS_PORT)
scraped over HTTP after a game ran."""

import logging
import os
import socket
import time
import urllib.request
from contextlib import closing

import pytest
from django.core.exceptions import ImproperlyConfigured
from prometheus_client.parser import text_string_to_metric_families

from engine import runtime
from engine.engine_stats import ITERATION_BUCKETS, EngineStats
from engine.loop import GameEngine
from engine.metrics_server import metrics_ports, start_worker_metrics
from tests.engine.conftest import RecordingBroadcaster, RecordingStore


class StoreWithFigures(RecordingStore):
    def figures(self):
        return {
            "records_saved": {"MoveMade": 3},
            "records_failed": {},
            "ends": {"saved": 1, "failed": 0},
            "pending_records": 2,
        }


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample of the endpoint, by (name, sorted labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def free_port_pair() -> int:
    """A port P such that P and P + 1 were both free a moment ago."""
    for _ in range(50):
        with closing(socket.socket()) as probe:
            probe.bind(("0.0.0.0", 0))
            port = probe.getsockname()[1]
        if port < 65535:
            with closing(socket.socket()) as next_one:
                try:
                    next_one.bind(("0.0.0.0", port + 1))
                except OSError:
                    continue
            return port
    raise AssertionError("no two free ports in a row")


def test_iterations_are_counted_in_the_bucket_of_their_duration():
    stats = EngineStats()
    for seconds in (0.00005, 0.0001, 0.003, 0.003, 5.0):
        stats.record_iteration(seconds)
    counts, total = stats.iterations.snapshot()
    # Buckets are upper bounds, inclusive like Prometheus' `le`; past the last, the rest.
    assert counts[0] == 2
    assert counts[ITERATION_BUCKETS.index(0.005)] == 2
    assert counts[-1] == 1
    assert sum(counts) == 5
    assert total == pytest.approx(5.00615)
    assert stats.last_iteration_ms == pytest.approx(5000.0)
    # The buckets stay out of the heartbeat: it carries the counters only.
    assert "iterations" not in stats.figures() and stats.figures()["ticks"] == 0


def test_metrics_port_takes_a_port_a_range_or_zero():
    assert metrics_ports("") is None
    assert metrics_ports(" ") is None
    assert list(metrics_ports("9100")) == [9100]
    assert list(metrics_ports("9100-9102")) == [9100, 9101, 9102]
    assert list(metrics_ports("0")) == [0]
    for bad in ("nine", "9102-9100", "0-3", "70000", "-1", "9100-"):
        with pytest.raises(ImproperlyConfigured):
            metrics_ports(bad)


def test_the_worker_endpoint_shows_the_engine_figures_after_a_game_ran(monkeypatch):
    broadcaster = RecordingBroadcaster()
    engine = GameEngine(broadcaster=broadcaster, store=StoreWithFigures())
    monkeypatch.setattr(runtime, "_engine", engine)
    engine.start()
    server = start_worker_metrics("0")
    assert server is not None
    try:
        seats = [{"name": "ann", "bot": None}, {"name": "bob", "bot": None}]
        settings = {"countdown_ticks": 0, "tick_hz": 20, "seating_seconds": 0}
        engine.submit(
            {"type": "engine.start_game", "game_id": "g1", "kind": "snake", "seats": seats, "settings": settings, "seed": 1}
        )
        intent = {"type": "engine.intent", "game_id": "g1", "username": "ann", "intent": {"type": "direction", "direction": "UP"}}
        engine.submit(intent)
        wait_for(lambda: engine.stats.ticks >= 3)
        samples = scrape(server.server_port)
    finally:
        engine.stop()
        server.shutdown()
        server.server_close()

    assert samples[("kogame_engine_running", ())] == 1
    assert samples[("kogame_engine_games", (("kind", "snake"), ("state", "live")))] == 1
    assert samples[("kogame_engine_ticks_total", ())] >= 3
    assert samples[("kogame_engine_intents_total", ())] == 1
    # A tick event per tick at least, each numbered once.
    assert samples[("kogame_engine_events_total", ())] >= samples[("kogame_engine_ticks_total", ())]
    assert samples[("kogame_engine_dropped_messages_total", ())] == 0
    iterations = samples[("kogame_engine_iteration_seconds_count", ())]
    assert iterations >= 3
    assert samples[("kogame_engine_iteration_seconds_bucket", (("le", "+Inf"),))] == iterations
    assert samples[("kogame_engine_iteration_seconds_bucket", (("le", "0.0001"),))] <= iterations
    assert samples[("kogame_broadcast_published_total", ())] >= 1
    assert samples[("kogame_store_records_saved_total", (("record", "MoveMade"),))] == 3
    assert samples[("kogame_store_results_total", (("outcome", "saved"),))] == 1
    assert samples[("kogame_store_pending_records", ())] == 2
    info = [labels for name, labels in samples if name == "kogame_process_info"]
    assert info == [(("role", "worker"), ("worker", f"{socket.gethostname()}:{os.getpid()}"))]
    assert samples[("process_cpu_seconds_total", ())] > 0


def test_without_an_engine_the_endpoint_says_so(monkeypatch):
    monkeypatch.setattr(runtime, "_engine", None)
    server = start_worker_metrics("0")
    assert server is not None
    try:
        samples = scrape(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
    assert samples[("kogame_engine_running", ())] == 0
    assert not any(name.startswith("kogame_engine_ticks") for name, _ in samples)


def test_a_worker_takes_the_next_free_port_of_its_range_and_runs_on_when_none_is_free(monkeypatch, caplog):
    monkeypatch.setattr(runtime, "_engine", None)
    first = free_port_pair()
    with closing(socket.socket()) as taken:
        taken.bind(("0.0.0.0", first))
        taken.listen()
        server = start_worker_metrics(f"{first}-{first + 1}")
        assert server is not None
        try:
            assert server.server_port == first + 1
            assert scrape(first + 1)[("kogame_engine_running", ())] == 0
            with caplog.at_level(logging.ERROR, logger="kogame.engine"):
                assert start_worker_metrics(f"{first}-{first + 1}") is None
        finally:
            server.shutdown()
            server.server_close()
    assert "no free port for metrics" in caplog.text

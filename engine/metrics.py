"""The engine's Prometheus metrics, read at scrape time from the figures the engine already keeps
(EngineStats, its games, the broadcaster, the store, the bot runner): a scrape adds nothing to
the engine thread's work. Served by `runworker`'s own endpoint (engine/metrics_server.py), and
by GET /metrics in embedded mode.

The figures are written by the engine's threads and read here without their locks (except the
store's and the bot runner's, which have one): each number is a whole value, at worst one
iteration old.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine.engine_stats import EngineStats
from engine.live_game import LiveGame
from engine.loop import GameEngine

# EngineStats counters: (figure, metric name without _total, help).
LOOP_COUNTERS = (
    ("ticks", "kogame_engine_ticks", "Game ticks run"),
    ("late_ticks", "kogame_engine_late_ticks", "Ticks that ran a whole period or more after their deadline"),
    ("skipped_ticks", "kogame_engine_skipped_ticks", "Periods skipped by late ticks (not replayed)"),
    ("intents", "kogame_engine_intents", "Player intents received (engine.intent messages)"),
    ("events", "kogame_engine_events", "Events numbered for any game (a Snake tick, a chess move, a chat line...)"),
    ("dropped_messages", "kogame_engine_dropped_messages", "Messages refused because the engine's inbox was full"),
    ("dropped_intents", "kogame_engine_dropped_intents", "Intents dropped from a game's full intent queue (the oldest go)"),
    ("failed_games", "kogame_engine_failed_games", "Games ended by an engine error"),
)
BROADCAST_COUNTERS = (
    ("published", "kogame_broadcast_published", "Relay messages handed to the relay publisher"),
    ("publish_failed", "kogame_broadcast_publish_failed", "Relay messages lost because publishing failed"),
    ("replies", "kogame_broadcast_replies", "Replies sent through the channel layer"),
    ("replies_failed", "kogame_broadcast_replies_failed", "Replies lost because the channel layer failed"),
)
BOT_COUNTERS = (
    ("requested", "kogame_bot_moves_requested", "Chess bot moves asked for"),
    ("answered", "kogame_bot_moves_answered", "Chess bot moves handed back to the engine"),
    ("dropped", "kogame_bot_moves_dropped", "Chess bot moves dropped (runner full or closed, engine inbox full)"),
    ("failed", "kogame_bot_moves_failed", "Chess bot moves whose bot failed (a random move was played instead)"),
)


class EngineCollector(Collector):
    def __init__(self, engine_source: Callable[[], GameEngine | None]) -> None:
        # Asked at every scrape: the engine of a worker is made and stopped with its process.
        self.engine_source = engine_source

    def collect(self) -> Iterator[Metric]:
        engine = self.engine_source()
        running = engine is not None and engine.is_alive()
        yield GaugeMetricFamily("kogame_engine_running", "1 while this process runs the engine thread", value=int(running))
        if engine is None:
            return
        yield _games(engine)
        yield GaugeMetricFamily(
            "kogame_engine_inbox_messages", "Messages waiting for the engine thread", value=engine.inbox_backlog()
        )
        yield from _loop(engine.stats)
        yield from _counters(BROADCAST_COUNTERS, engine.broadcaster.figures())
        if engine.bots is not None:
            yield from _counters(BOT_COUNTERS, engine.bots.stats())
        # The database store keeps these figures; a store without them (a test's) shows none.
        store_figures = getattr(engine.store, "figures", None)
        if store_figures is not None:
            yield from _store(store_figures())


def _games(engine: GameEngine) -> GaugeMetricFamily:
    counts: dict[tuple[str, str], int] = {}
    for game in _games_of(engine):
        key = (game.session.kind, "live" if game.ended_at is None else "ended")
        counts[key] = counts.get(key, 0) + 1
    family = GaugeMetricFamily(
        "kogame_engine_games",
        "Games this engine holds, by kind; ended ones stay a while for late sockets",
        labels=["kind", "state"],
    )
    for (kind, state), count in sorted(counts.items()):
        family.add_metric([kind, state], count)
    return family


def _games_of(engine: GameEngine) -> list[LiveGame]:
    # The engine thread adds and removes games meanwhile: copying the dict may meet a change of
    # size, and a second try then succeeds.
    for _ in range(3):
        try:
            return list(engine.games.values())
        except RuntimeError:
            continue
    return []


def _loop(stats: EngineStats) -> Iterator[Metric]:
    yield from _counters(LOOP_COUNTERS, stats.figures())
    yield GaugeMetricFamily(
        "kogame_engine_max_lateness_seconds",
        "Worst lateness of a tick since the engine started",
        value=stats.max_lateness_ms / 1000,
    )
    yield stats.iterations.family(
        "kogame_engine_iteration_seconds", "Duration of the engine loop's iterations (handle messages, tick what is due, publish)"
    )


def _counters(table: tuple[tuple[str, str, str], ...], figures: dict) -> Iterator[Metric]:
    for figure, name, documentation in table:
        if figure in figures:
            yield CounterMetricFamily(name, documentation, value=figures[figure])


def _store(figures: dict) -> Iterator[Metric]:
    for figure, name, documentation in (
        ("records_saved", "kogame_store_records_saved", "Records saved before their event left (chess moves, created games...)"),
        ("records_failed", "kogame_store_records_failed", "Records the store could not save (their game ends)"),
    ):
        family = CounterMetricFamily(name, documentation, labels=["record"])
        for record, count in sorted(figures[figure].items()):
            family.add_metric([record], count)
        yield family
    results = CounterMetricFamily("kogame_store_results", "Results of ended games written, by outcome", labels=["outcome"])
    for outcome, count in sorted(figures["ends"].items()):
        results.add_metric([outcome], count)
    yield results
    yield GaugeMetricFamily(
        "kogame_store_pending_records", "Records waiting for the store thread", value=figures["pending_records"]
    )

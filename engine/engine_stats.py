"""The engine's counters, reported in the heartbeat (GET /healthz) and read by its metrics
(engine/metrics.py), and its late-tick log."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields

from engine.fixed_histogram import FixedHistogram

# Upper bounds, in seconds, of the buckets that count loop iterations by duration.
ITERATION_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


@dataclass
class EngineStats:
    ticks: int = 0
    late_ticks: int = 0
    skipped_ticks: int = 0
    max_lateness_ms: float = 0.0
    dropped_messages: int = 0
    dropped_intents: int = 0
    failed_games: int = 0
    # Player intents received (engine.intent messages), and events numbered for any game.
    intents: int = 0
    events: int = 0
    last_iteration_ms: float = 0.0
    # The worst lateness of any tick over the last housekeeping second, late or not.
    lag_ms: float = 0.0
    _lag_window_ms: float = field(default=0.0, repr=False)
    # Iterations by duration (the metrics' kogame_engine_iteration_seconds).
    iterations: FixedHistogram = field(default_factory=lambda: FixedHistogram(ITERATION_BUCKETS), repr=False)
    # Worst lateness since the last log line, logged once per second rather than per game.
    _late_since_log_ms: float = field(default=0.0, repr=False)
    _late_ticks_at_log: int = field(default=0, repr=False)

    def record_lateness(self, lateness: float, period: float) -> int:
        """Counts a tick that ran `lateness` seconds after its deadline; returns the whole periods
        it missed (they are skipped, not replayed)."""
        missed = int(lateness // period)
        self._lag_window_ms = max(self._lag_window_ms, lateness * 1000)
        if missed:
            self.late_ticks += 1
            self.skipped_ticks += missed
            self.max_lateness_ms = max(self.max_lateness_ms, lateness * 1000)
            self._late_since_log_ms = max(self._late_since_log_ms, lateness * 1000)
        return missed

    def record_iteration(self, seconds: float) -> None:
        self.last_iteration_ms = seconds * 1000
        self.iterations.observe(seconds)

    def log_late_ticks(self, logger: logging.Logger) -> None:
        if not self._late_since_log_ms:
            return
        logger.warning(
            "%d late tick(s) in the last second, the worst %.1f ms late; missed ticks were skipped",
            self.late_ticks - self._late_ticks_at_log,
            self._late_since_log_ms,
        )
        self._late_since_log_ms = 0.0
        self._late_ticks_at_log = self.late_ticks

    def close_lag_window(self) -> None:
        self.lag_ms, self._lag_window_ms = round(self._lag_window_ms, 1), 0.0

    def figures(self) -> dict:
        """The counters, for the heartbeat (the histogram stays out: the metrics show it)."""
        names = (item.name for item in fields(self) if not item.name.startswith("_") and item.name != "iterations")
        return {name: getattr(self, name) for name in names}

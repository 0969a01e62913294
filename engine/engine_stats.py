"""The engine's counters, reported in the heartbeat (GET /healthz), and its late-tick log."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field


@dataclass
class EngineStats:
    ticks: int = 0
    late_ticks: int = 0
    skipped_ticks: int = 0
    max_lateness_ms: float = 0.0
    dropped_messages: int = 0
    dropped_intents: int = 0
    failed_games: int = 0
    last_iteration_ms: float = 0.0
    # The worst lateness of any tick over the last housekeeping second, late or not.
    lag_ms: float = 0.0
    _lag_window_ms: float = field(default=0.0, repr=False)
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
        return {name: value for name, value in asdict(self).items() if not name.startswith("_")}

"""Saves what the engine decides, off the tick's hot path, through the services."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

from engine import services
from engine.games.effects import Outcome, Record

logger = logging.getLogger("kogame.store")


class DatabaseResultStore:
    def __init__(self, worker_id: Callable[[], str | None] = lambda: None) -> None:
        # Worker mode: the id saves are made under; a worker that lost a game to another is
        # refused (services.engine_records_save). None: the only engine.
        self.worker_id = worker_id
        # One thread: results are written in the order games end, and never on the engine thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kogame-store")
        # Records waiting for the store thread; it saves all that wait in one transaction.
        self._lock = threading.Lock()
        self._pending_records: list[tuple[str, Record, int, Callable[[bool], None]]] = []
        # Records saved and given up on, by kind of record (MoveMade...); results saved and not.
        # Written by the store thread, read by the metrics (engine/metrics.py), under the lock.
        self._saved: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        self._ends = {"saved": 0, "failed": 0}

    def game_ended(self, game_id: str, outcome: Outcome, last_v: int) -> None:
        self._executor.submit(self._save_end, game_id, outcome, last_v)

    def persist(self, game_id: str, record: Record, v: int, on_done: Callable[[bool], None]) -> None:
        with self._lock:
            self._pending_records.append((game_id, record, v, on_done))
            first = len(self._pending_records) == 1
        if first:
            self._executor.submit(self._save_pending_records)

    def _save_pending_records(self) -> None:
        with self._lock:
            batch, self._pending_records = self._pending_records, []
        try:
            refused = self._run(
                services.engine_records_save,
                records=[(game_id, record, v) for game_id, record, v, _ in batch],
                worker_id=self.worker_id(),
            )
            outcomes = [game_id not in refused for game_id, _, _, _ in batch]
        except Exception:
            # Save them one by one, so one bad record does not fail the others.
            outcomes = [self._save_record(game_id, record, v) for game_id, record, v, _ in batch]
        with self._lock:
            for (_, record, _, _), saved in zip(batch, outcomes, strict=True):
                (self._saved if saved else self._failed)[type(record).__name__] += 1
        for (_, _, _, on_done), saved in zip(batch, outcomes, strict=True):
            on_done(saved)

    def _save_record(self, game_id: str, record: Record, v: int) -> bool:
        try:
            return self._run(services.engine_record_save, game_id=game_id, record=record, v=v, worker_id=self.worker_id())
        except Exception:
            logger.exception("could not save a %s of game %s", type(record).__name__, game_id, extra={"game_id": game_id})
            return False

    def adopt_games(self, game_ids: list[str] | None = None, frozen: dict[str, dict] | None = None) -> list[dict]:
        """Start (or end) messages for live games whose engine process is gone: `game_ids`, or
        every live game (see the service). Runs on the store's thread, after the saves queued
        before it."""
        worker_id = self.worker_id() or ""
        adopt = services.games_adopt
        return self._executor.submit(self._run, adopt, game_ids=game_ids, worker_id=worker_id, frozen=frozen).result()

    @staticmethod
    def _run(function, **kwargs):
        close_old_connections()
        try:
            return function(**kwargs)
        finally:
            close_old_connections()

    def _save_end(self, game_id: str, outcome: Outcome, last_v: int) -> None:
        try:
            self._run(
                services.game_record_end,
                game_id=game_id,
                status=outcome.status,
                reason=outcome.reason,
                winner_seats=outcome.winner_seats,
                scores=outcome.scores,
                last_v=last_v,
                final_clock=outcome.final_clock,
                worker_id=self.worker_id(),
            )
            saved = True
        except Exception:
            logger.exception("could not save the end of game %s", game_id, extra={"game_id": game_id})
            saved = False
        with self._lock:
            self._ends["saved" if saved else "failed"] += 1

    def figures(self) -> dict:
        """Records saved and failed by kind, results saved and failed, and records waiting."""
        with self._lock:
            return {
                "records_saved": dict(self._saved),
                "records_failed": dict(self._failed),
                "ends": dict(self._ends),
                "pending_records": len(self._pending_records),
            }

    def close(self) -> None:
        self._executor.shutdown(wait=True)

"""Saves what the engine decides, off the tick's hot path, through the services."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from django.db import close_old_connections

from engine import services
from engine.sessions import Outcome

logger = logging.getLogger("kogame.store")


class DatabaseResultStore:
    def __init__(self) -> None:
        # One thread: results are written in the order games end, and never on the engine thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kogame-store")

    def game_ended(self, game_id: str, outcome: Outcome, last_v: int) -> None:
        self._executor.submit(self._save_end, game_id, outcome, last_v)

    def persist(self, game_id: str, record: dict, on_done: Callable[[bool], None]) -> None:
        self._executor.submit(self._save_record, game_id, record, on_done)

    def _save_record(self, game_id: str, record: dict, on_done: Callable[[bool], None]) -> None:
        try:
            self._run(services.engine_record_save, game_id=game_id, record=record)
            saved = True
        except Exception:
            logger.exception("could not save a %s record of game %s", record.get("op"), game_id)
            saved = False
        on_done(saved)

    def recover_games(self) -> list[dict]:
        """Start messages for the games a previous engine process left live (see the service)."""
        return self._executor.submit(self._run, services.games_recover_after_restart).result()

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
                winner_username=outcome.winner_username,
                scores=outcome.scores,
                last_v=last_v,
            )
        except Exception:
            logger.exception("could not save the end of game %s", game_id)

    def close(self) -> None:
        self._executor.shutdown(wait=True)

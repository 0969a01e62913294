"""Worker mode: freezes the live games of the kinds that can be frozen (Snake) about once a
second, and all of them when the worker stops, into the outbox, which the broadcaster writes to
Redis (under the worker's lease, like everything it publishes). A worker that adopts the game
thaws it from there (engine/cluster/caretaker.py)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.games import KINDS
from engine.live_game import LiveGame
from engine.outbox import Outbox

# How often a game is frozen: a game adopted after its worker died goes on from at most this far back.
FREEZE_SECONDS = 1.0


class Freezer:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._due: dict[str, float] = {}

    def after_tick(self, game: LiveGame, now: float) -> None:
        if not KINDS[game.session.kind].freezes or now < self._due.get(game.game_id, now):
            return
        self._freeze(game, now)

    def freeze_all(self, games: Iterable[LiveGame], now: float) -> None:
        """On a clean stop: the games as they are, for the workers that adopt them next."""
        for game in games:
            if KINDS[game.session.kind].freezes and game.ended_at is None:
                self._freeze(game, now)

    def forget(self, game_id: str) -> None:
        self._due.pop(game_id, None)

    def _freeze(self, game: LiveGame, now: float) -> None:
        self._due[game.game_id] = now + FREEZE_SECONDS
        self.outbox.snapshot(game.game_id, game.v, game.session.freeze(now))  # type: ignore[attr-defined]  # a kind that freezes has it

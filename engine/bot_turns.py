"""A game's bot to move is asked off the engine thread (engine/games/chess/bot_runner.py); its
answer comes back later as an engine.bot_move message."""

from __future__ import annotations

import logging
from typing import Protocol

from engine.games.effects import BotTurn

logger = logging.getLogger("kogame.engine")


class BotRunner(Protocol):
    def request(self, *, game_id: str, seat: str, level: str, fen: str, ply: int, remaining_ms: int, increment_ms: int) -> None:
        """Has a bot choose a move off the engine thread; its answer comes back as an
        engine.bot_move message. Never blocks."""

    def stats(self) -> dict[str, int]:
        """Moves requested, answered, dropped and failed so far."""


def ask_bot(bots: BotRunner | None, game_id: str, turn: BotTurn) -> None:
    """Never raises: a runner that fails leaves the bot's clock running, as a silent player's."""
    if bots is None:
        logger.error("game %s has a bot to move and this engine runs no bots", game_id, extra={"game_id": game_id})
        return
    try:
        bots.request(
            game_id=game_id,
            seat=turn.seat,
            level=turn.level,
            fen=turn.fen,
            ply=turn.ply,
            remaining_ms=turn.remaining_ms,
            increment_ms=turn.increment_ms,
        )
    except Exception:
        logger.exception("game %s: could not ask bot %s to move", game_id, turn.seat, extra={"game_id": game_id})

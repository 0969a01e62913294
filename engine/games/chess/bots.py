"""Chess bots at three levels, "easy", "medium" and "hard", behind one small interface.

`bot_for(level)` plays with Stockfish when the machine has it (on PATH, or where Debian's
`stockfish` package puts it) and with the built-in pure-Python bot otherwise, so a fresh
machine still has bots. Levels are described in builtin.py and stockfish.py.

`choose_move` blocks for up to `think_ms` (plus a few ms): call it from a worker thread, never
the engine's tick thread, with a board nobody changes meanwhile (hand it `board.copy()`). The
built-in bots compute in the calling thread and hold the GIL while they do; a Stockfish bot
waits on its own process. A bot plays one move at a time; `close` ends its engine process.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import Protocol

import chess
import chess.engine

from engine.games.chess.builtin import builtin_bot
from engine.games.chess.stockfish import StockfishBot
from engine.games.effects import BOT_LEVELS

logger = logging.getLogger(__name__)

LEVELS = BOT_LEVELS
MAX_THINK_MS = 2_000
# A 30th of the remaining time: a bot keeps time for about 30 more moves.
_MOVES_TO_PLAN_FOR = 30
_DEBIAN_STOCKFISH = "/usr/games/stockfish"


class ChessBot(Protocol):
    name: str

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        """A legal move for the side to move, within `think_ms`; `board` is not modified.
        Raises ValueError if there is no legal move."""
        ...

    def close(self) -> None: ...


def think_ms_for(remaining_ms: int, increment_ms: int) -> int:
    """A move's time budget from the bot's clock: a 30th of its time plus the increment, at most
    MAX_THINK_MS, and at most half of what is left, since the increment only comes after the move."""
    return max(1, min(remaining_ms // _MOVES_TO_PLAN_FOR + increment_ms, remaining_ms // 2, MAX_THINK_MS))


def stockfish_path() -> str | None:
    found = shutil.which("stockfish")
    if found is None and os.access(_DEBIAN_STOCKFISH, os.X_OK):
        found = _DEBIAN_STOCKFISH
    return found


def bot_for(level: str) -> ChessBot:
    """A bot of `level`: Stockfish if it is installed and starts, the built-in bot otherwise."""
    if level not in LEVELS:
        raise ValueError(f"unknown bot level {level!r}, expected one of {', '.join(LEVELS)}")
    path = stockfish_path()
    if path is not None:
        try:
            return StockfishBot(path, level)
        except (OSError, chess.engine.EngineError, TimeoutError) as error:
            logger.error("Stockfish at %s did not start (%r); using the built-in bot", path, error)
    return builtin_bot(level)

"""Stockfish bots, through python-chess' UCI driver: one engine process per bot.

Levels, as Stockfish options plus a depth limit, within the time budget a move is given:
- easy: Skill Level 0, at most 5 plies deep.
- medium: UCI_LimitStrength with UCI_Elo 1500, at most 8 plies deep.
- hard: full strength, as deep as the budget allows.
Below full strength Stockfish decides at a shallow depth (1 + its skill level) and then picks
among its best few moves with deliberate errors: searching on would only burn CPU, hence the
depth limits.

If the engine dies, hangs or answers nonsense, the bot logs it, stops the process and plays
the rest of its game with the built-in bot of the same level.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import chess
import chess.engine

from engine.games.chess.builtin import builtin_bot

logger = logging.getLogger(__name__)

# One thread and a small hash table: many bots may run side by side on a small server.
_ENGINE_OPTIONS = {"Threads": 1, "Hash": 16}
# How long past its time limit a running engine may take to answer before it counts as hung.
# 0.5 s was once exceeded by a healthy Stockfish on this busy 2-core machine (load 7).
_ANSWER_GRACE_S = 1.0
# Starting it (loading the network) may take longer than a move.
_START_TIMEOUT_S = 10.0
# The built-in bot's budget when a failing engine used up the move's: enough for its first choice.
_FALLBACK_MIN_MS = 10


@dataclass(frozen=True)
class StockfishLevel:
    options: dict[str, int | bool]
    max_depth: int | None  # None: as deep as the time allows


STOCKFISH_LEVELS = {
    "easy": StockfishLevel({"Skill Level": 0}, max_depth=5),
    "medium": StockfishLevel({"UCI_LimitStrength": True, "UCI_Elo": 1500}, max_depth=8),
    "hard": StockfishLevel({}, max_depth=None),
}


class StockfishBot:
    """A Stockfish process playing at `level`, started with `command` (its path, or a list of the
    path and arguments); raises what popen_uci raises if it cannot start."""

    def __init__(self, command: str | list[str], level: str) -> None:
        self.name = f"stockfish-{level}"
        self._level = STOCKFISH_LEVELS[level]
        self._fallback = builtin_bot(level)
        self._engine: chess.engine.SimpleEngine | None = chess.engine.SimpleEngine.popen_uci(command, timeout=_START_TIMEOUT_S)
        self._engine.timeout = _ANSWER_GRACE_S
        try:
            self._engine.configure({**_ENGINE_OPTIONS, **self._level.options})
        except BaseException:
            self.close()
            raise

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        if not any(board.generate_legal_moves()):
            raise ValueError("no legal move")  # not an engine failure: the caller asked too late
        if self._engine is None:
            return self._fallback.choose_move(board, think_ms=think_ms)
        started = time.monotonic()
        limit = chess.engine.Limit(time=think_ms / 1000, depth=self._level.max_depth)
        try:
            move = self._engine.play(board, limit).move
            if move is None or not board.is_legal(move):
                raise chess.engine.EngineError(f"answered {move} in {board.fen()}")
            return move
        except (chess.engine.EngineError, TimeoutError) as error:
            logger.error("%s failed (%r); the built-in bot takes over", self.name, error)
            self._engine.close()
            self._engine = None
            # Whatever the budget has left (a hung engine may have used it all): still a legal move.
            left_ms = think_ms - round((time.monotonic() - started) * 1000)
            return self._fallback.choose_move(board, think_ms=max(left_ms, _FALLBACK_MIN_MS))

    def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            try:
                engine.quit()
            except (chess.engine.EngineError, TimeoutError):
                engine.close()  # quit needs an engine that answers: stop the process instead

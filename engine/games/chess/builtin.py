"""The built-in bots: pure Python on python-chess, so every machine has a chess opponent.

- easy: a random legal move, though a capture most of the time when one is on offer.
- medium: a 2-ply search on material and piece-square tables, without quiescence: it sees a
  reply to its move, not the rest of an exchange.
- hard: iterative deepening up to 8 plies with quiescence and move ordering, stopped by its
  time budget (depth 3 to 4 in the middlegame with a second or two).
"""

from __future__ import annotations

import random

import chess

from engine.games.chess.search import search_best_move

# How often the easy bot takes a capture when it has one: often enough to feel greedy.
_EASY_CAPTURE_PREFERENCE = 0.7
_MEDIUM_DEPTH = 2
_HARD_MAX_DEPTH = 8


class RandomCaptureBot:
    """easy: random legal moves with a liking for captures."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.name = "builtin-easy"
        self._rng = rng or random.Random()

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        moves = list(board.legal_moves)
        if not moves:
            raise ValueError("no legal move")
        captures = [move for move in moves if board.is_capture(move)]
        if captures and self._rng.random() < _EASY_CAPTURE_PREFERENCE:
            return self._rng.choice(captures)
        return self._rng.choice(moves)

    def close(self) -> None:
        pass  # nothing held


class SearchBot:
    """medium and hard: alpha-beta search, see engine.games.chess.search."""

    def __init__(self, name: str, *, max_depth: int, quiescence: bool) -> None:
        self.name = name
        self._max_depth = max_depth
        self._quiescence = quiescence

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        return search_best_move(board, max_depth=self._max_depth, quiescence=self._quiescence, think_ms=think_ms)

    def close(self) -> None:
        pass  # nothing held


def builtin_bot(level: str, rng: random.Random | None = None) -> RandomCaptureBot | SearchBot:
    """The built-in bot of `level` ("easy", "medium" or "hard"); `rng` drives the easy bot's choices."""
    if level == "easy":
        return RandomCaptureBot(rng)
    if level == "medium":
        return SearchBot("builtin-medium", max_depth=_MEDIUM_DEPTH, quiescence=False)
    if level == "hard":
        return SearchBot("builtin-hard", max_depth=_HARD_MAX_DEPTH, quiescence=True)
    raise ValueError(f"unknown bot level {level!r}")

"""Bot-against-bot games and a random mover, to measure the bots (bench/chess_bots.py, the tests).

A game ends as the rules end it, a threefold repetition or the fifty-move rule included (as if
claimed); after `max_plies` it is adjudicated on material, a minor piece's lead or more winning.
Bots see the same board a player would and nothing else; their moves are checked for legality.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import chess

from engine.games.chess.bots import ChessBot
from engine.games.chess.evaluation import PIECE_VALUES, material

_ADJUDICATION_LEAD = PIECE_VALUES[chess.KNIGHT]


class IllegalBotMove(Exception):
    pass


class RandomMover:
    """The weakest possible player, a yardstick: a uniformly random legal move."""

    def __init__(self, rng: random.Random) -> None:
        self.name = "random"
        self._rng = rng

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        return self._rng.choice(list(board.legal_moves))

    def close(self) -> None:
        pass  # nothing held


@dataclass
class GameRecord:
    winner: chess.Color | None  # None: a draw
    adjudicated: bool
    plies: int
    # Wall-clock ms each choose_move took, by the side that made it.
    move_ms: dict[chess.Color, list[float]] = field(default_factory=lambda: {chess.WHITE: [], chess.BLACK: []})


def play_game(
    white: ChessBot, black: ChessBot, *, think_ms: int, max_plies: int, start: chess.Board | None = None
) -> GameRecord:
    """Plays one game from `start` (the standard position by default) and returns its record."""
    board = chess.Board() if start is None else start.copy()
    record = GameRecord(winner=None, adjudicated=False, plies=0)
    while board.outcome(claim_draw=True) is None and record.plies < max_plies:
        bot = white if board.turn == chess.WHITE else black
        began = time.perf_counter()
        move = bot.choose_move(board, think_ms=think_ms)
        record.move_ms[board.turn].append((time.perf_counter() - began) * 1000)
        if not board.is_legal(move):
            raise IllegalBotMove(f"{bot.name} played {move} in {board.fen()}")
        board.push(move)
        record.plies += 1
    outcome = board.outcome(claim_draw=True)
    if outcome is not None:
        record.winner = outcome.winner
    else:
        record.adjudicated = True
        record.winner = material_leader(board)
    return record


def material_leader(board: chess.Board) -> chess.Color | None:
    """The side ahead by at least a minor piece, if any."""
    lead = material(board, chess.WHITE) - material(board, chess.BLACK)
    if abs(lead) < _ADJUDICATION_LEAD:
        return None
    return chess.WHITE if lead > 0 else chess.BLACK

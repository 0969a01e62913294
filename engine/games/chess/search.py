"""Alpha-beta search for the built-in bots, by iterative deepening under a deadline.

Negamax with alpha-beta pruning; moves are tried captures first (most valuable victim, least
valuable attacker), then promotions, then the two "killer" quiet moves that last cut off at
the same ply. With `quiescence`, the horizon is searched on through captures, so the search
does not stop in the middle of an exchange. A side in check at the horizon gets one more ply,
so mates there are seen. Repetitions and the fifty-move rule score as draws.

Each depth is searched completely before the next one starts, best move first; when the
deadline passes mid-search, the best move found so far is played.
"""

from __future__ import annotations

import time

import chess

from engine.games.chess.evaluation import PIECE_VALUES, evaluate

MATE_SCORE = 100_000
# Any score this close to MATE_SCORE is a forced mate: searching deeper cannot improve it.
_MATE_FOUND = MATE_SCORE - 1_000
_INFINITY = 1_000_000
# A capture that cannot lift the score to alpha even with this margin is not worth searching.
_DELTA_MARGIN = 200
# Past this share of the budget the next depth, several times longer, would not finish.
_LAST_DEPTH_SHARE = 0.5
_KILLERS_PER_PLY = 2

# Move ordering classes, best first; MVV-LVA refines captures within theirs.
_CAPTURE_ORDER = 10_000
_PROMOTION_ORDER = 9_000
_KILLER_ORDER = 8_000


class _OutOfTime(Exception):
    pass


def search_best_move(board: chess.Board, *, max_depth: int, quiescence: bool, think_ms: int) -> chess.Move:
    """The best move found in `think_ms` by searching at most `max_depth` plies; `board` is not
    modified. Raises ValueError if the side to move has no legal move."""
    started = time.monotonic()
    search = _Search(board.copy(), deadline=started + think_ms / 1000, quiescence=quiescence)
    return search.best_move(max_depth, started, think_ms)


class _Search:
    def __init__(self, board: chess.Board, *, deadline: float, quiescence: bool) -> None:
        self.board = board
        self.deadline = deadline
        self.quiescence = quiescence
        self.killers: dict[int, list[chess.Move]] = {}
        # Best move of the depth being searched, once its first root move has been searched.
        self.depth_best: chess.Move | None = None

    def best_move(self, max_depth: int, started: float, think_ms: int) -> chess.Move:
        root_moves = self.ordered(list(self.board.legal_moves))
        if not root_moves:
            raise ValueError("no legal move")
        best = root_moves[0]
        if len(root_moves) == 1:
            return best
        for depth in range(1, max_depth + 1):
            self.depth_best = None
            try:
                best, score = self.search_root(root_moves, depth)
            except _OutOfTime:
                # The previous best is searched first, so a partial depth's best is at least as good.
                return self.depth_best or best
            root_moves.remove(best)
            root_moves.insert(0, best)
            spent_ms = (time.monotonic() - started) * 1000
            if abs(score) >= _MATE_FOUND or spent_ms > think_ms * _LAST_DEPTH_SHARE:
                break
        return best

    def search_root(self, root_moves: list[chess.Move], depth: int) -> tuple[chess.Move, int]:
        alpha = -_INFINITY
        best = root_moves[0]
        for move in root_moves:
            self.board.push(move)
            score = -self.negamax(depth - 1, -_INFINITY, -alpha, ply=1)
            self.board.pop()
            if score > alpha:
                alpha, best = score, move
                self.depth_best = move
        return best, alpha

    def negamax(self, depth: int, alpha: int, beta: int, ply: int) -> int:
        self.check_time()
        board = self.board
        if board.halfmove_clock >= 100 or (board.halfmove_clock >= 4 and board.is_repetition(2)):
            return 0
        in_check = board.is_check()
        if depth <= 0:
            if not in_check:
                return self.quiesce(alpha, beta) if self.quiescence else evaluate(board)
            depth = 1
        moves = list(board.legal_moves)
        if not moves:
            return -MATE_SCORE + ply if in_check else 0
        best = -_INFINITY
        for move in self.ordered(moves, self.killers.get(ply, [])):
            board.push(move)
            score = -self.negamax(depth - 1, -beta, -alpha, ply + 1)
            board.pop()
            if score > best:
                best = score
                alpha = max(alpha, score)
                if alpha >= beta:
                    self.remember_killer(move, ply)
                    break
        return best

    def quiesce(self, alpha: int, beta: int) -> int:
        self.check_time()
        board = self.board
        standing = evaluate(board)
        if standing >= beta:
            return standing
        alpha = max(alpha, standing)
        for move in self.ordered(list(board.generate_legal_captures())):
            victim = board.piece_type_at(move.to_square) or chess.PAWN  # None: en passant
            if not move.promotion and standing + PIECE_VALUES[victim] + _DELTA_MARGIN < alpha:
                continue
            board.push(move)
            score = -self.quiesce(-beta, -alpha)
            board.pop()
            if score >= beta:
                return score
            alpha = max(alpha, score)
        return alpha

    def ordered(self, moves: list[chess.Move], killers: list[chess.Move] | None = None) -> list[chess.Move]:
        return sorted(moves, key=lambda move: self.order_key(move, killers or []), reverse=True)

    def order_key(self, move: chess.Move, killers: list[chess.Move]) -> int:
        board = self.board
        victim = board.piece_type_at(move.to_square)
        if victim is not None or board.is_en_passant(move):
            attacker = board.piece_type_at(move.from_square) or chess.PAWN
            return _CAPTURE_ORDER + 10 * (victim or chess.PAWN) - attacker
        if move.promotion:
            return _PROMOTION_ORDER + move.promotion
        return _KILLER_ORDER if move in killers else 0

    def remember_killer(self, move: chess.Move, ply: int) -> None:
        if self.board.is_capture(move):
            return
        killers = self.killers.setdefault(ply, [])
        if move not in killers:
            killers.insert(0, move)
            del killers[_KILLERS_PER_PLY:]

    def check_time(self) -> None:
        if time.monotonic() >= self.deadline:
            raise _OutOfTime

"""Static evaluation for the built-in bots: material plus piece-square tables, in centipawns.

The tables are Tomasz Michniewski's "Simplified Evaluation Function" (chessprogramming.org),
written from White's side with rank 8 first, as they are usually printed. A winning side in
the endgame is also rewarded for driving the losing king to the edge and walking its own king
closer ("mop-up"), without which a shallow search cannot find the way to mate.
"""

from __future__ import annotations

import chess

PIECE_VALUES = {
    chess.PAWN: 100,
    chess.KNIGHT: 320,
    chess.BISHOP: 330,
    chess.ROOK: 500,
    chess.QUEEN: 900,
    chess.KING: 0,
}

_PRINTED_TABLES = {
    chess.PAWN: (
        0, 0, 0, 0, 0, 0, 0, 0,
        50, 50, 50, 50, 50, 50, 50, 50,
        10, 10, 20, 30, 30, 20, 10, 10,
        5, 5, 10, 25, 25, 10, 5, 5,
        0, 0, 0, 20, 20, 0, 0, 0,
        5, -5, -10, 0, 0, -10, -5, 5,
        5, 10, 10, -20, -20, 10, 10, 5,
        0, 0, 0, 0, 0, 0, 0, 0,
    ),
    chess.KNIGHT: (
        -50, -40, -30, -30, -30, -30, -40, -50,
        -40, -20, 0, 0, 0, 0, -20, -40,
        -30, 0, 10, 15, 15, 10, 0, -30,
        -30, 5, 15, 20, 20, 15, 5, -30,
        -30, 0, 15, 20, 20, 15, 0, -30,
        -30, 5, 10, 15, 15, 10, 5, -30,
        -40, -20, 0, 5, 5, 0, -20, -40,
        -50, -40, -30, -30, -30, -30, -40, -50,
    ),
    chess.BISHOP: (
        -20, -10, -10, -10, -10, -10, -10, -20,
        -10, 0, 0, 0, 0, 0, 0, -10,
        -10, 0, 5, 10, 10, 5, 0, -10,
        -10, 5, 5, 10, 10, 5, 5, -10,
        -10, 0, 10, 10, 10, 10, 0, -10,
        -10, 10, 10, 10, 10, 10, 10, -10,
        -10, 5, 0, 0, 0, 0, 5, -10,
        -20, -10, -10, -10, -10, -10, -10, -20,
    ),
    chess.ROOK: (
        0, 0, 0, 0, 0, 0, 0, 0,
        5, 10, 10, 10, 10, 10, 10, 5,
        -5, 0, 0, 0, 0, 0, 0, -5,
        -5, 0, 0, 0, 0, 0, 0, -5,
        -5, 0, 0, 0, 0, 0, 0, -5,
        -5, 0, 0, 0, 0, 0, 0, -5,
        -5, 0, 0, 0, 0, 0, 0, -5,
        0, 0, 0, 5, 5, 0, 0, 0,
    ),
    chess.QUEEN: (
        -20, -10, -10, -5, -5, -10, -10, -20,
        -10, 0, 0, 0, 0, 0, 0, -10,
        -10, 0, 5, 5, 5, 5, 0, -10,
        -5, 0, 5, 5, 5, 5, 0, -5,
        0, 0, 5, 5, 5, 5, 0, -5,
        -10, 5, 5, 5, 5, 5, 0, -10,
        -10, 0, 5, 0, 0, 0, 0, -10,
        -20, -10, -10, -5, -5, -10, -10, -20,
    ),
}
_PRINTED_KING_MIDDLEGAME = (
    -30, -40, -40, -50, -50, -40, -40, -30,
    -30, -40, -40, -50, -50, -40, -40, -30,
    -30, -40, -40, -50, -50, -40, -40, -30,
    -30, -40, -40, -50, -50, -40, -40, -30,
    -20, -30, -30, -40, -40, -30, -30, -20,
    -10, -20, -20, -20, -20, -20, -20, -10,
    20, 20, 0, 0, 0, 0, 20, 20,
    20, 30, 10, 0, 0, 10, 30, 20,
)
_PRINTED_KING_ENDGAME = (
    -50, -40, -30, -20, -20, -30, -40, -50,
    -30, -20, -10, 0, 0, -10, -20, -30,
    -30, -10, 20, 30, 30, 20, -10, -30,
    -30, -10, 30, 40, 40, 30, -10, -30,
    -30, -10, 30, 40, 40, 30, -10, -30,
    -30, -10, 20, 30, 30, 20, -10, -30,
    -30, -30, 0, 0, 0, 0, -30, -30,
    -50, -30, -30, -30, -30, -30, -30, -50,
)

# The endgame starts when the pieces other than pawns and kings are worth this much or less
# (both sides together): about a rook and a minor piece each.
_ENDGAME_PIECE_MATERIAL = 1_700
# A lead worth more than a minor piece is enough to start hunting the losing king.
_MOP_UP_LEAD = 400


def _by_square(printed: tuple[int, ...], color: chess.Color, base: int) -> tuple[int, ...]:
    """A printed table indexed by python-chess square (a1 = 0) for `color`, plus `base`."""
    # Printed index 0 is a8: White's square s reads entry s ^ 56; Black's board is the mirror.
    return tuple(base + printed[square ^ 56 if color == chess.WHITE else square] for square in chess.SQUARES)


_PIECE_SQUARE = {
    (color, piece_type): _by_square(printed, color, PIECE_VALUES[piece_type])
    for color in chess.COLORS
    for piece_type, printed in _PRINTED_TABLES.items()
}
_KING_SQUARE = {
    (color, endgame): _by_square(_PRINTED_KING_ENDGAME if endgame else _PRINTED_KING_MIDDLEGAME, color, 0)
    for color in chess.COLORS
    for endgame in (False, True)
}


def evaluate(board: chess.Board) -> int:
    """The position's value in centipawns for the side to move (positive: better for it)."""
    white_material = material(board, chess.WHITE)
    black_material = material(board, chess.BLACK)
    endgame = _piece_material(board) <= _ENDGAME_PIECE_MATERIAL
    white_score = _placement(board, chess.WHITE, endgame) - _placement(board, chess.BLACK, endgame)
    if endgame and abs(white_material - black_material) > _MOP_UP_LEAD:
        winner = chess.WHITE if white_material > black_material else chess.BLACK
        bonus = _mop_up(board, winner)
        white_score += bonus if winner == chess.WHITE else -bonus
    return white_score if board.turn == chess.WHITE else -white_score


def _placement(board: chess.Board, color: chess.Color, endgame: bool) -> int:
    """Material and piece-square values of `color`'s pieces."""
    score = 0
    for piece_type in _PRINTED_TABLES:
        table = _PIECE_SQUARE[color, piece_type]
        for square in chess.scan_forward(board.pieces_mask(piece_type, color)):
            score += table[square]
    king = board.king(color)
    if king is not None:
        score += _KING_SQUARE[color, endgame][king]
    return score


def material(board: chess.Board, color: chess.Color) -> int:
    """What `color`'s pieces are worth, in centipawns."""
    return sum(value * chess.popcount(board.pieces_mask(piece_type, color)) for piece_type, value in PIECE_VALUES.items())


def _piece_material(board: chess.Board) -> int:
    """Both sides' knights, bishops, rooks and queens."""
    return (
        PIECE_VALUES[chess.KNIGHT] * chess.popcount(board.knights)
        + PIECE_VALUES[chess.BISHOP] * chess.popcount(board.bishops)
        + PIECE_VALUES[chess.ROOK] * chess.popcount(board.rooks)
        + PIECE_VALUES[chess.QUEEN] * chess.popcount(board.queens)
    )


def _mop_up(board: chess.Board, winner: chess.Color) -> int:
    own_king, losing_king = board.king(winner), board.king(not winner)
    if own_king is None or losing_king is None:
        return 0
    file, rank = chess.square_file(losing_king), chess.square_rank(losing_king)
    from_center = max(3 - file, file - 4) + max(3 - rank, rank - 4)
    kings_apart = abs(file - chess.square_file(own_king)) + abs(rank - chess.square_rank(own_king))
    return 10 * from_center + 4 * (14 - kings_apart)

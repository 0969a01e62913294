"""Chess in the database: its records (moves, takebacks) saved, its games read back for the API,
for finished games' state and for resuming after a restart. The one Django-facing module of the
kind; engine/services.py and engine/selectors.py reach it through the kind's registry entry.
"""

from __future__ import annotations

import chess
import chess.pgn

from engine.games.chess.clock import TimeControl
from engine.games.chess.records import MoveMade, MovesTakenBack
from engine.games.chess.state import finished_chess_state
from engine.games.effects import Record, Seat
from engine.models import ChessMove, Game

RECORDS: tuple[type[Record], ...] = (MoveMade, MovesTakenBack)
COLOURS = ("white", "black")
PGN_RESULTS = {"white_wins": "1-0", "black_wins": "0-1", "draw": "1/2-1/2"}
PGN_TERMINATIONS = {"timeout": "Time forfeit", "abandoned": "Abandoned", "aborted": "Abandoned"}


def _chess_move(*, game_id: str, record: MoveMade, v: int) -> ChessMove:
    """A validated, unsaved move: saved alone or with others in one INSERT."""
    move = ChessMove(
        game_id=game_id,
        v=v,
        ply=record.ply,
        uci=record.uci,
        san=record.san,
        white_ms=record.white_ms,
        black_ms=record.black_ms,
        spent_ms=record.spent_ms,
        lag_comp_ms=record.lag_comp_ms,
    )
    # The database enforces the game's foreign key and one move per ply; checking both here
    # took two extra queries per move and halved the worker's move throughput (bench/chess_latency.py).
    move.full_clean(exclude={"game"}, validate_constraints=False)
    return move


def save_records(records: list[tuple[str, Record, int]]) -> None:
    """Saves (game id, record, event version) in order, inside the caller's transaction: one
    INSERT for each run of consecutive moves."""
    moves: list[ChessMove] = []
    for game_id, record, v in records:
        if isinstance(record, MoveMade):
            moves.append(_chess_move(game_id=game_id, record=record, v=v))
            continue
        if moves:
            ChessMove.objects.bulk_create(moves)
            moves = []
        if isinstance(record, MovesTakenBack):
            ChessMove.objects.filter(game_id=game_id, ply__gt=record.ply).delete()
        else:
            raise ValueError(f"not a chess record: {record!r}")
    if moves:
        ChessMove.objects.bulk_create(moves)


def winner_label(seats: list[Seat], winners: list[int]) -> str | None:
    """The winner as gameEnd names it: a colour."""
    return COLOURS[winners[0]] if winners else None


def _saved_moves(game: Game) -> list[tuple[str, int, int, int]]:
    return [(move.uci, move.white_ms, move.black_ms, move.spent_ms) for move in game.chess_moves.order_by("ply")]


def resume_fields(game: Game) -> dict:
    """What engine.start_game needs to go on with a live game after a restart."""
    saved = list(game.chess_moves.order_by("ply"))
    return {
        "saved_moves": [[move.uci, move.white_ms, move.black_ms, move.spent_ms] for move in saved],
        "resume_after_v": max((move.v for move in saved), default=0) + 1,
    }


def _final_clock(game: Game) -> dict[str, int] | None:
    if game.final_white_ms is None or game.final_black_ms is None:
        return None
    return {"white": game.final_white_ms, "black": game.final_black_ms}


def finished_state(game: Game, seats: list[Seat], winners: list[int]) -> dict:
    return finished_chess_state(
        seats=seats,
        tc=game.settings["tc"],
        moves=_saved_moves(game),
        status=game.status,
        reason=game.reason or None,
        winner=winner_label(seats, winners),
        final_clock=_final_clock(game),
    )


def summary(game: Game, seats: list[Seat]) -> dict:
    """Chess' part of GET /api/games/<id>: moves, clocks and where the PGN is."""
    moves = list(game.chess_moves.order_by("ply"))
    starting_ms = TimeControl.parse(game.settings["tc"]).starting_ms
    last = moves[-1] if moves else None
    # Live, or ended without final clocks saved (older games, engine errors): the last move's.
    clock = _final_clock(game) or {
        "white": last.white_ms if last else starting_ms,
        "black": last.black_ms if last else starting_ms,
    }
    white, black = seats
    return {
        "tc": game.settings["tc"],
        "white": {"username": white.name, "bot": white.bot},
        "black": {"username": black.name, "bot": black.bot},
        "moves": [move.uci for move in moves],
        "sans": [move.san for move in moves],
        "clock": clock,
        "clock_history": [{"white": move.white_ms, "black": move.black_ms} for move in moves],
        "pgn_url": f"/api/games/{game.id}/pgn",
    }


def _clock_comment(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return f"[%clk {seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}]"


def pgn(game: Game, seats: list[Seat]) -> str:
    """The PGN of a chess game as stored so far: standard tags, the result, a %clk per move."""
    white, black = seats
    tc = TimeControl.parse(game.settings["tc"])
    record = chess.pgn.Game()
    record.headers["Event"] = "Kogame casual game"
    record.headers["Site"] = "Kogame"
    record.headers["Date"] = game.created_at.strftime("%Y.%m.%d")
    record.headers["Round"] = "-"
    record.headers["White"] = white.name
    record.headers["Black"] = black.name
    record.headers["Result"] = PGN_RESULTS.get(game.status, "*")
    record.headers["UTCDate"] = game.created_at.strftime("%Y.%m.%d")
    record.headers["UTCTime"] = game.created_at.strftime("%H:%M:%S")
    record.headers["TimeControl"] = f"{tc.initial_ms // 1000}+{tc.increment_ms // 1000}"
    record.headers["GameId"] = game.id
    if game.status != Game.Status.STARTED:
        record.headers["Termination"] = PGN_TERMINATIONS.get(game.reason, "Normal")
    node: chess.pgn.GameNode = record
    for move in game.chess_moves.order_by("ply"):
        node = node.add_variation(chess.Move.from_uci(move.uci))
        node.comment = _clock_comment(move.white_ms if move.ply % 2 == 1 else move.black_ms)
    return str(record) + "\n"

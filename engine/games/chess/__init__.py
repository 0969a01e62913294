"""Chess: rules and clocks, session, intents, state builder and bots of real-time chess."""

from __future__ import annotations

from typing import Any

from engine.games.chess.clock import TimeControl
from engine.games.chess.intents import CLEANERS
from engine.games.chess.session import ChessSession
from engine.games.chess.state import finished_chess_state
from engine.games.effects import Seat
from engine.games.kind import GameKind


def _clean_settings(mode: str, settings: dict) -> dict:
    if mode != "match" or set(settings) != {"tc"}:
        raise ValueError('chess settings are exactly {"tc": "<minutes>+<increment>"}')
    return {"tc": TimeControl.parse(settings["tc"]).label}


def _finished_state(game: Any, seats: list[Seat]) -> dict:
    moves = [(move.uci, move.white_ms, move.black_ms, move.spent_ms) for move in game.chess_moves.order_by("ply")]
    final_clock = None if game.final_white_ms is None else {"white": game.final_white_ms, "black": game.final_black_ms}
    winner = {"white_wins": "white", "black_wins": "black"}.get(game.status)
    return finished_chess_state(
        seats=seats,
        tc=game.settings["tc"],
        moves=moves,
        status=game.status,
        reason=game.reason or None,
        winner=winner,
        final_clock=final_clock,
    )


KIND = GameKind(
    name="chess",
    session=ChessSession,
    intents=CLEANERS,
    clean_settings=_clean_settings,
    min_seats=2,
    max_seats=2,
    finished_state=_finished_state,
    # Every move is saved before it is broadcast: the game goes on from its moves.
    resumable=True,
)

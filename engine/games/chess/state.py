"""Chess' part of gameState: one builder for a live game and for a finished one."""

from __future__ import annotations

from engine.games.chess import rules
from engine.games.chess.clock import TimeControl
from engine.games.effects import Seat


def chess_state(game: rules.ChessGame, seats: list[Seat], now: float) -> dict:
    state = rules.snapshot(game, now)
    for colour, seat in zip(("white", "black"), seats, strict=True):
        state[colour]["bot"] = seat.bot
    return state


def finished_chess_state(
    *,
    seats: list[Seat],
    tc: str,
    moves: list[tuple[str, int, int, int]],
    status: str,
    reason: str | None,
    winner: str | None,
    final_clock: dict[str, int] | None,
) -> dict:
    """A game the engine no longer holds, rebuilt from its saved moves (uci, white_ms, black_ms,
    spent_ms) and result. Without saved final clocks (games ended by an engine error, or saved
    before they were kept) the clocks are those after the last move."""
    time_control = TimeControl.parse(tc)
    if final_clock is None:
        start = time_control.starting_ms
        final_clock = {"white": moves[-1][1], "black": moves[-1][2]} if moves else {"white": start, "black": start}
    white, black = seats
    game = rules.finished_game(
        white=white.name,
        black=black.name,
        tc=time_control,
        moves=moves,
        status=status,
        reason=reason,
        winner=winner,
        final_clock=final_clock,
    )
    return chess_state(game, seats, 0.0)

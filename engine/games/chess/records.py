"""What a chess game asks the store to save before its events leave the engine."""

from __future__ import annotations

from dataclasses import dataclass

from engine.games.effects import Record


@dataclass(frozen=True)
class MoveMade(Record):
    ply: int
    uci: str
    san: str
    # Both clocks right after the move, what it cost its player, and the lag refunded.
    white_ms: int
    black_ms: int
    spent_ms: int
    lag_comp_ms: int


@dataclass(frozen=True)
class MovesTakenBack(Record):
    # The moves after this ply are gone.
    ply: int

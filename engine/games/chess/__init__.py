"""Chess: rules and clocks, session, intents, state builder and bots of real-time chess."""

from __future__ import annotations

from engine.games.chess.clock import TimeControl
from engine.games.chess.intents import CLEANERS
from engine.games.chess.session import ChessSession
from engine.games.kind import GameKind


def _clean_settings(mode: str, settings: dict) -> dict:
    if mode != "match" or set(settings) != {"tc"}:
        raise ValueError('chess settings are exactly {"tc": "<minutes>+<increment>"}')
    return {"tc": TimeControl.parse(settings["tc"]).label}



KIND = GameKind(
    name="chess",
    session=ChessSession,
    intents=CLEANERS,
    clean_settings=_clean_settings,
    min_seats=2,
    max_seats=2,
    # Every move is saved before it is broadcast: the game goes on from its moves.
    resumable=True,
    # Its running clock: the side to move is charged for its turn up to the freeze, not the outage.
    freezes=True,
    storage="engine.games.chess.storage",
)

"""The chess messages a player may send, cleaned into engine intents."""

from __future__ import annotations

import re

from engine.games.chess.rules import INTENTS
from engine.games.intents import IntentCleaner, IntentError, no_fields

UCI_PATTERN = re.compile(r"[a-h][1-8][a-h][1-8][qrbn]?")


def _move(content: dict) -> dict:
    uci = content.get("uci")
    if not isinstance(uci, str) or not UCI_PATTERN.fullmatch(uci):
        raise IntentError("bad_field", '"uci" must be a move in UCI notation, e.g. "e2e4" or "e7e8q"')
    return {"type": "move", "uci": uci}


CLEANERS: dict[str, IntentCleaner] = {**{intent: no_fields for intent in INTENTS}, "move": _move}

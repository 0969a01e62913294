"""The Snake messages a player may send, cleaned into engine intents."""

from __future__ import annotations

from engine.games.intents import IntentCleaner, IntentError, no_fields
from engine.games.snake.rules import DIRECTIONS


def _direction(content: dict) -> dict:
    direction = content.get("direction")
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise IntentError("bad_field", '"direction" must be one of UP, DOWN, LEFT, RIGHT')
    return {"type": "direction", "direction": direction}


CLEANERS: dict[str, IntentCleaner] = {"direction": _direction, "respawn": no_fields}

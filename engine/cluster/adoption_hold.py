"""Messages for games this worker is adopting, held until the games are started.

A survivor claims a dead worker's games in Redis first and loads them from the database after,
so for a moment the web processes (and the game_engine channel) already send it messages for
games its engine does not have yet. The caretaker marks the games it is about to claim; the
engine holds their messages and handles them right after the start messages, when the caretaker's
`engine.adopted` arrives. Only the engine thread releases (the caretaker only adds), so a
message is either held and released with the others or finds its game started.
"""

from __future__ import annotations

# Messages held per game at most; past it the oldest are dropped (a flood, not a player).
HELD_PER_GAME = 256


class AdoptionHold:
    def __init__(self) -> None:
        self._adopting: set[str] = set()
        self._held: dict[str, list[dict]] = {}
        self.dropped = 0

    def adopting(self, game_ids: list[str]) -> None:
        """The caretaker's thread: these games are about to be claimed."""
        self._adopting.update(game_ids)

    def holds(self, message: dict, running: dict) -> bool:
        """The engine's thread: keeps `message` if its game is being adopted and not running yet."""
        game_id = message.get("game_id")
        if not isinstance(game_id, str) or game_id in running or game_id not in self._adopting:
            return False
        if message.get("type") in ("engine.start_game", "engine.orphaned"):
            return False
        held = self._held.setdefault(game_id, [])
        if len(held) >= HELD_PER_GAME:
            held.pop(0)
            self.dropped += 1
        held.append(message)
        return True

    def release(self, game_ids: list[str]) -> list[dict]:
        """The engine's thread, on `engine.adopted`: what was held for these games, in order."""
        released: list[dict] = []
        for game_id in game_ids:
            self._adopting.discard(game_id)
            released += self._held.pop(game_id, [])
        return released

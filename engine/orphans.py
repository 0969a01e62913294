"""Games this engine could not resume (a Snake board lost with the previous process): only their
end is known. Their still-connected sockets are made to resync (a head far ahead of any version)
and each gets the gameEnd numbered right after the last version it had."""

from __future__ import annotations

from dataclasses import dataclass

from engine.games.effects import Outcome
from engine.live_game import RETAIN_ENDED_SECONDS
from engine.wire import encode_json, end_event

# Above any version a live game reaches: an orphan's announced head is ahead of every socket.
ORPHAN_HEAD = 2**52
# Announced once a second for this long: a socket that missed one announcement gets the next.
ORPHAN_ANNOUNCE_SECONDS = 5.0


@dataclass
class _Orphan:
    end: dict
    since: float


class Orphans:
    def __init__(self) -> None:
        self._games: dict[str, _Orphan] = {}

    def add(self, game_id: str, outcome: Outcome, now: float) -> None:
        self._games[game_id] = _Orphan(end=end_event(outcome), since=now)

    def end_after(self, game_id: str, seen: int) -> list | None:
        """The [v, text] of the game's end for a socket that has seen up to `seen`, if orphaned."""
        orphan = self._games.get(game_id)
        if orphan is None:
            return None
        return [seen + 1, encode_json({**orphan.end, "v": seen + 1})]

    def to_announce(self, now: float) -> list[str]:
        """The orphans to announce now; forgets those kept as long as ended games (then the
        database answers for them)."""
        for game_id in [game_id for game_id, orphan in self._games.items() if now - orphan.since > RETAIN_ENDED_SECONDS]:
            del self._games[game_id]
        return [game_id for game_id, orphan in self._games.items() if now - orphan.since <= ORPHAN_ANNOUNCE_SECONDS]

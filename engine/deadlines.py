"""When each game is next due: the moments at which games are due, each with its games in the
order added. A game's later entry supersedes its earlier ones (the loop checks the game's own
`deadline` when it gets one). Games of one period share a few moments (live_game.next_beat), so
a thousand games due together cost a few heap entries, not a thousand."""

from __future__ import annotations

import heapq
from collections.abc import Iterator


class Deadlines:
    def __init__(self) -> None:
        self._moments: list[float] = []  # a heap
        self._due_at: dict[float, list[str]] = {}

    def add(self, at: float, game_id: str) -> None:
        games = self._due_at.get(at)
        if games is None:
            games = self._due_at[at] = []
            heapq.heappush(self._moments, at)
        games.append(game_id)

    def next_at(self) -> float | None:
        return self._moments[0] if self._moments else None

    def due(self, now: float) -> Iterator[tuple[float, str]]:
        """Pops every entry due by `now`, including entries added while iterating."""
        while self._moments and self._moments[0] <= now:
            at = heapq.heappop(self._moments)
            for game_id in self._due_at.pop(at):
                yield at, game_id

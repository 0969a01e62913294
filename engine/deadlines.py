"""When each game is next due: a heap of (time, game id), where a game's later entry supersedes
its earlier ones (the loop checks the game's own `deadline` when it pops one)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator


class Deadlines:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str]] = []
        # Ties break by insertion order, never by comparing game ids.
        self._order = itertools.count()

    def add(self, at: float, game_id: str) -> None:
        heapq.heappush(self._heap, (at, next(self._order), game_id))

    def next_at(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def due(self, now: float) -> Iterator[tuple[float, str]]:
        """Pops every entry due by `now`, including entries added while iterating."""
        while self._heap and self._heap[0][0] <= now:
            at, _, game_id = heapq.heappop(self._heap)
            yield at, game_id

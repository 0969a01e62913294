"""Which players have a socket open, per web process, as the engine knows it.

Each web process reports changes as they happen (a player's socket opened or closed) and, every
few seconds, its whole list of player sockets. The full report is what ties presence to live
connections: a restarted engine learns who is connected within one report, and the sockets of a
web process that died (its reports stop) are dropped once it has been silent for
PROCESS_SILENCE_SECONDS. Changes and reports carry the process's change counter, so a report
never undoes a change it had not seen, and a change already counted in a report is not counted
twice. Pure Python: the loop calls it and turns the flips into presence events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Three missed reports (web processes report every 2 s) and a process counts as gone.
PROCESS_SILENCE_SECONDS = 6.0

# (game_id, username)
Seat = tuple[str, str]
# A seat whose connectedness changed, and whether it is connected now.
Flip = tuple[Seat, bool]


@dataclass
class _ProcessSockets:
    seen_at: float
    counts: Counter = field(default_factory=Counter)
    report_seq: int = -1
    # Changes applied since the last report, replayed over a report that had not seen them.
    recent: list[tuple[int, Seat, int]] = field(default_factory=list)


class PresenceBook:
    def __init__(self) -> None:
        self._processes: dict[str, _ProcessSockets] = {}
        self._totals: Counter = Counter()

    def is_connected(self, seat: Seat) -> bool:
        return self._totals[seat] > 0

    def change(self, *, process: str, seq: int, seat: Seat, delta: int, now: float) -> list[Flip]:
        """One socket of `process` opened (+1) or closed (-1)."""
        sockets = self._process(process, now)
        if seq <= sockets.report_seq:
            return []
        sockets.recent.append((seq, seat, delta))
        before = sockets.counts[seat]
        _add(sockets.counts, seat, delta)
        return self._shift(seat, sockets.counts[seat] - before)

    def report(self, *, process: str, seq: int, seats: list[Seat], now: float) -> list[Flip]:
        """Every player socket `process` has open, as of its change number `seq`."""
        sockets = self._process(process, now)
        if seq < sockets.report_seq:
            return []
        updated: Counter = Counter(seats)
        sockets.recent = [change for change in sockets.recent if change[0] > seq]
        for _, seat, delta in sockets.recent:
            _add(updated, seat, delta)
        sockets.report_seq = seq
        return self._replace(sockets, updated)

    def expire(self, now: float) -> list[Flip]:
        """Forgets the sockets of processes silent for too long (dead or cut off)."""
        flips: list[Flip] = []
        for process, sockets in list(self._processes.items()):
            if now - sockets.seen_at > PROCESS_SILENCE_SECONDS:
                flips += self._replace(sockets, Counter())
                del self._processes[process]
        return flips

    def forget_game(self, game_id: str) -> None:
        """Drops a game's seats (the game left the engine); its sockets are no one's concern now."""
        for sockets in self._processes.values():
            for seat in [seat for seat in sockets.counts if seat[0] == game_id]:
                del sockets.counts[seat]
        for seat in [seat for seat in self._totals if seat[0] == game_id]:
            del self._totals[seat]

    def _process(self, process: str, now: float) -> _ProcessSockets:
        sockets = self._processes.get(process)
        if sockets is None:
            sockets = self._processes[process] = _ProcessSockets(seen_at=now)
        sockets.seen_at = now
        return sockets

    def _replace(self, sockets: _ProcessSockets, updated: Counter) -> list[Flip]:
        flips: list[Flip] = []
        for seat in dict.fromkeys([*updated, *sockets.counts]):
            flips += self._shift(seat, updated[seat] - sockets.counts[seat])
        sockets.counts = +updated
        return flips

    def _shift(self, seat: Seat, difference: int) -> list[Flip]:
        if not difference:
            return []
        before = self._totals[seat] > 0
        _add(self._totals, seat, difference)
        after = self._totals[seat] > 0
        return [(seat, after)] if before != after else []


def _add(counts: Counter, seat: Seat, delta: int) -> None:
    counts[seat] = max(0, counts[seat] + delta)
    if not counts[seat]:
        del counts[seat]

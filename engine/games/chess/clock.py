"""Chess time controls and the server-side clock, following Lichess' rules.

Pure logic: no I/O, no framework, no wall clock. Every method that depends on time takes
`now`, monotonic seconds supplied by the caller. Remaining times are integer milliseconds;
only the running side's time moves, and it is derived from `since` on demand, so the clock
never needs to be ticked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COLORS = ("white", "black")

# Minutes a time control may start with: the fractions Lichess offers, then whole minutes.
_FRACTIONAL_MINUTES_MS = {"0.25": 15_000, "0.5": 30_000, "0.75": 45_000, "1.5": 90_000}
_MAX_MINUTES = 180
_MAX_INCREMENT_SECONDS = 180
_ALLOWED_INITIAL_MS = frozenset(_FRACTIONAL_MINUTES_MS.values()) | {
    minutes * 60_000 for minutes in range(_MAX_MINUTES + 1)
}
# Canonical spellings only (no spaces, signs or leading zeros); ranges are checked afterwards.
# At most three digits each: the limits are 180 and 180, and int() of a huge string is slow.
_TIME_CONTROL_RE = re.compile(r"(0\.25|0\.5|0\.75|1\.5|0|[1-9][0-9]{0,2})\+(0|[1-9][0-9]{0,2})", re.ASCII)

# Lichess speed categories: upper bounds (exclusive) on the estimated game duration in seconds.
_SPEED_LIMITS = (
    (30, "ultraBullet"),
    (180, "bullet"),
    (480, "blitz"),
    (1500, "rapid"),
)
_FIRST_MOVE_TIMEOUT_MS = {
    "ultraBullet": 15_000,
    "bullet": 20_000,
    "blitz": 25_000,
    "rapid": 30_000,
    "classical": 35_000,
}
# Lichess starts an increment-only game ("0+1") with the increment, but never less than 3 s,
# so the first clocked move is not lost on time before it can be played.
_INCREMENT_ONLY_MIN_START_MS = 3_000
# Lichess does not flag a side the moment its clock reads 0: a move may be on its way that lag
# compensation will still bring in under the time. scalachess `Clock.outOfTime(c, withGrace =
# true)`, which lila's round actor runs before every move and its flag sweeper uses, waits until
# `remaining <= elapsed - min(lag quota, 2 s)`: a grace of the side's lag quota, at most 2 s.
MAX_FLAG_GRACE_MS = 2_000


@dataclass(frozen=True)
class TimeControl:
    """Initial time plus Fischer increment. Every instance is validated, parsed or not."""

    initial_ms: int
    increment_ms: int

    def __post_init__(self) -> None:
        for name in ("initial_ms", "increment_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.initial_ms not in _ALLOWED_INITIAL_MS:
            raise ValueError(
                f"initial time must be 0.25, 0.5, 0.75, 1.5 or a whole number of minutes "
                f"from 0 to {_MAX_MINUTES}, got {self.initial_ms} ms"
            )
        if self.increment_ms % 1000 or not 0 <= self.increment_ms <= _MAX_INCREMENT_SECONDS * 1000:
            raise ValueError(
                f"increment must be a whole number of seconds from 0 to {_MAX_INCREMENT_SECONDS}, "
                f"got {self.increment_ms} ms"
            )
        if self.initial_ms == 0 and self.increment_ms == 0:
            raise ValueError("a time control needs an initial time or an increment (0+0 is not allowed)")

    @classmethod
    def parse(cls, text: str) -> TimeControl:
        """Parse "<minutes>+<increment seconds>", e.g. "3+2", "0.25+0", "0+1"."""
        if not isinstance(text, str):
            raise ValueError(f"time control must be a string, got {text!r}")
        match = _TIME_CONTROL_RE.fullmatch(text)
        if match is None:
            shown = text if len(text) <= 16 else text[:16] + "…"
            raise ValueError(
                f'invalid time control {shown!r}: expected "<minutes>+<increment seconds>", e.g. "3+2"'
            )
        minutes, increment = match.groups()
        if minutes in _FRACTIONAL_MINUTES_MS:
            initial_ms = _FRACTIONAL_MINUTES_MS[minutes]
        elif int(minutes) <= _MAX_MINUTES:
            initial_ms = int(minutes) * 60_000
        else:
            raise ValueError(f"invalid time control {text!r}: at most {_MAX_MINUTES} minutes")
        if int(increment) > _MAX_INCREMENT_SECONDS:
            raise ValueError(
                f"invalid time control {text!r}: increment at most {_MAX_INCREMENT_SECONDS} seconds"
            )
        return cls(initial_ms=initial_ms, increment_ms=int(increment) * 1000)

    @property
    def label(self) -> str:
        return f"{self.initial_ms / 60_000:g}+{self.increment_ms // 1000}"

    @property
    def estimated_seconds(self) -> float:
        """Lichess' estimate of one side's total time: a game is assumed to last 40 moves."""
        return self.initial_ms / 1000 + 40 * self.increment_ms / 1000

    @property
    def speed(self) -> str:
        estimate = self.estimated_seconds
        for limit, name in _SPEED_LIMITS:
            if estimate < limit:
                return name
        return "classical"

    @property
    def first_move_timeout_ms(self) -> int:
        """Time each side has for its first move before the game is aborted."""
        return _FIRST_MOVE_TIMEOUT_MS[self.speed]

    @property
    def starting_ms(self) -> int:
        """What each clock shows at the start: initial_ms, except for increment-only controls."""
        if self.initial_ms == 0:
            return max(self.increment_ms, _INCREMENT_ONLY_MIN_START_MS)
        return self.initial_ms


@dataclass
class LagQuota:
    """Lichess' lag compensation (lila LagTracker), in milliseconds.

    Each move may be refunded up to `quota_ms` of network lag; every move earns `gain_ms`
    of quota back, up to `max_ms`. A steady lag is thus compensated in full, while a client
    lying about its lag can only gain a bounded amount of time.
    """

    gain_ms: int
    quota_ms: int
    max_ms: int

    @classmethod
    def for_time_control(cls, tc: TimeControl) -> LagQuota:
        # Lichess: quotaGain = min(100 cs, estimatedSeconds * 2 / 5 + 15 cs); quota starts at
        # 3 gains and is capped at 7.
        gain_ms = min(1000, round((tc.estimated_seconds * 2 / 5 + 15) * 10))
        return cls(gain_ms=gain_ms, quota_ms=3 * gain_ms, max_ms=7 * gain_ms)

    def allowance(self, lag_ms: int) -> int:
        """The ms a move made with `lag_ms` of lag would be refunded now."""
        return min(max(int(lag_ms), 0), self.quota_ms)

    def compensate(self, lag_ms: int) -> int:
        """Record a move made with `lag_ms` of lag; return the ms refunded for it."""
        comp = self.allowance(lag_ms)
        self.quota_ms = min(self.quota_ms - comp + self.gain_ms, self.max_ms)
        return comp


class ChessClock:
    """Both sides' remaining time. `running` is the side whose time is moving (None when the
    clock has not started or is stopped); `since` is when its current turn began."""

    def __init__(self, tc: TimeControl) -> None:
        self.tc = tc
        self.white_ms = tc.starting_ms
        self.black_ms = tc.starting_ms
        self.running: str | None = None
        self.since = 0.0
        self.lag = {color: LagQuota.for_time_control(tc) for color in COLORS}

    def start(self, color: str, now: float) -> None:
        """Run `color`'s clock from `now`; a side that was running keeps the time it used."""
        _check_color(color)
        self._settle(now)
        self.running = color
        self.since = now

    def elapsed_ms(self, now: float) -> int:
        """Milliseconds the running side has used in its current turn (0 when none runs)."""
        if self.running is None:
            return 0
        # Rounded, not truncated, so float noise in `now` cannot shift a flag by a whole ms.
        return max(0, round((now - self.since) * 1000))

    def remaining_ms(self, color: str, now: float) -> int:
        _check_color(color)
        stored = self._stored(color)
        if color == self.running:
            stored -= self.elapsed_ms(now)
        return max(0, stored)

    def move_charge_ms(self, color: str, now: float, lag_ms: int = 0) -> int:
        """What a move by the running `color` at `now` would be charged: the elapsed time minus
        its lag compensation. The refund is capped at the elapsed time: a move cannot earn
        time, so quota spent beyond that would be wasted."""
        elapsed = self.elapsed_ms(now)
        return elapsed - self.lag[color].allowance(min(lag_ms, elapsed))

    def move_in_time(self, color: str, now: float, lag_ms: int = 0) -> bool:
        """Whether a move by the running `color` at `now` beats its flag, lag compensation
        deducted (scalachess Clock.step: the move time must stay below the remaining time)."""
        return self.move_charge_ms(color, now, lag_ms) < self._stored(color)

    def press(self, color: str, now: float, lag_ms: int = 0) -> int:
        """`color` completed its move at `now`: charge its time, add the increment, run the
        opponent. Returns the ms charged, i.e. elapsed time minus lag compensation.

        A move that is not `move_in_time` cannot be pressed: it loses on time instead.
        """
        _check_color(color)
        if self.running != color:
            raise ValueError(f"{color}'s clock is not running")
        if not self.move_in_time(color, now, lag_ms):
            raise ValueError(f"{color}'s move came after its flag")
        elapsed = self.elapsed_ms(now)
        spent = elapsed - self.lag[color].compensate(min(lag_ms, elapsed))
        self._store(color, self._stored(color) - spent + self.tc.increment_ms)
        self.running = _other(color)
        self.since = now
        return spent

    def stop(self, now: float) -> None:
        """Freeze both clocks (game over, or back to before the clocks started)."""
        self._settle(now)
        self.running = None

    def add_ms(self, color: str, ms: int, now: float) -> None:
        _check_color(color)
        self._settle(now)  # so time given to a side already at 0 is not eaten by its past overrun
        self._store(color, self._stored(color) + ms)

    def flag_grace_ms(self, color: str) -> int:
        """How long past 0 `color`'s flag waits for a move still on its way (see MAX_FLAG_GRACE_MS)."""
        return min(self.lag[color].quota_ms, MAX_FLAG_GRACE_MS)

    def flagged(self, now: float) -> str | None:
        """The running side if its time and its flag grace have run out at `now`."""
        if self.running is None:
            return None
        elapsed_past_grace_ms = max(0, self.elapsed_ms(now) - self.flag_grace_ms(self.running))
        if self._stored(self.running) <= elapsed_past_grace_ms:
            return self.running
        return None

    def snapshot(self, now: float) -> dict:
        return {
            "white": self.remaining_ms("white", now),
            "black": self.remaining_ms("black", now),
            "running": self.running,
        }

    def _settle(self, now: float) -> None:
        """Charge the running side for its time so far and restart its turn at `now`."""
        if self.running is not None:
            self._store(self.running, self.remaining_ms(self.running, now))
            self.since = now

    def _stored(self, color: str) -> int:
        return self.white_ms if color == "white" else self.black_ms

    def _store(self, color: str, ms: int) -> None:
        if color == "white":
            self.white_ms = ms
        else:
            self.black_ms = ms


def _other(color: str) -> str:
    return "black" if color == "white" else "white"


def _check_color(color: str) -> None:
    if color not in COLORS:
        raise ValueError(f"color must be 'white' or 'black', got {color!r}")

"""A live Snake game for the engine loop: the rules' state, its seats and its bots."""

from __future__ import annotations

import random

from engine.games.effects import Effect, Event, IntentRefused, Outcome, Seat, winner_seats
from engine.games.snake import bots, rules, snapshot
from engine.games.snake.state import snake_state

# An arena player whose last socket left keeps their snake this long: a network blip or a page
# reload must not throw them out.
ARENA_AWAY_GRACE_SECONDS = 15.0
# Bots draw from their own generator, so adding a bot never changes the food the rules place.
_BOT_SEED_SALT = 0x5EED_B075


class SnakeSession:
    kind = "snake"
    immediate_intents: frozenset[str] = frozenset()
    post_game_intents: frozenset[str] = frozenset()

    def __init__(self, *, seats: list[Seat], settings: dict, seed: int, now: float, frozen: dict | None = None) -> None:
        """A new game, or (`frozen`) one going on from another engine process's `freeze()`."""
        self.config = rules.SnakeConfig.from_settings(settings)
        self.seats = seats
        self.bots = {seat.name: seat.bot for seat in seats if seat.bot is not None}
        self.period = 1.0 / self.config.tick_hz
        if frozen is None:
            self.rng = random.Random(seed)
            self.bot_rng = random.Random(seed ^ _BOT_SEED_SALT)
            self.state = rules.new_game(self.config, [seat.name for seat in seats], self.rng)
            # Arena players whose last socket left, and when their snakes leave unless they come back.
            self.away_until: dict[str, float] = {}
            # The people of a matched game who have not connected yet: the board waits for them.
            self.arriving = set() if self.config.arena else {seat.name for seat in seats if seat.bot is None}
            self.seating_until = now + self.config.seating_seconds
            return
        self.state = snapshot.thaw_state(self.config, frozen)
        self.rng = snapshot.thawed_rng(seed, self.state.tick)
        self.bot_rng = snapshot.thawed_rng(seed ^ _BOT_SEED_SALT, self.state.tick)
        self.away_until = {name: now + seconds for name, seconds in frozen["away_in"].items()}
        self.arriving = set(frozen["arriving"])
        self.seating_until = now + frozen["seating_in"]

    def freeze(self, now: float) -> dict:
        """Everything another engine process needs to go on with this game (snapshot.py)."""
        return snapshot.freeze(
            self.state,
            away_in={name: max(0.0, until - now) for name, until in self.away_until.items()},
            arriving=self.arriving,
            seating_in=max(0.0, self.seating_until - now),
        )

    def validate(self, name: str, intent: dict) -> str | None:
        if name in self.bots:
            return "bots are steered by the engine"
        return rules.validate_intent(self.state, name, intent)

    def apply(self, name: str, intent: dict, now: float) -> list[Effect]:
        raise IntentRefused("refused", f"snake has no immediate intent {intent.get('type')!r}")

    def bot_move(self, seat: str, ply: int, move: str, now: float) -> list[Effect]:
        # Snake bots decide inside the tick; nothing answers later.
        return []

    def presence(self, name: str, connected: bool, now: float) -> list[Effect]:
        if not self.config.arena:
            if connected:
                self.arriving.discard(name)
            return []
        if connected:
            self.away_until.pop(name, None)
        elif name in self.state.snakes:
            self.away_until[name] = now + ARENA_AWAY_GRACE_SECONDS
        return []

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Effect]:
        if self.arriving:
            if now < self.seating_until:
                return []  # nothing moves, the countdown included, until everyone is here
            self.arriving.clear()
        departed = [name for name, until in self.away_until.items() if until <= now]
        if departed:
            intents = [(name, {"type": "leave"}) for name in departed] + intents
            for name in departed:
                del self.away_until[name]
        intents = self._bot_intents() + intents
        happenings = rules.step(self.state, intents, self.rng)
        return [Event({"type": "tick", **rules.render_tick(self.state), "events": happenings})]

    def _bot_intents(self) -> list[tuple[str, dict]]:
        steering = []
        for name, level in self.bots.items():
            direction = bots.choose_direction(self.state, name, level, self.bot_rng)
            if direction is not None:
                steering.append((name, {"type": "direction", "direction": direction}))
        return steering

    def snapshot(self, now: float) -> dict:
        return snake_state(self.state, self.seats)

    def outcome(self) -> Outcome | None:
        result = rules.result(self.state)
        if result is None:
            return None
        return Outcome(
            status="finished",
            reason=result["reason"],
            winner=result["winner"],
            winner_seats=winner_seats(self.seats, result["winner"]),
            scores=result["scores"],
        )

    def abort(self, reason: str, now: float) -> Outcome:
        return Outcome(status="aborted", reason=reason, winner=None)

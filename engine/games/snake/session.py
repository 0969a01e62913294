"""A live Snake game for the engine loop: its board (in the process's arrays), seats and bots.

The engine ticks every Snake game due at once through `tick_together`, so the boards move
together (engine/games/snake/board_step.py).
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Sequence

from engine.games.effects import Effect, EncodedEvent, IntentRefused, Outcome, Seat, winner_seats
from engine.games.snake import board_render, bots, rules, snapshot
from engine.games.snake.board_step import step_boards, validate_intent
from engine.games.snake.boards import BOARDS
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
            self._open(rules.new_game(self.config, [seat.name for seat in seats], self.rng))
            # Arena players whose last socket left, and when their snakes leave unless they come back.
            self.away_until: dict[str, float] = {}
            # The people of a matched game who have not connected yet: the board waits for them.
            self.arriving = set() if self.config.arena else {seat.name for seat in seats if seat.bot is None}
            self.seating_until = now + self.config.seating_seconds
            return
        state = snapshot.thaw_state(self.config, frozen)
        self._open(state)
        self.rng = snapshot.thawed_rng(seed, state.tick)
        self.bot_rng = snapshot.thawed_rng(seed ^ _BOT_SEED_SALT, state.tick)
        self.away_until = {name: now + seconds for name, seconds in frozen["away_in"].items()}
        self.arriving = set(frozen["arriving"])
        self.seating_until = now + frozen["seating_in"]

    def _open(self, state: rules.SnakeState) -> None:
        self.board = BOARDS.open(state)
        # The board's slot is free again once the engine lets go of the game.
        weakref.finalize(self, BOARDS.close, self.board)

    @property
    def state(self) -> rules.SnakeState:
        """The board as the rules hold it: a copy, to read."""
        return BOARDS.to_state(self.board)

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
        return validate_intent(BOARDS, self.board, name, intent)

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
        elif name in self.board.seat_of:
            self.away_until[name] = now + ARENA_AWAY_GRACE_SECONDS
        return []

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Effect]:
        (ticked,) = SnakeSession.tick_together([(self, intents)], now)
        if isinstance(ticked, Exception):
            raise ticked
        return ticked

    @staticmethod
    def tick_together(
        turns: Sequence[tuple[SnakeSession, list[tuple[str, dict]]]], now: float
    ) -> list[list[Effect] | Exception]:
        """Each game's tick, as `tick` would give it (or what it raised), all boards moving at once."""
        effects: list[list[Effect] | Exception] = [[] for _ in turns]
        positions, boards = [], []
        for index, (session, intents) in enumerate(turns):
            if session.arriving or session.away_until or session.bots:
                try:
                    ready = session._intents_for_tick(intents, now)
                except Exception as error:  # a bot's bug ends its game, not the others
                    effects[index] = error
                    continue
                if ready is None:
                    continue
                intents = ready
            positions.append(index)
            boards.append((session.board, intents, session.rng))
        ticked, ticked_boards, ticked_events = [], [], []
        for index, (board, _, _), events in zip(positions, boards, step_boards(BOARDS, boards), strict=True):
            if isinstance(events, Exception):
                effects[index] = events
            else:
                ticked.append(index)
                ticked_boards.append(board)
                ticked_events.append(events)
        for index, text in zip(ticked, board_render.encode_ticks(BOARDS, ticked_boards, ticked_events), strict=True):
            effects[index] = [EncodedEvent(text)]
        return effects

    def _intents_for_tick(self, intents: list[tuple[str, dict]], now: float) -> list[tuple[str, dict]] | None:
        """This tick's intents, the bots' and the departed players' included; None while the
        board waits for its people."""
        if self.arriving:
            if now < self.seating_until:
                return None  # nothing moves, the countdown included, until everyone is here
            self.arriving.clear()
        departed = [name for name, until in self.away_until.items() if until <= now]
        if departed:
            intents = [(name, {"type": "leave"}) for name in departed] + intents
            for name in departed:
                del self.away_until[name]
        if self.bots:
            intents = self._bot_intents() + intents
        return intents

    def _bot_intents(self) -> list[tuple[str, dict]]:
        steering = []
        state = self.state
        for name, level in self.bots.items():
            direction = bots.choose_direction(state, name, level, self.bot_rng)
            if direction is not None:
                steering.append((name, {"type": "direction", "direction": direction}))
        return steering

    def snapshot(self, now: float) -> dict:
        return snake_state(self.state, self.seats)

    def outcome(self) -> Outcome | None:
        result = board_render.result(BOARDS, self.board)
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

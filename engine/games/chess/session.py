"""A live chess game for the engine loop: the rules' game, its seats and its bot's turns."""

from __future__ import annotations

import logging

from engine.games.chess import rules
from engine.games.chess.bots import MAX_THINK_MS
from engine.games.chess.clock import TimeControl
from engine.games.chess.records import MoveMade, MovesTakenBack
from engine.games.chess.state import chess_state
from engine.games.effects import BotTurn, Effect, Event, IntentRefused, NewGame, Outcome, Seat, winner_seats

logger = logging.getLogger("kogame.engine")

# A bot asked for a move and silent this long is asked again (its answer or the request was
# lost): its longest think (bots.MAX_THINK_MS) and a margin for a busy machine.
BOT_ANSWER_TIMEOUT_SECONDS = MAX_THINK_MS / 1000 + 5.0
# A new game waits this long at most for its people to connect before white's first-move time
# starts: players matched under load may take a while to arrive, and must not find the game
# aborted for a first move they could not make.
SEATING_SECONDS = 20.0
# What a bot answers to its opponent's offers: it plays on, and takes every rematch.
_BOT_ANSWERS = {"draw_offer": "draw_decline", "takeback_offer": "takeback_decline", "rematch_offer": "rematch_accept"}


class ChessSession:
    kind = "chess"
    # The clocks are checked every tick: a flag falls within 50 ms of the time running out.
    period = 0.05
    # Every chess intent applies the moment it arrives, not at a tick.
    immediate_intents: frozenset[str] = rules.INTENTS
    post_game_intents: frozenset[str] = rules.AFTER_GAME_INTENTS

    def __init__(
        self,
        *,
        seats: list[Seat],
        settings: dict,
        seed: int,
        now: float,
        saved_moves: list | None = None,
        frozen: dict | None = None,
    ) -> None:
        self.seats = seats
        white, black = seats
        self.tc = TimeControl.parse(settings["tc"])
        if saved_moves:
            # The engine restarted: pick the game up from its saved moves and clocks.
            self.game = rules.resume_game(white=white.name, black=black.name, tc=self.tc, moves=saved_moves, now=now)
            if frozen is not None:
                self._thaw_turn(frozen, now)
        else:
            self.game = rules.new_game(white=white.name, black=black.name, tc=self.tc, now=now)
        self.bots = {"white": white.bot, "black": black.bot}
        # The people who have not connected yet; a resumed game's players are long seated.
        self.arriving = set() if saved_moves else {seat.name for seat in seats if seat.bot is None}
        self.seating_until = now + SEATING_SECONDS
        # The ply a bot was last asked to move at, and when: asked once per position, unless
        # its answer is overdue.
        self.asked_at_ply: int | None = None
        self.asked_at = 0.0

    def freeze(self, now: float) -> dict:
        """The turn in progress, for a worker that adopts the game (its moves are saved)."""
        clock = self.game.clock
        return {"ply": len(self.game.moves), "running": clock.running, "elapsed_ms": clock.elapsed_ms(now)}

    def _thaw_turn(self, frozen: dict, now: float) -> None:
        """The side to move pays for the time it had used by the last freeze (at most a second
        before its worker stopped), not for the time no worker ran the game."""
        clock = self.game.clock
        if frozen.get("ply") == len(self.game.moves) and clock.running is not None and frozen.get("running") == clock.running:
            clock.since = now - int(frozen["elapsed_ms"]) / 1000

    def _seat(self, colour: str) -> Seat:
        return self.seats[0] if colour == "white" else self.seats[1]

    def validate(self, name: str, intent: dict) -> str | None:
        colour = rules.color_of(self.game, name)
        if colour is None:
            return "not a player of this game"
        if self.bots[colour] is not None:
            return "bots are played by the engine"
        return None

    def apply(self, name: str, intent: dict, now: float) -> list[Effect]:
        events = self._handle(name, intent, now)
        opponent = "black" if rules.color_of(self.game, name) == "white" else "white"
        answer = _BOT_ANSWERS.get(intent["type"])
        if answer is not None and self.bots[opponent] is not None and self._offer_pending(intent["type"]):
            events += self._handle(self._seat(opponent).name, {"type": answer}, now)
        return self._effects(events)

    def _offer_pending(self, offer: str) -> bool:
        game = self.game
        return {"draw_offer": game.draw_offer, "takeback_offer": game.takeback_offer, "rematch_offer": game.rematch_offer}[
            offer
        ] is not None

    def _handle(self, name: str, intent: dict, now: float) -> list[dict]:
        try:
            return rules.handle(self.game, name, intent, now, intent.get("lag_ms", 0))
        except rules.ChessError as refused:
            raise IntentRefused(refused.code, refused.message) from None

    def bot_move(self, seat: str, ply: int, move: str, now: float) -> list[Effect]:
        colour = rules.color_of(self.game, seat)
        if colour is None or self.bots[colour] is None or self.game.status != "started" or ply != len(self.game.moves):
            return []  # the position moved on (a takeback, the end) while the bot thought
        try:
            return self._effects(self._handle(seat, {"type": "move", "uci": move}, now))
        except IntentRefused as refused:
            logger.error("bot %s played %s at ply %d: %s", seat, move, ply, refused.message)
            return []

    def tick(self, intents: list[tuple[str, dict]], now: float) -> list[Effect]:
        seating = bool(self.arriving) and now < self.seating_until and not self.game.moves
        if seating:
            rules.hold_first_move_timer(self.game, now)
        else:
            self.arriving.clear()
        effects = self._effects(rules.on_tick(self.game, now))
        turn = rules.side_to_move(self.game)
        level = self.bots[turn]
        ply = len(self.game.moves)
        overdue = now - self.asked_at >= BOT_ANSWER_TIMEOUT_SECONDS
        # A bot waits for its opponent to arrive before it moves.
        if level is not None and not seating and self.game.status == "started" and (self.asked_at_ply != ply or overdue):
            self.asked_at_ply, self.asked_at = ply, now
            remaining = self.game.clock.remaining_ms(turn, now)
            effects.append(
                BotTurn(
                    seat=self._seat(turn).name,
                    level=level,
                    fen=self.game.board.fen(),
                    ply=ply,
                    remaining_ms=remaining,
                    increment_ms=self.tc.increment_ms,
                )
            )
        return effects

    def presence(self, name: str, connected: bool, now: float) -> list[Effect]:
        colour = rules.color_of(self.game, name)
        if colour is None or self.game.status != "started":
            return []
        if connected:
            self.arriving.discard(name)
        rules.set_presence(self.game, name, connected, now)
        # Lets the opponent's client show the claim countdown.
        claim_after_ms = 0 if connected else rules.DISCONNECT_CLAIM_MS
        return [Event({"type": "presence", "player": colour, "connected": connected, "claim_after_ms": claim_after_ms})]

    def _effects(self, events: list[dict]) -> list[Effect]:
        """Says what must be saved before it is broadcast; the engine announces the end itself."""
        effects: list[Effect] = []
        for event in events:
            if event["type"] == "gameEnd":
                continue
            if event["type"] in ("move", "takeback"):
                # Clients show legal destinations without a move generator of their own.
                board = self.game.board
                ongoing = self.game.status == "started"
                event["legal_moves"] = [move.uci() for move in board.legal_moves] if ongoing else []
                event["check"] = board.is_check()
            if event["type"] == "move":
                move = self.game.moves[-1]
                record = MoveMade(
                    ply=event["ply"],
                    uci=event["uci"],
                    san=event["san"],
                    white_ms=event["clock"]["white"],
                    black_ms=event["clock"]["black"],
                    spent_ms=move.spent_ms,
                    lag_comp_ms=event.get("lag_comp_ms", 0),
                )
                effects.append(Event(event, record=record))
            elif event["type"] == "takeback":
                effects.append(Event(event, record=MovesTakenBack(ply=event["ply"])))
            elif event["type"] == "rematch":
                # Colours swap; a bot is named after its new seat, as the database will name it.
                seats = [_reseated(self.seats[1], 0), _reseated(self.seats[0], 1)]
                event["white"], event["black"] = seats[0].name, seats[1].name
                effects.append(Event(event, new_game=NewGame(kind="chess", seats=seats, settings={"tc": self.tc.label})))
            else:
                effects.append(Event(event))
        return effects

    def snapshot(self, now: float) -> dict:
        return chess_state(self.game, self.seats, now)

    def outcome(self) -> Outcome | None:
        result = rules.result(self.game)
        if result is None:
            return None
        winner = result["winner"]
        winning_name = {"white": self.game.white, "black": self.game.black}.get(winner)
        return Outcome(
            status=result["status"],
            reason=result["reason"],
            winner=winner,
            winner_seats=winner_seats(self.seats, winning_name),
            final_clock=result["clock"],
        )

    def abort(self, reason: str, now: float) -> Outcome:
        rules.abort(self.game, reason, now)
        final = self.game.final_clock
        return Outcome(status="aborted", reason=reason, winner=None, final_clock=dict(final) if final else None)


def _reseated(seat: Seat, index: int) -> Seat:
    return Seat.robot(index, seat.bot) if seat.bot is not None else Seat.person(index, seat.name)

"""Seats that hold bots, in the sessions and in the loop under a fake clock: Snake bots steer
inside the tick, a chess bot's turn leaves the tick as a BotTurn and its answer comes back as an
engine.bot_move, and results name the winning seats."""

import pytest

from engine.games.chess.session import BOT_ANSWER_TIMEOUT_SECONDS, ChessSession
from engine.games.effects import BotTurn, Event, Seat, seats_from_message
from engine.games.snake.session import SnakeSession
from engine.loop import GameEngine
from tests.engine.conftest import RecordingStore


class ConfirmingStore(RecordingStore):
    def persist(self, game_id, record, v, on_done):
        super().persist(game_id, record, v, on_done)
        on_done(True)


class RecordingBots:
    def __init__(self) -> None:
        self.requests: list[dict] = []

    def request(self, **turn) -> None:
        self.requests.append(turn)

    def stats(self) -> dict[str, int]:
        return {"requested": len(self.requests)}


def test_bot_seats_are_named_as_bots_and_never_as_a_username():
    seat = Seat.robot(2, "hard")
    assert (seat.name, seat.bot) == ("Hard bot 3", "hard")
    assert " " in seat.name  # Django usernames have no spaces
    with pytest.raises(ValueError):
        Seat.robot(0, "grandmaster")
    assert seats_from_message([seat.to_message() for seat in (Seat.person(0, "alice"), seat)]) == [
        Seat.person(0, "alice"),
        Seat(index=1, name="Hard bot 3", bot="hard"),
    ]


def test_snake_bots_steer_themselves_and_refuse_intents_in_their_name():
    seats = [Seat.robot(0, "hard"), Seat.robot(1, "hard")]
    session = SnakeSession(seats=seats, settings={"countdown_ticks": 0}, seed=7, now=0.0)
    assert session.validate("Hard bot 1", {"type": "direction", "direction": "UP"}) is not None
    directions = set()
    for tick in range(200):
        session.tick([], tick * session.period)
        directions |= {snake.direction for snake in session.state.snakes.values()}
        if session.outcome() is not None:
            break
    # Heading one way for 200 ticks would have hit a wall long before.
    assert len(directions) > 1


def test_a_snake_game_of_bots_ends_and_names_the_winning_seat():
    seats = [Seat.robot(0, "hard"), Seat.robot(1, "easy"), Seat.robot(2, "easy")]
    session = SnakeSession(seats=seats, settings={"countdown_ticks": 0, "width": 12, "height": 12}, seed=3, now=0.0)
    tick = 0
    while session.outcome() is None and tick < 5000:
        session.tick([], tick * session.period)
        tick += 1
    outcome = session.outcome()
    assert outcome is not None
    if outcome.winner is None:
        assert outcome.winner_seats == ()
    else:
        assert [seats[index].name for index in outcome.winner_seats] == [outcome.winner]


def test_the_bot_rng_does_not_change_the_food_the_rules_place():
    people = SnakeSession(seats=[Seat.person(0, "a"), Seat.person(1, "b")], settings={}, seed=11, now=0.0)
    with_bot = SnakeSession(seats=[Seat.person(0, "a"), Seat.robot(1, "easy")], settings={}, seed=11, now=0.0)
    assert people.state.food == with_bot.state.food


def chess_with_bot(bot_colour: str) -> ChessSession:
    person, bot = Seat.person(0, "alice"), Seat.robot(1, "easy")
    seats = [person, bot] if bot_colour == "black" else [Seat.robot(0, "easy"), Seat.person(1, "alice")]
    session = ChessSession(seats=seats, settings={"tc": "1+0"}, seed=1, now=0.0)
    session.presence("alice", True, 0.0)
    return session


def test_a_chess_bot_is_asked_once_per_position_with_its_clock():
    session = chess_with_bot("white")
    (turn,) = [effect for effect in session.tick([], 0.05) if isinstance(effect, BotTurn)]
    assert (turn.seat, turn.level, turn.ply, turn.remaining_ms, turn.increment_ms) == ("Easy bot 1", "easy", 0, 60_000, 0)
    assert not [effect for effect in session.tick([], 0.10) if isinstance(effect, BotTurn)]
    effects = session.bot_move("Easy bot 1", 0, "e2e4", 0.2)
    assert [effect.body["type"] for effect in effects if isinstance(effect, Event)] == ["move"]
    assert not [effect for effect in session.tick([], 0.25) if isinstance(effect, BotTurn)]


def test_a_bot_whose_answer_is_lost_is_asked_again():
    session = chess_with_bot("white")
    assert [effect for effect in session.tick([], 0.05) if isinstance(effect, BotTurn)]
    assert not [effect for effect in session.tick([], 3.0) if isinstance(effect, BotTurn)]
    (again,) = [effect for effect in session.tick([], 0.05 + BOT_ANSWER_TIMEOUT_SECONDS) if isinstance(effect, BotTurn)]
    assert again.ply == 0


def test_a_stale_or_illegal_bot_answer_changes_nothing():
    session = chess_with_bot("white")
    session.tick([], 0.05)
    assert session.bot_move("Easy bot 1", 3, "e2e4", 0.1) == []
    assert session.bot_move("Easy bot 1", 0, "e2e5", 0.1) == []
    assert session.bot_move("alice", 0, "e2e4", 0.1) == []
    assert session.game.moves == []


def test_people_cannot_move_for_the_bot_and_the_bot_declines_offers_but_takes_rematches():
    session = chess_with_bot("black")
    assert session.validate("Easy bot 2", {"type": "resign"}) is not None
    session.apply("alice", {"type": "move", "uci": "e2e4"}, 0.1)
    session.bot_move("Easy bot 2", 1, "e7e5", 0.2)
    offer = session.apply("alice", {"type": "draw_offer"}, 0.3)
    assert [effect.body["type"] for effect in offer if isinstance(effect, Event)] == ["drawOffer", "drawDeclined"]
    session.apply("alice", {"type": "resign"}, 0.4)
    rematch = session.apply("alice", {"type": "rematch_offer"}, 0.5)
    (new_game,) = [effect.new_game for effect in rematch if isinstance(effect, Event) and effect.new_game]
    assert [(seat.name, seat.bot) for seat in new_game.seats] == [("Easy bot 1", "easy"), ("alice", None)]
    (event,) = [effect.body for effect in rematch if isinstance(effect, Event) and effect.new_game]
    assert (event["white"], event["black"]) == ("Easy bot 1", "alice")


def test_the_loop_hands_bot_turns_to_the_runner_and_plays_its_answer(clock, broadcaster):
    bots = RecordingBots()
    engine = GameEngine(broadcaster=broadcaster, store=ConfirmingStore(), clock=clock, bots=bots)
    seats = [Seat.robot(0, "medium").to_message(), Seat.person(1, "alice").to_message()]
    engine.submit(
        {"type": "engine.start_game", "game_id": "c1", "kind": "chess", "mode": "match", "seats": seats,
         "settings": {"tc": "3+2"}, "seed": 1}
    )
    engine.pump()
    clock.now += 0.05
    engine.pump()
    assert bots.requests == []  # the bot waits for its opponent to arrive
    engine.submit({"type": "engine.presence", "process": "p", "seq": 1, "game_id": "c1", "username": "alice", "connected": True})
    clock.now += 0.05
    engine.pump()
    (request,) = bots.requests
    assert {key: request[key] for key in ("game_id", "seat", "level", "ply", "increment_ms")} == {
        "game_id": "c1", "seat": "Medium bot 1", "level": "medium", "ply": 0, "increment_ms": 2000,
    }
    engine.submit({"type": "engine.bot_move", "game_id": "c1", "seat": "Medium bot 1", "ply": 0, "uci": "d2d4"})
    engine.pump()
    (move,) = [event for event in broadcaster.game_events("c1") if event["type"] == "move"]
    assert (move["uci"], move["player"]) == ("d2d4", "white")
    # A person cannot play the bot's moves through the intent path.
    engine.submit({"type": "engine.intent", "game_id": "c1", "username": "Medium bot 1",
                   "intent": {"type": "move", "uci": "d7d5"}, "reply_channel": "r"})
    engine.pump()
    assert broadcaster.replies("r")[0]["code"] == "refused"

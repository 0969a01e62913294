"""Worker mode: the engine freezes its games about once a second and all of them as it stops; a
Snake board thawed in another engine goes on where it was, a chess turn is charged up to its freeze."""

from engine.freezer import FREEZE_SECONDS, Freezer
from engine.games.chess.session import ChessSession
from engine.games.effects import Seat
from engine.games.snake.session import SnakeSession
from engine.live_game import RESUME_VERSION_GAP
from engine.loop import GameEngine

SEATS = [{"name": "Easy bot 1", "bot": "easy"}, {"name": "Easy bot 2", "bot": "easy"}]


def snake_engine(clock, broadcaster, store) -> GameEngine:
    engine = GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"snake": SnakeSession})
    engine.freezer = Freezer(engine.outbox)
    return engine


def start_snake(engine, settings=None, **extra) -> None:
    settings = settings or {"countdown_ticks": 0, "seating_seconds": 0}
    engine.submit(
        {"type": "engine.start_game", "game_id": "s1", "kind": "snake", "seats": SEATS, "settings": settings, "seed": 5, **extra}
    )
    engine.pump()


def snapshots(broadcaster) -> list[dict]:
    return [message for target, name, message in broadcaster.sends if target == "snapshot" and name == "s1"]


def test_a_board_is_frozen_about_once_a_second(clock, broadcaster, store):
    engine = snake_engine(clock, broadcaster, store)
    start_snake(engine)
    for _ in range(31):
        clock.now += 0.1
        engine.pump()
    frozen = snapshots(broadcaster)
    assert len(frozen) in (int(3.1 / FREEZE_SECONDS), int(3.1 / FREEZE_SECONDS) + 1)
    assert frozen[-1]["frozen"]["tick"] - frozen[0]["frozen"]["tick"] >= (len(frozen) - 1) * 10 * FREEZE_SECONDS - 1


def test_a_stopping_engine_freezes_every_board_as_it_is(clock, broadcaster, store):
    engine = snake_engine(clock, broadcaster, store)
    start_snake(engine)
    assert snapshots(broadcaster) == []  # nothing has ticked yet
    engine.start()
    engine.stop()
    assert [snapshot["frozen"]["tick"] for snapshot in snapshots(broadcaster)] == [0]


def test_a_board_thawed_in_another_engine_goes_on_from_where_it_was_frozen(clock, broadcaster, store):
    first = snake_engine(clock, broadcaster, store)
    start_snake(first)
    for _ in range(12):
        clock.now += 0.1
        first.pump()
    last = snapshots(broadcaster)[-1]
    second = snake_engine(clock, broadcaster, store)
    start_snake(second, frozen=last["frozen"], resume_after_v=last["v"])
    game = second.games["s1"]
    assert game.session.state.tick == last["frozen"]["tick"]
    assert game.v == last["v"] + RESUME_VERSION_GAP
    clock.now += 0.1
    second.pump()
    assert game.session.state.tick == last["frozen"]["tick"] + 1


def test_a_board_frozen_before_its_first_event_still_jumps_its_versions_when_thawed(clock, broadcaster, store):
    # Frozen at its first tick while it waited for its people: no event yet, v 0. Its worker may
    # have sent ticks after that, so the board thawed elsewhere must number past them too.
    first = snake_engine(clock, broadcaster, store)
    start_snake(first, settings={"countdown_ticks": 0, "seating_seconds": 10})
    first.games["s1"].session.arriving.add("somebody")
    clock.now += 0.1
    first.pump()
    (frozen,) = snapshots(broadcaster)
    assert frozen["v"] == 0
    second = snake_engine(clock, broadcaster, store)
    start_snake(second, frozen=frozen["frozen"], resume_after_v=frozen["v"])
    assert second.games["s1"].v == RESUME_VERSION_GAP
    heads = [message.get("head") for target, name, message in broadcaster.sends if target == "game" and name == "s1"]
    assert heads[-1] == RESUME_VERSION_GAP


def test_a_chess_turn_in_progress_is_charged_up_to_its_freeze_and_not_for_the_outage():
    seats = [Seat(index=0, name="w", bot=None), Seat(index=1, name="b", bot=None)]
    session = ChessSession(seats=seats, settings={"tc": "5+0"}, seed=1, now=0.0)
    for name, uci, at in (("w", "e2e4", 1.0), ("b", "e7e5", 2.0), ("w", "g1f3", 3.0)):
        session.presence(name, True, at)
        session.apply(name, {"type": "move", "uci": uci, "lag_ms": 0}, at)
    saved = [[m.uci, m.clock_after["white"], m.clock_after["black"], m.spent_ms] for m in session.game.moves]
    black_before = session.game.clock.remaining_ms("black", 3.0)
    frozen = session.freeze(7.5)  # black has thought for 4.5 s; its worker dies a moment later
    # Adopted a minute later: black has used 4.5 s, not the minute nobody ran the game.
    thawed = ChessSession(seats=seats, settings={"tc": "5+0"}, seed=1, now=70.0, saved_moves=saved, frozen=frozen)
    assert thawed.game.clock.remaining_ms("black", 70.0) == black_before - 4500
    assert thawed.game.clock.remaining_ms("white", 70.0) == session.game.clock.remaining_ms("white", 7.5)
    # A freeze older than the last saved move is ignored: the move's own clocks stand.
    stale = {**frozen, "ply": frozen["ply"] - 1}
    resumed = ChessSession(seats=seats, settings={"tc": "5+0"}, seed=1, now=70.0, saved_moves=saved, frozen=stale)
    assert resumed.game.clock.remaining_ms("black", 70.0) == black_before


def test_a_game_that_moved_announces_its_new_head_at_once(clock, broadcaster, store):
    engine = snake_engine(clock, broadcaster, store)
    frozen = {"tick": 0, "snakes": [], "food": [], "over": False, "winner": None, "end_reason": None}
    start_snake(engine, frozen={**frozen, "away_in": {}, "arriving": [], "seating_in": 0.0}, resume_after_v=41)
    heads = [m.get("head") for target, name, m in broadcaster.sends if target == "game" and name == "s1"]
    assert heads == [41 + RESUME_VERSION_GAP]

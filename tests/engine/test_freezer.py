"""Worker mode: the engine freezes its Snake boards about once a second and all of them as it
stops, and a board started from a frozen one goes on where it was."""

from engine.freezer import FREEZE_SECONDS, Freezer
from engine.games.snake.session import SnakeSession
from engine.loop import RESUME_VERSION_GAP, GameEngine

SEATS = [{"name": "Easy bot 1", "bot": "easy"}, {"name": "Easy bot 2", "bot": "easy"}]


def snake_engine(clock, broadcaster, store) -> GameEngine:
    engine = GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"snake": SnakeSession})
    engine.freezer = Freezer(engine.outbox)
    return engine


def start_snake(engine, **extra) -> None:
    settings = {"countdown_ticks": 0, "seating_seconds": 0}
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

"""Chess inside the engine loop under a fake clock: immediate moves, durability, flag falls."""

import pytest

from engine.cluster.adoption_hold import AdoptionHold
from engine.games.chess.records import MoveMade
from engine.games.chess.session import SEATING_SECONDS, ChessSession
from engine.games.effects import GameCreated, Seat
from engine.loop import GameEngine
from tests.engine.conftest import RecordingStore


class ConfirmingStore(RecordingStore):
    """Saves at once, as a store whose database answers immediately would."""

    def persist(self, game_id, record, v, on_done):
        super().persist(game_id, record, v, on_done)
        on_done(True)


@pytest.fixture
def store():
    return ConfirmingStore()


@pytest.fixture
def engine(clock, broadcaster, store):
    return GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"chess": ChessSession})


def start_chess(engine, tc="0.25+0"):
    engine.submit(
        {
            "type": "engine.start_game",
            "game_id": "c1",
            "kind": "chess",
            "mode": "match",
            "seats": [{"name": "white_player", "bot": None}, {"name": "black_player", "bot": None}],
            "settings": {"tc": tc},
            "seed": 1,
        }
    )
    engine.pump()


def play(engine, username, uci, reply_channel="reply"):
    engine.submit(
        {
            "type": "engine.intent",
            "game_id": "c1",
            "username": username,
            "intent": {"type": "move", "uci": uci, "lag_ms": 0},
            "reply_channel": reply_channel,
        }
    )
    engine.pump()


def test_a_move_is_applied_and_broadcast_at_once_after_it_is_saved(engine, clock, broadcaster, store):
    start_chess(engine)
    play(engine, "white_player", "e2e4")
    (move,) = broadcaster.game_events("c1")
    assert (move["type"], move["san"], move["ply"], move["player"]) == ("move", "e4", 1, "white")
    assert "e7e5" in move["legal_moves"]
    assert store.records == [
        (
            "c1",
            MoveMade(ply=1, uci="e2e4", san="e4", white_ms=15000, black_ms=15000, spent_ms=0, lag_comp_ms=0),
            1,
        )
    ]


def test_a_move_stays_unpublished_while_the_store_has_not_saved_it(clock, broadcaster):
    store = RecordingStore()
    engine = GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"chess": ChessSession})
    start_chess(engine)
    play(engine, "white_player", "e2e4")
    assert broadcaster.game_events("c1") == []
    store.confirmations[0](True)
    engine.pump()
    assert [e["san"] for e in broadcaster.game_events("c1")] == ["e4"]


def test_out_of_turn_and_illegal_moves_are_refused_to_the_sender_only(engine, clock, broadcaster):
    start_chess(engine)
    play(engine, "black_player", "e7e5", reply_channel="black")
    play(engine, "white_player", "e2e5", reply_channel="white")
    play(engine, "spectator", "e2e4", reply_channel="spectator")
    assert [r["code"] for r in broadcaster.replies("black")] == ["not_your_turn"]
    assert [r["code"] for r in broadcaster.replies("white")] == ["illegal_move"]
    assert [r["code"] for r in broadcaster.replies("spectator")] == ["refused"]
    assert broadcaster.game_events("c1") == []


def test_the_engine_ends_a_game_on_time_within_one_tick_without_any_claim(engine, clock, broadcaster, store):
    start_chess(engine, tc="0.25+0")
    play(engine, "white_player", "e2e4")
    clock.now += 1.0
    play(engine, "black_player", "e7e5")
    # White's clock started with black's move: it runs out 15 s later, and its flag falls after
    # a grace of its lag quota (630 ms in 0.25+0).
    flag_at = clock.now + 15.0 + 0.63
    while clock.now < flag_at + 1.0:
        clock.now += 0.015625  # exact in binary floating point
        engine.pump()
        if any(e["type"] == "gameEnd" for e in broadcaster.game_events("c1")):
            break
    end = broadcaster.game_events("c1")[-1]
    assert (end["type"], end["status"], end["reason"], end["winner"]) == ("gameEnd", "black_wins", "timeout", "black")
    assert end["clock"] == {"white": 0, "black": 15_000, "running": None}
    assert flag_at <= clock.now <= flag_at + ChessSession.period
    ((game_id, outcome, _),) = store.ended
    assert (game_id, outcome.winner_seats) == ("c1", (1,))
    assert outcome.final_clock == {"white": 0, "black": 15_000}


def test_a_resignation_saves_the_clocks_of_the_moment_it_came(engine, clock, broadcaster, store):
    start_chess(engine, tc="0.25+0")
    play(engine, "white_player", "e2e4")
    play(engine, "black_player", "e7e5")
    clock.now += 4.0
    engine.submit(
        {"type": "engine.intent", "game_id": "c1", "username": "white_player", "intent": {"type": "resign"}, "reply_channel": "r"}
    )
    engine.pump()
    ((_, outcome, _),) = store.ended
    assert outcome.final_clock == {"white": 11_000, "black": 15_000}
    assert engine.games["c1"].state(clock.now)["clock"] == {"white": 11_000, "black": 15_000, "running": None}


def test_a_game_whose_first_move_never_comes_is_aborted(engine, clock, broadcaster):
    start_chess(engine, tc="3+2")
    clock.now += 26.0
    engine.pump()
    end = broadcaster.game_events("c1")[-1]
    assert (end["type"], end["status"], end["reason"]) == ("gameEnd", "aborted", "aborted")


def test_rematch_starts_a_new_game_with_colours_swapped(engine, clock, broadcaster, store):
    start_chess(engine)
    for username, action in [("white_player", "resign"), ("black_player", "rematch_offer"), ("white_player", "rematch_accept")]:
        engine.submit(
            {"type": "engine.intent", "game_id": "c1", "username": username, "intent": {"type": action}, "reply_channel": "r"}
        )
        engine.pump()
    rematch = next(e for e in broadcaster.game_events("c1") if e["type"] == "rematch")
    new_game = engine.games[rematch["game_id"]].session.game
    assert (new_game.white, new_game.black) == ("black_player", "white_player")
    seats = [Seat(index=0, name="black_player"), Seat(index=1, name="white_player")]
    create = GameCreated(game_id=rematch["game_id"], kind="chess", seats=seats, settings={"tc": "0.25+0"})
    assert ("c1", create, rematch["v"]) in store.records


def test_a_resumed_game_numbers_its_events_past_the_previous_process(engine, clock, broadcaster):
    engine.submit(
        {
            "type": "engine.start_game",
            "game_id": "c1",
            "kind": "chess",
            "mode": "match",
            "seats": [{"name": "white_player", "bot": None}, {"name": "black_player", "bot": None}],
            "settings": {"tc": "5+0"},
            "seed": 1,
            "saved_moves": [["e2e4", 300_000, 300_000, 0]],
            "resume_after_v": 12,
        }
    )
    engine.pump()
    play(engine, "black_player", "e7e5")
    (move,) = broadcaster.game_events("c1")
    assert move["ply"] == 2 and move["v"] > 12


def test_a_game_the_engine_ends_itself_stops_its_clocks(clock, broadcaster):
    store = RecordingStore()
    engine = GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"chess": ChessSession})
    start_chess(engine, tc="1+0")
    play(engine, "white_player", "e2e4")
    store.confirmations[0](True)
    engine.pump()
    clock.now += 1.0
    play(engine, "black_player", "e7e5")
    clock.now += 2.0
    # The database refuses black's move: the engine ends the game as engine_error.
    store.confirmations[1](False)
    engine.pump()
    end = broadcaster.game_events("c1")[-1]
    assert (end["type"], end["status"], end["reason"]) == ("gameEnd", "aborted", "engine_error")
    assert end["clock"]["running"] is None
    state = engine.games["c1"].state(clock.now + 10.0)
    assert state["status"] == "aborted" and state["clock"]["running"] is None
    assert state["clock"]["white"] == end["clock"]["white"]


def tick_until(engine, clock, seconds, step=0.5):
    for _ in range(int(seconds / step)):
        clock.now += step
        engine.pump()


def arrive(engine, username, seq):
    presence = {"type": "engine.presence", "process": "p", "seq": seq, "game_id": "c1", "username": username}
    engine.submit({**presence, "connected": True})
    engine.pump()


def test_the_first_move_time_waits_for_both_players_to_arrive(engine, clock, broadcaster):
    start_chess(engine, tc="0.25+0")
    tick_until(engine, clock, 18.0)
    assert engine.games["c1"].ended_at is None
    arrive(engine, "white_player", 1)
    arrive(engine, "black_player", 2)
    assert engine.games["c1"].state(clock.now)["first_move_ms_left"] == 15_000
    tick_until(engine, clock, 14.0)
    assert engine.games["c1"].ended_at is None
    tick_until(engine, clock, 2.0)
    end = broadcaster.game_events("c1")[-1]
    assert (end["type"], end["status"]) == ("gameEnd", "aborted")


def test_a_player_who_never_arrives_gets_the_first_move_time_after_the_seating_time(engine, clock, broadcaster):
    start_chess(engine, tc="0.25+0")
    arrive(engine, "white_player", 1)
    tick_until(engine, clock, SEATING_SECONDS + 14.0)
    assert engine.games["c1"].ended_at is None
    tick_until(engine, clock, 2.0)
    assert broadcaster.game_events("c1")[-1]["status"] == "aborted"


def test_a_move_for_a_game_being_adopted_waits_for_the_game_and_is_then_applied(engine, broadcaster):
    # A survivor has claimed the game in Redis; its start message follows the database read.
    engine.hold = AdoptionHold()
    engine.hold.adopting(["c1", "gone"])
    play(engine, "white_player", "e2e4")
    engine.submit({"type": "engine.sync", "game_id": "gone", "v": None, "reply_channel": "gone-reply"})
    engine.pump()
    assert broadcaster.replies("reply") == [] and broadcaster.game_events("c1") == []
    start_chess(engine)
    engine.submit({"type": "engine.adopted", "game_ids": ["c1", "gone"]})
    engine.pump()
    assert [event["uci"] for event in broadcaster.game_events("c1") if event["type"] == "move"] == ["e2e4"]
    # A game that turned out not to be live is answered as unknown, once its adoption is over.
    assert broadcaster.replies("gone-reply")[0]["type"] == "game.sync"
    play(engine, "black_player", "e7e5")
    assert [event["uci"] for event in broadcaster.game_events("c1") if event["type"] == "move"] == ["e2e4", "e7e5"]

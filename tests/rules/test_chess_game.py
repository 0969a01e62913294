"""Unit tests for engine.games.chess.rules (pure Python, no Django). Time is faked by
passing plain numbers as `now`."""

from __future__ import annotations

import json

import chess
import pytest

from engine.games.chess import rules as chess_game
from engine.games.chess.clock import TimeControl
from engine.games.chess.rules import (
    DISCONNECT_CLAIM_MS,
    MORETIME_MS,
    ChessError,
    color_of,
    handle,
    new_game,
    on_tick,
    result,
    set_presence,
    snapshot,
)

WHITE, BLACK = "alice", "bob"
FOOLS_MATE = ("f2f3", "e7e5", "g2g4", "d8h4")
KNIGHT_DANCE = ("g1f3", "g8f6", "f3g1", "f6g8")  # back to the start position

# --------------------------------------------------------------------------- helpers


def make(tc="3+2", *, now=0.0, fen=None):
    return new_game(white=WHITE, black=BLACK, tc=TimeControl.parse(tc), now=now, fen=fen)


def to_move(game):
    return WHITE if game.board.turn == chess.WHITE else BLACK


def move(game, uci, now, lag_ms=0):
    return handle(game, to_move(game), {"type": "move", "uci": uci}, now, lag_ms)


def play(game, ucis, *, start=1.0, step=1.0):
    """Play `ucis` one second apart from `start`; returns the time of the last move."""
    now = start
    for index, uci in enumerate(ucis):
        now = start + index * step
        events = move(game, uci, now)
        assert events[0]["type"] == "move", events
    return now


def act(game, username, kind, now, **fields):
    return handle(game, username, {"type": kind, **fields}, now)


def assert_refused(game, username, intent, code, now=None):
    """The intent raises ChessError(code) and leaves the game exactly as it was. `now`
    defaults to when the side to move got the move, so nothing has timed out yet."""
    now = game.turn_started_at if now is None else now
    before = snapshot(game, now)
    with pytest.raises(ChessError) as raised:
        handle(game, username, intent, now)
    assert raised.value.code == code
    assert raised.value.message
    assert snapshot(game, now) == before


def assert_ended(events, status, reason, winner):
    assert events[-1] == {"type": "gameEnd", "status": status, "reason": reason, "winner": winner}
    assert [event["type"] for event in events].count("gameEnd") == 1


def two_plies(game, start=1.0):
    """e4 e5 at `start` and `start + 1`: white's clock runs from `start + 1`."""
    return play(game, ["e2e4", "e7e5"], start=start)


# --------------------------------------------------------------------------- creation, snapshot


def test_new_game_snapshot():
    game = make(now=5.0)
    snap = snapshot(game, 100.0)
    assert json.loads(json.dumps(snap)) == snap
    assert snap["fen"] == snap["initial_fen"] == chess.STARTING_FEN
    assert snap["white"] == {"username": WHITE, "connected": True}
    assert snap["black"] == {"username": BLACK, "connected": True}
    assert snap["turn"] == "white"
    assert snap["status"] == "started" and snap["reason"] is None
    assert snap["clock"] == {"white": 180_000, "black": 180_000, "running": None}
    assert snap["tc"] == "3+2"
    assert snap["ply"] == 0
    assert snap["moves"] == snap["sans"] == snap["clock_history"] == []
    assert len(snap["legal_moves"]) == 20 and "e2e4" in snap["legal_moves"]
    assert snap["check"] is False and snap["last_move"] is None
    assert snap["draw_offer"] is snap["takeback_offer"] is snap["rematch_offer"] is None
    assert snap["first_move_ms_left"] == 0  # overdue: the next tick aborts
    assert snapshot(game, 10.0)["first_move_ms_left"] == 20_000
    assert result(game) is None


@pytest.mark.parametrize(
    ("white", "black", "fen"),
    [
        ("alice", "alice", None),
        ("", "bob", None),
        ("alice", None, None),
        ("alice", "bob", "not a fen"),
        ("alice", "bob", "8/8/8/8/8/8/8/8 w - - 0 1"),  # no kings
        ("alice", "bob", "k7/8/1Q6/8/8/8/8/7K b - - 0 1"),  # already stalemate
    ],
)
def test_new_game_rejects_bad_input(white, black, fen):
    with pytest.raises(ValueError):
        new_game(white=white, black=black, tc=TimeControl.parse("3+2"), now=0.0, fen=fen)


def test_color_of():
    game = make()
    assert color_of(game, WHITE) == "white"
    assert color_of(game, BLACK) == "black"
    assert color_of(game, "carol") is None


# --------------------------------------------------------------------------- moves


def test_move_event_and_records():
    game = make()
    events = move(game, "e2e4", 1.0, lag_ms=300)
    assert events == [
        {
            "type": "move",
            "uci": "e2e4",
            "san": "e4",
            "fen": "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1",
            "ply": 1,
            "player": "white",
            "clock": {"white": 180_000, "black": 180_000, "running": None},
            "lag_comp_ms": 0,  # no clock runs yet: nothing to compensate
        }
    ]
    assert json.loads(json.dumps(events)) == events
    assert game.clock.lag["white"].quota_ms == 3_000
    snap = snapshot(game, 1.0)
    assert snap["moves"] == ["e2e4"] and snap["sans"] == ["e4"]
    assert snap["last_move"] == "e2e4" and snap["turn"] == "black"
    assert snap["clock_history"] == [{"white": 180_000, "black": 180_000}]


def test_clock_starts_for_white_on_the_second_ply_without_increment():
    game = make()
    move(game, "e2e4", 1.0)
    events = move(game, "e7e5", 5.0)
    assert events[0]["clock"] == {"white": 180_000, "black": 180_000, "running": "white"}
    assert snapshot(game, 8.0)["clock"] == {"white": 177_000, "black": 180_000, "running": "white"}
    assert [record.spent_ms for record in game.moves] == [0, 0]


def test_increment_after_each_move_once_the_clock_runs():
    game = make()
    two_plies(game)  # white runs from t=2
    events = move(game, "g1f3", 5.0)
    assert events[0]["clock"] == {"white": 180_000 - 3_000 + 2_000, "black": 180_000, "running": "black"}
    events = move(game, "b8c6", 6.5)
    assert events[0]["clock"] == {"white": 179_000, "black": 180_000 - 1_500 + 2_000, "running": "white"}
    assert [record.spent_ms for record in game.moves] == [0, 0, 3_000, 1_500]
    assert snapshot(game, 6.5)["clock_history"] == [
        {"white": 180_000, "black": 180_000},
        {"white": 180_000, "black": 180_000},
        {"white": 179_000, "black": 180_000},
        {"white": 179_000, "black": 180_500},
    ]


def test_lag_compensation_on_moves():
    game = make()  # 3+2: quota 3000, gain 1000
    two_plies(game)
    events = move(game, "g1f3", 5.0, lag_ms=400)
    assert events[0]["lag_comp_ms"] == 400
    assert game.moves[-1].spent_ms == 2_600
    assert events[0]["clock"]["white"] == 180_000 - 2_600 + 2_000
    assert game.clock.lag["white"].quota_ms == 3_600


def test_promotion_needs_its_suffix():
    game = make(fen="8/4P3/8/8/8/8/k7/4K3 w - - 0 1")
    assert_refused(game, WHITE, {"type": "move", "uci": "e7e8"}, "illegal_move")
    assert_refused(game, WHITE, {"type": "move", "uci": "e7e8Q"}, "illegal_move")
    events = move(game, "e7e8n", 1.0)
    assert events[0]["san"] == "e8=N"
    assert game.board.piece_at(chess.E8) == chess.Piece(chess.KNIGHT, chess.WHITE)


def test_promotion_to_queen():
    game = make(fen="8/4P3/8/8/8/8/k7/4K3 w - - 0 1")
    assert move(game, "e7e8q", 1.0)[0]["san"] == "e8=Q"
    assert game.board.piece_at(chess.E8) == chess.Piece(chess.QUEEN, chess.WHITE)


@pytest.mark.parametrize(
    "uci", ["e2e5", "e7e5", "e2e9", "", "e2", "e2e4e", "E2E4", "0000", "P@e4", None, 42, ["e2e4"]]
)
def test_illegal_and_malformed_moves(uci):
    assert_refused(make(), WHITE, {"type": "move", "uci": uci}, "illegal_move")


def test_missing_uci_is_illegal():
    assert_refused(make(), WHITE, {"type": "move"}, "illegal_move")


def test_castling_must_be_spelled_the_standard_way():
    game = make(fen="4k3/8/8/8/8/8/8/4K2R w K - 0 1")
    assert_refused(game, WHITE, {"type": "move", "uci": "e1h1"}, "illegal_move")
    assert move(game, "e1g1", 1.0)[0]["san"] == "O-O"


def test_moves_out_of_turn_and_by_non_players():
    game = make()
    assert_refused(game, BLACK, {"type": "move", "uci": "e7e5"}, "not_your_turn")
    assert_refused(game, "carol", {"type": "move", "uci": "e2e4"}, "not_a_player")
    move(game, "e2e4", 1.0)
    assert_refused(game, WHITE, {"type": "move", "uci": "d2d4"}, "not_your_turn")


@pytest.mark.parametrize("intent", [{}, {"type": "fly"}, {"type": ["move"]}, "move", None])
def test_unknown_intents(intent):
    assert_refused(make(), WHITE, intent, "unknown_intent")


# --------------------------------------------------------------------------- automatic ends


def test_checkmate():
    game = make()
    play(game, FOOLS_MATE[:-1])
    events = move(game, FOOLS_MATE[-1], 10.0)
    assert [event["type"] for event in events] == ["move", "gameEnd"]
    assert events[0]["san"] == "Qh4#"
    assert events[0]["clock"]["running"] is None
    assert_ended(events, "black_wins", "checkmate", "black")
    assert result(game) == {
        "status": "black_wins",
        "reason": "checkmate",
        "winner": "black",
        "clock": {"white": 180_000 - 1_000 + 2_000, "black": 180_000 - 7_000 + 2_000},
    }
    snap = snapshot(game, 10.0)
    assert snap["legal_moves"] == [] and snap["check"] is True
    assert snap["status"] == "black_wins" and snap["reason"] == "checkmate"
    assert on_tick(game, 1_000.0) == []  # the end is reported once


def test_stalemate():
    game = make(fen="k7/8/8/1Q6/8/8/8/7K w - - 0 1")
    assert_ended(move(game, "b5b6", 1.0), "draw", "stalemate", None)


def test_insufficient_material():
    game = make(fen="4k3/8/8/8/8/8/3r4/4K3 w - - 0 1")
    assert_ended(move(game, "e1d2", 1.0), "draw", "insufficient_material", None)


def test_seventyfive_moves():
    game = make(fen="k7/8/1K6/8/8/8/8/7R w - - 149 120")
    assert_ended(move(game, "h1h2", 1.0), "draw", "seventyfive_moves", None)


def test_checkmate_beats_seventyfive_moves():
    game = make(fen="k7/8/1K6/8/8/8/8/7R w - - 149 120")
    assert_ended(move(game, "h1h8", 1.0), "white_wins", "checkmate", "white")


def test_fivefold_repetition():
    game = make(fen="4k3/8/8/8/8/8/8/R3K3 w - - 0 1")
    cycle = ["a1a2", "e8d8", "a2a1", "d8e8"]
    now = play(game, cycle * 3)  # the position has occurred 4 times: not automatic yet
    assert game.status == "started"
    now = play(game, cycle[:3], start=now + 1)
    events = move(game, cycle[3], now + 1)
    assert_ended(events, "draw", "fivefold_repetition", None)


# --------------------------------------------------------------------------- time


# 1+0 (Lichess gain 390 ms): each side's lag quota starts at 1170 ms, and so does its flag grace.
TIMEOUT_BLACK_WINS = [{"type": "gameEnd", "status": "black_wins", "reason": "timeout", "winner": "black"}]
# The engine ticks chess games at 20 Hz.
TICK = 0.05


def test_the_flag_falls_when_the_grace_past_zero_has_run_out():
    game = make("1+0")
    two_plies(game)  # white runs from t=2 with 60 s
    assert on_tick(game, 62.0) == []
    assert snapshot(game, 62.0)["clock"]["white"] == 0
    assert on_tick(game, 63.169) == []
    assert on_tick(game, 63.17) == TIMEOUT_BLACK_WINS
    assert snapshot(game, 500.0)["clock"] == {"white": 0, "black": 60_000, "running": None}
    assert result(game)["clock"] == {"white": 0, "black": 60_000}
    assert on_tick(game, 63.22) == []
    assert_refused(game, WHITE, {"type": "move", "uci": "g1f3"}, "game_over")


def test_a_move_within_the_grace_is_accepted_with_its_lag_compensation():
    game = make("1+0")
    two_plies(game)
    events = move(game, "g1f3", 62.5, lag_ms=800)  # 500 ms past zero, 800 ms refunded
    assert (events[0]["type"], events[0]["lag_comp_ms"]) == ("move", 800)
    assert events[0]["clock"] == {"white": 300, "black": 60_000, "running": "black"}
    assert on_tick(game, 63.17) == [] and game.status == "started"


def test_a_move_within_the_grace_that_its_lag_does_not_cover_loses_on_time():
    game = make("1+0")
    two_plies(game)
    fen = game.board.fen()
    assert move(game, "g1f3", 62.5, lag_ms=500) == TIMEOUT_BLACK_WINS  # charged exactly 60 s
    assert game.board.fen() == fen and len(game.moves) == 2
    assert snapshot(game, 70.0)["clock"] == {"white": 0, "black": 60_000, "running": None}


def test_a_move_after_the_grace_loses_on_time_whatever_its_lag():
    game = make("1+0")
    two_plies(game)
    assert move(game, "g1f3", 63.17, lag_ms=1_170) == TIMEOUT_BLACK_WINS


def test_a_move_just_before_the_flag_counts():
    game = make("1+0")
    two_plies(game)
    events = move(game, "g1f3", 61.999)
    assert events[0]["clock"] == {"white": 1, "black": 60_000, "running": "black"}


def test_the_grace_shrinks_with_the_lag_quota_spent():
    game = make("1+0")
    two_plies(game)
    move(game, "g1f3", 3.0, lag_ms=1_000)  # all 1000 ms refunded: quota 1170 - 1000 + 390
    move(game, "g8f6", 4.0)  # white runs from t=4 with 60 s
    assert on_tick(game, 64.559) == []
    assert on_tick(game, 64.56) == TIMEOUT_BLACK_WINS


def test_the_grace_never_exceeds_2_s():
    game = make("3+2")  # lag quota 3000 ms
    two_plies(game)  # white runs from t=2 with 180 s
    assert on_tick(game, 183.999) == []
    assert on_tick(game, 184.0) == TIMEOUT_BLACK_WINS


@pytest.mark.parametrize("phase", [0.0, 0.013, 0.049])
def test_the_flag_falls_within_one_tick_after_the_grace(phase):
    game = make("1+0")
    two_plies(game)
    flag_due = 62.0 + 1.17
    now = 2.0 + phase
    while not on_tick(game, now):
        now += TICK
    assert flag_due <= now < flag_due + TICK


def test_black_flags():
    game = make("1+0")
    play(game, ["e2e4", "e7e5", "g1f3"])  # black runs from t=3
    assert on_tick(game, 64.169) == []
    assert_ended(on_tick(game, 64.17), "white_wins", "timeout", "white")


def test_timeout_is_a_draw_when_the_winner_cannot_mate():
    game = make("1+0", fen="4k3/8/8/8/8/8/8/3QK3 w - - 0 1")
    play(game, ["d1d2", "e8e7"])  # white (with the queen) runs from t=2
    assert_ended(on_tick(game, 63.17), "draw", "timeout", None)


def test_timeout_win_when_the_winner_can_mate():
    game = make("1+0", fen="4k3/8/8/8/8/8/8/3QK3 w - - 0 1")
    play(game, ["d1d2", "e8e7", "d2d3"])  # black (bare king) runs from t=3
    assert_ended(on_tick(game, 64.17), "white_wins", "timeout", "white")


def test_first_move_abort_for_white():
    game = make(now=100.0)  # blitz: 25 s
    assert on_tick(game, 124.999) == []
    assert snapshot(game, 124.999)["first_move_ms_left"] == 1
    assert_ended(on_tick(game, 125.0), "aborted", "aborted", None)
    assert result(game) == {
        "status": "aborted",
        "reason": "aborted",
        "winner": None,
        "clock": {"white": 180_000, "black": 180_000},
    }


def test_first_move_abort_for_black():
    game = make(now=100.0)
    move(game, "e2e4", 120.0)  # black's 25 s count from white's first move
    assert on_tick(game, 144.999) == []
    assert_ended(on_tick(game, 145.0), "aborted", "aborted", None)


def test_first_move_abort_is_checked_before_an_intent():
    game = make(now=0.0)
    assert_ended(move(game, "e2e4", 25.0), "aborted", "aborted", None)
    assert game.moves == []


def test_no_first_move_abort_once_both_moved():
    game = make("1+0")
    two_plies(game)
    assert on_tick(game, 40.0) == []
    assert snapshot(game, 40.0)["first_move_ms_left"] is None


# --------------------------------------------------------------------------- abort, resign


@pytest.mark.parametrize(("plies", "username"), [(0, WHITE), (0, BLACK), (1, WHITE), (1, BLACK)])
def test_abort_before_both_moved(plies, username):
    game = make()
    play(game, ["e2e4", "e7e5"][:plies])
    assert_ended(act(game, username, "abort", 5.0), "aborted", "aborted", None)
    assert snapshot(game, 5.0)["clock"]["running"] is None


def test_abort_refused_once_both_moved():
    game = make()
    two_plies(game)
    assert_refused(game, WHITE, {"type": "abort"}, "too_late_to_abort", now=5.0)
    assert_refused(game, BLACK, {"type": "abort"}, "too_late_to_abort", now=5.0)


def test_resign_mid_game():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3"])
    events = act(game, BLACK, "resign", 10.0)
    assert events == [{"type": "gameEnd", "status": "white_wins", "reason": "resignation", "winner": "white"}]
    assert snapshot(game, 20.0)["clock"] == {"white": 181_000, "black": 180_000 - 7_000, "running": None}


def test_resign_before_any_move():
    game = make()
    assert_ended(act(game, WHITE, "resign", 1.0), "black_wins", "resignation", "black")


# --------------------------------------------------------------------------- draw offers


def test_draw_offer_and_accept():
    game = make()
    two_plies(game)
    assert act(game, WHITE, "draw_offer", 3.0) == [{"type": "drawOffer", "by": "white"}]
    assert snapshot(game, 3.0)["draw_offer"] == "white"
    assert_refused(game, WHITE, {"type": "draw_offer"}, "already_offered", now=3.0)
    assert_refused(game, WHITE, {"type": "draw_accept"}, "nothing_to_accept", now=3.0)
    assert_refused(game, WHITE, {"type": "draw_decline"}, "nothing_to_decline", now=3.0)
    events = act(game, BLACK, "draw_accept", 4.0)
    assert_ended(events, "draw", "agreement", None)
    assert snapshot(game, 4.0)["draw_offer"] is None


def test_draw_accept_or_decline_without_offer():
    game = make()
    assert_refused(game, BLACK, {"type": "draw_accept"}, "nothing_to_accept")
    assert_refused(game, BLACK, {"type": "draw_decline"}, "nothing_to_decline")


def test_draw_decline():
    game = make()
    act(game, WHITE, "draw_offer", 1.0)
    assert act(game, BLACK, "draw_decline", 2.0) == [{"type": "drawDeclined", "by": "black"}]
    assert game.draw_offer is None
    assert game.status == "started"


def test_crossing_draw_offers_agree():
    game = make()
    act(game, WHITE, "draw_offer", 1.0)
    assert_ended(act(game, BLACK, "draw_offer", 2.0), "draw", "agreement", None)


def test_a_move_declines_the_opponents_draw_offer():
    game = make()
    move(game, "e2e4", 1.0)
    act(game, WHITE, "draw_offer", 2.0)
    events = move(game, "e7e5", 3.0)
    assert [event["type"] for event in events] == ["move", "drawDeclined"]
    assert events[1] == {"type": "drawDeclined", "by": "black"}
    assert game.draw_offer is None


def test_the_movers_own_draw_offer_stays():
    game = make()
    act(game, WHITE, "draw_offer", 1.0)
    events = move(game, "e2e4", 2.0)
    assert [event["type"] for event in events] == ["move"]
    assert game.draw_offer == "white"
    assert_ended(act(game, BLACK, "draw_accept", 3.0), "draw", "agreement", None)


# --------------------------------------------------------------------------- moretime


def test_moretime_before_the_clocks_run():
    game = make()
    events = act(game, WHITE, "moretime", 1.0)
    assert events == [
        {
            "type": "moretime",
            "to": "black",
            "ms": MORETIME_MS,
            "clock": {"white": 180_000, "black": 180_000 + MORETIME_MS, "running": None},
        }
    ]


def test_moretime_to_the_running_side():
    game = make()
    two_plies(game)  # white runs from t=2
    events = act(game, BLACK, "moretime", 7.0)
    assert events[0]["to"] == "white"
    assert events[0]["clock"] == {"white": 175_000 + MORETIME_MS, "black": 180_000, "running": "white"}
    assert snapshot(game, 8.0)["clock"]["white"] == 174_000 + MORETIME_MS


# --------------------------------------------------------------------------- takebacks


def test_takeback_of_the_offerers_own_last_move():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3"])  # black runs from t=3
    assert act(game, WHITE, "takeback_offer", 4.0) == [{"type": "takebackOffer", "by": "white"}]
    assert snapshot(game, 4.0)["takeback_offer"] == "white"
    events = act(game, BLACK, "takeback_accept", 5.0)
    assert events == [
        {
            "type": "takeback",
            "fen": "rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2",
            "moves": ["e2e4", "e7e5"],
            "ply": 2,
            # Not rewound: white keeps its increment, black was charged 2 s, white runs again.
            "clock": {"white": 181_000, "black": 178_000, "running": "white"},
        }
    ]
    snap = snapshot(game, 6.0)
    assert snap["takeback_offer"] is None
    assert snap["turn"] == "white" and snap["ply"] == 2
    assert snap["clock"]["white"] == 180_000
    assert len(snap["clock_history"]) == 2
    move(game, "d2d4", 7.0)  # play resumes normally
    assert game.moves[-1].spent_ms == 2_000


def test_takeback_of_two_plies_when_the_accepter_moved_last():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3", "b8c6"])
    act(game, WHITE, "takeback_offer", 5.0)
    events = act(game, BLACK, "takeback_accept", 6.0)
    assert events[0]["moves"] == ["e2e4", "e7e5"]
    assert game.board.turn == chess.WHITE
    assert events[0]["clock"]["running"] == "white"


def test_takeback_back_to_before_the_clocks():
    game = make()
    two_plies(game)  # white runs from t=2
    act(game, BLACK, "takeback_offer", 4.0)
    events = act(game, WHITE, "takeback_accept", 5.0)
    assert events[0]["moves"] == ["e2e4"]
    assert events[0]["clock"] == {"white": 177_000, "black": 180_000, "running": None}
    # Black has a fresh first-move allowance, and the abort is possible again.
    assert on_tick(game, 29.999) == []
    assert_ended(on_tick(game, 30.0), "aborted", "aborted", None)


def test_takeback_of_the_first_move():
    game = make()
    move(game, "e2e4", 1.0)
    act(game, WHITE, "takeback_offer", 2.0)
    events = act(game, BLACK, "takeback_accept", 3.0)
    assert events[0]["moves"] == [] and events[0]["fen"] == chess.STARTING_FEN
    assert snapshot(game, 3.0)["legal_moves"] != []


def test_nothing_to_take_back():
    game = make()
    assert_refused(game, WHITE, {"type": "takeback_offer"}, "nothing_to_take_back")
    assert_refused(game, BLACK, {"type": "takeback_offer"}, "nothing_to_take_back")
    move(game, "e2e4", 1.0)
    assert_refused(game, BLACK, {"type": "takeback_offer"}, "nothing_to_take_back")


def test_takeback_refusals_and_decline():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3"])
    assert_refused(game, BLACK, {"type": "takeback_accept"}, "nothing_to_accept", now=4.0)
    assert_refused(game, BLACK, {"type": "takeback_decline"}, "nothing_to_decline", now=4.0)
    act(game, WHITE, "takeback_offer", 4.0)
    assert_refused(game, WHITE, {"type": "takeback_offer"}, "already_offered", now=4.0)
    assert_refused(game, WHITE, {"type": "takeback_accept"}, "nothing_to_accept", now=4.0)
    assert act(game, BLACK, "takeback_decline", 5.0) == [{"type": "takebackDeclined", "by": "black"}]
    assert game.takeback_offer is None
    assert len(game.moves) == 3


def test_crossing_takeback_offers_agree():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3"])
    act(game, WHITE, "takeback_offer", 4.0)
    events = act(game, BLACK, "takeback_offer", 5.0)
    assert events[0]["type"] == "takeback" and events[0]["moves"] == ["e2e4", "e7e5"]


def test_a_move_clears_a_takeback_offer():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3"])
    act(game, WHITE, "takeback_offer", 4.0)
    events = move(game, "b8c6", 5.0)
    assert [event["type"] for event in events] == ["move", "takebackDeclined"]
    assert events[1] == {"type": "takebackDeclined", "by": "black"}
    assert game.takeback_offer is None


# --------------------------------------------------------------------------- claims


def test_claim_draw_threefold_repetition():
    game = make()
    now = play(game, KNIGHT_DANCE)  # the start position has occurred twice
    assert_refused(game, WHITE, {"type": "claim_draw"}, "nothing_to_claim", now=now)
    now = play(game, KNIGHT_DANCE, start=now + 1)  # three times
    assert game.status == "started"  # threefold is not automatic
    assert_ended(act(game, BLACK, "claim_draw", now + 1), "draw", "threefold_repetition", None)


def test_claim_draw_fifty_moves():
    game = make(fen="4k3/8/8/8/8/8/8/R3K3 w - - 99 80")
    assert_refused(game, WHITE, {"type": "claim_draw"}, "nothing_to_claim", now=1.0)
    move(game, "a1a2", 1.0)
    assert game.status == "started"  # the fifty-move rule is not automatic
    assert_ended(act(game, WHITE, "claim_draw", 2.0), "draw", "fifty_moves", None)


def test_claim_draw_fifty_moves_from_the_start_position():
    game = make(fen="4k3/8/8/8/8/8/8/R3K3 w - - 100 80")
    assert_ended(act(game, BLACK, "claim_draw", 1.0), "draw", "fifty_moves", None)


def test_claim_draw_when_the_opponent_left():
    game = make()
    two_plies(game)
    set_presence(game, BLACK, False, 10.0)
    assert_refused(game, WHITE, {"type": "claim_draw"}, "nothing_to_claim", now=39.999)
    assert_ended(act(game, WHITE, "claim_draw", 40.0), "draw", "abandoned", None)


def test_claim_victory_after_the_disconnect_timeout():
    game = make()
    two_plies(game)
    assert_refused(game, WHITE, {"type": "claim_victory"}, "opponent_connected", now=5.0)
    set_presence(game, BLACK, False, 10.0)
    set_presence(game, BLACK, False, 20.0)  # a repeated "left" does not restart the countdown
    assert snapshot(game, 20.0)["black"]["connected"] is False
    just_before = 10.0 + DISCONNECT_CLAIM_MS / 1000 - 0.001
    assert_refused(game, WHITE, {"type": "claim_victory"}, "too_early", now=just_before)
    assert_refused(game, BLACK, {"type": "claim_victory"}, "opponent_connected", now=40.0)
    assert_ended(act(game, WHITE, "claim_victory", 40.0), "white_wins", "abandoned", "white")


def test_claim_victory_refused_after_reconnection():
    game = make()
    two_plies(game)
    set_presence(game, BLACK, False, 10.0)
    set_presence(game, BLACK, True, 30.0)
    assert_refused(game, WHITE, {"type": "claim_victory"}, "opponent_connected", now=100.0)
    assert_refused(game, WHITE, {"type": "claim_draw"}, "nothing_to_claim", now=100.0)


def test_claim_victory_refused_before_both_moved():
    game = make("180+0")  # 35 s first-move allowance: longer than the disconnect timeout
    set_presence(game, BLACK, False, 0.0)
    assert_refused(game, WHITE, {"type": "claim_victory"}, "use_abort", now=31.0)
    assert_refused(game, WHITE, {"type": "claim_draw"}, "nothing_to_claim", now=31.0)


def test_presence_of_spectators_is_ignored():
    game = make()
    set_presence(game, "carol", False, 1.0)
    assert game.disconnected_since == {}


# --------------------------------------------------------------------------- rematch, game over


def test_rematch_only_after_the_end():
    game = make()
    assert_refused(game, WHITE, {"type": "rematch_offer"}, "game_not_over")
    assert_refused(game, BLACK, {"type": "rematch_accept"}, "game_not_over")


def test_rematch_offer_and_accept():
    game = make("5+3")
    act(game, WHITE, "resign", 1.0)
    assert_refused(game, BLACK, {"type": "rematch_accept"}, "nothing_to_accept")
    assert act(game, WHITE, "rematch_offer", 2.0) == [{"type": "rematchOffer", "by": "white"}]
    assert snapshot(game, 2.0)["rematch_offer"] == "white"
    assert_refused(game, WHITE, {"type": "rematch_offer"}, "already_offered")
    assert_refused(game, WHITE, {"type": "rematch_accept"}, "nothing_to_accept")
    assert_refused(game, "carol", {"type": "rematch_accept"}, "not_a_player")
    events = act(game, BLACK, "rematch_accept", 3.0)
    assert events == [{"type": "rematch", "white": BLACK, "black": WHITE, "tc": "5+3"}]
    assert_refused(game, BLACK, {"type": "rematch_offer"}, "already_rematched")
    assert_refused(game, WHITE, {"type": "rematch_accept"}, "already_rematched")


def test_crossing_rematch_offers_agree():
    game = make()
    act(game, WHITE, "abort", 1.0)
    act(game, BLACK, "rematch_offer", 2.0)
    assert act(game, WHITE, "rematch_offer", 3.0)[0]["type"] == "rematch"


@pytest.mark.parametrize(
    "intent",
    [
        {"type": "move", "uci": "e2e4"},
        {"type": "resign"},
        {"type": "abort"},
        {"type": "draw_offer"},
        {"type": "draw_accept"},
        {"type": "draw_decline"},
        {"type": "moretime"},
        {"type": "takeback_offer"},
        {"type": "takeback_accept"},
        {"type": "takeback_decline"},
        {"type": "claim_draw"},
        {"type": "claim_victory"},
    ],
)
def test_everything_but_rematch_is_refused_after_the_end(intent):
    game = make()
    act(game, BLACK, "resign", 1.0)
    assert_refused(game, WHITE, intent, "game_over")
    assert_refused(game, BLACK, intent, "game_over")


def test_offers_are_cleared_at_the_end():
    game = make()
    play(game, ["e2e4", "e7e5", "g1f3"])
    act(game, WHITE, "draw_offer", 4.0)
    act(game, WHITE, "takeback_offer", 4.0)
    act(game, BLACK, "resign", 5.0)
    snap = snapshot(game, 5.0)
    assert snap["draw_offer"] is None and snap["takeback_offer"] is None
    assert snap["legal_moves"] == [] and snap["first_move_ms_left"] is None


def test_resume_game_continues_from_saved_moves_and_clocks():
    saved = [("e2e4", 60_000, 60_000, 0), ("e7e5", 60_000, 60_000, 0), ("g1f3", 57_500, 60_000, 2_500)]
    game = chess_game.resume_game(white="w", black="b", tc=TimeControl.parse("1+0"), moves=saved, now=500.0)
    assert [record.san for record in game.moves] == ["e4", "e5", "Nf3"]
    # Black is to move; its clock runs from the restart, with nothing charged for the downtime.
    assert game.clock.snapshot(500.0) == {"white": 57_500, "black": 60_000, "running": "black"}
    assert game.clock.snapshot(501.0)["black"] == 59_000
    events = chess_game.handle(game, "b", {"type": "move", "uci": "b8c6"}, 502.0)
    assert events[0]["ply"] == 4 and events[0]["clock"]["black"] == 58_000


def test_resume_game_before_both_sides_moved_gives_a_fresh_first_move_time():
    game = chess_game.resume_game(
        white="w", black="b", tc=TimeControl.parse("3+2"), moves=[("d2d4", 180_000, 180_000, 0)], now=900.0
    )
    assert game.clock.running is None
    assert chess_game.snapshot(game, 901.0)["first_move_ms_left"] == game.tc.first_move_timeout_ms - 1000


def test_resume_game_refuses_a_move_that_is_not_legal():
    with pytest.raises(ValueError):
        chess_game.resume_game(white="w", black="b", tc=TimeControl.parse("3+2"), moves=[("e2e5", 1, 1, 0)], now=0.0)

"""Chess bots (engine.games.chess): legal moves only, answers within the time budget, and levels
that differ in strength. The built-in bots are always tested; Stockfish when it is installed
(scripts/test installs it), and the fallback from a failing engine with a fake UCI engine."""

from __future__ import annotations

import logging
import random
import statistics
import sys
import time

import chess
import pytest

from engine.games.chess import bots
from engine.games.chess.bots import LEVELS, bot_for, stockfish_path, think_ms_for
from engine.games.chess.builtin import builtin_bot
from engine.games.chess.matches import RandomMover, play_game
from engine.games.chess.stockfish import StockfishBot

# Wall-clock slack for one answer: the test machine may be shared and busy (load 4 on 2 cores
# while these were measured), and a descheduled thread answers late through no fault of its own.
SCHEDULING_TOLERANCE_MS = 150
# CPU time the built-in search may use past its deadline: the node it is in, then returning.
CPU_TOLERANCE_MS = 10
# Typical lateness: the deadline is checked at every node.
MEDIAN_TOLERANCE_MS = 5


def random_positions(count: int, seed: int) -> list[chess.Board]:
    """Positions reached by random play from the start, 0 to 120 plies deep, none finished."""
    rng = random.Random(seed)
    positions: list[chess.Board] = []
    while len(positions) < count:
        board = chess.Board()
        for _ in range(rng.randrange(121)):
            if board.is_game_over():
                break
            board.push(rng.choice(list(board.legal_moves)))
        if not board.is_game_over():
            positions.append(board)
    return positions


# Moves with special rules: promotion (with capture choices), en passant, castling, and a
# position with a single legal move.
SPECIAL_FENS = [
    "1n5k/P7/8/8/8/8/8/K7 w - - 0 1",
    "4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 2",
    "r3k2r/pppppppp/8/8/8/8/PPPPPPPP/R3K2R w KQkq - 0 1",
    "k7/2K5/8/8/8/8/8/1R6 b - - 0 1",
]


def assert_plays_legal_moves(bot, positions: list[chess.Board], think_ms: int) -> None:
    for board in positions:
        before = (board.fen(), list(board.move_stack))
        move = bot.choose_move(board, think_ms=think_ms)
        assert board.is_legal(move), f"{bot.name} played {move} in {board.fen()}"
        assert (board.fen(), list(board.move_stack)) == before, "the bot changed the board it was given"


# --------------------------------------------------------------------------- budget


@pytest.mark.parametrize(
    ("remaining_ms", "increment_ms", "expected"),
    [
        (180_000, 2_000, 2_000),  # capped at MAX_THINK_MS
        (30_000, 0, 1_000),  # a 30th of the time left
        (30_000, 500, 1_500),  # plus the increment
        (3_000, 2_000, 1_500),  # never more than half of what is left
        (0, 0, 1),
    ],
)
def test_think_ms_for(remaining_ms, increment_ms, expected):
    assert think_ms_for(remaining_ms, increment_ms) == expected


# --------------------------------------------------------------------------- built-in bots


@pytest.mark.parametrize("level", LEVELS)
def test_builtin_bots_play_only_legal_moves(level):
    positions = random_positions(30, seed=7) + [chess.Board(fen) for fen in SPECIAL_FENS]
    assert_plays_legal_moves(builtin_bot(level, random.Random(7)), positions, think_ms=20)


@pytest.mark.parametrize("level", LEVELS)
def test_builtin_bots_answer_within_their_budget(level):
    bot = builtin_bot(level, random.Random(3))
    for think_ms in (30, 200):
        late_ms = []
        for board in random_positions(6, seed=think_ms):
            wall, cpu = time.perf_counter(), time.thread_time()
            bot.choose_move(board, think_ms=think_ms)
            cpu_ms = (time.thread_time() - cpu) * 1000
            late_ms.append((time.perf_counter() - wall) * 1000 - think_ms)
            assert cpu_ms <= think_ms + CPU_TOLERANCE_MS
        assert max(late_ms) <= SCHEDULING_TOLERANCE_MS
        assert statistics.median(late_ms) <= MEDIAN_TOLERANCE_MS


@pytest.mark.parametrize("level", ["medium", "hard"])
def test_search_bots_take_a_mate_in_one(level):
    board = chess.Board("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1")
    assert builtin_bot(level).choose_move(board, think_ms=200) == chess.Move.from_uci("a1a8")


def test_builtin_bots_refuse_a_finished_position():
    mated = chess.Board("R5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 1 1")
    for level in LEVELS:
        with pytest.raises(ValueError):
            builtin_bot(level).choose_move(mated, think_ms=20)


def score_against(make_bot, make_opponent, games: int, think_ms: int, max_plies: int) -> int:
    """Games the bot wins out of `games` from the start position, alternating colours."""
    wins = 0
    for game in range(games):
        bot, opponent = make_bot(game), make_opponent(game)
        bot_color = chess.WHITE if game % 2 == 0 else chess.BLACK
        white, black = (bot, opponent) if bot_color == chess.WHITE else (opponent, bot)
        wins += play_game(white, black, think_ms=think_ms, max_plies=max_plies).winner == bot_color
    return wins


def test_hard_beats_a_random_mover():
    # Measured: 6 of 6, each by checkmate within 75 plies.
    wins = score_against(lambda game: builtin_bot("hard"), lambda game: RandomMover(random.Random(game)), 6, 20, 120)
    assert wins >= 5


def test_hard_beats_easy():
    # Measured: 6 of 6.
    wins = score_against(lambda game: builtin_bot("hard"), lambda game: builtin_bot("easy", random.Random(game)), 6, 20, 120)
    assert wins >= 4


def test_medium_beats_easy():
    # Measured: 6 of 6.
    wins = score_against(
        lambda game: builtin_bot("medium"), lambda game: builtin_bot("easy", random.Random(game)), 6, 20, 120
    )
    assert wins >= 4


# --------------------------------------------------------------------------- choosing a bot


def test_bot_for_uses_the_builtin_bot_without_stockfish(monkeypatch):
    monkeypatch.setattr(bots, "stockfish_path", lambda: None)
    assert [bot_for(level).name for level in LEVELS] == ["builtin-easy", "builtin-medium", "builtin-hard"]


def test_bot_for_uses_the_builtin_bot_when_stockfish_does_not_start(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(bots, "stockfish_path", lambda: str(tmp_path / "missing-stockfish"))
    with caplog.at_level(logging.ERROR):
        assert bot_for("hard").name == "builtin-hard"
    assert "did not start" in caplog.text


def test_bot_for_refuses_unknown_levels():
    with pytest.raises(ValueError):
        bot_for("grandmaster")


# --------------------------------------------------------------------------- Stockfish


# A UCI engine that starts like Stockfish and then fails at its first "go" as MODE says.
FAKE_ENGINE = """\
import sys, time
MODE = sys.argv[1]
OPTIONS = [
    "Threads type spin default 1 min 1 max 512", "Hash type spin default 16 min 1 max 1024",
    "Skill Level type spin default 20 min 0 max 20", "UCI_LimitStrength type check default false",
    "UCI_Elo type spin default 1350 min 1350 max 2850",
]
while line := sys.stdin.readline():
    command = line.split()[0] if line.split() else ""
    if command == "uci":
        print("id name Fake", *("option name " + option for option in OPTIONS), "uciok", sep="\\n", flush=True)
    elif command == "isready":
        print("readyok", flush=True)
    elif command == "go" and MODE == "die":
        sys.exit(1)
    elif command == "go" and MODE == "hang":
        time.sleep(60)
    elif command == "go" and MODE == "illegal":
        print("bestmove e7e5", flush=True)
"""


@pytest.mark.parametrize("mode", ["die", "hang", "illegal"])
def test_a_failing_engine_hands_over_to_the_builtin_bot(mode, tmp_path, caplog):
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE_ENGINE)
    bot = StockfishBot([sys.executable, str(script), mode], "medium")
    board = chess.Board()
    try:
        with caplog.at_level(logging.ERROR):
            began = time.perf_counter()
            move = bot.choose_move(board, think_ms=100)
            elapsed_ms = (time.perf_counter() - began) * 1000
        assert board.is_legal(move)
        assert "the built-in bot takes over" in caplog.text
        # A hung engine is given up on a second after its time is up; the fallback gets what is left.
        assert elapsed_ms <= 100 + 1_000 + SCHEDULING_TOLERANCE_MS
        board.push(move)
        assert board.is_legal(bot.choose_move(board, think_ms=50))  # and keeps playing
    finally:
        bot.close()


@pytest.mark.parametrize("level", LEVELS)
def test_stockfish_bots_play_legal_moves_within_their_budget(level):
    # scripts/test installs Debian's stockfish: its absence is a failure here, not a skip.
    assert stockfish_path() is not None, "Stockfish is not installed (apt-get install stockfish)"
    bot = bot_for(level)
    try:
        assert bot.name == f"stockfish-{level}"
        positions = random_positions(12, seed=11) + [chess.Board(fen) for fen in SPECIAL_FENS]
        for board in positions:
            began = time.perf_counter()
            move = bot.choose_move(board, think_ms=50)
            assert (time.perf_counter() - began) * 1000 <= 50 + SCHEDULING_TOLERANCE_MS
            assert board.is_legal(move)
    finally:
        bot.close()

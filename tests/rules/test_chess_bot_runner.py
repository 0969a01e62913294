"""ChessBotRunner (engine.games.chess.bot_runner): each request is answered through `submit` with a
legal move for the asked position and ply, `request` never waits for a bot, failing bots do not
stop the runner, and `close` leaves no thread or process behind. Both ways of thinking are tested:
Stockfish from the runner's threads (scripts/test installs it: its absence fails these tests)
and the built-in bots in the runner's process pool."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import chess
import pytest

from engine.games.chess import bot_runner
from engine.games.chess.bot_runner import BOT_MOVE, ChessBotRunner
from engine.games.chess.bots import LEVELS, stockfish_path

# How long an answer may take: the first built-in move starts a pool process (a fresh interpreter
# importing python-chess), and the test machine may be shared and busy.
ANSWER_TIMEOUT_S = 20.0
# remaining_ms giving a 50 ms budget (a 30th of it, see think_ms_for), and one giving 500 ms.
QUICK_MS = 1_500
SLOW_MS = 15_000
MIDDLEGAME_BLACK_TO_MOVE = "r1bqkb1r/pppp1ppp/2n2n2/4p3/2B1P3/5N2/PPPP1PPP/RNBQK2R b KQkq - 5 4"
CHECKMATED = "R5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 1 1"


class Answers:
    """A `submit` that records what the runner hands over, for the test to await."""

    def __init__(self) -> None:
        self.received: queue.Queue[dict] = queue.Queue()

    def __call__(self, message: dict) -> bool:
        self.received.put(message)
        return True

    def next(self) -> dict:
        return self.received.get(timeout=ANSWER_TIMEOUT_S)


@pytest.fixture(params=["stockfish", "builtin"])
def engine_kind(request) -> str:
    if request.param == "stockfish":
        assert stockfish_path() is not None, "Stockfish is not installed (apt-get install stockfish)"
    return request.param


@pytest.fixture
def make_runner() -> Iterator[Callable[..., ChessBotRunner]]:
    runners: list[ChessBotRunner] = []

    def make(submit: Callable[[dict], bool], **options) -> ChessBotRunner:
        runners.append(ChessBotRunner(submit, **options))
        return runners[-1]

    yield make
    for runner in runners:
        runner.close()


def ask(runner: ChessBotRunner, *, fen: str, ply: int, level: str = "easy", remaining_ms: int = QUICK_MS) -> None:
    runner.request(game_id="g1", seat="black", level=level, fen=fen, ply=ply, remaining_ms=remaining_ms, increment_ms=0)


def assert_legal_answer(answer: dict, *, fen: str, ply: int) -> None:
    assert answer.keys() == {"type", "game_id", "seat", "ply", "uci"}
    assert (answer["type"], answer["game_id"], answer["seat"], answer["ply"]) == (BOT_MOVE, "g1", "black", ply)
    assert chess.Board(fen).is_legal(chess.Move.from_uci(answer["uci"])), f"{answer['uci']} in {fen}"


def stockfish_children() -> list[int]:
    """Stockfish processes this test process started and has not reaped (zombies included)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name, after_name = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        if name == "stockfish" and int(after_name[1]) == os.getpid():
            pids.append(int(stat.parent.name))
    return pids


def runner_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("chess-bot-runner-")]


# Run in a pool process, so they must be importable by name there.
def raising_move_uci(fen: str, level: str, think_ms: int) -> str:
    raise RuntimeError("this bot always fails")


def exiting_move_uci(fen: str, level: str, think_ms: int) -> str:
    if level == "hard":
        os._exit(1)  # the pool process dies as in a crash
    return next(chess.Board(fen).generate_legal_moves()).uci()


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize("level", LEVELS)
def test_answers_with_a_legal_move_for_the_asked_ply(engine_kind, level, make_runner, caplog):
    answers = Answers()
    runner = make_runner(answers, engine_kind=engine_kind)
    with caplog.at_level(logging.ERROR, logger="engine.games.chess"):
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=7, level=level)
        assert_legal_answer(answers.next(), fen=MIDDLEGAME_BLACK_TO_MOVE, ply=7)
    # In particular, Stockfish started: no fallback to the built-in bots. (Only the bots' own
    # logs count: an engine left running by other tests in this process may log too.)
    assert [record.message for record in caplog.records if record.name.startswith("engine.games.chess")] == []
    assert runner.stats() == {"requested": 1, "answered": 1, "dropped": 0, "failed": 0}


def test_request_returns_at_once_while_bots_think(engine_kind, make_runner):
    answers = Answers()
    runner = make_runner(answers, engine_kind=engine_kind, max_threads=2)
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=1, level="hard", remaining_ms=SLOW_MS)
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=2, level="hard", remaining_ms=SLOW_MS)
    took_ms = []
    for ply in range(3, 23):
        began = time.perf_counter()
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=ply, remaining_ms=30)
        took_ms.append((time.perf_counter() - began) * 1000)
    assert answers.received.empty(), "the two 500 ms moves were still being thought about"
    assert max(took_ms) < 5, took_ms
    assert sorted(answers.next()["ply"] for _ in range(22)) == list(range(1, 23))


def test_a_full_queue_drops_requests_and_counts_them(make_runner, caplog):
    inside, release = threading.Event(), threading.Event()
    answers = Answers()

    def held_submit(message: dict) -> bool:
        inside.set()
        release.wait(ANSWER_TIMEOUT_S)  # the only thread is kept busy here
        return answers(message)

    runner = make_runner(held_submit, engine_kind="stockfish", max_threads=1, queue_limit=1)
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=1)
    assert inside.wait(ANSWER_TIMEOUT_S)
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=2)  # waits in the queue
    with caplog.at_level(logging.WARNING):
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=3)
    assert "dropped" in caplog.text
    release.set()
    assert [answers.next()["ply"], answers.next()["ply"]] == [1, 2]
    assert runner.stats() == {"requested": 3, "answered": 2, "dropped": 1, "failed": 0}


def test_an_unknown_level_is_refused_at_once(make_runner):
    runner = make_runner(Answers(), engine_kind="builtin")
    with pytest.raises(ValueError):
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=1, level="grandmaster")


# --------------------------------------------------------------------------- failures


def test_a_position_without_moves_does_not_stop_later_jobs(engine_kind, make_runner, caplog):
    answers = Answers()
    runner = make_runner(answers, engine_kind=engine_kind, max_threads=1)
    with caplog.at_level(logging.ERROR):
        ask(runner, fen=CHECKMATED, ply=5)
        ask(runner, fen="not a position", ply=6)
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=7, level="medium")
        assert_legal_answer(answers.next(), fen=MIDDLEGAME_BLACK_TO_MOVE, ply=7)
    assert "no legal move" in caplog.text
    assert "invalid FEN" in caplog.text
    assert runner.stats() == {"requested": 3, "answered": 1, "dropped": 0, "failed": 2}


class RaisingStockfishBot:
    def __init__(self, command: str, level: str) -> None:
        self.name = f"raising-{level}"

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        raise RuntimeError("this bot always fails")

    def close(self) -> None:
        pass  # nothing held


def test_a_raising_bot_is_replaced_by_a_legal_move(engine_kind, make_runner, monkeypatch, caplog):
    monkeypatch.setattr(bot_runner, "StockfishBot", RaisingStockfishBot)
    monkeypatch.setattr(bot_runner, "builtin_move_uci", raising_move_uci)
    answers = Answers()
    runner = make_runner(answers, engine_kind=engine_kind, max_threads=1)
    with caplog.at_level(logging.ERROR):
        for ply in (1, 2):
            ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=ply, level="hard")
            assert_legal_answer(answers.next(), fen=MIDDLEGAME_BLACK_TO_MOVE, ply=ply)
    assert "this bot always fails" in caplog.text
    assert runner.stats() == {"requested": 2, "answered": 2, "dropped": 0, "failed": 2}


def test_a_dead_pool_process_is_replaced(make_runner, monkeypatch, caplog):
    monkeypatch.setattr(bot_runner, "builtin_move_uci", exiting_move_uci)
    answers = Answers()
    runner = make_runner(answers, engine_kind="builtin", max_threads=1)
    with caplog.at_level(logging.ERROR):
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=1, level="hard")
        assert_legal_answer(answers.next(), fen=MIDDLEGAME_BLACK_TO_MOVE, ply=1)
    assert "BrokenProcessPool" in caplog.text
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=2, level="easy")
    assert answers.next()["uci"] == exiting_move_uci(MIDDLEGAME_BLACK_TO_MOVE, "easy", 50)  # from a new pool process
    assert runner.stats() == {"requested": 2, "answered": 2, "dropped": 0, "failed": 1}


def test_a_killed_stockfish_does_not_stop_the_runner(make_runner):
    answers = Answers()
    runner = make_runner(answers, engine_kind="stockfish", max_threads=1)
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=1, level="hard")
    answers.next()
    for pid in stockfish_children():
        os.kill(pid, signal.SIGKILL)
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=2, level="hard")
    assert_legal_answer(answers.next(), fen=MIDDLEGAME_BLACK_TO_MOVE, ply=2)


# --------------------------------------------------------------------------- closing


def test_close_ends_threads_and_processes(engine_kind, make_runner):
    # Other tests in this process may run an engine with bots of its own: only ours count.
    stockfish_before, pool_before = set(stockfish_children()), set(multiprocessing.active_children())
    threads_before = set(runner_threads())
    answers = Answers()
    runner = make_runner(answers, engine_kind=engine_kind, max_threads=2)
    for ply, level in enumerate(LEVELS):
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=ply, level=level)
    for _ in LEVELS:
        answers.next()
    if engine_kind == "stockfish":
        assert set(stockfish_children()) - stockfish_before
    else:
        assert set(multiprocessing.active_children()) - pool_before
    for ply in range(3, 7):  # still thinking or queued when closed
        ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=ply, level="hard", remaining_ms=SLOW_MS)
    runner.close()
    assert set(runner_threads()) - threads_before == set()
    assert set(stockfish_children()) - stockfish_before == set()
    assert set(multiprocessing.active_children()) - pool_before == set()
    runner.close()
    ask(runner, fen=MIDDLEGAME_BLACK_TO_MOVE, ply=7)
    assert runner.stats()["dropped"] == 1

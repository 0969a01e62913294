"""What a ChessBotRunner computing moves does to the engine's tick, in the same process.

What is measured
----------------
A thread wakes every 50 ms (the engine's 20 Hz clock check) and records how late each wake-up
was, while this process:
1. holds an idle runner (the baseline);
2. has a runner with the built-in bots (process pool) compute --moves hard moves;
3. has a runner with Stockfish compute --moves hard moves (when Stockfish is installed);
4. for comparison, computes --moves built-in hard moves in --threads plain threads of this
   process, which is what the runner avoids: they hold the GIL the waking thread needs.
Every move gets --think-ms; all --moves are requested at once and the runner works through them
with --threads threads. Before a busy phase the runner plays one move per thread unmeasured, so
starting pool processes and Stockfish is not in the figures. Printed per phase: ticks, lateness
p50 / p99 / max (ms), the phase's wall time, and the load average (os.getloadavg: 1, 5, 15 min)
at its end, since the machine may be shared and busy.

Run
---
    .venv/bin/python -m bench.bot_runner
    .venv/bin/python -m bench.bot_runner --moves 16 --think-ms 200 --threads 2
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import threading
import time
from collections.abc import Callable

import chess

from bench.chess_bots import PROBE_FEN, TICK_S, load_average, print_table
from engine.games.chess.bot_runner import ChessBotRunner
from engine.games.chess.bots import MAX_THINK_MS, stockfish_path
from engine.games.chess.builtin import builtin_bot

# A bot's budget is a 30th of its remaining time (think_ms_for): ask with 30 times the budget.
_MOVES_TO_PLAN_FOR = 30
_ANSWER_TIMEOUT_S = 60.0


# A phase's work: runs in the main thread while the tick thread measures; returns what the
# runner's stats() said at its end, or "-" without a runner.
Work = Callable[[], str]


def tick_lateness(work: Work) -> tuple[list[float], float, str]:
    """How late (ms) each 50 ms wake-up of a tick thread was while `work` ran here, its seconds,
    and what it returned."""
    done = threading.Event()
    late_ms: list[float] = []

    def tick() -> None:
        due = time.perf_counter()
        while not done.is_set():
            due += TICK_S
            time.sleep(max(0.0, due - time.perf_counter()))
            late_ms.append((time.perf_counter() - due) * 1000)

    ticker = threading.Thread(target=tick, name="fake-tick")
    ticker.start()
    began = time.perf_counter()
    try:
        outcome = work()
    finally:
        seconds = time.perf_counter() - began
        done.set()
        ticker.join()
    return late_ms, seconds, outcome


def runner_moves(runner: ChessBotRunner, answers: queue.Queue[dict], count: int, think_ms: int) -> None:
    """Requests `count` hard moves at once and waits for every answer."""
    for ply in range(count):
        runner.request(game_id=f"bench-{ply}", seat="white", level="hard", fen=PROBE_FEN, ply=ply,
                       remaining_ms=think_ms * _MOVES_TO_PLAN_FOR, increment_ms=0)
    for _ in range(count):
        answers.get(timeout=_ANSWER_TIMEOUT_S)


def runner_phase(engine_kind: str, moves: int, think_ms: int, threads: int) -> Work:
    answers: queue.Queue[dict] = queue.Queue()

    def submit(message: dict) -> bool:
        answers.put(message)
        return True

    runner = ChessBotRunner(submit, max_threads=threads, engine_kind=engine_kind)
    runner_moves(runner, answers, threads, think_ms=20)  # warm up: pool processes, Stockfish started

    def work() -> str:
        try:
            runner_moves(runner, answers, moves, think_ms)
        finally:
            runner.close()
        return stats_text(runner)

    return work


def idle_phase(seconds: float) -> Work:
    runner = ChessBotRunner(lambda message: True)

    def work() -> str:
        time.sleep(seconds)
        runner.close()
        return stats_text(runner)

    return work


def in_threads_phase(moves: int, think_ms: int, threads: int) -> Work:
    def think(count: int) -> None:
        bot, board = builtin_bot("hard"), chess.Board(PROBE_FEN)
        for _ in range(count):
            bot.choose_move(board, think_ms=think_ms)

    def work() -> str:
        # Thread `number` plays every `threads`-th move from move `number` on: its share of `moves`.
        thinkers = [threading.Thread(target=think, args=(len(range(number, moves, threads)),)) for number in range(threads)]
        for thinker in thinkers:
            thinker.start()
        for thinker in thinkers:
            thinker.join()
        return "-"

    return work


def stats_text(runner: ChessBotRunner) -> str:
    return ", ".join(f"{name} {count}" for name, count in runner.stats().items())


def row(label: str, moves: int, work: Work) -> list[str]:
    late_ms, seconds, outcome = tick_lateness(work)
    late_ms.sort()
    p99 = late_ms[min(len(late_ms) - 1, int(0.99 * len(late_ms)))]
    return [label, str(moves), str(len(late_ms)), f"{statistics.median(late_ms):.2f}", f"{p99:.2f}",
            f"{late_ms[-1]:.2f}", f"{seconds:.1f}", load_average(), outcome]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=40, help="moves per busy phase")
    parser.add_argument("--think-ms", type=int, default=500, help=f"every move's budget (at most {MAX_THINK_MS})")
    parser.add_argument("--threads", type=int, default=4, help="the runner's max_threads")
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args()
    path = stockfish_path()
    print(f"Stockfish: {path or 'not installed'}; {args.moves} hard moves a phase, {args.think_ms} ms each, "
          f"{args.threads} runner threads; {os.cpu_count()} CPUs")
    print(f"load average before: {load_average()}\n")
    rows = [row("runner idle", 0, idle_phase(args.idle_seconds)),
            row("runner busy: built-in hard (process pool)", args.moves,
                runner_phase("builtin", args.moves, args.think_ms, args.threads))]
    if path is not None:
        rows.append(row("runner busy: Stockfish hard", args.moves,
                        runner_phase("stockfish", args.moves, args.think_ms, args.threads)))
    rows.append(row("no runner: built-in hard in threads here (for comparison)", args.moves,
                    in_threads_phase(args.moves, args.think_ms, args.threads)))
    print_table(["phase", "moves", "ticks", "late p50 ms", "late p99 ms", "late max ms", "wall s", "load average at end",
                 "runner stats (warm-up moves included)"],
                rows)


if __name__ == "__main__":
    main()

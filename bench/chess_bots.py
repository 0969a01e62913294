"""Chess bot strength and cost: level against level, and what thinking bots do to a tick thread.

What is measured
----------------
1. Matches. For each pairing A vs B, --games games (an even number): each opening, four random
   legal plies from a fixed seed, is played twice with colours swapped, so neither side gets
   the better openings or the white pieces more often. Every move has the same budget,
   --think-ms. A game ends by the rules (threefold repetition and the fifty-move rule count as
   claimed) or, after --max-plies, is adjudicated on material (a minor piece's lead wins; see
   engine/games/chess/matches.py). Printed: A's wins, draws and losses, how many results were
   adjudicated, A's score, and each side's mean wall-clock ms per move. Built-in pairings
   always; Stockfish pairings when Stockfish is installed.
2. Tick delay. A thread wakes every 50 ms (the engine's 20 Hz clock check) for --probe-seconds
   while 0, 1 or 2 built-in hard bots think in other threads of the same process, or one built-in
   hard bot thinks in a child process (a thread here waits for it), or one Stockfish hard bot
   thinks; printed: how late the wake-ups were (p50, p99, max ms). Pure-Python bots in threads
   hold the GIL, which a waking thread must wait for.

The machine's load average (os.getloadavg) is printed before and after each part: the timings,
not the results, depend on it.

Run
---
    .venv/bin/python -m bench.chess_bots
    .venv/bin/python -m bench.chess_bots --games 40 --think-ms 200 --max-plies 200
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import chess

from engine.games.chess.bots import ChessBot, stockfish_path
from engine.games.chess.builtin import builtin_bot
from engine.games.chess.matches import RandomMover, play_game
from engine.games.chess.stockfish import StockfishBot

OPENING_PLIES = 4
TICK_S = 0.05
# A middlegame with plenty of captures and checks to look at: the bots think for their full budget.
PROBE_FEN = "r2q1rk1/ppp2ppp/2np1n2/2b1p1B1/2B1P1b1/2NP1N2/PPP2PPP/R2Q1RK1 w - - 0 8"

BotFactory = Callable[[int], ChessBot]  # seeded by the game's number


@dataclass
class Pairing:
    name_a: str
    make_a: BotFactory
    name_b: str
    make_b: BotFactory


def builtin(level: str) -> BotFactory:
    return lambda seed: builtin_bot(level, random.Random(seed))


def stockfish(path: str, level: str) -> BotFactory:
    return lambda seed: StockfishBot(path, level)


def pairings(path: str | None) -> list[Pairing]:
    chosen = [
        Pairing("builtin-easy", builtin("easy"), "random", lambda seed: RandomMover(random.Random(seed))),
        Pairing("builtin-medium", builtin("medium"), "builtin-easy", builtin("easy")),
        Pairing("builtin-hard", builtin("hard"), "builtin-easy", builtin("easy")),
        Pairing("builtin-hard", builtin("hard"), "builtin-medium", builtin("medium")),
    ]
    if path is not None:
        chosen += [
            Pairing("stockfish-easy", stockfish(path, "easy"), "builtin-hard", builtin("hard")),
            Pairing("stockfish-medium", stockfish(path, "medium"), "stockfish-easy", stockfish(path, "easy")),
            Pairing("stockfish-hard", stockfish(path, "hard"), "stockfish-medium", stockfish(path, "medium")),
        ]
    return chosen


def opening(seed: int) -> chess.Board:
    rng = random.Random(seed)
    board = chess.Board()
    for _ in range(OPENING_PLIES):
        board.push(rng.choice(list(board.legal_moves)))
    return board


def play_match(pairing: Pairing, games: int, think_ms: int, max_plies: int) -> list[str]:
    """One table row: the pairing's games, from A's side."""
    wins = draws = losses = adjudicated = 0
    ms_a: list[float] = []
    ms_b: list[float] = []
    for game in range(games):
        a, b = pairing.make_a(2 * game), pairing.make_b(2 * game + 1)
        a_is_white = game % 2 == 0
        white, black = (a, b) if a_is_white else (b, a)
        try:
            record = play_game(white, black, think_ms=think_ms, max_plies=max_plies, start=opening(game // 2))
        finally:
            a.close()
            b.close()
        a_color = chess.WHITE if a_is_white else chess.BLACK
        wins += record.winner == a_color
        losses += record.winner == (not a_color)
        draws += record.winner is None
        adjudicated += record.adjudicated
        ms_a += record.move_ms[a_color]
        ms_b += record.move_ms[not a_color]
    score = (wins + draws / 2) / games
    return [
        f"{pairing.name_a} vs {pairing.name_b}",
        str(games),
        f"{wins} / {draws} / {losses}",
        str(adjudicated),
        f"{score:.0%}",
        f"{statistics.fmean(ms_a):.1f}",
        f"{statistics.fmean(ms_b):.1f}",
    ]


class ChildProcessBot:
    """A built-in bot thinking in a child process: the calling thread only waits, GIL released."""

    def __init__(self, level: str) -> None:
        self.name = f"builtin-{level} in a child process"
        self._level = level
        self._pool = ProcessPoolExecutor(max_workers=1)

    def choose_move(self, board: chess.Board, *, think_ms: int) -> chess.Move:
        return self._pool.submit(choose_builtin_move, self._level, board.copy(), think_ms).result()

    def close(self) -> None:
        self._pool.shutdown()


def choose_builtin_move(level: str, board: chess.Board, think_ms: int) -> chess.Move:
    return builtin_bot(level).choose_move(board, think_ms=think_ms)


def tick_delays(thinkers: list[ChessBot], think_ms: int, seconds: float) -> list[float]:
    """How late (ms) each 50 ms wake-up of this thread was while `thinkers` think nonstop."""
    stop = threading.Event()

    def think(bot: ChessBot) -> None:
        board = chess.Board(PROBE_FEN)
        while not stop.is_set():
            bot.choose_move(board, think_ms=think_ms)

    threads = [threading.Thread(target=think, args=(bot,)) for bot in thinkers]
    for thread in threads:
        thread.start()
    delays = []
    due = time.perf_counter()
    end = due + seconds
    try:
        while due < end:
            due += TICK_S
            time.sleep(max(0.0, due - time.perf_counter()))
            delays.append((time.perf_counter() - due) * 1000)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return delays


def probe_row(label: str, thinkers: list[ChessBot], think_ms: int, seconds: float) -> list[str]:
    try:
        delays = sorted(tick_delays(thinkers, think_ms, seconds))
    finally:
        for bot in thinkers:
            bot.close()
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]
    return [label, str(len(delays)), f"{statistics.median(delays):.2f}", f"{p99:.2f}", f"{delays[-1]:.2f}"]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("| --- " + "| ---: " * (len(header) - 1) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=20, help="games per pairing (even)")
    parser.add_argument("--think-ms", type=int, default=100, help="every move's budget")
    parser.add_argument("--max-plies", type=int, default=160, help="adjudicate on material after this many plies")
    parser.add_argument("--probe-seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.games % 2:
        parser.error("--games must be even: each opening is played with both colours")
    path = stockfish_path()
    print(f"Stockfish: {path or 'not installed'}; {args.games} games a pairing, {args.think_ms} ms a move, "
          f"adjudicated after {args.max_plies} plies; {os.cpu_count()} CPUs")
    print(f"load average before: {load_average()}\n")
    rows = [play_match(pairing, args.games, args.think_ms, args.max_plies) for pairing in pairings(path)]
    print_table(["A vs B", "games", "A wins / draws / losses", "adjudicated", "A score", "A ms/move", "B ms/move"], rows)
    print(f"\nload average after the matches: {load_average()}\n")

    probes = [("no bot thinking", []), ("1 built-in hard", [builtin_bot("hard")]),
              ("2 built-in hard", [builtin_bot("hard"), builtin_bot("hard")]),
              ("1 built-in hard in a child process", [ChildProcessBot("hard")])]
    if path is not None:
        probes.append(("1 Stockfish hard", [StockfishBot(path, "hard")]))
    print_table(["while thinking (500 ms a move)", "ticks", "late p50 ms", "late p99 ms", "late max ms"],
                [probe_row(label, bots, 500, args.probe_seconds) for label, bots in probes])
    print(f"\nload average after the probe: {load_average()}")


if __name__ == "__main__":
    main()

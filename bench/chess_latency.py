"""Chess move latency and flag delay through the Procfile's real processes.

What is measured
----------------
The stack is started as the integration tests start it (release, --workers workers, one web
process, a throwaway PostgreSQL database, the Redis database of --redis-url FLUSHED first). Then:

1. For each N in --games (default 1 100 1000): 2N guests queue for chess (--tc, default 5+3),
   are paired into N games, and open their game sockets; each game starts playing as soon as
   both of its players are there (bench/chess_seating.py), as people would. In every game the
   two bot players alternate legal moves (picked with python-chess from the position in each
   move event); a player answers --think seconds (default 1.0) after it received the
   opponent's move, so the N games together send about N / think moves per second. Once every
   game is seated, after a warm-up of 3 s, a window of --window seconds: for every move
   received in it, latency = the opponent's receipt of the move event minus the moment the
   mover sent it (both clocks are this one process's perf_counter). The move travels client ->
   Daphne -> Redis -> worker -> engine (applied, saved to PostgreSQL, then broadcast) -> Redis
   -> Daphne -> client. Its two halves, at the median: from the send to the engine's event (its
   `ts`, the engine's wall clock: applied) and from there to the receipt; the second half is cut
   again for the moves of 20 games, whose relay channels a thread of the bench listens to in
   Redis: from the event to its hand-over by the engine (`sent_ms`: held until saved), from
   there to Redis' subscribers (published), and from there to the opponent (the web process
   and the client).
   Also counted: games aborted (a first move not made in time: seating too slow), games ended
   otherwise (mate, draw), and moves an opponent received that GET /api/games/<id> does not
   hold after the window ("unsaved": the engine broadcasts a move only once it is saved, so
   this must be 0; "unchecked": games whose saved moves could not be read), and players whose
   queue or game handshake failed ("failed"). CPU over the window (/proc utime + stime), as a
   share of one core: the web process, the workers together, and this client.
2. Flag delay: --flag-games games at 0.25+0 where, after the second ply, white never moves.
   For each, the delay between white's clock reaching zero and the gameEnd broadcast, on the
   server's own clock: gameEnd.ts - (move2.ts + white's remaining time in move2's clock), and
   the delay to its receipt by the client.

The machine's 1-minute load average is printed beside each row: before seating, at the window's
start and at its end.

Run
---
    .venv/bin/python -m bench.chess_latency
    .venv/bin/python -m bench.chess_latency --games 1 100 --window 10 --think 0.5 --workers 2

Needs Redis and PostgreSQL on 127.0.0.1 (as in tests/integration/harness.py). Everything stays
on loopback; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import threading
import time
from dataclasses import dataclass, field

import chess
import redis

from bench.chess_seating import ONE_ADDRESS_FOR_ALL_BOTS, SeatedGame, load_average, seat_games, start_workers
from bench.end_to_end import cpu_seconds, percentile, process_tree, python_pid
from engine.wire import RELAY_CHANNEL_PREFIX
from tests.integration.harness import Client, Stack, http_json, procfile_stack

REDIS_BENCH_URL = "redis://127.0.0.1:6379/3"
WARMUP_SECONDS = 3.0
# How long after the window a pair may take to notice it is over (a receive's timeout).
POLL_SECONDS = 1.0
# Few at once: each read in flight holds a PostgreSQL connection of the web process, and the
# server's connections are shared with other work on this machine.
SUMMARY_READS_AT_ONCE = 4
SUMMARY_READ_TRIES = 5
# Games whose relay channels the probe listens to.
PROBED_GAMES = 20


@dataclass
class Window:
    start: float = math.inf
    end: float = math.inf


@dataclass
class MovingPair:
    """Two bots playing one game: each answers the other's move after `think` seconds."""

    game: SeatedGame
    think: float
    rng: random.Random
    window: Window
    sent_at: dict[int, tuple[float, float]] = field(default_factory=dict)  # ply -> (perf_counter, wall ms)
    # (receipt time, latency ms, ms from the send to the engine's event ts, ms from ts to the receipt)
    latencies: list[tuple[float, float, float, float]] = field(default_factory=list)
    received: dict[int, str] = field(default_factory=dict)  # ply -> uci, as the opponent saw it
    received_ms: dict[int, float] = field(default_factory=dict)  # ply -> wall time of the receipt
    end_status: str | None = None

    async def run(self) -> None:
        readers = [
            asyncio.ensure_future(self._read(self.game.white, "white")),
            asyncio.ensure_future(self._read(self.game.black, "black")),
        ]
        await self._move(self.game.white, chess.Board(), ply=1)
        await asyncio.gather(*readers, return_exceptions=True)

    def _playing(self) -> bool:
        return self.end_status is None and time.perf_counter() < self.window.end

    async def _move(self, socket: Client, board: chess.Board, ply: int) -> None:
        move = self.rng.choice(list(board.legal_moves))
        self.sent_at[ply] = (time.perf_counter(), time.time() * 1000)
        await socket.send({"type": "move", "uci": move.uci()})

    async def _read(self, socket: Client, colour: str) -> None:
        while self._playing():
            try:
                message = await socket.receive(timeout=POLL_SECONDS)
            except TimeoutError:
                continue
            if message["type"] == "gameEnd":
                self.end_status = message["status"]
                return
            if message["type"] != "move" or message["player"] == colour:
                continue
            received, received_ms = time.perf_counter(), time.time() * 1000
            self.received[message["ply"]] = message["uci"]
            self.received_ms[message["ply"]] = received_ms
            sent = self.sent_at.pop(message["ply"], None)
            if sent is not None:
                sent_perf, sent_ms = sent
                self.latencies.append(
                    (received, (received - sent_perf) * 1000, message["ts"] - sent_ms, received_ms - message["ts"])
                )
            board = chess.Board(message["fen"])
            if board.is_game_over(claim_draw=False):
                continue
            await asyncio.sleep(self.think)
            if self._playing():
                await self._move(socket, board, message["ply"] + 1)


async def saved_moves(stack: Stack, game_id: str) -> list[str] | None:
    """GET /api/games/<id>'s moves, or None if it kept failing."""
    for attempt in range(SUMMARY_READ_TRIES):
        try:
            status, summary = await asyncio.to_thread(http_json, stack.http() + f"/api/games/{game_id}", timeout=30)
        except ValueError:  # an error page that is not JSON
            status, summary = 500, {}
        if status == 200:
            return summary["moves"]
        await asyncio.sleep(0.5 * (attempt + 1))
    return None


async def unsaved_moves(stack: Stack, pairs: list[MovingPair]) -> tuple[int, int]:
    """(moves an opponent received that the game's saved moves do not hold, games not checked)."""
    slots = asyncio.Semaphore(SUMMARY_READS_AT_ONCE)

    async def one(pair: MovingPair) -> int | None:
        async with slots:
            saved = await saved_moves(stack, pair.game.game_id)
        if saved is None:
            return None
        return sum(1 for ply, uci in pair.received.items() if ply > len(saved) or saved[ply - 1] != uci)

    counts = await asyncio.gather(*(one(pair) for pair in pairs))
    return sum(count or 0 for count in counts), sum(count is None for count in counts)


class RelayProbe(threading.Thread):
    """Listens in Redis, on a thread of its own, to the relay channels of a few games: when each
    move's event left the engine (`sent_ms`, after its save) and reached Redis' subscribers."""

    def __init__(self, redis_url: str, game_ids: list[str]) -> None:
        super().__init__(name="relay-probe", daemon=True)
        self.pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(*[f"{RELAY_CHANNEL_PREFIX}{game_id}" for game_id in game_ids])
        self.moves: dict[tuple[str, int], tuple[float, float, float]] = {}  # (game, ply) -> (ts, sent_ms, heard ms)
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message is None:
                continue
            heard_ms = time.time() * 1000
            game_id = message["channel"].decode().removeprefix(RELAY_CHANNEL_PREFIX)
            relayed = json.loads(message["data"])
            for _, text in relayed.get("events", []):
                event = json.loads(text)
                if event.get("type") == "move" and "sent_ms" in relayed:
                    self.moves[(game_id, event["ply"])] = (event["ts"], relayed["sent_ms"], heard_ms)

    def stop(self) -> None:
        self._stopping.set()
        self.join(2)
        self.pubsub.close()

    def medians(self, pairs: list[MovingPair], window: Window) -> tuple[float, float, float]:
        """Median ms of a move's way after the engine's event: to its hand-over (the save), to
        Redis' subscribers, and from there to the opponent."""
        saved, published, relayed = [], [], []
        start_ms = time.time() * 1000 - (time.perf_counter() - window.start) * 1000
        end_ms = start_ms + (window.end - window.start) * 1000
        for pair in pairs:
            for ply, received_ms in pair.received_ms.items():
                probe = self.moves.get((pair.game.game_id, ply))
                if probe is not None and start_ms <= received_ms < end_ms:
                    ts, sent_ms, heard_ms = probe
                    saved.append(sent_ms - ts)
                    published.append(heard_ms - sent_ms)
                    relayed.append(received_ms - heard_ms)
        return percentile(saved, 50), percentile(published, 50), percentile(relayed, 50)


class WindowCpu:
    """CPU time of the web process, of the workers together and of this client (its sockets),
    from now until shares() is called, as shares of one core."""

    def __init__(self, stack: Stack) -> None:
        workers = [python_pid(p.popen.pid) for p in stack.processes if p.name == "worker" and p.popen.poll() is None]
        self.trees = {
            "web": process_tree(python_pid(stack.web(stack.ports[0]).popen.pid)),
            "workers": [pid for worker in workers for pid in process_tree(worker)],
            "client": [os.getpid()],
        }
        self.started = time.monotonic()
        self.before = {name: cpu_seconds(pids) for name, pids in self.trees.items()}

    def shares(self) -> dict[str, float]:
        wall = time.monotonic() - self.started
        return {name: (cpu_seconds(pids) - self.before[name]) / wall for name, pids in self.trees.items()}


async def measure_moves(stack: Stack, games: int, tc: str, think: float, window_s: float, seed: int) -> dict:
    load_before = load_average()
    rng = random.Random(seed)
    window = Window()
    pairs: list[MovingPair] = []

    async def play(game: SeatedGame) -> None:
        pair = MovingPair(game, think, random.Random(rng.random()), window)
        pairs.append(pair)
        await pair.run()

    seating = await seat_games(stack, games, tc, play)
    probe = RelayProbe(stack.env["REDIS_URL"], [game.game_id for game in seating.games[:PROBED_GAMES]])
    probe.start()
    window.start = time.perf_counter() + WARMUP_SECONDS
    window.end = window.start + window_s
    await asyncio.sleep(WARMUP_SECONDS)
    load_start = load_average()
    cpu = WindowCpu(stack)
    await asyncio.sleep(window_s)
    cpu_shares = cpu.shares()
    load_end = load_average()
    await asyncio.gather(*seating.tasks, return_exceptions=True)
    probe.stop()
    in_window = [latency for pair in pairs for at, latency, _, _ in pair.latencies if window.start <= at < window.end]
    to_engine = [ms for pair in pairs for at, _, ms, _ in pair.latencies if window.start <= at < window.end]
    from_engine = [ms for pair in pairs for at, _, _, ms in pair.latencies if window.start <= at < window.end]
    unsaved, unchecked = await unsaved_moves(stack, pairs)
    for game in seating.games:
        await game.white.close()
        await game.black.close()
    return {
        "games": len(seating.games),
        "seating_s": (seating.finished or math.nan) - seating.started,
        "failed": len(seating.failed),
        "moves": len(in_window),
        "moves_per_s": len(in_window) / window_s,
        "p50": percentile(in_window, 50),
        "p99": percentile(in_window, 99),
        "max": max(in_window, default=math.nan),
        "to_engine_p50": percentile(to_engine, 50),
        "from_engine_p50": percentile(from_engine, 50),
        "after_engine_p50": probe.medians(pairs, window),
        "aborted": sum(pair.end_status == "aborted" for pair in pairs),
        "ended": sum(pair.end_status not in (None, "aborted") for pair in pairs),
        "unsaved": unsaved,
        "unchecked": unchecked,
        "load": (load_before, load_start, load_end),
        "cpu": cpu_shares,
    }


async def measure_flags(stack: Stack, games: int) -> dict:
    delays: list[tuple[float, float]] = []

    async def one(game: SeatedGame) -> None:
        await game.white.send({"type": "move", "uci": "e2e4"})
        await game.black.receive_until(lambda m: m["type"] == "move")
        await game.black.send({"type": "move", "uci": "e7e5"})
        second = await game.black.receive_until(lambda m: m["type"] == "move" and m["ply"] == 2)
        end = await game.black.receive_until(lambda m: m["type"] == "gameEnd", timeout=40)
        received_ms = time.time() * 1000
        due_ms = second["ts"] + second["clock"]["white"]
        delays.append((end["ts"] - due_ms, received_ms - due_ms))

    seating = await seat_games(stack, games, "0.25+0", one)
    await asyncio.gather(*seating.tasks)
    for game in seating.games:
        await game.white.close()
        await game.black.close()
    engine = [d for d, _ in delays]
    client = [c for _, c in delays]
    return {
        "games": len(delays),
        "engine_median": statistics.median(engine),
        "engine_max": max(engine),
        "client_median": statistics.median(client),
        "client_max": max(client),
    }


def print_header(args: argparse.Namespace) -> None:
    print(
        f"chess move latency: sent by one player -> received by the opponent "
        f"(think {args.think} s, tc {args.tc}, {args.workers} worker(s), window {args.window:.0f} s)"
    )
    print(
        f"{'games':>6} {'seated s':>8} {'moves':>7} {'moves/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'p50 to / from engine':>20} {'saved / published / relayed':>27}"
        f" {'aborted':>7} {'ended':>6} {'unsaved':>7} {'unchecked':>9} {'failed':>6}"
        f" {'CPU web / workers / client':>26}"
        "  load avg (before; window start; end)"
    )


def print_row(row: dict) -> None:
    load = "; ".join(f"{value:.2f}" for value in row["load"])
    cpu = " / ".join(f"{share:.0%}" for share in row["cpu"].values())
    after = " / ".join(f"{ms:.1f}" for ms in row["after_engine_p50"])
    print(
        f"{row['games']:>6} {row['seating_s']:>8.1f} {row['moves']:>7} {row['moves_per_s']:>8.1f} {row['p50']:>8.2f}"
        f" {row['p99']:>8.2f} {row['max']:>8.2f}"
        f" {row['to_engine_p50']:>9.1f} / {row['from_engine_p50']:<8.1f} {after:>27} {row['aborted']:>7} {row['ended']:>6}"
        f" {row['unsaved']:>7} {row['unchecked']:>9} {row['failed']:>6} {cpu:>26}  {load}",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--tc", default="5+3")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a bot waits before answering")
    parser.add_argument("--window", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=1, help="engine worker processes")
    parser.add_argument("--flag-games", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--redis-url", default=REDIS_BENCH_URL, help="Redis database to use (it is FLUSHED)")
    args = parser.parse_args()

    with procfile_stack(redis_url=args.redis_url, LOG_LEVEL="WARNING", **ONE_ADDRESS_FOR_ALL_BOTS) as stack:
        start_workers(stack, args.workers)
        print_header(args)
        for games in args.games:
            row = await asyncio.wait_for(
                measure_moves(stack, games, args.tc, args.think, args.window, args.seed), timeout=args.window + 900
            )
            print_row(row)
        if args.flag_games:
            load_before = load_average()
            flags = await asyncio.wait_for(measure_flags(stack, args.flag_games), timeout=120)
            print()
            print("flag delay: white's clock at zero -> gameEnd (0.25+0, nobody claims)")
            print(
                f"{'games':>6} {'engine median ms':>17} {'engine max ms':>14} {'client median ms':>17}"
                f" {'client max ms':>14}  load avg (before; after)"
            )
            print(
                f"{flags['games']:>6} {flags['engine_median']:>17.1f} {flags['engine_max']:>14.1f}"
                f" {flags['client_median']:>17.1f} {flags['client_max']:>14.1f}  {load_before:.2f}; {load_average():.2f}"
            )


if __name__ == "__main__":
    asyncio.run(main())

"""Chess move latency and flag delay through the Procfile's real processes.

What is measured
----------------
The stack is started as the integration tests start it (release, one worker, one web process,
a throwaway PostgreSQL database, Redis db 13 flushed first). Then:

1. For each N in --games (default 1 100 1000): 2N guests queue for chess (--tc, default 5+3),
   are paired into N games, and open their game sockets. In every game the two bot players
   alternate legal moves (picked with python-chess from the position in each move event); a
   player answers --think seconds (default 1.0) after it received the opponent's move, so the
   N games together send about N / think moves per second. Over a window of --window seconds,
   for every move: latency = the opponent's receipt of the move event minus the moment the mover
   sent it (both clocks are this one process's perf_counter). The move travels client ->
   Daphne -> Redis -> worker -> engine (applied, saved to PostgreSQL, then broadcast) -> Redis ->
   Daphne -> client.
2. Flag delay: --flag-games games at 0.25+0 where, after the second ply, white never moves.
   For each, the delay between white's clock reaching zero and the gameEnd broadcast, on the
   server's own clock: gameEnd.ts - (move2.ts + white's remaining time in move2's clock), and
   the delay to its receipt by the client.

Run
---
    cd /work/main && .venv/bin/python -m bench.chess_latency
    .venv/bin/python -m bench.chess_latency --games 1 100 --window 10 --think 0.5

Needs Redis and PostgreSQL on 127.0.0.1 (as in tests/integration/harness.py). Everything stays
on loopback; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import chess

from tests.integration.harness import Client, Stack, new_guest, procfile_stack

REDIS_BENCH_URL = "redis://127.0.0.1:6379/13"
HANDSHAKE_BATCH = 50
# Every bot connects from 127.0.0.1: lift the per-address limits that are meant for real clients.
ONE_ADDRESS_FOR_ALL_BOTS = {"GUEST_MINTS_PER_MINUTE": "1000000", "MAX_SOCKETS_PER_ADDRESS": "1000000"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def pair_players(stack: Stack, games: int, tc: str) -> list[tuple[str, dict[str, Client]]]:
    """Queues 2 * games guests for `tc` and returns each game's id and its two game sockets."""
    guests = [new_guest(stack) for _ in range(2 * games)]
    tokens = dict(guests)
    encoded = tc.replace("+", "%2B")
    queues: list[Client] = []
    # A few handshakes at a time: thousands at once time out in one Daphne process.
    for start in range(0, len(guests), HANDSHAKE_BATCH):
        queues += await asyncio.gather(
            *(
                Client.open(stack.ws(f"/ws/queue/?game=chess&tc={encoded}&token={token}"))
                for _, token in guests[start : start + HANDSHAKE_BATCH]
            )
        )
    found = await asyncio.gather(*(q.receive_until(lambda m: m["type"] == "match_found", timeout=120) for q in queues))
    by_game: dict[str, list[str]] = {}
    for (username, _), message in zip(guests, found, strict=True):
        by_game.setdefault(message["game_id"], []).append(username)
    await asyncio.gather(*(q.close() for q in queues))
    paired = []
    for game_id, usernames in by_game.items():
        sockets = {}
        for username in usernames:
            sockets[username] = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={tokens[username]}"))
        paired.append((game_id, sockets))
    return paired


class MovingPair:
    """Two bots playing one game: each answers the other's move after `think` seconds."""

    def __init__(self, sockets: dict[str, Client], think: float, rng: random.Random) -> None:
        self.sockets = sockets
        self.think = think
        self.rng = rng
        self.sent_at: dict[int, float] = {}
        self.latencies: list[tuple[float, float]] = []  # (receipt time, latency ms)
        self.ended = False

    async def run(self, stop_at: float) -> None:
        states = {name: await socket.receive() for name, socket in self.sockets.items()}
        state = next(iter(states.values()))
        colours = {state["white"]["username"]: "white", state["black"]["username"]: "black"}
        readers = [asyncio.ensure_future(self._read(name, colours[name], stop_at)) for name in self.sockets]
        white = next(name for name, colour in colours.items() if colour == "white")
        await self._move(white, chess.Board(), ply=1)
        await asyncio.gather(*readers, return_exceptions=True)

    async def _move(self, username: str, board: chess.Board, ply: int) -> None:
        move = self.rng.choice(list(board.legal_moves))
        self.sent_at[ply] = time.perf_counter()
        await self.sockets[username].send({"type": "move", "uci": move.uci()})

    async def _read(self, username: str, colour: str, stop_at: float) -> None:
        socket = self.sockets[username]
        while time.perf_counter() < stop_at and not self.ended:
            try:
                message = await socket.receive(timeout=max(0.05, stop_at - time.perf_counter()))
            except TimeoutError:
                return
            if message["type"] == "gameEnd":
                self.ended = True
                return
            if message["type"] != "move" or message["player"] == colour:
                continue
            received = time.perf_counter()
            sent = self.sent_at.pop(message["ply"], None)
            if sent is not None:
                self.latencies.append((received, (received - sent) * 1000))
            board = chess.Board(message["fen"])
            if board.is_game_over(claim_draw=False):
                continue
            await asyncio.sleep(self.think)
            if time.perf_counter() < stop_at and not self.ended:
                await self._move(username, board, message["ply"] + 1)


async def measure_moves(stack: Stack, games: int, tc: str, think: float, window: float, seed: int) -> dict:
    paired = await pair_players(stack, games, tc)
    rng = random.Random(seed)
    warmup = min(3.0, window / 3)
    started = time.perf_counter()
    stop_at = started + warmup + window
    pairs = [MovingPair(sockets, think, random.Random(rng.random())) for _, sockets in paired]
    await asyncio.gather(*(pair.run(stop_at) for pair in pairs))
    in_window = [latency for pair in pairs for at, latency in pair.latencies if at >= started + warmup]
    for _, sockets in paired:
        for socket in sockets.values():
            await socket.close()
    return {
        "games": len(paired),
        "moves": len(in_window),
        "moves_per_s": len(in_window) / window,
        "p50": percentile(in_window, 0.50) if in_window else float("nan"),
        "p99": percentile(in_window, 0.99) if in_window else float("nan"),
        "max": max(in_window) if in_window else float("nan"),
        "ended": sum(pair.ended for pair in pairs),
    }


async def measure_flags(stack: Stack, games: int) -> dict:
    paired = await pair_players(stack, games, "0.25+0")

    async def one(sockets: dict[str, Client]) -> tuple[float, float]:
        states = {name: await socket.receive() for name, socket in sockets.items()}
        state = next(iter(states.values()))
        white = sockets[state["white"]["username"]]
        black = sockets[state["black"]["username"]]
        await white.send({"type": "move", "uci": "e2e4"})
        await black.receive_until(lambda m: m["type"] == "move")
        await black.send({"type": "move", "uci": "e7e5"})
        second = await black.receive_until(lambda m: m["type"] == "move" and m["ply"] == 2)
        end = await black.receive_until(lambda m: m["type"] == "gameEnd", timeout=40)
        received_ms = time.time() * 1000
        due_ms = second["ts"] + second["clock"]["white"]
        return end["ts"] - due_ms, received_ms - due_ms

    delays = await asyncio.gather(*(one(sockets) for _, sockets in paired))
    for _, sockets in paired:
        for socket in sockets.values():
            await socket.close()
    engine = [d for d, _ in delays]
    client = [c for _, c in delays]
    return {
        "games": len(delays),
        "engine_median": statistics.median(engine),
        "engine_max": max(engine),
        "client_median": statistics.median(client),
        "client_max": max(client),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--tc", default="5+3")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a bot waits before answering")
    parser.add_argument("--window", type=float, default=15.0)
    parser.add_argument("--flag-games", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with procfile_stack(redis_url=REDIS_BENCH_URL, **ONE_ADDRESS_FOR_ALL_BOTS) as stack:
        print(f"chess move latency: sent by one player -> received by the opponent (think {args.think} s, tc {args.tc})")
        print(f"{'games':>6} {'moves':>7} {'moves/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'ended':>6}")
        for games in args.games:
            row = await asyncio.wait_for(
                measure_moves(stack, games, args.tc, args.think, args.window, args.seed), timeout=args.window + 600
            )
            print(
                f"{row['games']:>6} {row['moves']:>7} {row['moves_per_s']:>8.1f} {row['p50']:>8.2f}"
                f" {row['p99']:>8.2f} {row['max']:>8.2f} {row['ended']:>6}",
                flush=True,
            )
        if args.flag_games:
            flags = await asyncio.wait_for(measure_flags(stack, args.flag_games), timeout=120)
            print()
            print("flag delay: white's clock at zero -> gameEnd (0.25+0, nobody claims)")
            print(f"{'games':>6} {'engine median ms':>17} {'engine max ms':>14} {'client median ms':>17} {'client max ms':>14}")
            print(
                f"{flags['games']:>6} {flags['engine_median']:>17.1f} {flags['engine_max']:>14.1f}"
                f" {flags['client_median']:>17.1f} {flags['client_max']:>14.1f}"
            )


if __name__ == "__main__":
    asyncio.run(main())

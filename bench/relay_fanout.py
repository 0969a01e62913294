"""The relay alone: how fast a game's events get from the engine to many websockets, through the
Procfile's real processes (Daphne, runworker, Redis, PostgreSQL) on 127.0.0.1.

What is measured
----------------
For each N in --sockets, a fresh stack (tests/integration/harness.py's `procfile_stack`: release,
one worker, --web web processes, a throwaway PostgreSQL database, the Redis database of
--redis-url FLUSHED first). A helper process with the stack's settings creates N/4 games of four
seats and N guests, and starts each game in the engine as an **arena**, so that it never ends:
every game then ticks at 10 Hz for as long as the run lasts, a tick of a few hundred bytes
about its four bot snakes (soon dead), at almost no engine cost. The database holds them as ordinary
matches of four bots, so each of the N clients (four per game) watches one as a spectator and
sends nothing: all the work is the relay's.

Once every client has its gameState, and --settle seconds later, a window of --window seconds:
- delivered frames/s: versioned events received by all clients in the window, over its length
  (expected: N x 10);
- latency p50 / p99 / max: client receipt time minus the event's `ts` (the engine's wall clock
  when it produced it; same machine, same clock);
- gaps: events a client never received (a `v` more than one above the last one it had), and
  fresh gameStates (a resync that gave up on replaying);
- CPU per process over the window (from /proc): web, worker, redis-server and this client, as a
  share of one core and in microseconds per delivered frame;
- the machine's load average at the start and end of the window, and the relay and broadcast
  figures of GET /healthz where the server has them.

Run
---
    .venv/bin/python -m bench.relay_fanout --sockets 500 1000
    .venv/bin/python -m bench.relay_fanout --sockets 1000 --web 2 --window 20

Needs Redis and PostgreSQL on 127.0.0.1 (as tests/integration/harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

from bench.end_to_end import ONE_ADDRESS_FOR_ALL_BOTS, cpu_seconds, percentile, process_tree, python_pid
from tests.integration.harness import ROOT, Stack, http_json, procfile_stack

TICK_HZ = 10.0
SOCKETS_PER_GAME = 4
# Small boards of four easy bots: their snakes die within seconds and stay listed in every tick.
GAME_SETTINGS = {"width": 24, "height": 24, "countdown_ticks": 0, "tick_hz": TICK_HZ}


# ------------------------------------------------------------------------------ the games


def make_games(sockets: int) -> list[dict]:
    """Runs in a helper process with the stack's environment: the games, their spectators' tokens,
    and each game started in the engine as an arena."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kogame.settings")
    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from engine import services as game_services
    from engine.runtime import ENGINE_CHANNEL
    from players import services
    from players.tokens import token_for

    layer = get_channel_layer()
    games = []
    for _ in range(sockets // SOCKETS_PER_GAME):
        game = game_services.game_create(kind="snake", users=[], bots=["easy"] * SOCKETS_PER_GAME, settings=GAME_SETTINGS)
        start = game_services.game_start_message(game=game)
        start.update(mode="arena", settings={**start["settings"], "arena": True})
        async_to_sync(layer.send)(ENGINE_CHANNEL, start)
        tokens = [token_for(user_id=services.guest_create().pk) for _ in range(SOCKETS_PER_GAME)]
        games.append({"game_id": game.id, "tokens": tokens})
    return games


# ------------------------------------------------------------------------------ the clients


@dataclass
class Window:
    start_ms: float = float("inf")
    end_ms: float = float("inf")


@dataclass
class Spectator:
    url: str
    window: Window
    last_v: int | None = None
    synced: bool = False
    frames: int = 0
    frame_bytes: int = 0
    gaps: int = 0
    resyncs: int = 0
    latencies: list = field(default_factory=list)
    closed: str | None = None

    async def watch(self, socket) -> None:
        try:
            async for raw in socket:
                now_ms = time.time() * 1000
                message = json.loads(raw)
                v = message.get("v")
                if message.get("type") == "gameState":
                    if self.synced and self.window.start_ms <= now_ms:
                        self.resyncs += 1
                    self.synced, self.last_v = True, v
                    continue
                if v is None:
                    continue
                if self.window.start_ms <= now_ms < self.window.end_ms:
                    self.frames += 1
                    self.frame_bytes += len(raw)
                    self.latencies.append(now_ms - message["ts"])
                    if self.last_v is not None and v > self.last_v + 1:
                        self.gaps += v - self.last_v - 1
                self.last_v = v
        except websockets.ConnectionClosed as closed:
            self.closed = f"closed {closed.rcvd.code if closed.rcvd else None}"


# ------------------------------------------------------------------------------ one N


@dataclass
class Result:
    sockets: int
    games: int = 0
    window_s: float = 0.0
    frames: int = 0
    frame_bytes: int = 0
    latencies: list = field(default_factory=list)
    gaps: int = 0
    resyncs: int = 0
    closed: int = 0
    cpu: dict = field(default_factory=dict)
    load_before: tuple = ()
    load_after: tuple = ()
    health: list = field(default_factory=list)
    connect_s: float = 0.0
    never_synced: int = 0

    def per_frame_us(self, name: str) -> float:
        delivered = self.frames / self.window_s if self.window_s else 0
        return self.cpu.get(name, float("nan")) * 1e6 / delivered if delivered else float("nan")


async def open_all(spectators: list[Spectator], concurrency: int) -> list:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(spectator: Spectator):
        async with semaphore:
            socket = await websockets.connect(spectator.url, open_timeout=30, max_size=2**22, proxy=None)
        return socket, asyncio.ensure_future(spectator.watch(socket))

    return await asyncio.gather(*(one(s) for s in spectators))


async def measure(stack: Stack, games: list[dict], args) -> Result:
    result = Result(sockets=len(games) * SOCKETS_PER_GAME, games=len(games))
    window = Window()
    ports = stack.ports
    spectators = [
        Spectator(url=stack.ws(f"/ws/game/{game['game_id']}/?token={token}", ports[i % len(ports)]), window=window)
        for i, (game, token) in enumerate((game, token) for game in games for token in game["tokens"])
    ]
    started = time.monotonic()
    opened = await open_all(spectators, args.connect_concurrency)
    deadline = time.monotonic() + args.sync_timeout
    while not all(s.synced for s in spectators) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    result.connect_s = time.monotonic() - started
    # Reported, and the window runs all the same: an overloaded relay answers late.
    result.never_synced = sum(not s.synced for s in spectators)
    await asyncio.sleep(args.settle)

    processes = {"worker": python_pid(stack.worker().popen.pid)}
    for i, port in enumerate(ports):
        processes[f"web{i + 1}"] = python_pid(stack.web(port).popen.pid)
    trees = {name: process_tree(pid) for name, pid in processes.items()}
    if args.redis_pid:
        trees["redis"] = [args.redis_pid]
    trees["client"] = [os.getpid()]
    result.load_before = os.getloadavg()
    cpu_before = {name: cpu_seconds(pids) for name, pids in trees.items()}
    wall_before = time.monotonic()
    window.start_ms = time.time() * 1000
    window.end_ms = window.start_ms + args.window * 1000
    await asyncio.sleep(args.window)
    wall = time.monotonic() - wall_before
    result.cpu = {name: (cpu_seconds(pids) - cpu_before[name]) / wall for name, pids in trees.items()}
    result.load_after = os.getloadavg()
    result.window_s = args.window
    for port in ports:
        _, body = await asyncio.to_thread(http_json, stack.http(port) + "/healthz")
        result.health.append({"relay": body.get("relay"), "broadcast": body.get("engine", {}).get("broadcast")})

    for socket, _ in opened:
        await socket.close()
    await asyncio.gather(*(task for _, task in opened), return_exceptions=True)
    for s in spectators:
        result.frames += s.frames
        result.frame_bytes += s.frame_bytes
        result.latencies.extend(s.latencies)
        result.gaps += s.gaps
        result.resyncs += s.resyncs
        result.closed += s.closed is not None and not s.closed.startswith("closed 1000")
    return result


def run_one(sockets: int, args) -> Result:
    with procfile_stack(
        redis_url=args.redis_url, web_processes=args.web, LOG_LEVEL="WARNING", **ONE_ADDRESS_FOR_ALL_BOTS
    ) as stack:
        made = subprocess.run(
            [sys.executable, "-m", "bench.relay_fanout", "--make-games", str(sockets)],
            cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if made.returncode != 0:
            raise AssertionError(f"could not make the games:\n{made.stderr[-3000:]}")
        games = json.loads(made.stdout.splitlines()[-1])
        try:
            return asyncio.run(measure(stack, games, args))
        finally:
            if args.keep_logs:
                target = Path(args.keep_logs) / f"N{sockets}"
                target.mkdir(parents=True, exist_ok=True)
                for item in stack.workdir.iterdir():
                    if item.is_file():
                        shutil.copy(item, target / item.name)


# ------------------------------------------------------------------------------ output


def print_result(r: Result) -> None:
    delivered = r.frames / r.window_s if r.window_s else 0.0
    lat = r.latencies
    size = r.frame_bytes / r.frames if r.frames else 0
    print(
        f"\nN={r.sockets} sockets, {r.games} games; connected and synced in {r.connect_s:.1f} s "
        f"({r.never_synced} never synced); "
        f"window {r.window_s:.0f} s; load average {'/'.join(f'{x:.2f}' for x in r.load_before)} at its start, "
        f"{'/'.join(f'{x:.2f}' for x in r.load_after)} at its end"
    )
    print(
        f"  delivered {delivered:.0f} frames/s of {r.sockets * TICK_HZ:.0f} expected (mean {size:.0f} B); "
        f"latency p50 {percentile(lat, 50):.1f} p99 {percentile(lat, 99):.1f} max {max(lat, default=float('nan')):.1f} ms; "
        f"gaps {r.gaps}; fresh gameStates {r.resyncs}; sockets closed by the server {r.closed}"
    )
    print(
        "  CPU (share of one core, µs per delivered frame): "
        + "  ".join(f"{name} {share:.0%} {r.per_frame_us(name):.1f}" for name, share in r.cpu.items())
    )
    for i, health in enumerate(r.health):
        print(f"  web{i + 1} /healthz: relay {health['relay']}; engine broadcast {health['broadcast']}")


def print_table(results: list[Result], web: int) -> None:
    print(f"\nRelay, {web} web process(es), 1 worker, {SOCKETS_PER_GAME} spectators per game, 10 Hz")
    header = (
        f"{'sockets':>7} {'frames/s':>8} {'expected':>8} {'p50 ms':>7} {'p99 ms':>7} {'gaps':>6} "
        f"{'web µs/fr':>9} {'worker µs/fr':>12} {'redis µs/fr':>11} {'web CPU':>7} {'load avg (start; end)':>24}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        webs = [name for name in r.cpu if name.startswith("web")]
        web_us = sum(r.per_frame_us(name) for name in webs)
        web_cpu = "/".join(f"{r.cpu[name]:.0%}" for name in webs)
        load = f"{r.load_before[0]:.2f}; {r.load_after[0]:.2f}"
        print(
            f"{r.sockets:>7} {r.frames / r.window_s:>8.0f} {r.sockets * TICK_HZ:>8.0f} "
            f"{percentile(r.latencies, 50):>7.1f} {percentile(r.latencies, 99):>7.1f} {r.gaps:>6} "
            f"{web_us:>9.1f} {r.per_frame_us('worker'):>12.1f} {r.per_frame_us('redis'):>11.1f} {web_cpu:>7} {load:>24}"
        )
    print("(µs/fr: CPU microseconds per delivered frame, all web processes together; load avg: 1-minute)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, nargs="+", default=[500, 1000], help="websockets per run (multiples of 4)")
    parser.add_argument("--web", type=int, default=1, help="web (Daphne) processes")
    parser.add_argument("--window", type=float, default=15.0, help="measured seconds per N")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between the last gameState and the window")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--sync-timeout", type=float, default=60.0, help="longest wait for every client's gameState")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
        help="Redis database to use (it is FLUSHED)",
    )
    parser.add_argument("--keep-logs", default=None, help="copy the processes' logs to this folder")
    parser.add_argument("--make-games", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_games is not None:
        print(json.dumps(make_games(args.make_games)))
        return 0
    if any(n <= 0 or n % SOCKETS_PER_GAME for n in args.sockets):
        parser.error("--sockets must be positive multiples of 4")
    import redis

    args.redis_pid = redis.Redis.from_url(args.redis_url).info("server").get("process_id")
    results = []
    for sockets in args.sockets:
        print(f"-- N={sockets}", flush=True)
        result = run_one(sockets, args)
        results.append(result)
        print_result(result)
        sys.stdout.flush()
    print_table(results, args.web)
    return 0


if __name__ == "__main__":
    sys.exit(main())

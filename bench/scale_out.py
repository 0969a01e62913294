"""Scale-out: the same Snake load on 1 and on 2 engine workers, through the Procfile's processes.

What is measured
----------------
For each count in --workers (default 1 2), a fresh stack (tests/integration/harness.py's
`procfile_stack`: release, that many `worker` processes, one web process, a throwaway PostgreSQL
database, the Redis database of --redis-url FLUSHED first). A helper process with the stack's
settings (`--keep-games`) then keeps --games Snake games live: each of four bots of --bot-level
(hard by default: a game lasts about 50 to 115 s), made in the database and handed to the
engine through the web processes' own path (players/engine_link.py: each new game goes to the
live worker with the fewest games); every 0.5 s it replaces the games that ended. Bots steer
inside the engine, so the load is the engine's alone: no client sends anything.

After --settle seconds, a window of --window seconds, per worker:
- live games: the games the helper keeps live, by their owner in Redis (`kogame:owner:<id>`),
  sampled every second (median of the samples); `/healthz` games (which also counts ended games
  the engine still keeps for 120 s) beside it;
- CPU: the worker process's utime + stime (/proc) over the window, as a share of one core, and
  per game tick (the lease's `ticks` counter, one per game per tick);
- tick lateness: from the figures each worker renews its lease with (`kogame:worker:<id>`):
  late ticks and skipped ticks during the window, the worst lateness since the worker started
  (`max_lateness_ms`), and `lag_ms` (the worst lateness of any tick in the last second; every
  second's value, p50 and max over the window);
- --spectators sockets watching live games (one per game): tick latency, the receipt of a
  tick minus its `ts` (the engine's wall clock when it produced it), p50 / p99 / max.
The machine's 1-minute load average at the window's start and end is printed beside each row.

Run
---
    .venv/bin/python -m bench.scale_out
    .venv/bin/python -m bench.scale_out --games 100 200 --workers 1 2 --window 20

Needs Redis and PostgreSQL on 127.0.0.1 (as tests/integration/harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

import redis
import websockets

from bench.chess_seating import ONE_ADDRESS_FOR_ALL_BOTS, load_average, start_workers
from bench.end_to_end import cpu_seconds, percentile, process_tree, python_pid
from engine.cluster.directory import live_workers
from engine.cluster.keys import owner_key, text
from tests.integration.harness import Stack, http_json, new_guest, procfile_stack

REDIS_BENCH_URL = "redis://127.0.0.1:6379/3"
PLAYERS_PER_GAME = 4
REPLACE_EVERY_SECONDS = 0.5
SAMPLE_EVERY_SECONDS = 1.0


# ------------------------------------------------------------------------------ the load (helper process)


def keep_games(count: int, seconds: float, level: str) -> None:
    """Runs in a helper process with the stack's environment: keeps `count` bot games live for
    `seconds`, printing a JSON line with the live games' ids after each round."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kogame.settings")
    django.setup()
    from asgiref.sync import sync_to_async

    from engine import services as game_services
    from engine.models import Game
    from players.engine_link import send_to_engine

    def create() -> tuple[str, dict]:
        game = game_services.game_create(kind="snake", users=[], bots=[level] * PLAYERS_PER_GAME, settings={})
        return game.id, game_services.game_start_message(game=game)

    def still_live(game_ids: set[str]) -> set[str]:
        return set(Game.objects.filter(id__in=game_ids, status="started").values_list("id", flat=True))

    async def run() -> None:
        live: set[str] = set()
        created = 0
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            for _ in range(count - len(live)):
                game_id, start = await sync_to_async(create)()
                await send_to_engine(start)
                live.add(game_id)
                created += 1
            print(json.dumps({"live": sorted(live), "created": created}), flush=True)
            await asyncio.sleep(REPLACE_EVERY_SECONDS)
            live = await sync_to_async(still_live)(live)

    asyncio.run(run())


class Load:
    """The helper process, and the latest live games it reported."""

    def __init__(self, stack: Stack, games: int, seconds: float, level: str) -> None:
        self.games = games
        self.command = [sys.executable, "-m", "bench.scale_out", "--keep-games", str(games),
                        "--keep-seconds", str(seconds), "--bot-level", level]  # fmt: skip
        self.env = stack.env
        self.log_path = stack.workdir / "load.log"
        self.live: list[str] = []
        self.created = 0
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._first = asyncio.Event()

    async def start(self, timeout: float = 300) -> None:
        with self.log_path.open("w") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, env=self.env, stdout=asyncio.subprocess.PIPE, stderr=log
            )
        self._reader = asyncio.ensure_future(self._read())
        try:
            await asyncio.wait_for(self._first.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"the load did not start:\n{self.log_path.read_text()[-3000:]}") from None

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            report = json.loads(line)
            self.live, self.created = report["live"], report["created"]
            self._first.set()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


# ------------------------------------------------------------------------------ spectators


@dataclass
class Spectator:
    url: str
    latencies: list[float] = field(default_factory=list)  # ms, in the window
    window: tuple[float, float] = (math.inf, math.inf)  # time.time() ms

    async def watch(self) -> None:
        try:
            async with websockets.connect(self.url, open_timeout=30, max_size=2**22, proxy=None) as socket:
                async for raw in socket:
                    now_ms = time.time() * 1000
                    message = json.loads(raw)
                    if message.get("type") == "tick" and self.window[0] <= now_ms < self.window[1]:
                        self.latencies.append(now_ms - message["ts"])
                    if message.get("type") == "gameEnd" or now_ms >= self.window[1]:
                        return
        except websockets.ConnectionClosed:
            return


# ------------------------------------------------------------------------------ one worker count


@dataclass
class WorkerRow:
    worker_id: str
    pid: int
    live_games: list[int] = field(default_factory=list)
    health_games: list[int] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    cpu_share: float = math.nan
    ticks: int = 0
    late_ticks: int = 0
    skipped_ticks: int = 0
    max_lateness_ms: float = 0.0


@dataclass
class Result:
    workers: int
    games: int
    rows: list[WorkerRow] = field(default_factory=list)
    spectator_latencies: list[float] = field(default_factory=list)
    web_cpu_share: float = math.nan
    created: int = 0
    load: tuple[float, float] = (math.nan, math.nan)
    window_s: float = 0.0


def worker_pid(worker_id: str) -> int:
    """A worker id is host-pid-random (engine/cluster/lease.py)."""
    return int(worker_id.rsplit("-", 2)[1])


def lease_figures(client: redis.Redis) -> dict[str, dict]:
    return {worker["id"]: worker["figures"] for worker in live_workers(client)}


def sample(stack: Stack, client: redis.Redis, load: Load, rows: dict[str, WorkerRow]) -> None:
    live = list(load.live)
    owners = client.mget([owner_key(game_id) for game_id in live]) if live else []
    by_owner: dict[str, int] = {}
    for owner in owners:
        if owner is not None:
            by_owner[text(owner)] = by_owner.get(text(owner), 0) + 1
    _, health = http_json(stack.http() + "/healthz")
    for worker in health.get("engine", {}).get("workers", []):
        row = rows.get(worker["id"])
        if row is not None:
            row.health_games.append(worker["games"])
            row.lag_ms.append(worker["lag_ms"])
            row.live_games.append(by_owner.get(worker["id"], 0))


async def measure(stack: Stack, workers: int, args: argparse.Namespace) -> Result:
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    result = Result(workers=workers, games=args.games_now)
    load = Load(stack, args.games_now, args.settle + args.window + 60, args.bot_level)
    await load.start()
    try:
        tokens = [new_guest(stack)[1] for _ in range(args.spectators)]
        spectators = [
            Spectator(stack.ws(f"/ws/game/{game_id}/?token={token}")) for game_id, token in zip(load.live, tokens, strict=False)
        ]
        watching = [asyncio.ensure_future(spectator.watch()) for spectator in spectators]
        await asyncio.sleep(args.settle)

        figures_before = lease_figures(client)
        rows = {worker_id: WorkerRow(worker_id, python_pid(worker_pid(worker_id))) for worker_id in figures_before}
        trees = {worker_id: process_tree(row.pid) for worker_id, row in rows.items()}
        web_tree = process_tree(python_pid(stack.web(stack.ports[0]).popen.pid))
        cpu_before = {worker_id: cpu_seconds(pids) for worker_id, pids in trees.items()}
        web_cpu_before = cpu_seconds(web_tree)
        load_start = load_average()
        started = time.monotonic()
        window_ms = (time.time() * 1000, time.time() * 1000 + args.window * 1000)
        for spectator in spectators:
            spectator.window = window_ms
        while time.monotonic() - started < args.window:
            await asyncio.to_thread(sample, stack, client, load, rows)
            await asyncio.sleep(max(0.0, SAMPLE_EVERY_SECONDS - (time.monotonic() - started) % SAMPLE_EVERY_SECONDS))
        wall = time.monotonic() - started
        figures_after = lease_figures(client)
        for worker_id, row in rows.items():
            row.cpu_share = (cpu_seconds(trees[worker_id]) - cpu_before[worker_id]) / wall
            before, after = figures_before[worker_id], figures_after.get(worker_id, {})
            for name in ("ticks", "late_ticks", "skipped_ticks"):
                setattr(row, name, after.get(name, 0) - before.get(name, 0))
            row.max_lateness_ms = after.get("max_lateness_ms", math.nan)
        result.web_cpu_share = (cpu_seconds(web_tree) - web_cpu_before) / wall
        result.load = (load_start, load_average())
        result.window_s = wall
        result.rows = list(rows.values())
        result.created = load.created
        await asyncio.wait(watching, timeout=5)
        result.spectator_latencies = [latency for spectator in spectators for latency in spectator.latencies]
    finally:
        await load.stop()
    return result


def run_one(workers: int, args: argparse.Namespace) -> Result:
    with procfile_stack(redis_url=args.redis_url, LOG_LEVEL="WARNING", **ONE_ADDRESS_FOR_ALL_BOTS) as stack:
        start_workers(stack, workers)
        return asyncio.run(measure(stack, workers, args))


# ------------------------------------------------------------------------------ output


def print_result(r: Result) -> None:
    lat = r.spectator_latencies
    print(
        f"\n{r.games} Snake games of {PLAYERS_PER_GAME} bots on {r.workers} worker(s), window {r.window_s:.0f} s "
        f"(games made in all: {r.created}); load avg {r.load[0]:.2f} at the window's start, {r.load[1]:.2f} at its end"
    )
    header = (
        f"{'worker':>8} {'live games':>10} {'healthz games':>13} {'CPU':>5} {'µs/game tick':>12} {'ticks/s':>8}"
        f" {'late':>5} {'skipped':>7} {'lag p50 ms':>10} {'lag max ms':>10} {'max lateness ms':>15}"
    )
    print(header)
    print("-" * len(header))
    for row in r.rows:
        cpu_per_tick = row.cpu_share * r.window_s * 1e6 / row.ticks if row.ticks else math.nan
        print(
            f"{row.pid:>8} {statistics.median(row.live_games or [0]):>10.0f} {statistics.median(row.health_games or [0]):>13.0f}"
            f" {row.cpu_share:>5.0%} {cpu_per_tick:>12.1f} {row.ticks / r.window_s:>8.0f} {row.late_ticks:>5}"
            f" {row.skipped_ticks:>7} {percentile(row.lag_ms, 50):>10.1f} {max(row.lag_ms, default=math.nan):>10.1f}"
            f" {row.max_lateness_ms:>15.1f}"
        )
    print(
        f"web process CPU {r.web_cpu_share:.0%}; spectators' tick latency ({len(lat)} ticks): "
        f"p50 {percentile(lat, 50):.1f} p99 {percentile(lat, 99):.1f} max {max(lat, default=math.nan):.1f} ms",
        flush=True,
    )


def print_summary(results: list[Result]) -> None:
    print("\nworkers  games  live games per worker  CPU per worker  late ticks  lag max ms  tick p50 / p99 ms  load avg")
    for r in results:
        live = "/".join(f"{statistics.median(row.live_games or [0]):.0f}" for row in r.rows)
        cpu = "/".join(f"{row.cpu_share:.0%}" for row in r.rows)
        late = sum(row.late_ticks for row in r.rows)
        lag = max((max(row.lag_ms, default=0.0) for row in r.rows), default=math.nan)
        lat = r.spectator_latencies
        print(
            f"{r.workers:>7} {r.games:>6} {live:>22} {cpu:>15} {late:>11} {lag:>11.1f}"
            f" {percentile(lat, 50):>8.1f} / {percentile(lat, 99):<7.1f} {r.load[0]:.2f}; {r.load[1]:.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, nargs="+", default=[200], help="Snake games kept live")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts, a fresh stack each")
    parser.add_argument("--bot-level", default="hard", choices=["easy", "medium", "hard"])
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between the load's start and the window")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--spectators", type=int, default=20)
    parser.add_argument("--redis-url", default=REDIS_BENCH_URL, help="Redis database to use (it is FLUSHED)")
    parser.add_argument("--keep-games", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--keep-seconds", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.keep_games is not None:
        keep_games(args.keep_games, args.keep_seconds, args.bot_level)
        return 0
    results = []
    for games in args.games:
        for workers in args.workers:
            args.games_now = games
            result = run_one(workers, args)
            results.append(result)
            print_result(result)
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compute and render cost of one GameEngine iteration, for N concurrent 4-player Snake games.

What is measured
----------------
For each N (default 1, 10, 100, 1000) a GameEngine is built in-process, never started as a
thread, with:

* a broadcaster that only counts what it is handed (sends and events) and drops it,
* a result store that drops results, no heartbeat,
* a fake clock that the script moves.

N arena games (`"mode": "arena"`, settings `{"arena": true, "countdown_ticks": 0}`) are started
with `engine.submit({"type": "engine.start_game", ...})` + `engine.pump()` at the same fake time.
Each game ticks on one of the engine's beats within the period (`engine.live_game.next_beat`:
in the worker a tenth of the games tick together every 10 ms); the fake clock moves to the last
game's deadline, so all N are due together in every iteration. Four players
join each game with `respawn` intents. Before every tick a bot submits, for each player, a
`respawn` intent when its snake is dead, and otherwise (seeded random) a `direction` intent when
it wants to turn: always when the cell ahead is a wall or a snake (towards a free cell), and with
probability --turn-prob per tick towards the nearest food (so snakes eat and grow).

Intents are submitted BEFORE the timed window (their submission cost is reported separately).
The timed window is one `engine.pump()` with the fake clock set to the common deadline: handle
the queued intents, advance (tick all N games: the boards step, the tick events written as JSON), flush (one
group send per game to the counting broadcaster). It is timed with time.perf_counter over
--iterations iterations after --warmup iterations. The garbage collector stays on, as in the
real engine; its collections and pauses during the timed iterations are reported (gc.callbacks).

Variants, each run for every N (every combination of the values given):

* --gc tuned: `engine.loop.tune_garbage_collector()` runs after the engine is built and before
  the games start, as `GameEngine.run()` runs it before any game arrives; default: CPython's
  collector as it comes.
* --worker-heap: Django and the worker's modules are loaded first, as in `runworker
  game_engine`, so the collector has the worker's heap to walk (without it, only the engine's).

An optional second pass (--breakdown-iterations, 0 to skip) wraps, in this process only, the
functions the loop really calls, by the names it calls them: `step_boards` and `encode_ticks`
(as `engine.games.snake.session` calls them: the boards' step, and the tick events written as
JSON from the arrays), `rules.step` (the reference rules, which `step_boards` calls through the
module for the boards it sets aside), and the engine's `handle` / `flush`, and reports the share
of each in the iteration. The wrappers add about a microsecond per call, so that pass is
reported apart from the clean timings.

Each N and variant runs in a fresh child process so that its peak RSS growth (resource.getrusage
ru_maxrss after the run minus before the engine was built) and its heap are its own. The
machine's load average (1 minute, from os.getloadavg) is printed before and after each child:
other work on the machine moves these figures.

Run
---
    .venv/bin/python -m bench.engine_tick
    .venv/bin/python -m bench.engine_tick --games 1 10 100 1000 2000 --iterations 300
    .venv/bin/python -m bench.engine_tick --games 1000 --gc tuned default

No network, no database, and no Django unless --worker-heap: the engine core is pure Python.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict

import engine.games.snake.board_render as board_render
import engine.games.snake.rules as snake_rules
import engine.games.snake.session as snake_session
from engine.games.snake.boards import BOARDS, DIRECTION_NAMES, SEATS, STRIDE
from engine.loop import GameEngine, tune_garbage_collector

PLAYERS_PER_GAME = 4
DIRECTIONS = snake_rules.DIRECTIONS
OPPOSITE = {"UP": "DOWN", "DOWN": "UP", "LEFT": "RIGHT", "RIGHT": "LEFT"}


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingBroadcaster:
    def __init__(self) -> None:
        self.publishes = 0
        self.sends = 0

    def publish(self, sends) -> None:
        self.publishes += 1
        self.sends += len(sends)


class NullStore:
    def game_ended(self, game_id, outcome, last_v) -> None:
        pass

    def persist(self, game_id, record, v, on_done) -> None:
        on_done(True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# ------------------------------------------------------------------------------------ child


class Bench:
    def __init__(self, games: int, seed: int, turn_prob: float) -> None:
        self.n = games
        self.turn_prob = turn_prob
        self.rng = random.Random(seed)
        self.clock = FakeClock()
        self.broadcaster = CountingBroadcaster()
        self.engine = GameEngine(broadcaster=self.broadcaster, store=NullStore(), clock=self.clock)
        self.game_ids = [f"bench-{i}" for i in range(games)]
        self.players = [f"p{j}" for j in range(PLAYERS_PER_GAME)]
        self.respawns = 0
        self.turns = 0
        self.submitted = 0

    def start(self) -> None:
        for i, game_id in enumerate(self.game_ids):
            self.engine.submit(
                {
                    "type": "engine.start_game",
                    "game_id": game_id,
                    "kind": "snake",
                    "mode": "arena",
                    "seats": [],
                    "settings": {"arena": True, "countdown_ticks": 0},
                    "seed": 1_000 + i,
                }
            )
        self.engine.pump()  # handles the starts; nothing is due yet
        if len(self.engine.games) != self.n:
            raise SystemExit(f"only {len(self.engine.games)} of {self.n} games started")

    def next_deadline(self) -> float:
        """The last of the games' deadlines: every game is due by then (they sit on a period's
        beats, live_game.next_beat, never more than a period apart)."""
        return max(game.deadline for game in self.engine.games.values())

    def _plan(self, board, name: str) -> dict | None:
        """Reads the board's arrays in place (engine/games/snake/boards.py): a copy of the state
        for every game each tick would cost more than the tick itself."""
        seat = board.seat_of.get(name)
        snake = board.slot * SEATS + seat if seat is not None else None
        if snake is None or not BOARDS.alive[snake]:
            self.respawns += 1
            return {"type": "respawn"}
        width, height = board.config.width, board.config.height
        occupancy = BOARDS.occupancy[board.slot]
        head_x, head_y = int(BOARDS.head_x[snake]), int(BOARDS.head_y[snake])
        heading = DIRECTION_NAMES[BOARDS.direction[snake]]

        def free(direction: str) -> bool:
            dx, dy = DIRECTIONS[direction]
            x, y = head_x + dx, head_y + dy
            return 0 <= x < width and 0 <= y < height and occupancy.item(y * STRIDE + x) == 0

        seek = self.rng.random() < self.turn_prob
        if free(heading) and not seek:
            return None
        options = [d for d in DIRECTIONS if d != OPPOSITE[heading] and free(d)]
        if not options:
            return None
        if seek and board.food:
            # Head for the nearest food (Manhattan), ties broken at random.
            food_x, food_y = min(board.food, key=lambda f: abs(f[0] - head_x) + abs(f[1] - head_y))
            self.rng.shuffle(options)
            choice = min(
                options,
                key=lambda d: abs(head_x + DIRECTIONS[d][0] - food_x) + abs(head_y + DIRECTIONS[d][1] - food_y),
            )
        else:
            choice = self.rng.choice(options)
        if choice == heading:
            return None
        self.turns += 1
        return {"type": "direction", "direction": choice}

    def submit_intents(self) -> int:
        """The bot: at most one intent per player, queued for the next iteration."""
        count = 0
        submit = self.engine.submit
        for game_id in self.game_ids:
            board = self.engine.games[game_id].session.board
            for name in self.players:
                intent = self._plan(board, name)
                if intent is not None:
                    submit(
                        {
                            "type": "engine.intent",
                            "game_id": game_id,
                            "username": name,
                            "intent": intent,
                            "reply_channel": None,
                        }
                    )
                    count += 1
        self.submitted += count
        return count

    def join_everyone(self) -> None:
        for game_id in self.game_ids:
            for name in self.players:
                self.engine.submit(
                    {"type": "engine.intent", "game_id": game_id, "username": name, "intent": {"type": "respawn"}}
                )
        self.clock.now = self.next_deadline()
        self.engine.pump()
        joined = sum(len(g.session.board.seat_of) for g in self.engine.games.values())
        if joined != self.n * PLAYERS_PER_GAME:
            print(f"warning: {joined} of {self.n * PLAYERS_PER_GAME} players joined", file=sys.stderr)

    def iteration(self) -> tuple[float, float, int]:
        """(submit seconds, pump seconds, intents) for one tick of every game."""
        started = time.perf_counter()
        intents = self.submit_intents()
        self.clock.now = self.next_deadline()
        submitted = time.perf_counter()
        self.engine.pump()
        done = time.perf_counter()
        return submitted - started, done - submitted, intents


def load_worker_modules() -> None:
    """What `runworker game_engine` has loaded by the time its engine starts (embedded settings)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kogame.settings")
    for name in ("REDIS_URL", "DATABASE_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    # The settings log every game start at INFO: a thousand lines that say nothing here.
    logging.getLogger("kogame.engine").setLevel(logging.WARNING)
    for module in ("channels.worker", "engine.consumers", "engine.runtime"):
        importlib.import_module(module)


def run_child(args) -> dict:
    if args.worker_heap:
        load_worker_modules()
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bench = Bench(args.child, args.seed, args.turn_prob)
    if args.gc == "tuned":
        tune_garbage_collector()
    bench.start()
    bench.join_everyone()
    for _ in range(args.warmup):
        bench.iteration()

    stats_before = bench.engine.stats.figures()
    sends_before = bench.broadcaster.sends
    respawns_before, turns_before = bench.respawns, bench.turns
    gen2_before = gc.get_stats()[2]["collections"]
    submit_times, pump_times, intents = [], [], []
    gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    gc_started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses[info["generation"]].append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)
    try:
        for _ in range(args.iterations):
            submit_s, pump_s, count = bench.iteration()
            submit_times.append(submit_s)
            pump_times.append(pump_s)
            intents.append(count)
    finally:
        gc.callbacks.remove(on_gc)
    gen2 = gc.get_stats()[2]["collections"] - gen2_before
    ticks = bench.engine.stats.ticks - stats_before["ticks"]
    sends = bench.broadcaster.sends - sends_before
    skipped = bench.engine.stats.skipped_ticks - stats_before["skipped_ticks"]

    lengths = [len(s.body) for g in bench.engine.games.values() for s in g.session.state.snakes.values() if s.alive]
    tick_bytes = [len(g.history[-1][1]) for g in bench.engine.games.values() if g.history]

    breakdown = run_breakdown(bench, args.breakdown_iterations) if args.breakdown_iterations else None
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "games": args.child,
        "variant": args.gc + ("/worker" if args.worker_heap else ""),
        "iterations": args.iterations,
        "pump_ms": [t * 1000 for t in pump_times],
        "submit_ms": [t * 1000 for t in submit_times],
        "intents_per_iter": statistics.mean(intents),
        "ticks": ticks,
        "expected_ticks": args.iterations * args.child,
        "skipped_ticks": skipped,
        "sends_per_iter": sends / args.iterations,
        "respawns_per_game_tick": (bench.respawns - respawns_before) / max(1, ticks),
        "turns_per_game_tick": (bench.turns - turns_before) / max(1, ticks),
        "mean_length": statistics.mean(lengths) if lengths else 0.0,
        "tick_bytes": statistics.mean(tick_bytes) if tick_bytes else 0.0,
        "gen2": gen2,
        # GC pauses during the timed iterations (submission included: collections may run there too).
        "gc_ms_total": sum(sum(v) for v in gc_pauses.values()),
        "gc_gen2_max_ms": max(gc_pauses[2], default=0.0),
        "gc_gen2_count": len(gc_pauses[2]),
        "gc_collections": sum(len(v) for v in gc_pauses.values()),
        "rss_growth_kib": rss_after - rss_before,
        "breakdown": breakdown,
    }


def run_breakdown(bench: Bench, iterations: int) -> dict:
    spent: dict[str, float] = defaultdict(float)
    perf = time.perf_counter

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = perf()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += perf() - started

        return wrapper

    # The names the engine really calls: SnakeSession calls step_boards and render_ticks by the
    # names it imported, step_boards hands the boards it sets aside to rules.step through the
    # module.
    saved = (snake_session.step_boards, board_render.encode_ticks, snake_rules.step)
    snake_session.step_boards = timed("boards step", saved[0])
    board_render.encode_ticks = timed("tick render and JSON", saved[1])
    snake_rules.step = timed("rules step", saved[2])
    bench.engine.handle = timed("intents (handle)", GameEngine.handle.__get__(bench.engine))
    bench.engine.flush = timed("flush", GameEngine.flush.__get__(bench.engine))
    total = 0.0
    try:
        for _ in range(iterations):
            _, pump_s, _ = bench.iteration()
            total += pump_s
    finally:
        snake_session.step_boards, board_render.encode_ticks, snake_rules.step = saved
        del bench.engine.handle, bench.engine.flush
    if spent["tick render and JSON"] == 0 or spent["boards step"] == 0:
        raise SystemExit("the breakdown timed no step or tick render: the loop calls other names now")
    # rules.step runs inside step_boards: the arrays' share is what remains of it.
    spent["boards step, arrays"] = spent.pop("boards step") - spent["rules step"]
    shares = {name: seconds / total for name, seconds in spent.items()}
    shares["other (heap, emit, dicts)"] = 1.0 - sum(shares.values())
    return {"iterations": iterations, "mean_ms": total / iterations * 1000, "shares": shares}


# ----------------------------------------------------------------------------------- parent


def machine_ticks() -> tuple[int, int]:
    """(all, idle) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return sum(values), values[3] + values[4]


BREAKDOWN_ORDER = [
    "intents (handle)",
    "boards step, arrays",
    "rules step",
    "tick render and JSON",
    "flush",
    "other (heap, emit, dicts)",
]
LABEL_HEADER = f"{'games':>6} {'gc':>14}"


def row_label(result: dict) -> str:
    return f"{result['games']:>6} {result['variant']:>14}"


def load_change(result: dict) -> str:
    return f"{result['load_before']:.2f}->{result['load_after']:.2f}"


def print_tables(results: list[dict], period_ms: float) -> None:
    print()
    print("Engine iteration (one pump() ticking every game), fake clock, counting broadcaster")
    header = (
        f"{LABEL_HEADER} {'iters':>5} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'per-game µs':>12} "
        f"{'budget used':>11} {'submit ms':>10} {'intents/it':>10} {'sends/it':>9} {'gen2 gc':>7} {'skipped':>7} {'load 1m':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        median = statistics.median(r["pump_ms"])
        print(
            f"{row_label(r)} {r['iterations']:>5} {median:>10.3f} {percentile(r['pump_ms'], 99):>8.3f} "
            f"{max(r['pump_ms']):>8.3f} {median * 1000 / r['games']:>12.1f} {median / period_ms:>10.1%} "
            f"{statistics.median(r['submit_ms']):>10.3f} {r['intents_per_iter']:>10.1f} {r['sends_per_iter']:>9.1f} "
            f"{r['gen2']:>7} {r['skipped_ticks']:>7} {load_change(r):>11}"
        )
    print(f"(budget used = median / tick period {period_ms:.0f} ms; submit ms = bot intent submission, outside the window;")
    print(" load 1m = the machine's 1-minute load average before -> after the run, os.getloadavg)")

    print()
    print("Workload")
    header = (
        f"{LABEL_HEADER} {'ticks done/expected':>20} {'respawns/game-tick':>18} {'turns/game-tick':>15} "
        f"{'mean live length':>16} {'tick JSON bytes':>15} {'machine busy':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{row_label(r)} {str(r['ticks']) + '/' + str(r['expected_ticks']):>20} {r['respawns_per_game_tick']:>18.3f} "
            f"{r['turns_per_game_tick']:>15.3f} {r['mean_length']:>16.1f} {r['tick_bytes']:>15.0f} "
            f"{r.get('machine_busy', float('nan')):>12.0%}"
        )
    cores = os.cpu_count() or 1
    print(
        f"(machine busy: all {cores} cores during the run; this benchmark alone is about {1 / cores:.0%}, "
        "the rest is other work)"
    )

    with_breakdown = [r for r in results if r["breakdown"]]
    if with_breakdown:
        print()
        print("Share of the iteration (separate instrumented pass; wrappers add ~1 µs per call)")
        header = f"{LABEL_HEADER} {'mean ms':>8} " + " ".join(f"{name:>{max(8, len(name))}}" for name in BREAKDOWN_ORDER)
        print(header)
        print("-" * len(header))
        for r in with_breakdown:
            b = r["breakdown"]
            cells = " ".join(f"{b['shares'].get(name, 0.0):>{max(8, len(name))}.1%}" for name in BREAKDOWN_ORDER)
            print(f"{row_label(r)} {b['mean_ms']:>8.3f} {cells}")
        print(
            "(the step and the tick render run inside advance(); 'boards step, arrays' moves the usual boards together,"
            " 'rules step' is the reference rules.step for the boards set aside)"
        )

    print()
    print(
        "Memory and garbage collection "
        "(each N in a fresh process; RSS: ru_maxrss after the run minus before the engine was built)"
    )
    header = (
        f"{LABEL_HEADER} {'peak RSS growth MiB':>20} {'KiB per game':>13} {'GC runs':>8} {'GC ms total':>11} "
        f"{'gen2 runs':>9} {'gen2 max ms':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{row_label(r)} {r['rss_growth_kib'] / 1024:>20.1f} {r['rss_growth_kib'] / r['games']:>13.1f} "
            f"{r['gc_collections']:>8} {r['gc_ms_total']:>11.1f} {r['gc_gen2_count']:>9} {r['gc_gen2_max_ms']:>11.1f}"
        )
    print("(GC columns: collections during the timed iterations, from gc.callbacks)")


def run_one(args, n: int, collector: str) -> dict | None:
    """One N and variant in a fresh child process; None if it failed."""
    command = [
        sys.executable, "-m", "bench.engine_tick", "--child", str(n),
        "--iterations", str(args.iterations), "--warmup", str(args.warmup),
        "--breakdown-iterations", str(args.breakdown_iterations),
        "--turn-prob", str(args.turn_prob), "--seed", str(args.seed),
        "--gc", collector, *(["--worker-heap"] if args.worker_heap else []),
    ]  # fmt: skip
    label = f"N={n} {collector}"
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    busy_before = machine_ticks()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print(f"{label}: gave up after {args.timeout:.0f} s", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"{label}: child failed ({done.returncode}):\n{done.stderr[-3000:]}", file=sys.stderr)
        return None
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    busy_after = machine_ticks()
    total = busy_after[0] - busy_before[0]
    result["machine_busy"] = 1 - (busy_after[1] - busy_before[1]) / total if total else float("nan")
    result["load_before"], result["load_after"] = load_before, os.getloadavg()[0]
    print(f"{label} done in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, nargs="+", default=[1, 10, 100, 1000], help="concurrent games per run")
    parser.add_argument("--iterations", type=int, default=300, help="timed iterations per N (>= 200 advised)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed iterations first")
    parser.add_argument("--breakdown-iterations", type=int, default=100, help="instrumented iterations (0: skip)")
    parser.add_argument(
        "--turn-prob", type=float, default=0.5, help="chance a live bot steers towards the nearest food on a tick"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--gc", nargs="+", choices=["tuned", "default"], default=["tuned"], help="collector settings to run")
    parser.add_argument("--worker-heap", action="store_true", help="load Django and the worker's modules first")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per N")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        args.gc = args.gc[0]
        print("RESULT " + json.dumps(run_child(args)))
        return 0

    print("load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), file=sys.stderr)
    results = []
    for n in args.games:
        for collector in args.gc:
            result = run_one(args, n, collector)
            if result is not None:
                results.append(result)
    print()
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    period_ms = 1000.0 / snake_rules.SnakeConfig().tick_hz
    if results:
        print_tables(results, period_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end tick delivery through the Procfile's real processes: Daphne + runworker + Redis +
PostgreSQL, played by bot clients over real websockets on 127.0.0.1.

What is measured
----------------
The stack is started the way tests/integration/test_procfile_stack.py's fixture does it
(`release`, one `worker`, --web `web` processes, a throwaway PostgreSQL database, a Redis
database that is FLUSHED first: --redis-url, default db 14 so it does not collide with the
integration tests' db 15). Then, for each N in --players (default 8 40 100 200):

1. N guests are made with POST /api/guest (spread over the web processes);
2. all N queue at once (or --seat-rate a second) on /ws/queue/?game=snake (at most --handshakes
   queue handshakes, and as many game handshakes, in flight; the server's matchmaker makes the
   tables), and each, on match_found, connects to
   /ws/game/<id>/?token=... and plays from its gameState on. Seating time: from the first queue
   handshake until the last player has its gameState (per player: from its queue handshake to
   its gameState). Players the server never seats within --seat-timeout s, and games that end
   before the window, are reported, never replaced or hidden;
3. every client runs a bot from then on (bench/steering.py): it steers on the freshest board it
   holds (the gameState with every tick applied), plans from where its head will be when a turn
   sent now takes effect (the client measures that delay: ticks from the tick a turn was decided
   on to the first tick showing it), keeps a margin from walls, bodies and other heads, never
   reverses, and steers clear of food so its snake stays short; now and then (--wander) it turns
   at random; at most one turn in flight, never a repeat. The aim is games that stay live
   through the window, with the turns a player would send;
4. once every client has seen a tick with countdown == 0, a window of --window seconds starts.
   For every tick received in it: latency = client receipt wall time (time.time() * 1000) minus
   the event's "ts" (server wall clock when the engine emitted it; same machine, same clock),
   and dropped ticks = gaps in the tick numbers of that client's game. Delivered ticks = ticks
   received by the players of the games live when the window opened, over 10 a second for each
   of them while its game lasted in the window. Games over before the window, and games ending
   in it, are reported with their reasons (and the snakes' deaths by cause), never hidden; so
   are version gaps the server left unhealed and fresh gameStates it healed gaps with.

Also reported per N: tick latency while players were being seated (before the window); the
share of direction messages that missed the very next tick; the client process's own CPU
(time.process_time over wall: a single asyncio loop, so near 100 % means the client is the
bottleneck) and its event-loop lag; CPU of the worker, each web process and redis-server over
the window (from /proc); the machine's busy share; the time each process's threads were
runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat: other work on the machine shows
there); and the engine's own heartbeat counters (late and skipped ticks) from GET /healthz.

Between two N the sockets are closed and the script waits for the games (now unsteered) to end.
With --py-spy PATH the worker (and with --profile-web each web process) is sampled by
`py-spy record --nonblocking` during the window of every N and the hottest frames are printed.

Run
---
    cd /work/main && .venv/bin/python -m bench.end_to_end
    .venv/bin/python -m bench.end_to_end --players 200 300 400 --web 2 --window 10
    .venv/bin/python -m bench.end_to_end --players 200 --py-spy /path/to/py-spy --profile-web
    .venv/bin/python -m bench.end_to_end --players 500 1000 --seat-rate 10 --py-spy .venv/bin/py-spy --profile-seating

Needs Redis and PostgreSQL on 127.0.0.1 (REDIS/POSTGRES as in tests/integration/harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import websockets
from websockets.asyncio.client import connect

from bench.steering import TurnDelay, choose_direction
from engine.games.snake.rules import apply_tick
from tests.integration.harness import POSTGRES_TEST_URL, Client, Stack, http_json, new_guest, procfile_stack

TICK_HZ = 10.0
# A turn not seen applied after this many ticks was refused or overridden: stop waiting for it.
PENDING_TURN_EXPIRY_TICKS = 12
PLAYERS_PER_GAME = 4
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Every bot connects from 127.0.0.1: lift the per-address limits that are meant for real clients.
ONE_ADDRESS_FOR_ALL_BOTS = {"GUEST_MINTS_PER_MINUTE": "1000000", "MAX_SOCKETS_PER_ADDRESS": "1000000"}


class StackFailed(Exception):
    pass


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# ------------------------------------------------------------------------------ /proc CPU


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields:
                children[int(fields[1])].append(int(entry))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def runqueue_wait_seconds(pids: list[int]) -> float:
    """Time the threads of `pids` spent runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


def machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values), idle


def python_pid(pid: int) -> int:
    """The Procfile lines run under `bash -c`; bash usually execs, else take its child."""
    for candidate in process_tree(pid):
        try:
            if "python" in Path(f"/proc/{candidate}/cmdline").read_bytes().split(b"\0")[0].decode():
                return candidate
        except OSError:
            continue
    return pid


# ------------------------------------------------------------------------------ the bot


@dataclass
class Window:
    start_ms: float = float("inf")
    end_ms: float = float("inf")

    def contains(self, now_ms: float) -> bool:
        return self.start_ms <= now_ms < self.end_ms


@dataclass
class Player:
    username: str
    token: str
    port: int
    rng: random.Random
    wander: float
    window: Window
    turn_delay: TurnDelay  # shared by every bot of the run
    game_id: str | None = None
    socket: object = None
    last_tick: int | None = None
    live: bool = False  # saw a tick after the countdown
    ended: bool = False
    ended_at_ms: float | None = None
    end_reason: str | None = None  # the gameEnd's (or final gameState's) reason
    closed_unexpectedly: bool = False
    errors: collections.Counter = field(default_factory=collections.Counter)
    latencies: list = field(default_factory=list)
    window_ticks: int = 0
    dropped: int = 0
    reordered: int = 0
    version_gaps: int = 0  # an event whose v is not the previous one's + 1: a gap left unhealed
    fresh_states: int = 0  # gameStates after the first: the server healed a gap with a new base
    ticks_skipped_by_fresh_state: int = 0
    sent: int = 0
    closing: bool = False
    synced: bool = False  # got the gameState that answers its connect
    queued_at: float | None = None  # time.monotonic() when its queue handshake started
    seated_s: float | None = None  # from then to its gameState
    # Seconds from queued_at to each step of seating: "queued" (the queue's answer), "matched"
    # (match_found), "connected" (game socket open); "gameState" is seated_s.
    steps: dict = field(default_factory=dict)
    seat_failure: str | None = None  # why it was never seated
    board: dict | None = None  # to steer from (follow_board)
    board_v: int | None = None
    pending_turn: tuple[str, int] | None = None  # (direction, tick it was decided on)
    turns_checked: int = 0
    turns_missed: int = 0  # not applied by the very next tick: client->engine slower than a tick
    window_turns_checked: int = 0
    window_turns_missed: int = 0
    turn_delays: list = field(default_factory=list)  # ticks from decision to the tick showing it
    window_turn_delays: list = field(default_factory=list)
    deaths: collections.Counter = field(default_factory=collections.Counter)
    window_deaths: collections.Counter = field(default_factory=collections.Counter)
    crash: str | None = None
    setup_latencies: list = field(default_factory=list)

    async def play(self) -> None:
        try:
            async for raw in self.socket:
                now_ms = time.time() * 1000
                message = json.loads(raw)
                kind = message.get("type")
                self.follow_board(message)
                if kind == "tick":
                    await self.on_tick(message, now_ms)
                elif kind == "gameState":
                    self.on_game_state(message, now_ms)
                elif kind == "gameEnd":
                    self.ended, self.ended_at_ms = True, now_ms
                    self.end_reason = message.get("reason")
                elif kind == "error":
                    self.errors[message.get("code")] += 1
        except websockets.ConnectionClosed:
            pass
        except Exception as error:  # a bot bug must show, not silently stop one client
            self.crash = f"{type(error).__name__}: {error}"
        finally:
            if not self.closing:
                self.closed_unexpectedly = True

    def on_game_state(self, state: dict, now_ms: float) -> None:
        if self.synced:
            self.fresh_states += 1
            if self.last_tick is not None and state.get("tick", 0) > self.last_tick:
                self.ticks_skipped_by_fresh_state += state["tick"] - self.last_tick
        elif self.queued_at is not None:
            self.seated_s = time.monotonic() - self.queued_at
        self.synced = True
        self.last_tick = state.get("tick")
        if state.get("status") != "started":
            self.ended, self.ended_at_ms = True, now_ms
            self.end_reason = (state.get("result") or {}).get("reason", state.get("status"))

    def follow_board(self, message: dict) -> None:
        """Ticks carry deltas: each applies to the board the event before it left. After a gap
        (which the server should heal with the missed events or a fresh gameState) there is no
        board until the next gameState."""
        kind, v = message.get("type"), message.get("v")
        if kind == "gameState":
            self.board, self.board_v = message, v
        elif isinstance(v, int) and self.board_v is not None and v > self.board_v:
            if v != self.board_v + 1:
                self.version_gaps += 1
                self.board = None
            elif kind == "tick" and self.board is not None:
                self.board = apply_tick(self.board, message)
            self.board_v = v

    async def on_tick(self, tick: dict, now_ms: float) -> None:
        number = tick["tick"]
        in_window = self.window.contains(now_ms)
        if now_ms < self.window.start_ms:
            self.setup_latencies.append(now_ms - tick["ts"])
        if in_window:
            self.count_window_tick(number, now_ms - tick["ts"])
        self.check_pending_turn(tick, in_window)
        for happening in tick.get("events", ()):
            if happening.get("kind") == "died" and happening.get("player") == self.username:
                self.deaths[happening.get("cause")] += 1
                if in_window:
                    self.window_deaths[happening.get("cause")] += 1
        if self.last_tick is None or number > self.last_tick:
            self.last_tick = number
        if tick.get("countdown", 0) == 0:
            self.live = True
        await self.steer(number)

    def count_window_tick(self, number: int, latency_ms: float) -> None:
        self.window_ticks += 1
        self.latencies.append(latency_ms)
        if self.last_tick is not None:
            if number > self.last_tick + 1:
                self.dropped += number - self.last_tick - 1
            elif number <= self.last_tick:
                self.reordered += 1

    def check_pending_turn(self, tick: dict, in_window: bool) -> None:
        """Whether the turn sent last shows in this tick: how late turns take effect."""
        if self.pending_turn is None:
            return
        direction, decided_on = self.pending_turn
        number = tick["tick"]
        me = next((p for p in tick["players"] if p["username"] == self.username), None)
        if me is None or not me["alive"]:
            self.pending_turn = None
            return
        applied = me["direction"] == direction
        if number == decided_on + 1:
            self.turns_checked += 1
            self.turns_missed += not applied
            if in_window:
                self.window_turns_checked += 1
                self.window_turns_missed += not applied
        if applied:
            self.turn_delay.observe(number - decided_on)
            self.turn_delays.append(number - decided_on)
            if in_window:
                self.window_turn_delays.append(number - decided_on)
            self.pending_turn = None
        elif number - decided_on > PENDING_TURN_EXPIRY_TICKS:
            self.pending_turn = None

    async def steer(self, number: int) -> None:
        """Decides on the freshest board only (a frame already waiting means this one is stale),
        and not while its last turn has yet to show: the choice allowed for that delay."""
        if self.board is None or self.pending_turn is not None or self.ended or self.frames_waiting():
            return
        choice = choose_direction(self.board, self.username, self.turn_delay.lead, self.rng, self.wander)
        if choice is None:
            return
        self.pending_turn = (choice, number)
        self.sent += 1
        await self.socket.send(json.dumps({"type": "direction", "direction": choice}))

    def frames_waiting(self) -> int:
        assembler = getattr(self.socket, "recv_messages", None)
        return len(getattr(assembler, "frames", ()))


# ------------------------------------------------------------------------------ one N


def tally_players(result: Result, players: list[Player], games: dict[str, list[Player]], window: Window) -> None:
    """Adds up the players' figures. Delivery counts the players of games still live when the
    window opened, each over the part of the window its game lasted; games over before it are
    reported apart, with their reasons."""
    for p in players:
        result.latencies.extend(p.latencies)
        result.dropped += p.dropped
        result.reordered += p.reordered
        result.version_gaps += p.version_gaps
        result.fresh_states += p.fresh_states
        result.ticks_skipped_by_fresh_state += p.ticks_skipped_by_fresh_state
        result.sent += p.sent
        result.errors.update(p.errors)
        result.closed += p.closed_unexpectedly
        result.deaths.update(p.deaths)
        result.window_deaths.update(p.window_deaths)
        result.turn_delays.extend(p.turn_delays)
        result.window_turn_delays.extend(p.window_turn_delays)
        result.never_synced += p.socket is not None and not p.synced
        result.turns = tuple(
            a + b
            for a, b in zip(
                result.turns,
                (p.turns_checked, p.turns_missed, p.window_turns_checked, p.window_turns_missed),
                strict=True,
            )
        )
        if p.crash:
            result.crashes.append(p.crash)
    for matched in games.values():
        seated = [p for p in matched if p.synced]  # a player whose game socket never opened is unseated
        if not seated:
            continue
        ends = [p.ended_at_ms for p in seated if p.ended_at_ms is not None]
        ended_at = min(ends, default=float("inf"))
        reason = next((p.end_reason for p in seated if p.end_reason), "?")
        if ended_at < window.start_ms:
            result.end_reasons_before[reason] += 1
            continue
        result.live_games += 1
        if ended_at < window.end_ms:
            result.end_reasons_during[reason] += 1
        live_s = (min(ended_at, window.end_ms) - window.start_ms) / 1000
        result.expected_ticks += len(seated) * live_s * TICK_HZ
        result.ticks += sum(p.window_ticks for p in seated)
    result.ended_before = sum(result.end_reasons_before.values())
    result.ended_during = sum(result.end_reasons_during.values())


@dataclass
class Result:
    players: int
    games: int = 0
    game_sizes: collections.Counter = field(default_factory=collections.Counter)
    window_s: float = 0.0
    ticks: int = 0
    latencies: list = field(default_factory=list)
    dropped: int = 0
    reordered: int = 0
    ended_before: int = 0
    ended_during: int = 0
    closed: int = 0
    errors: collections.Counter = field(default_factory=collections.Counter)
    sent: int = 0
    setup_s: float = 0.0
    client_cpu: float = 0.0
    loop_lag_ms: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    runqueue: dict = field(default_factory=dict)
    machine_busy: float = 0.0
    engine: dict = field(default_factory=dict)
    engine_link: dict = field(default_factory=dict)  # web1 -> the workers' inbox streams, over the window
    note: str = ""
    profiles: dict = field(default_factory=dict)
    deaths: collections.Counter = field(default_factory=collections.Counter)
    crashes: list = field(default_factory=list)
    never_synced: int = 0
    guests_s: float = 0.0
    seating_s: float = 0.0  # first queue handshake to the last player's gameState
    seated_s: list = field(default_factory=list)  # per player: queue handshake to gameState
    seat_failures: collections.Counter = field(default_factory=collections.Counter)
    seat_steps: dict = field(default_factory=dict)  # step -> per player seconds since its queue handshake began
    setup_cpu: dict = field(default_factory=dict)
    setup_latencies: list = field(default_factory=list)
    turns: tuple = (0, 0, 0, 0)  # checked, missed (all), checked, missed (window)
    turn_delays: list = field(default_factory=list)  # ticks from decision to the tick showing it
    window_turn_delays: list = field(default_factory=list)
    window_deaths: collections.Counter = field(default_factory=collections.Counter)
    expected_ticks: float = 0.0  # 10 per second of each live game's players over the window
    live_games: int = 0  # games not over when the window opened
    end_reasons_before: collections.Counter = field(default_factory=collections.Counter)
    end_reasons_during: collections.Counter = field(default_factory=collections.Counter)
    version_gaps: int = 0
    fresh_states: int = 0
    ticks_skipped_by_fresh_state: int = 0
    baseline_busy: float = float("nan")
    load: tuple = (float("nan"), float("nan"))  # 1-minute load average as the window opens and closes


class Run:
    def __init__(self, stack: Stack, args, redis_pid: int | None) -> None:
        self.stack = stack
        self.args = args
        self.redis_pid = redis_pid

    def check_stack(self) -> None:
        for process in self.stack.processes:
            if process.popen.poll() is not None:
                raise StackFailed(f"{process.name} exited with {process.popen.returncode}")

    async def healthz(self) -> dict:
        try:
            _, body = await asyncio.to_thread(http_json, self.stack.http() + "/healthz")
        except (OSError, ValueError):
            return {}
        return body if isinstance(body, dict) else {}

    async def engine_stats(self) -> dict:
        return (await self.healthz()).get("engine", {})

    async def engine_link_stats(self) -> dict:
        """The answering web process's figures of its messages to the workers' inbox streams."""
        return (await self.healthz()).get("engine_link", {})

    async def make_guests(self, n: int) -> list[tuple[str, str, int]]:
        ports = self.stack.ports
        semaphore = asyncio.Semaphore(8)

        async def one(i: int):
            port = ports[i % len(ports)]
            async with semaphore:
                username, token = await asyncio.to_thread(new_guest, self.stack, port)
            return username, token, port

        return await asyncio.gather(*(one(i) for i in range(n)))

    async def seat(self, player: Player, handshakes: dict[str, asyncio.Semaphore]) -> None:
        """Queues one player; on match_found opens its game socket and starts its bot. A player
        the server does not seat gets a `seat_failure` instead of stopping the run."""
        player.queued_at = time.monotonic()
        try:
            async with handshakes["queue"]:
                # No keepalive pings: the server closes a queue socket on match, and a ping crossing
                # that close only logs a traceback.
                queue = await Client.open(
                    self.stack.ws(f"/ws/queue/?game=snake&token={player.token}", player.port), proxy=None, ping_interval=None
                )
                await queue.receive_until(lambda m: m["type"] in ("queued", "error"), timeout=self.args.seat_timeout)
                player.steps["queued"] = time.monotonic() - player.queued_at
            try:
                found = await queue.receive_until(lambda m: m["type"] in ("match_found", "error"), timeout=self.args.seat_timeout)
            finally:
                await queue.close()
            if found["type"] != "match_found":
                player.seat_failure = f"queue answered {found}"
                return
            player.game_id = found["game_id"]
            player.steps["matched"] = time.monotonic() - player.queued_at
            async with handshakes["game"]:
                player.socket = await connect(
                    self.stack.ws(f"/ws/game/{player.game_id}/?token={player.token}", player.port),
                    open_timeout=self.args.seat_timeout,
                    max_size=2**22,
                    proxy=None,
                )
            player.steps["connected"] = time.monotonic() - player.queued_at
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            player.seat_failure = f"{type(error).__name__}: {error}"

    async def seat_all(self, players: list[Player], tasks: dict) -> None:
        """Seats every player at once (or --seat-rate a second), as fast as the server matches and admits them, and waits
        until each seated player has its gameState (or --seat-timeout s have passed)."""
        # Queue and game handshakes are limited apart: a matched player connects to its game at
        # once, as a browser does, rather than behind other players' queue handshakes (its game
        # waits only seating_seconds for it).
        handshakes = {"queue": asyncio.Semaphore(self.args.handshakes), "game": asyncio.Semaphore(self.args.handshakes)}

        async def one(i: int, player: Player) -> None:
            if self.args.seat_rate:
                await asyncio.sleep(i / self.args.seat_rate)
            await self.seat(player, handshakes)
            if player.socket is not None:
                tasks[player.username] = asyncio.ensure_future(player.play())

        seating = asyncio.gather(*(one(i, p) for i, p in enumerate(players)))
        while not seating.done():
            self.check_stack()
            await asyncio.wait([seating], timeout=0.5)
        await seating
        deadline = time.monotonic() + self.args.seat_timeout
        while not all(p.synced or p.ended or p.socket is None for p in players) and time.monotonic() < deadline:
            self.check_stack()
            await asyncio.sleep(0.05)

    async def run(self, n: int) -> Result:
        args = self.args
        result = Result(players=n)
        window = Window()
        self.check_stack()
        # How busy the machine is before any of this N's load (other work on the box shows here).
        before = machine_ticks()
        await asyncio.sleep(1.0)
        after = machine_ticks()
        if after[0] > before[0]:
            result.baseline_busy = 1 - (after[1] - before[1]) / (after[0] - before[0])
        setup_started = time.monotonic()
        engine_at_setup = await self.engine_stats()
        guests = await self.make_guests(n)
        turn_delay = TurnDelay()
        players = [
            Player(
                username=u,
                token=t,
                port=p,
                rng=random.Random(args.seed * 100_003 + i),
                wander=args.wander,
                window=window,
                turn_delay=turn_delay,
            )
            for i, (u, t, p) in enumerate(guests)
        ]
        tasks: dict[str, asyncio.Task] = {}
        procs = {"worker": python_pid(next(p for p in self.stack.processes if p.name == "worker").popen.pid)}
        for i, process in enumerate(q for q in self.stack.processes if q.name.startswith("web-")):
            procs[f"web{i + 1}"] = python_pid(process.popen.pid)
        trees = {name: process_tree(pid) for name, pid in procs.items()}
        if self.redis_pid:
            trees["redis"] = [self.redis_pid]
        trees["client"] = [os.getpid()]
        try:
            result.guests_s = time.monotonic() - setup_started
            setup_cpu_before = {name: cpu_seconds(pids) for name, pids in trees.items()}
            seating_started = time.monotonic()
            seating_profilers = (
                await self.start_profilers(procs, f"{n}-seating", args.timeout_per_n) if args.profile_seating else {}
            )
            await self.seat_all(players, tasks)
            if seating_profilers:
                profiles = await self.finish_profilers(seating_profilers, interrupt=True)
                result.profiles.update({f"{name} while seating": summary for name, summary in profiles.items()})
            arrivals = [p.queued_at + p.seated_s for p in players if p.seated_s is not None]
            result.seating_s = max(arrivals, default=seating_started) - seating_started
            result.seated_s = [p.seated_s for p in players if p.seated_s is not None]
            for step in ("queued", "matched", "connected"):
                result.seat_steps[step] = [p.steps[step] for p in players if step in p.steps]
            result.seat_failures = collections.Counter(p.seat_failure for p in players if p.seat_failure)
            await self.wait_until_live(players, result)
            setup_wall = time.monotonic() - setup_started - result.guests_s
            result.setup_cpu = {
                name: (cpu_seconds(pids) - setup_cpu_before[name]) / setup_wall
                for name, pids in trees.items()
                if name != "redis"
            }
            games: dict[str, list[Player]] = collections.defaultdict(list)
            for p in players:
                if p.game_id is not None:
                    games[p.game_id].append(p)
            result.games = len(games)
            result.game_sizes = collections.Counter(len(v) for v in games.values())
            result.setup_s = time.monotonic() - setup_started
            result.setup_latencies = [lat for p in players for lat in p.setup_latencies]

            # The window.
            lag: list[float] = []
            stop_lag = asyncio.Event()

            async def lag_probe():
                while not stop_lag.is_set():
                    t = time.perf_counter()
                    await asyncio.sleep(0.01)
                    lag.append((time.perf_counter() - t - 0.01) * 1000)

            profilers = await self.start_profilers(procs, str(n), args.window) if args.py_spy else {}
            engine_before = await self.engine_stats()
            link_before = await self.engine_link_stats()
            cpu_before = {name: cpu_seconds(pids) for name, pids in trees.items()}
            wait_before = {name: runqueue_wait_seconds(pids) for name, pids in trees.items()}
            machine_before = machine_ticks()
            client_cpu_before = time.process_time()
            probe = asyncio.ensure_future(lag_probe())
            wall_before = time.monotonic()
            window.start_ms = time.time() * 1000
            load_at_start = os.getloadavg()[0]
            window.end_ms = window.start_ms + args.window * 1000
            while time.time() * 1000 < window.end_ms:
                await asyncio.sleep(min(0.5, max(0.0, window.end_ms / 1000 - time.time())))
                self.check_stack()
            wall = time.monotonic() - wall_before
            result.load = (load_at_start, os.getloadavg()[0])
            result.client_cpu = (time.process_time() - client_cpu_before) / wall
            machine_after = machine_ticks()
            result.cpu = {
                name: (cpu_seconds(pids) - cpu_before[name]) / wall for name, pids in trees.items() if name != "client"
            }
            result.runqueue = {name: (runqueue_wait_seconds(pids) - wait_before[name]) / wall for name, pids in trees.items()}
            total = machine_after[0] - machine_before[0]
            result.machine_busy = 1 - (machine_after[1] - machine_before[1]) / total if total else float("nan")
            engine_after = await self.engine_stats()
            link_after = await self.engine_link_stats()
            stop_lag.set()
            await probe
            result.loop_lag_ms = lag
            result.window_s = args.window
            result.engine_link = {k: v - link_before[k] for k, v in link_after.items() if isinstance(link_before.get(k), int)}
            for key in ("ticks", "late_ticks", "skipped_ticks", "dropped_intents", "dropped_messages"):
                if key in engine_after and key in engine_before:
                    result.engine[key] = engine_after[key] - engine_before[key]
            for key in ("late_ticks", "skipped_ticks"):
                if key in engine_before and key in engine_at_setup:
                    result.engine[f"setup_{key}"] = engine_before[key] - engine_at_setup[key]
            for key in ("max_lateness_ms", "last_iteration_ms", "games"):
                if key in engine_after:
                    result.engine[key] = engine_after[key]
            if "max_lateness_ms" in engine_at_setup and "max_lateness_ms" in engine_before:
                result.engine["max_lateness_ms_changed_in"] = (
                    "window" if engine_after.get("max_lateness_ms") != engine_before["max_lateness_ms"]
                    else "setup" if engine_before["max_lateness_ms"] != engine_at_setup["max_lateness_ms"]
                    else "earlier"
                )
            tally_players(result, players, games, window)
            if profilers:
                result.profiles.update(await self.finish_profilers(profilers))
        finally:
            await self.close_players(players, tasks)
        await self.wait_for_games_to_end()
        return result

    async def wait_until_live(self, players: list[Player], result: Result) -> None:
        """Until every game is past its countdown (or over); players never seated have no game."""
        deadline = time.monotonic() + 30
        while not all(p.live or p.ended or p.socket is None for p in players):
            if time.monotonic() > deadline:
                waiting = sum(1 for p in players if not (p.live or p.ended or p.socket is None))
                result.note += f"{waiting} client(s) never saw countdown 0 (window opened anyway); "
                return
            self.check_stack()
            await asyncio.sleep(0.05)

    async def close_players(self, players: list[Player], tasks: dict) -> None:
        for p in players:
            p.closing = True
        # In slices: each disconnect makes the web process do Redis calls (group_discard, presence),
        # and hundreds at once exceed channels-redis' connection pool (MaxConnectionsError).
        open_sockets = [p.socket for p in players if p.socket is not None]
        for start in range(0, len(open_sockets), 25):
            await asyncio.gather(*(s.close() for s in open_sockets[start : start + 25]), return_exceptions=True)
            await asyncio.sleep(0.2)
        mine = [tasks.pop(p.username) for p in players if p.username in tasks]
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)

    async def wait_for_games_to_end(self) -> None:
        deadline = time.monotonic() + self.args.settle
        while time.monotonic() < deadline:
            status, body = await asyncio.to_thread(http_json, self.stack.http() + "/api/games/")
            if status == 200 and not [g for g in body.get("games", []) if g.get("mode") != "arena"]:
                return
            await asyncio.sleep(0.5)
        print(f"  (games still live after {self.args.settle:.0f} s; going on)", flush=True)

    # -- py-spy -------------------------------------------------------------------------------

    async def start_profilers(self, procs: dict[str, int], label: str, seconds: float) -> dict:
        """py-spy on the worker (and with --profile-web each web process) for `seconds`, or until
        finish_profilers(..., interrupt=True) stops it."""
        profilers = {}
        for name, pid in procs.items():
            if name.startswith("web") and not self.args.profile_web:
                continue
            out = self.stack.workdir / f"pyspy-{name}-{label}.txt"
            command = [
                self.args.py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                "--rate", "100", "--nonblocking", "--threads", "--format", "raw", "--output", str(out),
            ] + (["--idle"] if self.args.profile_idle else [])  # fmt: skip
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            profilers[name] = (process, out, time.monotonic())
        return profilers

    async def finish_profilers(self, profilers: dict, interrupt: bool = False) -> dict:
        summaries = {}
        for name, (process, out, started) in profilers.items():
            if interrupt and process.returncode is None:
                process.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
            try:
                _, stderr = await asyncio.wait_for(process.communicate(), timeout=self.args.window + 30)
            except TimeoutError:
                process.kill()
                await process.wait()
                summaries[name] = "py-spy did not finish"
                continue
            if not out.exists():
                summaries[name] = f"py-spy failed: {stderr.decode(errors='replace')[-500:]}"
                continue
            seconds = min(time.monotonic() - started, self.args.window) if not interrupt else time.monotonic() - started
            summaries[name] = summarize_profile(out.read_text(), self.args.profile_top, seconds)
        return summaries


def _frame_key(frame: str) -> str:
    # "send (channels_redis/core.py:212)" -> "send (channels_redis/core.py)"
    if frame.endswith(")") and "(" in frame:
        name, _, where = frame.rpartition(" (")
        file = where[:-1].rsplit(":", 1)[0]
        parts = file.split("/")
        for anchor in ("site-packages", "lib", "main"):
            if anchor in parts:
                parts = parts[len(parts) - parts[::-1].index(anchor) :]
                break
        return f"{name} ({'/'.join(parts[-3:])})"
    return frame


def summarize_profile(raw: str, top: int, seconds: float, rate: int = 100) -> str:
    inclusive: collections.Counter = collections.Counter()
    exclusive: collections.Counter = collections.Counter()
    threads: collections.Counter = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        count = int(count)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        keys = [_frame_key(f) for f in frames[1:]]
        for key in set(keys):
            inclusive[key] += count
        if keys:
            exclusive[keys[-1]] += count
    if not total:
        return "no samples (process idle?)"
    lines = [
        f"{total} samples of running Python ({rate} Hz for {seconds:.0f} s, idle threads not sampled);"
        " shares below are of those samples",
        "threads (share of samples, and of one core's wall time):",
    ]
    lines += [f"  {c / total:6.1%}  {c / (rate * seconds):6.1%} of wall  {t}" for t, c in threads.most_common(6)]
    lines.append(f"top {top} inclusive:")
    lines += [f"  {c / total:6.1%}  {k}" for k, c in inclusive.most_common(top)]
    lines.append(f"top {top} self:")
    lines += [f"  {c / total:6.1%}  {k}" for k, c in exclusive.most_common(top)]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ output


def delivered_share(r: Result) -> float:
    return r.ticks / r.expected_ticks if r.expected_ticks else float("nan")


def print_result(r: Result) -> None:
    lat = r.latencies
    sizes = ", ".join(f"{count}x{size}" for size, count in sorted(r.game_sizes.items()))
    print(
        f"\nN={r.players}: {r.games} games ({sizes} players), setup {r.setup_s:.1f} s (guests {r.guests_s:.1f} s), "
        f"window {r.window_s:.0f} s"
    )
    print(
        f"  delivered {r.ticks} of {r.expected_ticks:.0f} expected ticks ({delivered_share(r):.2%}) to the players of "
        f"the {r.live_games} games live when the window opened; latency p50 {percentile(lat, 50):.1f} "
        f"p99 {percentile(lat, 99):.1f} max {max(lat, default=float('nan')):.1f} ms; dropped {r.dropped}; "
        f"version gaps left unhealed {r.version_gaps}; fresh gameStates {r.fresh_states} "
        f"({r.ticks_skipped_by_fresh_state} ticks skipped)"
    )
    print(
        f"  games ended before the window {r.ended_before} {dict(r.end_reasons_before)}, during it {r.ended_during} "
        f"{dict(r.end_reasons_during)}; snake deaths by cause since connect {dict(r.deaths)}, "
        f"in the window {dict(r.window_deaths)}"
    )
    for label, delays in (("since connect", r.turn_delays), ("in the window", r.window_turn_delays)):
        if delays:
            print(
                f"  turns, ticks from the tick decided on to the tick showing them ({label}): p50 "
                f"{percentile(delays, 50):.0f} p90 {percentile(delays, 90):.0f} p99 {percentile(delays, 99):.0f} "
                f"max {max(delays)} over {len(delays)} turns"
            )
    if r.setup_latencies:
        sl = r.setup_latencies
        setup_cpu = "  ".join(f"{name} {share:.0%}" for name, share in r.setup_cpu.items())
        print(
            f"  while seating players: tick latency p50 {percentile(sl, 50):.1f} p99 {percentile(sl, 99):.1f} "
            f"max {max(sl):.1f} ms; CPU {setup_cpu}"
        )
    seated = r.seated_s
    print(
        f"  seating: {len(seated)} of {r.players} players seated in {r.seating_s:.1f} s (per player, queue handshake to "
        f"gameState: p50 {percentile(seated, 50):.1f} p99 {percentile(seated, 99):.1f} "
        f"max {max(seated, default=float('nan')):.1f} s); "
        f"never seated {r.players - len(seated)}" + (f" {dict(r.seat_failures.most_common(3))}" if r.seat_failures else "")
    )
    print(
        "  seating steps, seconds after the queue handshake began (p50/p99): "
        + ", ".join(f"{step} {percentile(v, 50):.2f}/{percentile(v, 99):.2f}" for step, v in r.seat_steps.items())
        + f", gameState {percentile(seated, 50):.2f}/{percentile(seated, 99):.2f}"
    )
    cpu = "  ".join(f"{name} {share:.0%}" for name, share in r.cpu.items())
    print(
        f"  machine busy before setup {r.baseline_busy:.0%}; CPU (of one core): client {r.client_cpu:.0%}  {cpu}; "
        f"machine busy {r.machine_busy:.0%} of {os.cpu_count()} cores; "
        f"client loop lag p99 {percentile(r.loop_lag_ms, 99):.1f} ms max {max(r.loop_lag_ms, default=0):.1f} ms"
    )
    if r.runqueue:
        print(
            "  runnable but waiting for a CPU (ms per s, all threads): "
            + "  ".join(f"{name} {share * 1000:.0f}" for name, share in r.runqueue.items())
        )
    if r.engine:
        print(
            "  engine heartbeat over the window: "
            + ", ".join(f"{k} {round(v, 2) if isinstance(v, float) else v}" for k, v in r.engine.items())
        )
    if r.engine_link.get("round_trips"):
        link = r.engine_link
        print(
            f"  web process answering /healthz -> engine over the window: {link.get('sent')} messages in "
            f"{link['round_trips']} round trips ({link.get('sent', 0) / link['round_trips']:.2f} a round trip), "
            f"lost {link.get('lost')}, via the channel {link.get('via_channel')}"
        )
    extra = []
    if r.reordered:
        extra.append(f"{r.reordered} tick(s) out of order/duplicated")
    if r.closed:
        extra.append(f"{r.closed} socket(s) closed by the server")
    if r.errors:
        extra.append(f"errors {dict(r.errors)}")
    extra.append(f"{r.sent} direction messages sent since connect")
    checked, missed, w_checked, w_missed = r.turns
    if checked:
        extra.append(
            f"turns that missed the next tick: {missed}/{checked} since connect, {w_missed}/{w_checked} in the window"
        )
    if r.never_synced:
        extra.append(f"{r.never_synced} client(s) never got their gameState (engine sync lost?)")
    if r.crashes:
        extra.append(f"{len(r.crashes)} bot crash(es), first: {r.crashes[0]}")
    if r.client_cpu > 0.8:
        extra.append("CLIENT-BOUND: the client process used >80% of a core, latencies include its queueing")
    if r.note:
        extra.append(r.note.strip())
    print("  " + "; ".join(extra))
    for name, summary in r.profiles.items():
        print(f"  py-spy {name}:")
        print("    " + summary.replace("\n", "\n    "))


def print_table(results: list[Result], web: int) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nEnd to end, {web} web process(es), 1 worker, 10 Hz Snake, 4 players per game; load average now {load}")
    header = (
        f"{'players':>7} {'games':>5} {'live':>5} {'delivered':>9} {'recv t/s':>8} {'exp t/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'gaps':>4} {'ended b/d':>9} {'seating s':>9} {'unseated':>8} {'seat p99':>8} "
        f"{'turn p90':>8} {'client CPU':>10} {'worker CPU':>10} {'web CPU':>11} {'redis CPU':>9} {'busy':>5} "
        f"{'late ticks':>10} {'load avg':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        webs = "/".join(f"{v:.0%}" for k, v in r.cpu.items() if k.startswith("web"))
        print(
            f"{r.players:>7} {r.games:>5} {r.live_games:>5} {delivered_share(r):>9.2%} "
            f"{r.ticks / r.window_s if r.window_s else 0:>8.0f} {r.expected_ticks / r.window_s if r.window_s else 0:>7.0f} "
            f"{percentile(r.latencies, 50):>7.1f} {percentile(r.latencies, 99):>7.1f} "
            f"{max(r.latencies, default=float('nan')):>7.1f} {r.dropped + r.version_gaps:>4} "
            f"{f'{r.ended_before}/{r.ended_during}':>9} "
            f"{r.seating_s:>9.1f} {r.players - len(r.seated_s):>8} {percentile(r.setup_latencies, 99):>8.0f} "
            f"{percentile(r.window_turn_delays, 90):>8.0f} "
            f"{r.client_cpu:>10.0%} {r.cpu.get('worker', float('nan')):>10.0%} {webs:>11} "
            f"{r.cpu.get('redis', float('nan')):>9.0%} "
            f"{r.machine_busy:>5.0%} {r.engine.get('late_ticks', '?'):>10} {r.load[0]:>5.2f};{r.load[1]:>5.2f}"
        )
    print("(live: games not over when the window opened; delivered: ticks received by their players over expected,")
    print(" 10 a second while each game lasted in the window; recv/exp t/s: the same per second;")
    print(" gaps: ticks dropped plus version gaps, none healed; ended b/d: games over before / during the window;")
    print(" seating s: first queue handshake to the last player's gameState; unseated: players never seated;")
    print(" seat p99: tick latency while players were being seated, before the window;")
    print(" turn p90: ticks from the tick a turn was decided on to the tick showing it, in the window;")
    print(" CPU: share of one core over the window; busy: whole machine;")
    print(" late ticks: engine iterations that ran a full period late, from its heartbeat;")
    print(" load avg: 1-minute load average as the window opened; as it closed)")


# ------------------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, nargs="+", default=[8, 40, 100, 200], help="players per run (multiples of 4)")
    parser.add_argument("--web", type=int, default=1, help="web (Daphne) processes")
    parser.add_argument("--window", type=float, default=10.0, help="measured seconds per N")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="Redis database to use (it is FLUSHED)",
    )
    parser.add_argument("--wander", type=float, default=0.03, help="chance per tick that a bot turns at random")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--handshakes", type=int, default=50, help="queue (and game) handshakes in flight while seating")
    parser.add_argument(
        "--seat-rate",
        type=float,
        default=0.0,
        help="players per second starting to queue (default 0: all at once); a slower pace keeps the seating load"
        " from delaying the turns of the games already running",
    )
    parser.add_argument("--seat-timeout", type=float, default=60.0, help="longest wait for a match, a handshake, a gameState")
    parser.add_argument("--timeout-per-n", type=float, default=300.0, help="seconds allowed per N, setup included")
    parser.add_argument("--settle", type=float, default=40.0, help="max seconds to wait for games to end between N")
    parser.add_argument("--py-spy", default=None, help="path to py-spy: sample the worker during each window")
    parser.add_argument("--profile-web", action="store_true", help="with --py-spy, sample the web process(es) too")
    parser.add_argument(
        "--profile-seating", action="store_true", help="with --py-spy, sample while players are being seated too"
    )
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument("--profile-idle", action="store_true", help="with --py-spy, sample idle threads too (--idle)")
    parser.add_argument("--log-level", default="INFO", help="LOG_LEVEL of the stack's processes")
    parser.add_argument("--keep-logs", default=None, help="copy the processes' logs (and py-spy output) to this folder")
    args = parser.parse_args()
    if any(n <= 0 or n % PLAYERS_PER_GAME for n in args.players):
        parser.error("--players must be positive multiples of 4")

    print(f"Redis {args.redis_url} (flushed), PostgreSQL {POSTGRES_TEST_URL.rsplit('/', 1)[0]}/<throwaway>", flush=True)
    redis_pid = redis.Redis.from_url(args.redis_url).info("server").get("process_id")
    results: list[Result] = []
    failed = None
    with procfile_stack(
        redis_url=args.redis_url, web_processes=args.web, LOG_LEVEL=args.log_level, **ONE_ADDRESS_FOR_ALL_BOTS
    ) as stack:
        try:
            run = Run(stack, args, redis_pid)
            for n in args.players:
                print(f"-- N={n}", flush=True)
                try:
                    result = asyncio.run(asyncio.wait_for(run.run(n), timeout=args.timeout_per_n))
                except TimeoutError:
                    failed = f"N={n} did not finish within {args.timeout_per_n:.0f} s"
                    break
                except StackFailed as error:
                    failed = f"N={n}: the stack failed: {error}"
                    break
                except (OSError, websockets.InvalidHandshake, AssertionError) as error:
                    failed = f"N={n}: {type(error).__name__}: {error}"
                    break
                results.append(result)
                print_result(result)
                sys.stdout.flush()
        finally:
            if failed:
                print(f"\nSTOPPED EARLY: {failed}")
                print(stack.logs()[-6000:])
            if args.keep_logs:
                target = Path(args.keep_logs)
                target.mkdir(parents=True, exist_ok=True)
                for item in stack.workdir.iterdir():
                    if item.is_file():
                        shutil.copy(item, target / item.name)
                print(f"logs copied to {target}")
    if results:
        print_table(results, args.web)
    return 0


if __name__ == "__main__":
    sys.exit(main())

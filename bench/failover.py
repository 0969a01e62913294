"""Failover: how long a dead or stopped engine worker's chess games stand still, and whether any
acknowledged move is lost, through the Procfile's real processes.

What is measured
----------------
For each variant in --variants (default kill term), a fresh stack (tests/integration/harness.py's
`procfile_stack`: release, --workers workers with a lease of --lease-ms, one web process, a
throwaway PostgreSQL database, the Redis database of --redis-url FLUSHED first). --games chess
games are seated through the queue (bench/chess_seating.py); in each, two scripted players
alternate random legal moves, the side to move sending its next move --think seconds after its
previous move was **acknowledged**: received by the opponent (its move event, or a fresh
gameState that holds it).

After --before seconds of play, the worker owning the most games (owners read from Redis,
`kogame:owner:<game id>`) gets SIGKILL (`kill`: the lease's remaining time, PTTL of
`kogame:worker:<id>`, is read just before) or SIGTERM (`term`: a rolling deploy). Play goes on
for --after seconds, then every player stops and waits for its last move's fate. Figures:
- per game of the victim, the time from the signal to the first move acknowledged by its new
  owner (an event whose `v` carries the adopter's version jump, 1,000,000 and up): median and
  max, and for a kill the same counted from the lease's expiry (a game that was in its --think
  pause at the handover adds up to that pause);
- the longest acknowledgement of any move of the other games over the same time (they should
  not notice);
- acknowledged moves lost: acknowledged moves that GET /api/games/<id> does not hold at their
  ply; extra moves: saved moves nobody acknowledged (a move applied twice would be one);
- moves never acknowledged within --lease-ms + 15 s: the mover then reads the saved moves and
  sends the move again if it is not there (taken by the dead worker before it was applied);
- duplicate events: a `v`, or a move's ply, that a socket received twice;
- for SIGTERM, how long the worker took to exit and its exit code.
The machine's 1-minute load average is printed before seating and after the run.

Run
---
    .venv/bin/python -m bench.failover
    .venv/bin/python -m bench.failover --workers 3 --games 60 --variants kill --lease-ms 3000

Needs Redis and PostgreSQL on 127.0.0.1 (as tests/integration/harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import math
import random
import signal
import statistics
import time
from dataclasses import dataclass, field

import chess
import redis

from bench.chess_seating import ONE_ADDRESS_FOR_ALL_BOTS, SeatedGame, load_average, seat_games, start_workers
from bench.end_to_end import python_pid
from engine.cluster.keys import lease_key, owner_key, text
from tests.integration.harness import Client, Process, Stack, http_json, procfile_stack

REDIS_BENCH_URL = "redis://127.0.0.1:6379/4"
# An adopted chess game's versions jump by this much (docs/protocol.md, Restarts).
RESUME_VERSION_GAP = 1_000_000
# A dead worker's inbox is followed this long by its adopters (engine/cluster/dead_inboxes.py),
# so a move sent to it may be applied that late.
DEAD_INBOX_SECONDS = 10
POLL_SECONDS = 0.005


@dataclass
class Ack:
    at: float  # perf_counter
    sent_at: float
    v: int


@dataclass
class Watched:
    """One socket's messages, read as they come, and what it received twice."""

    client: Client
    messages: list[dict] = field(default_factory=list)
    duplicate_events: int = 0
    _versions: set[int] = field(default_factory=set)
    _plies: set[int] = field(default_factory=set)

    async def read(self) -> None:
        try:
            while True:
                message = await self.client.receive(timeout=3600)
                self.messages.append(message)
                v = message.get("v")
                if message["type"] == "gameState":
                    continue
                if isinstance(v, int):
                    self.duplicate_events += v in self._versions
                    self._versions.add(v)
                if message["type"] == "move":
                    self.duplicate_events += message["ply"] in self._plies
                    self._plies.add(message["ply"])
        except Exception:
            return  # closed


@dataclass
class PlayedGame:
    game: SeatedGame
    think: float
    rng: random.Random
    ack_timeout: float
    stack: Stack
    stop_at: float = math.inf
    acks: dict[int, Ack] = field(default_factory=dict)
    moves: list[str] = field(default_factory=list)  # acknowledged, in order
    resent: int = 0
    applied_unseen: int = 0
    ended: bool = False
    sockets: dict[str, Watched] = field(default_factory=dict)

    async def run(self) -> None:
        self.sockets = {"white": Watched(self.game.white), "black": Watched(self.game.black)}
        readers = [asyncio.ensure_future(watched.read()) for watched in self.sockets.values()]
        board = chess.Board()
        try:
            while time.perf_counter() < self.stop_at and not board.is_game_over(claim_draw=False) and not self.ended:
                ply = len(board.move_stack) + 1
                uci = self.rng.choice(list(board.legal_moves)).uci()
                if not await self._play(ply, uci):
                    return
                board.push_uci(uci)
                self.moves.append(uci)
                await asyncio.sleep(self.think)
        finally:
            for reader in readers:
                reader.cancel()

    async def _play(self, ply: int, uci: str) -> bool:
        """Sends the move until it is acknowledged; False if the game ended."""
        mover, opponent = ("white", "black") if ply % 2 else ("black", "white")
        while True:
            seen_from = len(self.sockets[opponent].messages)
            sent_at = time.perf_counter()
            await self.sockets[mover].client.send({"type": "move", "uci": uci})
            while time.perf_counter() - sent_at < self.ack_timeout:
                ack = self._ack(opponent, seen_from, ply, uci, sent_at)
                if ack is not None:
                    self.acks[ply] = ack
                    return True
                if self.ended:
                    return False
                await asyncio.sleep(POLL_SECONDS)
            _, summary = await asyncio.to_thread(http_json, self.stack.http() + f"/api/games/{self.game.game_id}")
            saved = summary.get("moves", [])
            if len(saved) >= ply:
                # Applied and saved, but its event never reached the opponent.
                self.applied_unseen += 1
                self.acks[ply] = Ack(time.perf_counter(), sent_at, -1)
                return True
            self.resent += 1

    def _ack(self, opponent: str, seen_from: int, ply: int, uci: str, sent_at: float) -> Ack | None:
        for message in self.sockets[opponent].messages[seen_from:]:
            if message["type"] == "gameEnd":
                self.ended = True
            if message["type"] == "move" and message["ply"] == ply and message["uci"] == uci:
                return Ack(time.perf_counter(), sent_at, message["v"])
            if message["type"] == "gameState" and len(message.get("moves", [])) >= ply and message["moves"][ply - 1] == uci:
                return Ack(time.perf_counter(), sent_at, message["v"])
        return None

    def resumed_at(self, since: float) -> float | None:
        """When the first move acknowledged by an adopter arrived."""
        times = [ack.at for ack in self.acks.values() if ack.v >= RESUME_VERSION_GAP and ack.at >= since]
        return min(times, default=None)

    def longest_ack(self, since: float) -> float:
        return max((ack.at - ack.sent_at for ack in self.acks.values() if ack.at >= since), default=0.0)


def worker_of(stack: Stack, worker_id: str) -> Process:
    pid = int(worker_id.rsplit("-", 2)[1])
    return next(p for p in stack.processes if p.name == "worker" and python_pid(p.popen.pid) == pid)


async def saved_check(stack: Stack, played: PlayedGame) -> tuple[int, int]:
    """(acknowledged moves the database lacks, saved moves nobody acknowledged)."""
    _, summary = await asyncio.to_thread(http_json, stack.http() + f"/api/games/{played.game.game_id}", timeout=30)
    saved = summary.get("moves", [])
    lost = sum(1 for ply, uci in enumerate(played.moves, 1) if ply > len(saved) or saved[ply - 1] != uci)
    return lost, max(0, len(saved) - len(played.moves))


@dataclass
class Result:
    variant: str
    workers: int
    lease_ms: int
    games: int = 0
    victim_games: int = 0
    lease_left_ms: float = math.nan
    resume_s: list[float] = field(default_factory=list)
    not_resumed: int = 0
    others_longest_ack_ms: float = math.nan
    acked: int = 0
    lost: int = 0
    extra: int = 0
    resent: int = 0
    applied_unseen: int = 0
    duplicate_events: int = 0
    exit: str = ""
    load: tuple[float, float] = (math.nan, math.nan)


async def measure(stack: Stack, variant: str, args: argparse.Namespace) -> Result:
    result = Result(variant, args.workers, args.lease_ms)
    load_before = load_average()
    rng = random.Random(args.seed)
    played: list[PlayedGame] = []
    ack_timeout = args.lease_ms / 1000 + DEAD_INBOX_SECONDS + 5

    async def play(game: SeatedGame) -> None:
        one = PlayedGame(game, args.think, random.Random(rng.random()), ack_timeout, stack)
        played.append(one)
        await one.run()

    seating = await seat_games(stack, args.games, args.tc, play)
    await asyncio.sleep(args.before)
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    owned_by = client.mget([owner_key(p.game.game_id) for p in played])
    owners = {p.game.game_id: text(owner) if owner is not None else "" for p, owner in zip(played, owned_by, strict=True)}
    victim_id, _ = collections.Counter(owners.values()).most_common(1)[0]
    victim = worker_of(stack, victim_id)
    if variant == "kill":
        result.lease_left_ms = client.pttl(lease_key(victim_id))
    signalled = time.perf_counter()
    victim.popen.send_signal(signal.SIGKILL if variant == "kill" else signal.SIGTERM)
    exit_code = await asyncio.to_thread(victim.popen.wait, 60)
    result.exit = f"exit {exit_code} after {time.perf_counter() - signalled:.2f} s"
    stop_at = signalled + args.after
    for one in played:
        one.stop_at = stop_at
    await asyncio.gather(*seating.tasks, return_exceptions=True)

    victims = [p for p in played if owners[p.game.game_id] == victim_id]
    others = [p for p in played if owners[p.game.game_id] != victim_id]
    resumed = [p.resumed_at(signalled) for p in victims]
    result.games, result.victim_games = len(played), len(victims)
    result.resume_s = [at - signalled for at in resumed if at is not None]
    result.not_resumed = sum(at is None and not p.ended for at, p in zip(resumed, victims, strict=True))
    result.others_longest_ack_ms = max((p.longest_ack(signalled) for p in others), default=math.nan) * 1000
    checks = await asyncio.gather(*(saved_check(stack, p) for p in played))
    result.lost = sum(lost for lost, _ in checks)
    result.extra = sum(extra for _, extra in checks)
    result.acked = sum(len(p.moves) for p in played)
    result.resent = sum(p.resent for p in played)
    result.applied_unseen = sum(p.applied_unseen for p in played)
    result.duplicate_events = sum(w.duplicate_events for p in played for w in p.sockets.values())
    for game in seating.games:
        await game.white.close()
        await game.black.close()
    result.load = (load_before, load_average())
    return result


def run_one(variant: str, args: argparse.Namespace) -> Result:
    env = {"KOGAME_LEASE_MS": str(args.lease_ms), **ONE_ADDRESS_FOR_ALL_BOTS}
    with procfile_stack(redis_url=args.redis_url, LOG_LEVEL="WARNING", **env) as stack:
        start_workers(stack, args.workers)
        return asyncio.run(measure(stack, variant, args))


def print_result(r: Result) -> None:
    signal_name = "kill -9" if r.variant == "kill" else "SIGTERM"
    resume = r.resume_s
    print(
        f"\n{signal_name} of 1 of {r.workers} workers (lease {r.lease_ms} ms), {r.games} chess games,"
        f" {r.victim_games} of them on the victim; load avg {r.load[0]:.2f} before, {r.load[1]:.2f} after"
    )
    print(f"  victim: {r.exit}")
    if r.variant == "kill":
        print(f"  lease left at the kill: {r.lease_left_ms:.0f} ms")
    median, longest = statistics.median(resume or [math.nan]), max(resume, default=math.nan)
    print(f"  signal -> every victim game moving again: median {median:.2f} s, max {longest:.2f} s")
    if r.variant == "kill":
        expiry_s = r.lease_left_ms / 1000
        print(f"  counted from the lease's expiry: median {median - expiry_s:.2f} s, max {longest - expiry_s:.2f} s")
    print(f"  victim games that never moved again (and did not end): {r.not_resumed}")
    print(f"  the other games' longest acknowledgement meanwhile: {r.others_longest_ack_ms:.0f} ms")
    print(
        f"  moves acknowledged {r.acked}, of them lost {r.lost}; saved moves nobody acknowledged {r.extra};"
        f" moves sent again (never applied) {r.resent}; applied but never seen {r.applied_unseen};"
        f" duplicate events {r.duplicate_events}",
        flush=True,
    )


def print_summary(results: list[Result]) -> None:
    print(
        "\nvariant  workers  games (victim)  lease ms  lease left ms  resumed median / max s  after expiry max s"
        "  others' max ack ms  acked  lost  extra  resent  dup events  load avg"
    )
    for r in results:
        resume = r.resume_s
        after_expiry = max(resume, default=math.nan) - r.lease_left_ms / 1000 if r.variant == "kill" else math.nan
        print(
            f"{r.variant:>7} {r.workers:>8} {r.games:>7} ({r.victim_games:>3}) {r.lease_ms:>9} {r.lease_left_ms:>14.0f}"
            f" {statistics.median(resume or [math.nan]):>12.2f} / {max(resume, default=math.nan):<7.2f}"
            f" {after_expiry:>19.2f} {r.others_longest_ack_ms:>19.0f} {r.acked:>6} {r.lost:>5} {r.extra:>6}"
            f" {r.resent:>7} {r.duplicate_events:>11}  {r.load[0]:.2f}; {r.load[1]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=["kill", "term"], choices=["kill", "term"])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--games", type=int, default=30)
    parser.add_argument("--tc", default="10+0")
    parser.add_argument("--think", type=float, default=0.3, help="seconds between an acknowledgement and the next move")
    parser.add_argument("--before", type=float, default=5.0, help="seconds of play before the signal")
    parser.add_argument("--after", type=float, default=25.0, help="seconds of play after it")
    parser.add_argument("--lease-ms", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--redis-url", default=REDIS_BENCH_URL, help="Redis database to use (it is FLUSHED)")
    args = parser.parse_args()
    results = []
    for variant in args.variants:
        result = run_one(variant, args)
        results.append(result)
        print_result(result)
    print_summary(results)


if __name__ == "__main__":
    main()

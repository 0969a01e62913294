"""Seats scripted chess players through the queue, as people arrive: each pair's game starts as soon
as both of its players have their game sockets, not when the last of thousands has.

Shared by bench.chess_latency and bench.failover. Also: the stack's workers, and the load average.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.integration.harness import Client, Stack, http_json, new_guest

# Every bot connects from 127.0.0.1: lift the per-address limits that are meant for real clients.
ONE_ADDRESS_FOR_ALL_BOTS = {"GUEST_MINTS_PER_MINUTE": "1000000", "MAX_SOCKETS_PER_ADDRESS": "1000000"}
# Handshakes in flight at once: thousands at once time out in one Daphne process.
HANDSHAKES_AT_ONCE = 50
MATCH_TIMEOUT_SECONDS = 300


def load_average() -> float:
    """The machine's 1-minute load average (2 cores, shared with other work)."""
    return os.getloadavg()[0]


def start_workers(stack: Stack, count: int, timeout: float = 60) -> list[dict]:
    """Starts workers until `count` are live (procfile_stack started one); returns /healthz's
    engine.workers."""
    for _ in range(count - 1):
        stack.start_worker()
    return wait_for_workers(stack, count, timeout)


def wait_for_workers(stack: Stack, count: int, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        status, health = http_json(stack.http() + "/healthz")
        workers = health.get("engine", {}).get("workers", [])
        if status == 200 and len(workers) == count:
            return workers
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} workers not live within {timeout} s: {health}")
        time.sleep(0.2)


@dataclass
class SeatedGame:
    game_id: str
    white: Client
    black: Client
    white_state: dict
    black_state: dict
    seated_at: float  # perf_counter


@dataclass
class Seating:
    """What seating took: when it began, and when the last game was seated."""

    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    games: list[SeatedGame] = field(default_factory=list)
    # One per game: the on_seated coroutine, still running.
    tasks: list[asyncio.Task] = field(default_factory=list)
    # Players whose queue or game handshake failed or timed out.
    failed: list[str] = field(default_factory=list)


async def seat_games(
    stack: Stack, games: int, tc: str, on_seated: Callable[[SeatedGame], Awaitable[None]]
) -> Seating:
    """Queues 2 * games guests for `tc`; as soon as both players of a game hold their game
    sockets (and gameStates), `on_seated(game)` starts in a task of its own. Returns once every
    game is seated; the tasks go on."""
    guests = await asyncio.gather(*(asyncio.to_thread(new_guest, stack) for _ in range(2 * games)))
    encoded = tc.replace("+", "%2B")
    slots = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    seating = Seating()
    waiting: dict[str, tuple[str, Client, dict]] = {}

    async def one(username: str, token: str) -> None:
        async with slots:
            queue = await Client.open(stack.ws(f"/ws/queue/?game=chess&tc={encoded}&token={token}"))
        found = await queue.receive_until(lambda m: m["type"] == "match_found", timeout=MATCH_TIMEOUT_SECONDS)
        await queue.close()
        game_id = found["game_id"]
        async with slots:
            socket = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={token}"))
        state = await socket.receive_until(lambda m: m["type"] == "gameState", timeout=60)
        other = waiting.pop(game_id, None)
        if other is None:
            waiting[game_id] = (username, socket, state)
            return
        players = {username: (socket, state), other[0]: (other[1], other[2])}
        white, white_state = players[state["white"]["username"]]
        black, black_state = players[state["black"]["username"]]
        game = SeatedGame(game_id, white, black, white_state, black_state, time.perf_counter())
        seating.games.append(game)
        seating.tasks.append(asyncio.ensure_future(on_seated(game)))

    outcomes = await asyncio.gather(*(one(username, token) for username, token in guests), return_exceptions=True)
    seating.failed = [repr(outcome) for outcome in outcomes if isinstance(outcome, BaseException)]
    seating.finished = time.perf_counter()
    return seating

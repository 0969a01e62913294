"""Faults over the Procfile's real processes on Redis and PostgreSQL: a worker stopped, killed or
cut off from its messages, web processes that die, a Redis that stalls, clients that vanish
silently and sockets that churn. Players must lose nothing and see no ghosts.

Two stacks: `web_stack` (tests that kill only web processes they start themselves) and
`worker_stack` (tests that stop, kill and restart the worker, and stall Redis: it runs on a
private redis-server, since the shared one refuses DEBUG and stalling it would stall everyone;
its worker reaches Redis over a link with a few ms of latency, as from another host, which
widens the races a stopping worker can lose messages in from microseconds to milliseconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

import chess
import psycopg
import pytest
import redis
import websockets

from tests.integration.harness import (
    REDIS_TEST_URL,
    Client,
    Process,
    Stack,
    http_json,
    latency_proxy,
    new_guest,
    open_silent_websocket,
    private_redis,
    procfile_stack,
)

pytestmark = pytest.mark.integration

# What the server promises (engine/presence.py, players/services.py, engine/loop.py, Daphne's flags).
WEB_PROCESS_LEASE_SECONDS = 6.0
PRESENCE_SILENCE_SECONDS = 6.0
RESUME_VERSION_GAP = 1_000_000
# One way, on the links to Redis of the processes that get one (see latency_proxy).
LINK_LATENCY_SECONDS = 0.005
# channels_redis keeps a channel's messages in the sorted set <prefix><channel>, and those it
# has popped but not yet handed over in <that key>$inflight.
ENGINE_CHANNEL_KEYS = ("asgigame_engine", "asgigame_engine$inflight")

# 20 legal plies of an Italian game that ends nothing.
ITALIAN = [
    *("e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "g8f6", "d2d3", "f8c5", "c2c3", "d7d6"),
    *("b1d2", "a7a6", "e1g1", "e8g8", "a2a4", "c5a7", "h2h3", "h7h6", "f1e1", "f8e8"),
]


@pytest.fixture(scope="class")
def web_stack():
    """One worker and one web process; tests add (and kill) web processes of their own. The guest
    and per-address socket limits are lifted: every client here is 127.0.0.1."""
    with procfile_stack(
        redis_url=REDIS_TEST_URL, GUEST_MINTS_PER_MINUTE="10000", MAX_SOCKETS_PER_ADDRESS="10000"
    ) as stack:
        yield stack


@pytest.fixture(scope="class")
def worker_stack():
    """On a private redis-server, which the worker reaches through a link of 5 ms each way (as
    from another host), the web process directly."""
    with (
        private_redis() as redis_url,
        latency_proxy(redis_url, LINK_LATENCY_SECONDS) as worker_redis_url,
        procfile_stack(redis_url=redis_url, worker_env={"REDIS_URL": worker_redis_url}, GUEST_MINTS_PER_MINUTE="10000") as stack,
    ):
        yield stack


# -- clients --------------------------------------------------------------------------------


class Recorder:
    """A websocket whose every message is read in the background and kept, so a test can wait
    for conditions over what arrived rather than read messages one at a time."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.messages: list[dict] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.client.socket:
                self.messages.append(json.loads(raw))
        except websockets.ConnectionClosed:
            pass

    async def send(self, message: dict) -> None:
        await self.client.send(message)

    async def wait_for(self, predicate, *, timeout: float, since: int = 0, what: str = "a message") -> dict:
        def found():
            return next((m for m in self.messages[since:] if predicate(m)), None)

        return await eventually(found, timeout=timeout, what=what)

    def events(self) -> list[dict]:
        """Versioned events, in the order they arrived (a gameState or a pong carries `v` too)."""
        return [m for m in self.messages if "v" in m and m["type"] not in ("gameState", "pong")]

    async def close(self) -> None:
        await self.client.close()
        self.reader.cancel()


@pytest.fixture
async def sockets():
    """Opens Recorders and closes whatever is left of them after the test."""
    opened: list[Recorder] = []

    async def open_socket(url: str) -> Recorder:
        recorder = Recorder(await Client.open(url))
        opened.append(recorder)
        return recorder

    yield open_socket
    for recorder in opened:
        try:
            await asyncio.wait_for(recorder.close(), 2)
        except (OSError, TimeoutError, websockets.WebSocketException):
            recorder.reader.cancel()


async def eventually(condition, *, timeout: float, what: str, every: float = 0.02):
    """Polls `condition` until it returns something truthy, which it returns."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(every)


@dataclass
class Player:
    username: str
    token: str
    socket: Recorder | None = None


@dataclass
class Table:
    game_id: str
    white: Player
    black: Player


def queue_url(stack: Stack, player: Player, kind: str, tc: str = "", port: int | None = None) -> str:
    query = f"game={kind}&token={player.token}" + (f"&tc={quote(tc)}" if tc else "")
    return stack.ws(f"/ws/queue/?{query}", port)


def game_url(stack: Stack, game_id: str, player: Player, port: int | None = None) -> str:
    return stack.ws(f"/ws/game/{game_id}/?token={player.token}", port)


async def matched(stack: Stack, players: list[Player], kind: str, tc: str = "", timeout: float = 20) -> dict[str, list[Player]]:
    """Queues `players` (in this order, through the first web process) and waits for every
    match: game id -> its players."""
    queues = []
    for player in players:
        queue = await Client.open(queue_url(stack, player, kind, tc))
        assert (await queue.receive())["type"] == "queued"
        queues.append(queue)
    found = await asyncio.gather(*(q.receive_until(lambda m: m["type"] == "match_found", timeout=timeout) for q in queues))
    for queue in queues:
        await queue.close()
    games: dict[str, list[Player]] = {}
    for player, message in zip(players, found, strict=True):
        games.setdefault(message["game_id"], []).append(player)
    return games


async def chess_tables(stack: Stack, tc: str, count: int = 1) -> list[Table]:
    players = [Player(*new_guest(stack)) for _ in range(2 * count)]
    tables = []
    for game_id, pair in (await matched(stack, players, "chess", tc)).items():
        _, summary = http_json(stack.http() + f"/api/games/{game_id}")
        white = next(p for p in pair if p.username == summary["white"]["username"])
        tables.append(Table(game_id, white, next(p for p in pair if p is not white)))
    assert len(tables) == count
    return tables


async def sit_down(stack: Stack, open_socket, table: Table, white_port=None, black_port=None) -> None:
    """Opens both players' game sockets and waits for their gameState."""
    table.white.socket = await open_socket(game_url(stack, table.game_id, table.white, white_port))
    table.black.socket = await open_socket(game_url(stack, table.game_id, table.black, black_port))
    for player in (table.white, table.black):
        await player.socket.wait_for(lambda m: m["type"] == "gameState", timeout=10, what="gameState")


class Move:
    """One ply sent by the side to move, and what became of it: ("applied", what showed it to the
    opponent: its move event, or a fresh gameState that holds it) or ("refused", the mover's
    error); None while neither has come."""

    def __init__(self, table: Table, ply: int, uci: str) -> None:
        self.table, self.ply, self.uci = table, ply, uci
        self.mover, self.opponent = (table.white, table.black) if ply % 2 else (table.black, table.white)
        self.mover_seen, self.opponent_seen = len(self.mover.socket.messages), len(self.opponent.socket.messages)

    async def send(self) -> None:
        await self.mover.socket.send({"type": "move", "uci": self.uci})

    def fate(self) -> tuple[str, dict] | None:
        for message in self.opponent.socket.messages[self.opponent_seen :]:
            if message["type"] == "move" and message["ply"] >= self.ply:
                assert message["ply"] == self.ply and message["uci"] == self.uci, message
                return "applied", message
            if message["type"] == "gameState" and len(message["moves"]) >= self.ply:
                assert message["moves"][self.ply - 1] == self.uci, message["moves"]
                return "applied", message
        for message in self.mover.socket.messages[self.mover_seen :]:
            if message["type"] == "error":
                return "refused", message
        return None

    async def settle(self, timeout: float) -> tuple[str, dict]:
        return await eventually(self.fate, timeout=timeout, what=f"{self.table.game_id}: the fate of ply {self.ply} ({self.uci})")


async def play(table: Table, ply: int, uci: str, timeout: float = 30) -> tuple[str, dict]:
    move = Move(table, ply, uci)
    await move.send()
    return await move.settle(timeout)


async def play_plies(table: Table, first: int, last: int) -> None:
    """Plies `first` to `last` of ITALIAN, each played once the opponent has seen the previous."""
    for ply in range(first, last + 1):
        fate, shown = await play(table, ply, ITALIAN[ply - 1])
        assert fate == "applied", shown


async def snake_players(stack: Stack, open_socket) -> tuple[str, list[Player]]:
    """Two guests matched at Snake, each with an open game socket that has its first tick."""
    players = [Player(*new_guest(stack)) for _ in range(2)]
    [(game_id, seated)] = (await matched(stack, players, "snake")).items()
    assert len(seated) == 2
    for player in players:
        player.socket = await open_socket(game_url(stack, game_id, player))
    for player in players:
        await player.socket.wait_for(lambda m: m["type"] == "tick", timeout=10, what="a first tick")
    return game_id, players


async def ensure_worker(stack: Stack) -> Process:
    """The running worker, or a new one if an earlier test left none."""
    try:
        return stack.worker()
    except StopIteration:
        return await started_worker(stack)


async def started_worker(stack: Stack) -> Process:
    worker = stack.start_worker()
    await eventually(lambda: "engine started" in worker.log(), timeout=30, what="a new worker's engine starting")
    return worker


# -- web processes die ----------------------------------------------------------------------


def live_seats(stack: Stack, usernames: list[str]) -> int:
    """Queue seats of these users that a matcher could still hand out: seats whose web process's
    lease has not expired (a server without leases keeps every seat)."""
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        try:
            row = conn.execute(
                "SELECT count(*) FROM players_queueseat s JOIN players_user u ON u.id = s.user_id"
                " JOIN players_webprocesslease l ON l.id = s.process_id"
                " WHERE u.username = ANY(%s) AND l.expires_at >= now()",
                [usernames],
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            row = conn.execute(
                "SELECT count(*) FROM players_queueseat s JOIN players_user u ON u.id = s.user_id"
                " WHERE u.username = ANY(%s)",
                [usernames],
            ).fetchone()
    return row[0]


class TestWebProcessFaults:
    async def test_queue_seats_of_a_dead_web_process_are_never_matched(self, web_stack, sockets):
        stack = web_stack
        term_port, kill_port = stack.start_webs(2)
        term_web, kill_web = stack.web(term_port), stack.web(kill_port)
        # Seated through the web processes about to die: a chess seat in each, a Snake seat in the
        # one killed with -9 (one Snake seat only: two would be matched together).
        ghost_plan = [(term_port, "chess", "7+1"), (kill_port, "chess", "7+2"), (kill_port, "snake", "")]
        ghosts = [Player(*new_guest(stack)) for _ in ghost_plan]
        ghost_sockets = []
        for ghost, (port, kind, tc) in zip(ghosts, ghost_plan, strict=True):
            ghost_sockets.append(await sockets(queue_url(stack, ghost, kind, tc, port)))
            await ghost_sockets[-1].wait_for(lambda m: m["type"] == "queued", timeout=5, what="queued")

        killed_at = time.monotonic()
        kill_web.terminate(signal.SIGKILL)
        await asyncio.to_thread(term_web.terminate, signal.SIGTERM)
        assert not any(m["type"] == "match_found" for s in ghost_sockets for m in s.messages)
        # A web process stopped by SIGTERM gives its lease up on the way out: its seat is gone now.
        assert live_seats(stack, [ghosts[0].username]) == 0
        # The dead processes' leases run out (a matcher then drops their seats).
        try:
            await eventually(
                lambda: live_seats(stack, [g.username for g in ghosts]) == 0,
                timeout=WEB_PROCESS_LEASE_SECONDS + 4,
                what="the queue seats of the dead web processes to lose their lease",
                every=0.2,
            )
            released_after = time.monotonic() - killed_at
        except AssertionError:
            released_after = None
        print(f"dead web processes' seats released after {released_after} s")

        # New players queue through the surviving web process, one per queue first: they must
        # not be matched with a ghost, and the second player of each queue is their partner.
        newcomers = {(kind, tc): [Player(*new_guest(stack)), Player(*new_guest(stack))] for _, kind, tc in ghost_plan}
        queues = {}
        for order in (0, 1):
            for (kind, tc), pair in newcomers.items():
                queues[pair[order].username] = await sockets(queue_url(stack, pair[order], kind, tc))
                await queues[pair[order].username].wait_for(lambda m: m["type"] == "queued", timeout=5, what="queued")
        for (kind, tc), pair in newcomers.items():
            found = [
                await queues[p.username].wait_for(
                    lambda m: m["type"] == "match_found", timeout=10, what=f"{p.username}'s {kind} {tc} match"
                )
                for p in pair
            ]
            assert found[0]["game_id"] == found[1]["game_id"], f"{kind} {tc}: the first newcomer was matched with a ghost"
            _, summary = http_json(stack.http() + f"/api/games/{found[0]['game_id']}")
            assert sorted(p["username"] for p in summary["players"]) == sorted(p.username for p in pair)
        assert released_after is not None, "the dead web processes' seats were still held"
        assert released_after <= WEB_PROCESS_LEASE_SECONDS + 2

    async def test_players_of_a_dead_web_process_are_disconnected_for_their_opponents(self, web_stack, sockets):
        stack = web_stack
        term_port, kill_port = stack.start_webs(2)
        term_web, kill_web = stack.web(term_port), stack.web(kill_port)
        # White plays through a web process that dies, black through the one that survives.
        by_term, by_kill = await chess_tables(stack, "6+1", count=2)
        await sit_down(stack, sockets, by_term, white_port=term_port)
        await sit_down(stack, sockets, by_kill, white_port=kill_port)
        for table in (by_term, by_kill):
            for ply, uci in enumerate(ITALIAN[:2], start=1):
                assert (await play(table, ply, uci, timeout=10))[0] == "applied"
        seen = {table.game_id: len(table.black.socket.messages) for table in (by_term, by_kill)}

        killed_at = time.monotonic()
        kill_web.terminate(signal.SIGKILL)
        term_web.popen.send_signal(signal.SIGTERM)
        gone_after = {}
        for table in (by_term, by_kill):
            await table.black.socket.wait_for(
                lambda m: m["type"] == "presence" and m["player"] == "white" and m["connected"] is False,
                since=seen[table.game_id],
                timeout=PRESENCE_SILENCE_SECONDS + 3 - (time.monotonic() - killed_at),
                what=f"{'SIGTERM' if table is by_term else 'SIGKILL'}: black hears that white is gone",
            )
            gone_after[table.game_id] = time.monotonic() - killed_at
        print(f"presence false after (SIGTERM, SIGKILL): {list(gone_after.values())} s")
        # SIGTERM says goodbye at once; kill -9 waits for the engine to miss its reports.
        assert gone_after[by_term.game_id] < 2
        # The claim waits for the rule's 30 s: asked now, it is refused as too early (not because
        # white still counts as connected).
        for table in (by_term, by_kill):
            since = len(table.black.socket.messages)
            await table.black.socket.send({"type": "claim_victory"})
            error = await table.black.socket.wait_for(
                lambda m: m["type"] == "error", since=since, timeout=5, what="claim refused"
            )
            assert error["code"] == "too_early", error
        assert all(seconds <= PRESENCE_SILENCE_SECONDS + 3 for seconds in gone_after.values()), gone_after
        await asyncio.to_thread(term_web.terminate)

    async def test_a_silently_dead_client_is_dropped(self, web_stack, sockets):
        stack = web_stack
        [table] = await chess_tables(stack, "4+4")
        table.white.socket = await sockets(game_url(stack, table.game_id, table.white))
        await table.white.socket.wait_for(lambda m: m["type"] == "gameState", timeout=10, what="gameState")
        seen = len(table.white.socket.messages)
        # Black's connection completes the handshake, then never reads, answers a ping or closes.
        opened_at = time.monotonic()
        _, writer = await open_silent_websocket(stack.ports[0], f"/ws/game/{table.game_id}/?token={table.black.token}")
        try:
            await table.white.socket.wait_for(
                lambda m: m["type"] == "presence" and m["player"] == "black" and m["connected"] is False,
                since=seen,
                timeout=12,
                what="white hears that black's silent connection is gone",
            )
        finally:
            writer.close()
        print(f"silent connection gone for its opponent after {time.monotonic() - opened_at:.1f} s")
        assert time.monotonic() - opened_at <= 12

    async def test_no_event_is_lost_while_other_sockets_churn(self, web_stack, sockets):
        stack = web_stack
        [table, ended] = await chess_tables(stack, "10+0", count=2)
        await sit_down(stack, sockets, table)
        # The churning sockets watch a game that has ended: they take nothing from the engine,
        # so the web process's channel carries the players' events alone.
        await sit_down(stack, sockets, ended)
        await ended.white.socket.send({"type": "abort"})
        await eventually(
            lambda: http_json(stack.http() + f"/api/games/{ended.game_id}")[1]["status"] == "aborted",
            timeout=10,
            what="the other game aborted",
        )
        plies = random_game(seed=7, plies=100)
        churners = [Player(*new_guest(stack)) for _ in range(30)]
        done = asyncio.Event()
        churned = [0]

        async def churn(player: Player) -> None:
            # Opens a socket of the same web process, takes its gameState, closes; again and again.
            while not done.is_set():
                try:
                    client = await Client.open(game_url(stack, ended.game_id, player))
                    await client.receive_until(lambda m: m["type"] == "gameState", timeout=10)
                    await client.close()
                    churned[0] += 1
                except (OSError, TimeoutError, websockets.WebSocketException):
                    await asyncio.sleep(0.05)

        churning = [asyncio.ensure_future(churn(player)) for player in churners]
        try:
            for ply, uci in enumerate(plies, start=1):
                # Paced by the churn, not by the clock: however fast moves are relayed, sockets
                # come and go all through the game (3 for each ply, 10 per churner in all).
                await eventually(lambda ply=ply: churned[0] >= 3 * ply, timeout=10, what="sockets churning")
                fate, shown = await play(table, ply, uci, timeout=10)
                assert fate == "applied", shown
        finally:
            done.set()
            await asyncio.gather(*churning)
        assert churned[0] >= 10 * len(churners), f"only {churned[0]} churning connections"

        # Both players end up with every move event, each version once and in order.
        for player in (table.white, table.black):

            def complete(player=player):
                moves = [m for m in player.socket.events() if m["type"] == "move"]
                return [m["ply"] for m in moves] == list(range(1, len(plies) + 1))

            await eventually(complete, timeout=10, what=f"{player.username}: every move event")
            state = next(m for m in player.socket.messages if m["type"] == "gameState")
            versions = [m["v"] for m in player.socket.events()]
            assert versions == list(range(state["v"] + 1, state["v"] + 1 + len(versions))), versions
            assert not [m for m in player.socket.messages if m["type"] == "gameState"][1:], "a fresh gameState mid-game"


def random_game(*, seed: int, plies: int) -> list[str]:
    """`plies` legal moves in UCI after which the game is still on (no mate, stalemate, ...)."""
    rng = random.Random(seed)
    board = chess.Board()
    moves = []
    while len(moves) < plies:
        candidates = sorted(board.legal_moves, key=lambda move: move.uci())
        rng.shuffle(candidates)
        for move in candidates:
            board.push(move)
            if board.outcome() is None and any(board.legal_moves):
                moves.append(move.uci())
                break
            board.pop()
        else:
            raise AssertionError("no move keeps the game going")
    return moves


# -- the worker stops, dies, or misses messages; Redis stalls --------------------------------


def engine_syncs_waiting(client: redis.Redis, game_id: str) -> int:
    """The sync requests for `game_id` waiting on the engine's channel."""
    members = client.zrange(ENGINE_CHANNEL_KEYS[0], 0, -1)
    return sum(1 for member in members if b"engine.sync" in member and game_id.encode() in member)


class TestWorkerFaults:
    async def test_a_redis_stall_freezes_neither_the_engine_nor_the_health_check(self, worker_stack, sockets):
        stack = worker_stack
        await ensure_worker(stack)
        _, players = await snake_players(stack, sockets)
        status, before = http_json(stack.http() + "/healthz")
        assert status == 200 and before["engine"]["max_lateness_ms"] < 300, before

        polls: list[tuple[float, float, int | str, dict]] = []
        stop = threading.Event()

        def poll_health() -> None:
            while not stop.is_set():
                asked = time.time()
                try:
                    status, body = http_json(stack.http() + "/healthz", timeout=1.5)
                except OSError as error:
                    status, body = repr(error), {}
                polls.append((asked, time.time(), status, body))
                stop.wait(max(0.0, 0.1 - (time.time() - asked)))

        poller = threading.Thread(target=poll_health)
        poller.start()
        try:
            await eventually(lambda: len(polls) >= 3, timeout=5, what="health polls before the stall")
            last_v = players[0].socket.events()[-1]["v"]
            stall_started = time.time()
            await asyncio.to_thread(redis.Redis.from_url(stack.env["REDIS_URL"]).execute_command, "DEBUG", "SLEEP", 2)
            stall_ended = time.time()

            def fresh_beat():
                # A heartbeat the engine wrote after the stall.
                for _asked, answered, _status, body in polls:
                    engine = body.get("engine", {})
                    if engine.get("last_beat_age_s") is not None and answered - engine["last_beat_age_s"] > stall_ended:
                        return body
                return None

            after = await eventually(fresh_beat, timeout=5, what="a heartbeat written after the stall")
            await eventually(lambda: polls[-1][0] > stall_ended + 1, timeout=5, what="a second of polls after the stall")
        finally:
            stop.set()
            await asyncio.to_thread(poller.join)

        during = [p for p in polls if stall_started <= p[0] <= stall_ended]
        print(f"{len(polls)} health polls, {len(during)} during the stall; after it: {after['engine']}")
        failed = [(round(asked - stall_started, 2), status) for asked, _, status, _ in polls if status != 200]
        assert not failed, f"/healthz failed (seconds after the stall began, answer): {failed}"
        assert len(during) >= 3, during
        assert after["engine"]["max_lateness_ms"] < 300, after
        assert after["engine"]["ticks"] > before["engine"]["ticks"]
        # The game never stopped: its ticks go on, numbered without a gap.
        for player in players:
            await player.socket.wait_for(lambda m: m.get("v", 0) > last_v + 25, timeout=5, what="ticks after the stall")
            versions = [m["v"] for m in player.socket.events()]
            assert versions == list(range(versions[0], versions[0] + len(versions)))

    async def test_sigterm_to_the_worker_loses_no_move(self, worker_stack, sockets):
        stack = worker_stack
        old = await ensure_worker(stack)
        tables = await chess_tables(stack, "5+0", count=8)
        for table in tables:
            await sit_down(stack, sockets, table)
        opening, last = 4, 16
        await asyncio.gather(*(play_plies(table, 1, opening) for table in tables))

        # A deploy: SIGTERM, and at once a move in most games (the web process takes a few ms to
        # pass them all on: they reach the channel as the worker turns to stopping), the other
        # games starting a little later; every game then plays on, each move once the opponent
        # has seen the previous one, while the worker stops, is down, and after a new worker
        # has started (as soon as the old one has exited).
        fates: dict[str, list[str]] = {table.game_id: [] for table in tables}
        lost: list[str] = []

        async def play_on(table: Table, delay: float) -> None:
            await asyncio.sleep(max(0.0, term_at + delay - time.monotonic()))
            for ply in range(opening + 1, last + 1):
                move = Move(table, ply, ITALIAN[ply - 1])
                await move.send()
                try:
                    fate, _ = await move.settle(timeout=20)
                except AssertionError as error:
                    lost.append(str(error))
                    return
                fates[table.game_id].append(fate)
                if fate != "applied":
                    return

        old.popen.send_signal(signal.SIGTERM)
        term_at = time.monotonic()
        playing = asyncio.gather(*(play_on(table, delay) for table, delay in zip(tables, [0] * 6 + [0.1, 0.3], strict=True)))
        returncode = await asyncio.to_thread(old.popen.wait, 20)
        stopped_in = time.monotonic() - term_at
        await started_worker(stack)
        await playing

        print(f"old worker exited with {returncode} {stopped_in:.2f} s after SIGTERM")
        log = old.log()
        stopping = log.index("worker stopping")
        assert returncode == 0 and stopped_in < 7, (returncode, stopped_in, log[-3000:])
        assert "engine started" not in log[stopping:] and "engine stopped" in log[stopping:], log[-3000:]
        assert not lost, f"moves sent while the worker stopped vanished: {lost}"
        assert all(f == ["applied"] * (last - opening) for f in fates.values()), fates
        for table in tables:
            _, summary = http_json(stack.http() + f"/api/games/{table.game_id}")
            # Every move the players were told about is saved, once and in order.
            assert summary["status"] == "started" and summary["moves"] == ITALIAN[:last], summary["moves"]
            # Sane clocks: a move takes only from its mover's clock, and no move is charged for
            # the seconds the engine was down (every move here is played at once).
            previous = {"white": 300_000, "black": 300_000}
            for ply, clocks in enumerate(summary["clock_history"], start=1):
                mover = "white" if ply % 2 else "black"
                assert clocks[_other(mover)] == previous[_other(mover)], (ply, summary["clock_history"])
                assert 0 <= previous[mover] - clocks[mover] < 2_500, (ply, summary["clock_history"])
                previous = clocks
        errors = [m for table in tables for p in (table.white, table.black) for m in p.socket.messages if m["type"] == "error"]
        assert not errors, errors

    async def test_a_snake_game_goes_on_in_the_next_worker_from_its_frozen_board(self, worker_stack, sockets):
        stack = worker_stack
        worker = await ensure_worker(stack)
        game_id, players = await snake_players(stack, sockets)
        await players[0].socket.wait_for(
            lambda m: m["type"] == "tick" and m["tick"] >= 12, timeout=10, what="a board frozen at least once"
        )
        worker.terminate(signal.SIGKILL)
        last_tick = max(m["tick"] for m in players[0].socket.events() if m["type"] == "tick")
        seen = [len(player.socket.messages) for player in players]
        await started_worker(stack)
        for player, since in zip(players, seen, strict=True):
            state = await player.socket.wait_for(
                lambda m: m["type"] == "gameState", since=since, timeout=20, what="a fresh gameState from the new worker"
            )
            assert state["v"] > RESUME_VERSION_GAP and state["status"] == "started", state
            # At most a second of the board is lost (frozen once a second), and it goes on.
            assert last_tick - 10 <= state["tick"] <= last_tick + 1, (state["tick"], last_tick)
            await player.socket.wait_for(
                lambda m, v=state["v"]: m["type"] == "tick" and m["v"] > v, since=since, timeout=5, what="ticks again"
            )
            assert not [m for m in player.socket.messages[since:] if m["type"] == "gameEnd"]
        _, summary = http_json(stack.http() + f"/api/games/{game_id}")
        assert summary["status"] == "started"

    async def test_a_socket_opened_while_the_worker_is_down_gets_its_state_when_it_is_back(self, worker_stack, sockets):
        stack = worker_stack
        worker = await ensure_worker(stack)
        [table] = await chess_tables(stack, "5+5")
        await sit_down(stack, sockets, table)
        for ply, uci in enumerate(ITALIAN[:2], start=1):
            assert (await play(table, ply, uci, timeout=10))[0] == "applied"
        await table.white.socket.close()

        assert worker.terminate() < 7 and worker.popen.returncode == 0
        white = await sockets(game_url(stack, table.game_id, table.white))
        # The socket's sync request (and its first retry, if it comes within 2 s) waits on the
        # engine's channel... and is lost, as when it outlives the channel's 30 s expiry.
        layer = redis.Redis.from_url(stack.env["REDIS_URL"])
        await eventually(lambda: engine_syncs_waiting(layer, table.game_id), timeout=5, what="a sync request on the channel")
        with contextlib.suppress(AssertionError):
            await eventually(lambda: engine_syncs_waiting(layer, table.game_id) >= 2, timeout=2, what="a retry")
        layer.delete(*ENGINE_CHANNEL_KEYS)
        started_at = time.monotonic()
        await started_worker(stack)
        state = await white.wait_for(
            lambda m: m["type"] == "gameState" and "initial_fen" in m,
            timeout=15,
            what="a gameState from the new engine",
        )
        print(f"gameState {time.monotonic() - started_at:.1f} s after the new worker was started")
        assert time.monotonic() - started_at < 15
        assert state["moves"] == ITALIAN[:2] and state["v"] > RESUME_VERSION_GAP
        assert not [m for m in white.messages if m["type"] == "error"], white.messages


def _other(color: str) -> str:
    return "black" if color == "white" else "white"

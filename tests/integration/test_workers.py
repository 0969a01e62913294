"""Several `worker` processes share the games (docs/scaling.md): each game has one owner, a
killed worker's games move to the survivors with every acknowledged move, a stopped one hands
its games over, and one that stalls past its lease says nothing more about them."""

from __future__ import annotations

import asyncio
import collections
import json
import signal
import time

import orjson
import pytest
import redis

from engine.cluster.keys import owner_key
from tests.integration import test_faults
from tests.integration.harness import REDIS_TEST_URL, Stack, http_json, new_guest, procfile_stack
from tests.integration.test_faults import ITALIAN, chess_tables, eventually, play, play_plies, sit_down

pytestmark = pytest.mark.integration

sockets = test_faults.sockets  # the fixture, shared

LEASE_MS = 3000
RESUME_VERSION_GAP = 1_000_000


@pytest.fixture(scope="module")
def cluster():
    """Workers with a lease of 3 s (each test starts as many as it needs) and one web process."""
    env = {"GUEST_MINTS_PER_MINUTE": "10000", "MAX_SOCKETS_PER_ADDRESS": "10000", "KOGAME_LEASE_MS": str(LEASE_MS)}
    with procfile_stack(redis_url=REDIS_TEST_URL, **env) as stack:
        yield stack


def ensure_workers(stack: Stack, count: int) -> dict:
    """Starts workers until `count` are live (an earlier test may have stopped or killed some)."""
    _, health = http_json(stack.http() + "/healthz")
    for _ in range(count - len(health["engine"]["workers"])):
        stack.start_worker()
    return wait_for_workers(stack, count)


def wait_for_workers(stack: Stack, count: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, health = http_json(stack.http() + "/healthz")
        if status == 200 and len(health["engine"]["workers"]) == count:
            return health
        assert time.monotonic() < deadline, health
        time.sleep(0.1)


def owners(stack: Stack, game_ids: list[str]) -> dict[str, str]:
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    return {game_id: client.get(owner_key(game_id)).decode() for game_id in game_ids}


def worker_process(stack: Stack, worker_id: str):
    """The process whose worker id (host-pid-random) is `worker_id`."""
    pid = int(worker_id.split("-")[-2])
    return next(p for p in stack.processes if p.popen.pid == pid or _child_pid(p) == pid)


def _child_pid(process) -> int | None:
    # The Procfile line runs under bash, which may exec the command or run it as its child.
    try:
        with open(f"/proc/{process.popen.pid}/task/{process.popen.pid}/children") as children:
            pids = children.read().split()
        return int(pids[0]) if pids else None
    except OSError:
        return None


def assert_each_version_once(table) -> None:
    for player in (table.white, table.black):
        versions = [m["v"] for m in player.socket.events()]
        assert len(versions) == len(set(versions)), versions
        plies = [m["ply"] for m in player.socket.events() if m["type"] == "move"]
        assert len(plies) == len(set(plies)), plies


async def snake_watchers(stack: Stack, open_socket, count: int) -> dict[str, object]:
    """`count` Snake games of a guest and three hard bots (which outlive the guest's unsteered
    snake), each watched by its guest's socket: game id -> socket."""
    watched = {}
    for _ in range(count):
        _, token = new_guest(stack)
        body = json.dumps({"game": "snake", "target_players": 4, "bot_level": "hard"}).encode()
        status, answer = http_json(stack.http() + "/api/bot-games", "POST", body, token=token)
        assert status == 201, answer
        socket = await open_socket(stack.ws(f"/ws/game/{answer['game_id']}/?token={token}"))
        watched[answer["game_id"]] = socket
    for socket in watched.values():
        await socket.wait_for(lambda m: m["type"] == "tick", timeout=10, what="a first tick")
    return watched


async def mixed_games(stack: Stack, open_socket, count: int) -> tuple[list, dict, dict[str, str]]:
    """`count` chess games (two plies played) and `count` Snake games over three workers: the
    tables, the Snake sockets by game, and each game's owner."""
    ensure_workers(stack, 3)
    tables = await chess_tables(stack, "10+0", count=count)
    for table in tables:
        await sit_down(stack, open_socket, table)
    snakes = await snake_watchers(stack, open_socket, count)
    await asyncio.gather(*(play_plies(table, 1, 2) for table in tables))
    return tables, snakes, owners(stack, [t.game_id for t in tables] + list(snakes))


def busiest_with_both_kinds(tables: list, snakes: dict, by_game: dict[str, str]) -> str:
    """The worker with the most games among those that own chess and Snake games both."""
    chess_owners, snake_owners = {by_game[t.game_id] for t in tables}, {by_game[g] for g in snakes}
    ranked = [worker_id for worker_id, _ in collections.Counter(by_game.values()).most_common()]
    return next(worker_id for worker_id in ranked if worker_id in chess_owners and worker_id in snake_owners)


async def test_new_games_spread_over_the_workers_and_a_killed_workers_games_resume_elsewhere(cluster, sockets):
    stack = cluster
    ensure_workers(stack, 3)
    tables = await chess_tables(stack, "10+0", count=30)
    for table in tables:
        await sit_down(stack, sockets, table)
    snakes = await snake_watchers(stack, sockets, 30)
    games = [t.game_id for t in tables] + list(snakes)
    by_owner = collections.Counter(owners(stack, games).values())
    print(f"games per worker: {sorted(by_owner.values())}")
    assert len(by_owner) == 3 and min(by_owner.values()) >= 10, by_owner
    await asyncio.gather(*(play_plies(table, 1, 4) for table in tables))

    victim_id, _ = by_owner.most_common(1)[0]
    victims = [t for t in tables if owners(stack, [t.game_id])[t.game_id] == victim_id]
    snake_victims = [game_id for game_id in snakes if owners(stack, [game_id])[game_id] == victim_id]
    seen = {game_id: len(snakes[game_id].messages) for game_id in snake_victims}
    worker_process(stack, victim_id).terminate(signal.SIGKILL)
    killed_at = time.monotonic()
    # Moves sent at once, while the dead worker still holds its lease: none may be lost.
    fates = await asyncio.gather(*(play(table, 5, ITALIAN[4], timeout=LEASE_MS / 1000 + 15) for table in tables))
    print(f"every game moved again {time.monotonic() - killed_at:.1f} s after kill -9 (lease {LEASE_MS} ms)")
    assert [fate for fate, _ in fates] == ["applied"] * len(tables), fates
    health = wait_for_workers(stack, 2)
    assert health["engine"]["games_without_owner"] == 0
    for table in tables:
        _, summary = http_json(stack.http() + f"/api/games/{table.game_id}")
        assert summary["status"] == "started" and summary["moves"] == ITALIAN[:5], summary
        assert owners(stack, [table.game_id])[table.game_id] != victim_id
        assert_each_version_once(table)
    await asyncio.gather(*(play_plies(table, 6, 7) for table in victims))
    # The dead worker's Snake boards go on elsewhere from their frozen state: a fresh gameState,
    # then ticks (or their own end, if the bots finished meanwhile), never "server_restart".
    for game_id in snake_victims:
        socket, since = snakes[game_id], seen[game_id]
        state = await socket.wait_for(lambda m: m["type"] == "gameState", since=since, timeout=10, what="a thawed board")
        assert state["v"] >= RESUME_VERSION_GAP, state
        await socket.wait_for(
            lambda m, v=state["v"]: m["v"] > v if "v" in m else False, since=since, timeout=5, what="the board moving"
        )
        _, summary = http_json(stack.http() + f"/api/games/{game_id}")
        assert summary["reason"] != "server_restart", summary


async def test_a_stopped_worker_hands_its_games_over_and_nothing_pauses_long(cluster, sockets):
    stack = cluster
    tables, snakes, by_game = await mixed_games(stack, sockets, 6)
    leaving_id = busiest_with_both_kinds(tables, snakes, by_game)
    leaving = [t for t in tables if by_game[t.game_id] == leaving_id]
    leaving_snakes = [game_id for game_id in snakes if by_game[game_id] == leaving_id]
    process = worker_process(stack, leaving_id)
    process.popen.send_signal(signal.SIGTERM)
    sent_at = time.monotonic()
    fates = await asyncio.gather(*(play(table, 3, ITALIAN[2], timeout=10) for table in leaving))
    pause = time.monotonic() - sent_at
    print(f"moves sent as the worker got SIGTERM were applied {pause:.2f} s later")
    assert [fate for fate, _ in fates] == ["applied"] * len(leaving), fates

    def ticking_elsewhere(game_id: str) -> bool:
        return any(m["type"] == "tick" and m["v"] > RESUME_VERSION_GAP for m in snakes[game_id].messages)

    await eventually(lambda: all(map(ticking_elsewhere, leaving_snakes)), timeout=10, what="the boards ticking again")
    snake_pause = time.monotonic() - sent_at
    print(f"its Snake boards ticked again on other workers {snake_pause:.2f} s after SIGTERM")
    assert process.popen.wait(10) == 0
    assert pause < 2.0 and snake_pause < 2.0
    for game_id in leaving_snakes:
        _, summary = http_json(stack.http() + f"/api/games/{game_id}")
        assert summary["reason"] != "server_restart", summary
    for table in leaving:
        _, summary = http_json(stack.http() + f"/api/games/{table.game_id}")
        assert summary["moves"] == ITALIAN[:3]
        assert_each_version_once(table)


async def test_a_worker_that_stalls_past_its_lease_says_nothing_more_about_its_games(cluster, sockets):
    stack = cluster
    tables, snakes, by_game = await mixed_games(stack, sockets, 6)
    stalled_id = busiest_with_both_kinds(tables, snakes, by_game)
    stalled = [t for t in tables if by_game[t.game_id] == stalled_id]
    stalled_snakes = [game_id for game_id in snakes if by_game[game_id] == stalled_id]
    listener = redis.Redis.from_url(stack.env["REDIS_URL"]).pubsub()
    listener.subscribe(*[f"kogame:relay:{game_id}" for game_id in [t.game_id for t in stalled] + stalled_snakes])
    process = worker_process(stack, stalled_id)
    process.popen.send_signal(signal.SIGSTOP)
    # Past the lease, the games move on elsewhere (their versions jump: RESUME_VERSION_GAP).
    fates = await asyncio.gather(*(play(table, 3, ITALIAN[2], timeout=LEASE_MS / 1000 + 15) for table in stalled))
    assert [fate for fate, _ in fates] == ["applied"] * len(stalled), fates
    # What was published before the wake-up (the stalled worker's old events among it) is not
    # the question: read it all away first.
    drained_until = time.monotonic() + 1.0
    while time.monotonic() < drained_until:
        listener.get_message(timeout=0.05)
    process.popen.send_signal(signal.SIGCONT)
    woke_at = time.monotonic()
    await asyncio.gather(*(play(table, 4, ITALIAN[3], timeout=10) for table in stalled))
    heard = []
    while time.monotonic() - woke_at < 3:
        message = listener.get_message(timeout=0.2)
        if message and message["type"] == "message":
            heard.append(message["data"])
    # Everything published after the wake-up carries the adopters' versions.
    low = [data for data in heard if b'"v":' in data and not _all_versions_at_least(data, RESUME_VERSION_GAP)]
    assert not low, low[:3]
    assert heard, "the adopters published nothing"
    await eventually(lambda: "lost its lease" in process.log(), timeout=10, what="the woken worker noticing")
    # It registered again under a new id and carries on with no games.
    health = wait_for_workers(stack, 3)
    assert stalled_id not in [worker["id"] for worker in health["engine"]["workers"]]
    for table in stalled:
        _, summary = http_json(stack.http() + f"/api/games/{table.game_id}")
        assert summary["status"] == "started" and summary["moves"] == ITALIAN[:4]
        assert_each_version_once(table)
    for game_id in stalled_snakes:
        _, summary = http_json(stack.http() + f"/api/games/{game_id}")
        assert summary["reason"] != "server_restart", summary


def _all_versions_at_least(payload: bytes, floor: int) -> bool:
    message = orjson.loads(payload)
    versions = [event[0] for event in message.get("events", [])] + ([message["head"]] if "head" in message else [])
    return all(v >= floor for v in versions)

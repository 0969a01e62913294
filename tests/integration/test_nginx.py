"""Several Daphne processes behind nginx, with several engine workers (docs/scaling.md).

nginx runs docs/deploy/nginx.conf as committed, with only its ports and static root rendered
(harness.render_nginx_conf), in front of the Procfile's processes: two `web` and three `worker`.
Every request and websocket of these tests goes through nginx; the web processes' own ports are
only read to see where sockets landed, and one of them is killed mid-game.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.harness import (
    REDIS_TEST_URL,
    Client,
    Nginx,
    Process,
    http_json,
    nginx_in_front,
    procfile,
    procfile_stack,
    wait_for_http,
)

pytestmark = pytest.mark.integration

WORKERS = 3
# New guests per client address per minute: low, so the last test can reach it.
GUEST_LIMIT = 8
OPENING = ["e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "g8f6", "d2d3", "f8c5", "c2c3", "d7d6"]


@pytest.fixture(scope="module")
def deployment():
    """Two web processes and three workers behind nginx, with the proxy trusted for one hop."""
    env = {"TRUSTED_PROXY_HOPS": "1", "GUEST_MINTS_PER_MINUTE": str(GUEST_LIMIT)}
    with procfile_stack(redis_url=REDIS_TEST_URL, web_processes=2, **env) as stack:
        for _ in range(WORKERS - 1):
            stack.start_worker()
        with nginx_in_front(stack.ports) as nginx:
            yield stack, nginx


class Seat:
    """A player's game socket through nginx that checks every event's version follows the last
    and, when its connection drops, reconnects with `?v=` of the last event it applied, as the
    browser client does (docs/protocol.md, section 5)."""

    def __init__(self, nginx: Nginx, game_id: str, token: str) -> None:
        self.url = nginx.ws(f"/ws/game/{game_id}/?token={token}")
        self.v: int | None = None
        self.client: Client | None = None
        self.reconnects = 0
        self.states = 0  # gameStates received, the first one included

    async def connect(self) -> None:
        self.client = await Client.open(self.url + (f"&v={self.v}" if self.v is not None else ""))

    async def reconnect(self) -> None:
        self.reconnects += 1
        await self.connect()

    async def receive(self, timeout: float = 10.0) -> dict:
        assert self.client is not None
        message = await self.client.receive(timeout)
        if message["type"] == "gameState":
            self.states += 1
            self.v = message["v"]
        elif "v" in message and message["type"] != "pong":
            assert message["v"] == self.v + 1, (message, self.v)
            self.v = message["v"]
        return message

    async def wait_for(self, predicate, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(max(0.01, deadline - time.monotonic()))
            if predicate(message):
                return message

    async def send(self, message: dict) -> None:
        assert self.client is not None
        await self.client.send(message)


async def dropped(seats: list[Seat], timeout: float = 5.0) -> list[Seat]:
    """The seats whose connection closes within `timeout` (after the first, a moment for others)."""
    closing = {asyncio.ensure_future(seat.client.socket.wait_closed()): seat for seat in seats}
    done, _ = await asyncio.wait(closing, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if done:
        done, _ = await asyncio.wait(closing, timeout=0.5)
    for waiting in closing:
        waiting.cancel()
    return [closing[waiting] for waiting in done]


def running_web(stack, port: int) -> Process | None:
    return next((p for p in stack.processes if p.name == f"web-{port}" and p.popen.poll() is None), None)


def guest(nginx: Nginx) -> tuple[str, str]:
    status, body = http_json(nginx.http() + "/api/guest", method="POST", data=b"")
    assert status == 201, body
    return body["username"], body["token"]


def game_sockets(stack, port: int) -> int:
    """Game sockets the web process on `port` holds, from its own /healthz (not through nginx)."""
    return http_json(stack.http(port) + "/healthz")[1]["relay"]["sockets"]


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def logged(nginx: Nginx, path: str) -> str | None:
    """nginx's access log line for a GET of `path` (written once the answer has gone)."""
    return next((line for line in nginx.access_log().splitlines() if f'"GET {path} ' in line), None)


async def eventually(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.05)
    return result


async def seated_chess_pair(stack, nginx: Nginx) -> tuple[str, Seat, Seat]:
    """Two guests queue for chess through nginx and open their game sockets: (game id, white,
    black). nginx sends each new websocket to the web process with the fewest, so the two queue
    sockets, and then the two game sockets, land on different web processes."""
    guests = [guest(nginx), guest(nginx)]
    queues = [await Client.open(nginx.ws(f"/ws/queue/?game=chess&tc=5%2B3&token={token}")) for _, token in guests]
    found = [await queue.receive_until(lambda m: m["type"] == "match_found") for queue in queues]
    assert found[0]["game_id"] == found[1]["game_id"]
    game_id = found[0]["game_id"]
    # Closed by the server (matched): nginx no longer counts them when the game sockets open.
    assert [await queue.close_code() for queue in queues] == [4001, 4001]
    seats = {username: Seat(nginx, game_id, token) for username, token in guests}
    for seat in seats.values():
        await seat.connect()
    states = [await seat.wait_for(lambda m: m["type"] == "gameState") for seat in seats.values()]
    white, black = seats[states[0]["white"]["username"]], seats[states[0]["black"]["username"]]
    return game_id, white, black


async def play(white: Seat, black: Seat, plies: range) -> None:
    """Plies of OPENING (counted from 1), each seen by both players before the next is sent."""
    for ply in plies:
        mover = white if ply % 2 else black
        await mover.send({"type": "move", "uci": OPENING[ply - 1]})
        for seat in (white, black):
            move = await seat.wait_for(lambda m: m["type"] == "move")
            assert (move["ply"], move["uci"]) == (ply, OPENING[ply - 1]), move


async def test_health_lists_every_worker_and_nginx_serves_the_static_files(deployment):
    _, nginx = deployment
    deadline = time.monotonic() + 30
    while True:
        status, health = http_json(nginx.http() + "/healthz")
        if status == 200 and len(health["engine"]["workers"]) == WORKERS:
            break
        assert time.monotonic() < deadline, health
        await asyncio.sleep(0.2)
    assert health["engine"]["alive"] and health["engine"]["games_without_owner"] == 0
    assert health["engine"]["lease_ms"] > 0

    # The project's own files come from the checkout, by nginx; Django's (the admin's) from a
    # web process, by the fallback. Each access log line names the upstream it used, or "-".
    for path, served_by_nginx in (("/static/css/kogame.css", True), ("/static/admin/css/base.css", False)):
        assert status_of(urllib.request.Request(nginx.http() + path)) == 200, path
        line = await eventually(lambda path=path: logged(nginx, path), 2, f"the access log's line for {path}")
        assert line.endswith("upstream=-") == served_by_nginx, line


async def test_players_on_two_web_processes_play_and_survive_the_death_of_one(deployment):
    stack, nginx = deployment
    game_id, white, black = await seated_chess_pair(stack, nginx)
    # Through nginx, one player's socket on each web process: every move crosses processes.
    spread = [1] * len(stack.ports)
    assert await eventually(lambda: [game_sockets(stack, port) for port in stack.ports] == spread, 5, "a socket per web process")
    await play(white, black, range(1, 5))

    # kill -9 of one Daphne: nginx drops the sockets it carried to it.
    stack.web(stack.ports[0]).terminate(signal.SIGKILL)
    lost = await dropped([white, black])
    assert len(lost) == 1, "exactly one player's socket went through the killed process"
    [dropped_seat] = lost
    survivor = black if dropped_seat is white else white

    # While the dropped player is away, its opponent chats (a versioned event).
    await survivor.send({"type": "chat", "message": "still there?"})
    chat = await survivor.wait_for(lambda m: m["type"] == "chat")
    # It reconnects through nginx (which skips the dead process) with ?v=, and gets what it
    # missed replayed in order, with no fresh gameState.
    states_before = dropped_seat.states
    await dropped_seat.reconnect()
    replayed = await dropped_seat.wait_for(lambda m: m["type"] == "chat")
    assert (replayed["v"], replayed["message"]) == (chat["v"], "still there?")
    assert dropped_seat.states == states_before
    assert await eventually(lambda: game_sockets(stack, stack.ports[1]) == 2, 5, "both sockets on the survivor")

    await play(white, black, range(5, len(OPENING) + 1))
    _, summary = http_json(nginx.http() + f"/api/games/{game_id}")
    assert summary["status"] == "started" and summary["moves"] == OPENING, summary
    for seat in (white, black):
        await seat.client.close()


async def test_a_rolling_restart_of_the_web_processes_keeps_the_game_going(deployment):
    """A deploy of the web processes behind nginx, one at a time: SIGTERM (Daphne exits, its
    sockets close), start again on the same port, wait until nginx sends it websockets again
    (once the failed attempts' fail_timeout has passed), then the next process."""
    stack, nginx = deployment
    for port in stack.ports:
        await restarted(stack, nginx, port)  # an earlier test may have killed one
    game_id, white, black = await seated_chess_pair(stack, nginx)
    ply = 1
    for port in stack.ports:
        stopped_in = await asyncio.to_thread(running_web(stack, port).terminate)
        print(f"web process on {port} exited {stopped_in:.2f} s after SIGTERM")
        for seat in await dropped([white, black], timeout=2):
            await seat.reconnect()
        await play(white, black, range(ply, ply + 2))
        ply += 2
        await restarted(stack, nginx, port)
    await play(white, black, range(ply, len(OPENING) + 1))
    assert white.reconnects + black.reconnects >= 2, "every player's socket moved at least once"
    _, summary = http_json(nginx.http() + f"/api/games/{game_id}")
    assert summary["moves"] == OPENING, summary
    for seat in (white, black):
        await seat.client.close()


async def restarted(stack, nginx: Nginx, port: int, timeout: float = 30) -> None:
    """Starts the web line on `port` again unless it runs, and waits until nginx hands it a
    websocket (a probe without a token, closed with 4002 at once)."""
    if running_web(stack, port) is None:
        stack.run_line(f"web-{port}", procfile()["web"], port=port)
        await asyncio.to_thread(wait_for_http, stack.http(port) + "/healthz", accept={200, 503})
    deadline = time.monotonic() + timeout
    while True:
        before = opened_game_sockets(stack, port)
        probe = await Client.open(nginx.ws("/ws/game/nosuchgame/"))
        await probe.close_code()
        if opened_game_sockets(stack, port) > before:
            return
        assert time.monotonic() < deadline, f"nginx sent nothing to the web process on {port}"
        await asyncio.sleep(0.5)


def opened_game_sockets(stack, port: int) -> float:
    """kogame_websockets_opened_total{kind="game"} of the web process on `port`."""
    with urllib.request.urlopen(stack.http(port) + "/metrics", timeout=5) as response:
        text = response.read().decode()
    match = re.search(r'^kogame_websockets_opened_total\{kind="game"\} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_a_client_cannot_dodge_the_guest_limit_with_its_own_x_forwarded_for(deployment):
    """nginx appends the address it saw, and TRUSTED_PROXY_HOPS=1 takes that entry: every mint
    here counts for 127.0.0.1, whatever the client claims. (Last: it spends the test address's
    guest budget. Twice the limit and one more: within at most two of the limit's windows.)"""
    _, nginx = deployment
    statuses = []
    for i in range(2 * GUEST_LIMIT + 1):
        forged = {"X-Forwarded-For": f"10.9.8.{i}"}
        statuses.append(status_of(urllib.request.Request(nginx.http() + "/api/guest", method="POST", data=b"", headers=forged)))
    assert 429 in statuses, statuses

"""Daphne as both launch lines run it (the Procfile's `web` and `scripts/serve`), in embedded mode:
unknown paths, oversize frames and silent clients all end cleanly, with a code the client sees."""

import asyncio
import contextlib
import re
import tempfile
import time
from pathlib import Path

import pytest
import websockets

from tests.integration.harness import (
    ROOT,
    Client,
    Stack,
    base_env,
    free_port,
    new_guest,
    open_silent_websocket,
    procfile,
    wait_for_http,
)

pytestmark = pytest.mark.integration

KIB = 1024
MIB = 1024 * KIB
# Daphne's --websocket-max-message-size in both launch lines.
DAPHNE_MAX_MESSAGE = 64 * KIB


@pytest.fixture(scope="module", params=["procfile web", "scripts/serve"])
def server(request):
    with tempfile.TemporaryDirectory() as workdir:
        env = base_env(REDIS_URL=None, DATABASE_URL=f"sqlite:///{workdir}/db.sqlite3")
        stack = Stack(env=env, workdir=Path(workdir))
        with stack.running():
            if request.param == "procfile web":
                stack.release()
                stack.start_web()
            else:
                port = free_port()
                stack.run_line("serve", "bash scripts/serve", port=port)
                stack.ports.append(port)
            wait_for_http(stack.http() + "/healthz", accept={200}, timeout=120)
            yield stack


def test_both_launch_lines_give_daphne_the_same_limits():
    serve_line = next(line for line in (ROOT / "scripts/serve").read_text().splitlines() if "daphne" in line)
    limits = re.findall(r"--[\w-]+ \d+", procfile()["web"])
    assert limits == re.findall(r"--[\w-]+ \d+", serve_line)
    assert f"--websocket-max-message-size {DAPHNE_MAX_MESSAGE}" in limits


@pytest.mark.parametrize(
    "path", ["/ws/game/abc$def/", "/ws/room/abc$def/", "/ws/game/abc/def/", "/ws/nothing", "/ws/game/abc%0A/", "/"]
)
async def test_unknown_paths_close_with_4004_and_log_no_traceback(server, path):
    client = await Client.open(server.ws(path))
    assert await client.close_code() == 4004
    log = server.logs()
    assert "Traceback" not in log and "No route found" not in log


async def queue_socket(server, tc: str) -> Client:
    _, token = new_guest(server)
    # Chess queues with a time control no other test uses: nothing gets matched meanwhile.
    client = await Client.open(server.ws(f"/ws/queue/?game=chess&tc={tc.replace('+', '%2B')}&token={token}"))
    assert (await client.receive())["type"] == "queued"
    return client


@pytest.mark.parametrize(
    "size, binary",
    [
        (5 * KIB, False),
        (DAPHNE_MAX_MESSAGE, False),
        (DAPHNE_MAX_MESSAGE + 1, False),
        (MIB + 1, False),
        (2 * MIB, False),
        (2 * MIB, True),
    ],
)
async def test_every_oversize_frame_closes_with_1009(server, size, binary):
    client = await queue_socket(server, "7+7")
    # The server may close before the last byte is sent: what counts is the code it sent.
    with contextlib.suppress(websockets.ConnectionClosed):
        await client.socket.send(b"x" * size if binary else "x" * size)
    assert await client.close_code() == 1009
    # The server is still serving.
    follower = await queue_socket(server, "8+8")
    await follower.close()
    assert "Traceback" not in server.logs()


async def open_silent_socket(server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A websocket handshake over a raw TCP connection that then never answers anything."""
    _, token = new_guest(server)
    return await open_silent_websocket(server.ports[0], f"/ws/queue/?game=chess&tc=9%2B9&token={token}")


async def seconds_until_dropped(reader: asyncio.StreamReader) -> float:
    started = time.monotonic()
    try:
        while await reader.read(4096):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - started


async def test_a_silent_client_is_dropped_and_a_quiet_live_one_is_not(server):
    live = await queue_socket(server, "6+6")
    reader, writer = await open_silent_socket(server)
    # --ping-interval 3 --ping-timeout 4, and Daphne checks every 2 s whether to ping: dropped 7 to
    # 9.2 s after Daphne saw the handshake (a little less after the client read its answer).
    lifetime = await asyncio.wait_for(seconds_until_dropped(reader), timeout=20)
    writer.close()
    assert 5 < lifetime <= 10
    # The live client sent nothing either, but its library answered every ping.
    await live.send({"type": "ping"})
    assert (await live.receive_until(lambda m: m["type"] == "pong"))["type"] == "pong"
    await live.close()


async def test_a_flood_closes_1008_and_answers_still_on_their_way_log_no_traceback(server):
    _, token = new_guest(server)
    queued = await Client.open(server.ws(f"/ws/queue/?game=chess&tc=6%2B5&token={token}"))
    assert (await queued.receive())["type"] == "queued"
    opponent = await queue_socket(server, "6+5")
    game_id = (await queued.receive_until(lambda m: m["type"] == "match_found"))["game_id"]
    await opponent.close()
    player = await Client.open(server.ws(f"/ws/game/{game_id}/?token={token}"))
    # The engine refuses every resignation after the first, asynchronously: its answers are still
    # on their way when the flood closes the socket.
    with contextlib.suppress(websockets.ConnectionClosed):
        for _ in range(60):
            await player.send({"type": "resign"})
    assert await player.close_code() == 1008
    healthy = await queue_socket(server, "6+6")
    await healthy.close()
    assert "Traceback" not in server.logs()

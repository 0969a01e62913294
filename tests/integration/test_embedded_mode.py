"""The README's serve command: one process, SQLite, no Redis, serving real clients."""

import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.harness import Client, Stack, base_env, free_port, http_json, new_guest, wait_for_http

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedded():
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        # No REDIS_URL, no DATABASE_URL pointing at a server: the embedded mode.
        env = base_env(REDIS_URL=None, DATABASE_URL=f"sqlite:///{workdir}/embedded.sqlite3", DEBUG=None, SECRET_KEY=None)
        stack = Stack(env=env, workdir=Path(workdir))
        stack.run_line("serve", "bash scripts/serve", port=port)
        stack.ports.append(port)
        try:
            wait_for_http(stack.http() + "/healthz", accept={200}, timeout=120)
            yield stack
        except BaseException:
            print(stack.logs())
            raise
        finally:
            serve = stack.processes[0]
            serve.terminate()


def test_pages_are_served_and_a_visitor_becomes_a_guest(embedded):
    with urllib.request.urlopen(embedded.http() + "/") as response:
        body = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    assert response.status == 200
    assert "Kogame" in body
    assert any(cookie.startswith("sessionid=") for cookie in cookies)


async def test_a_browser_session_plays_through_the_embedded_engine(embedded):
    with urllib.request.urlopen(embedded.http() + "/") as response:
        session_cookie = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("sessionid="))
    _, other_token = new_guest(embedded)
    headers = {"Cookie": session_cookie}
    origin = embedded.http()
    browser_queue = await Client.open(embedded.ws("/ws/queue/?game=snake"), additional_headers=headers, origin=origin)
    assert (await browser_queue.receive())["type"] == "queued"
    other_queue = await Client.open(embedded.ws(f"/ws/queue/?game=snake&token={other_token}"))
    game_id = (await browser_queue.receive_until(lambda m: m["type"] == "match_found"))["game_id"]
    await other_queue.close()

    browser_game = await Client.open(embedded.ws(f"/ws/game/{game_id}/"), additional_headers=headers, origin=origin)
    state = await browser_game.receive()
    assert state["type"] == "gameState" and state["you"]["role"] == "player"
    tick = await browser_game.receive_until(lambda m: m["type"] == "tick")
    assert tick["v"] == state["v"] + 1
    end = await browser_game.receive_until(lambda m: m["type"] == "gameEnd", timeout=30)
    assert end["status"] == "finished"
    await browser_game.close()
    status, summary = http_json(embedded.http() + f"/api/games/{game_id}")
    assert status == 200 and summary["game"] == "snake"


def test_debug_is_off_and_the_announced_address_is_the_served_port(embedded):
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(embedded.http() + "/no-such-page/")
    page = missing.value.read().decode()
    assert missing.value.code == 404 and "Django" not in page and "URLconf" not in page
    assert f"http://127.0.0.1:{embedded.ports[0]}" in embedded.processes[0].log()

"""The Procfile's release, web and worker lines against real Redis and PostgreSQL, played over
real websockets by scripted clients that follow the contract."""

import asyncio
import json
import time

import pytest

from tests.integration.harness import Client, http_json, new_guest, wait_for_http

pytestmark = pytest.mark.integration


async def queue_up(stack, token, port=None):
    client = await Client.open(stack.ws(f"/ws/queue/?game=snake&token={token}", port))
    assert (await client.receive())["type"] == "queued"
    return client


async def test_healthz_reports_a_live_engine(stack):
    status, body = http_json(stack.http() + "/healthz")
    assert status == 200
    assert body["engine"]["alive"] is True


async def test_two_guests_queue_play_snake_to_its_end_and_the_result_is_saved(stack):
    (alice, alice_token), (bob, bob_token) = new_guest(stack), new_guest(stack)
    alice_queue = await queue_up(stack, alice_token)
    # Bob queues through the other web process: matching must work across processes.
    bob_queue = await queue_up(stack, bob_token, port=stack.ports[1])
    found_a = await alice_queue.receive_until(lambda m: m["type"] == "match_found")
    found_b = await bob_queue.receive_until(lambda m: m["type"] == "match_found")
    assert found_a["game_id"] == found_b["game_id"]
    assert await alice_queue.close_code() == 4001 and await bob_queue.close_code() == 4001
    game_id = found_a["game_id"]

    alice_game = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={alice_token}"))
    bob_game = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={bob_token}", stack.ports[1]))
    state = await alice_game.receive()
    assert state["type"] == "gameState" and state["game"] == "snake"
    assert {p["username"] for p in state["players"]} == {alice, bob}
    await bob_game.receive()

    # Steer during the countdown: the turn shows in a following tick.
    mine = next(p for p in state["players"] if p["username"] == alice)
    turn = {"UP": "LEFT", "DOWN": "RIGHT", "LEFT": "DOWN", "RIGHT": "UP"}[mine["direction"]]
    await alice_game.send({"type": "direction", "direction": turn})
    turned = await alice_game.receive_until(
        lambda m: m["type"] == "tick" and next(p for p in m["players"] if p["username"] == alice)["direction"] == turn
    )

    # Bob drops, misses a few ticks, and comes back with ?v=: he gets exactly what he missed.
    last_seen = (await bob_game.receive_until(lambda m: m["type"] == "tick"))["v"]
    await bob_game.close()
    await alice_game.receive_until(lambda m: m["type"] == "tick" and m["v"] >= last_seen + 3)
    bob_game = await Client.open(stack.ws(f"/ws/game/{game_id}/?v={last_seen}&token={bob_token}", stack.ports[1]))
    replayed = [await bob_game.receive() for _ in range(3)]
    assert [m["v"] for m in replayed] == [last_seen + 1, last_seen + 2, last_seen + 3]

    # Nobody steers any more: the snakes reach walls and the game ends by itself.
    end_a = await alice_game.receive_until(lambda m: m["type"] == "gameEnd", timeout=30)
    end_b = await bob_game.receive_until(lambda m: m["type"] == "gameEnd", timeout=5)
    assert end_a == end_b
    assert end_a["v"] > turned["v"]
    assert end_a["status"] == "finished"
    assert set(end_a["scores"]) == {alice, bob}

    deadline = time.monotonic() + 10
    while True:
        status, summary = http_json(stack.http() + f"/api/games/{game_id}")
        if summary.get("status") == "finished" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert status == 200
    assert (summary["status"], summary["reason"], summary["winner"]) == ("finished", end_a["reason"], end_a["winner"])
    assert {p["username"]: p["score"] for p in summary["players"]} == end_a["scores"]
    await alice_game.close()
    await bob_game.close()


async def test_queue_across_two_web_processes_seats_every_player_exactly_once(stack):
    guests = [new_guest(stack, port) for port in stack.ports for _ in range(4)]
    clients = [
        await queue_up(stack, token, port)
        for (_, token), port in zip(guests, [p for p in stack.ports for _ in range(4)], strict=True)
    ]
    found = await asyncio.gather(*(c.receive_until(lambda m: m["type"] == "match_found", timeout=20) for c in clients))
    games: dict[str, list[str]] = {}
    for (username, _), message in zip(guests, found, strict=True):
        games.setdefault(message["game_id"], []).append(username)
    assert sorted(name for names in games.values() for name in names) == sorted(name for name, _ in guests)
    for game_id, usernames in games.items():
        _, summary = http_json(stack.http() + f"/api/games/{game_id}")
        assert sorted(p["username"] for p in summary["players"]) == sorted(usernames)
        assert 2 <= len(usernames) <= 4
    for client in clients:
        await client.close()


async def test_bad_frames_over_real_daphne(stack):
    (_, token), (_, bob_token) = new_guest(stack), new_guest(stack)
    alice_queue, bob_queue = await queue_up(stack, token), await queue_up(stack, bob_token)
    game_id = (await alice_queue.receive_until(lambda m: m["type"] == "match_found"))["game_id"]
    await bob_queue.close()

    client = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={token}"))
    await client.receive()
    for frame, code in [("{oops", "not_json"), ("[]", "not_object"), ('{"type":"jump"}', "unknown_type")]:
        await client.socket.send(frame)
        error = await client.receive_until(lambda m: m["type"] == "error")
        assert error["code"] == code
    await client.send({"type": "ping"})
    await client.receive_until(lambda m: m["type"] == "pong")

    await client.socket.send(json.dumps({"type": "chat", "message": "x" * 10_000}))
    assert await client.close_code() == 1009

    flooder = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={token}"))
    for _ in range(100):
        await flooder.send({"type": "ping"})
    assert await flooder.close_code() == 1008

    anonymous = await Client.open(stack.ws(f"/ws/game/{game_id}/"))
    assert await anonymous.close_code() == 4002
    cross_site = await Client.open(stack.ws(f"/ws/game/{game_id}/"), origin="http://evil.example")
    assert await cross_site.close_code() == 4002
    unknown = await Client.open(stack.ws(f"/ws/game/doesnotexist/?token={token}"))
    assert await unknown.close_code() == 4004


async def test_worker_stops_cleanly_on_sigterm_and_health_reports_it(stack):
    worker = next(p for p in stack.processes if p.name == "worker")
    took = worker.terminate()
    assert worker.popen.returncode == 0, worker.log()[-2000:]
    assert took < 5
    assert "engine stopped" in worker.log()
    wait_for_http(stack.http() + "/healthz", accept={503}, timeout=15)

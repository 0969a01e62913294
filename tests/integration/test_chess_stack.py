"""Chess through the Procfile's processes on Redis and PostgreSQL, over real websockets."""

import time
import urllib.request

import pytest

from tests.integration.harness import Client, http_json, new_guest

pytestmark = pytest.mark.integration


async def paired(stack, tc):
    """Two guests queue for `tc` (through different web processes) and open the game socket."""
    guests = [new_guest(stack, port) for port in stack.ports]
    queues = [
        await Client.open(stack.ws(f"/ws/queue/?game=chess&tc={tc.replace('+', '%2B')}&token={token}", port))
        for (_, token), port in zip(guests, stack.ports, strict=True)
    ]
    game_ids = {(await q.receive_until(lambda m: m["type"] == "match_found"))["game_id"] for q in queues}
    assert len(game_ids) == 1
    game_id = game_ids.pop()
    sockets = {}
    for (username, token), port in zip(guests, stack.ports, strict=True):
        sockets[username] = await Client.open(stack.ws(f"/ws/game/{game_id}/?token={token}", port))
    state = await sockets[guests[0][0]].receive()
    await sockets[guests[1][0]].receive()
    return game_id, sockets[state["white"]["username"]], sockets[state["black"]["username"]], state


async def test_two_players_queue_and_play_to_checkmate(stack):
    game_id, white, black, state = await paired(stack, "3+2")
    assert state["clock"] == {"white": 180_000, "black": 180_000, "running": None}
    # Scholar's mate, with an illegal move and an out-of-turn move that change nothing.
    await black.send({"type": "move", "uci": "e7e5"})
    assert (await black.receive_until(lambda m: m["type"] == "error"))["code"] == "not_your_turn"
    moves = [
        (white, "e2e4"),
        (black, "e7e5"),
        (white, "f1c4"),
        (black, "b8c6"),
        (white, "d1h5"),
        (black, "g8f6"),
        (white, "h5f7"),
    ]
    for ply, (mover, uci) in enumerate(moves, start=1):
        await mover.send({"type": "move", "uci": uci})
        for socket in (white, black):
            move = await socket.receive_until(lambda m: m["type"] == "move")
            assert (move["uci"], move["ply"]) == (uci, ply)
    assert move["san"] == "Qxf7#"
    end = await black.receive_until(lambda m: m["type"] == "gameEnd")
    assert (end["status"], end["reason"], end["winner"]) == ("white_wins", "checkmate", "white")

    deadline = time.monotonic() + 10
    while http_json(stack.http() + f"/api/games/{game_id}")[1]["status"] != "white_wins":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    _, summary = http_json(stack.http() + f"/api/games/{game_id}")
    assert summary["moves"] == [uci for _, uci in moves]
    with urllib.request.urlopen(stack.http() + f"/api/games/{game_id}/pgn") as response:
        pgn = response.read().decode()
    assert '[Result "1-0"]' in pgn and "Qxf7#" in pgn and "%clk" in pgn
    await white.close()
    await black.close()


async def test_the_server_ends_a_game_on_time_without_any_claim(stack):
    _, white, black, _ = await paired(stack, "0.25+0")
    await white.send({"type": "move", "uci": "e2e4"})
    await black.receive_until(lambda m: m["type"] == "move")
    await black.send({"type": "move", "uci": "e7e5"})
    started = await white.receive_until(lambda m: m["type"] == "move" and m["uci"] == "e7e5")
    assert started["clock"]["running"] == "white"
    # White never moves again and nobody claims anything: the engine's own tick flags white.
    end = await black.receive_until(lambda m: m["type"] == "gameEnd", timeout=25)
    assert (end["status"], end["reason"], end["winner"]) == ("black_wins", "timeout", "black")
    # Never before white's time is gone (the flag-delay figure itself is the benchmark's job).
    flag_due_ms = started["ts"] + started["clock"]["white"]
    assert end["ts"] >= flag_due_ms - 5
    await white.close()
    await black.close()


async def test_a_chess_game_survives_a_worker_restart(stack):
    game_id, white, black, _ = await paired(stack, "5+0")
    for mover, uci in [(white, "d2d4"), (black, "d7d5"), (white, "c2c4")]:
        await mover.send({"type": "move", "uci": uci})
        last = await black.receive_until(lambda m, uci=uci: m["type"] == "move" and m["uci"] == uci)
    # A deploy: the old worker gets SIGTERM, a new one starts and takes the game over.
    worker = next(p for p in stack.processes if p.name == "worker" and p.popen.poll() is None)
    worker.terminate()
    assert worker.popen.returncode == 0
    stack.start_worker()
    await black.send({"type": "move", "uci": "e7e6"})
    # The new process numbers its events past the old ones: connected clients see the jump and
    # get a fresh gameState; the move sent meanwhile is in it, or follows it.
    resumed = await white.receive_until(lambda m: m["type"] == "gameState", timeout=20)
    assert resumed["v"] > last["v"]
    if resumed["moves"] == ["d2d4", "d7d5", "c2c4"]:
        moved = await white.receive_until(lambda m: m["type"] == "move", timeout=10)
        assert (moved["uci"], moved["ply"]) == ("e7e6", 4) and moved["v"] == resumed["v"] + 1
        resumed = {**resumed, "moves": [*resumed["moves"], "e7e6"], "clock": moved["clock"]}
    assert resumed["moves"] == ["d2d4", "d7d5", "c2c4", "e7e6"]
    # The saved clocks carried over, and white's clock runs again from where c4 left it.
    assert resumed["clock_history"][2] == {"white": last["clock"]["white"], "black": last["clock"]["black"]}
    assert resumed["clock"]["running"] == "white"
    assert resumed["clock"]["white"] <= last["clock"]["white"]
    await white.send({"type": "move", "uci": "g1f3"})
    after = await black.receive_until(lambda m: m["type"] == "move" and m["uci"] == "g1f3")
    assert after["ply"] == 5 and after["v"] > resumed["v"]
    _, summary = http_json(stack.http() + f"/api/games/{game_id}")
    assert summary["status"] == "started" and summary["moves"] == ["d2d4", "d7d5", "c2c4", "e7e6", "g1f3"]
    await white.close()
    await black.close()

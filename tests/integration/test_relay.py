"""The relay over the Procfile's real processes: each web process subscribes to a game's Redis
channel while it has sockets of the game, and its sockets heal, with no gap left, when its
subscriber's connection is killed mid-game."""

from __future__ import annotations

import json
import time

import pytest
import redis

from tests.integration.harness import Client, http_json, new_guest, private_redis, procfile_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def relay_stack():
    """Two web processes on a private redis-server: the test kills pub/sub connections, which it
    must not do on a server others use."""
    with private_redis() as redis_url, procfile_stack(redis_url=redis_url, web_processes=2) as stack:
        yield stack, redis.Redis.from_url(redis_url)


def start_bot_game(stack, token: str) -> str:
    """A Snake game of the caller and three hard bots, which outlive the caller's unsteered snake."""
    body = json.dumps({"game": "snake", "target_players": 4, "bot_level": "hard"}).encode()
    status, answer = http_json(stack.http() + "/api/bot-games", "POST", body, token=token)
    assert status == 201, answer
    return answer["game_id"]


def subscribers(server: redis.Redis, game_id: str) -> int:
    ((_, count),) = server.pubsub_numsub(f"kogame:relay:{game_id}")
    return count


def wait_for_subscribers(server: redis.Redis, game_id: str, count: int, timeout: float = 5.0) -> None:
    """Subscriptions are Redis state, with nothing to await: poll it."""
    deadline = time.monotonic() + timeout
    while subscribers(server, game_id) != count:
        assert time.monotonic() < deadline, f"{subscribers(server, game_id)} subscriber(s), not {count}"
        time.sleep(0.02)


async def test_sockets_heal_with_no_gap_when_their_web_process_loses_its_subscription(relay_stack):
    stack, server = relay_stack
    first, second = stack.ports
    (_, player_token), (_, watcher_token), (_, far_watcher_token) = (new_guest(stack) for _ in range(3))
    game_id = start_bot_game(stack, player_token)
    # The player and a spectator on the first web process, another spectator on the second.
    clients = [
        await Client.open(stack.ws(f"/ws/game/{game_id}/?token={player_token}", first)),
        await Client.open(stack.ws(f"/ws/game/{game_id}/?token={watcher_token}", first)),
        await Client.open(stack.ws(f"/ws/game/{game_id}/?token={far_watcher_token}", second)),
    ]
    states = [await client.receive() for client in clients]
    assert [state["type"] for state in states] == ["gameState"] * 3
    last_v = [state["v"] for state in states]
    # One subscription per web process, whatever its number of sockets of the game.
    wait_for_subscribers(server, game_id, 2)

    async def versions_follow(count: int) -> int:
        """Reads `count` events on every client (fewer if the game ends); each must be the next version."""
        ended = 0
        for index, client in enumerate(clients):
            for _ in range(count):
                message = await client.receive()
                assert message["type"] != "gameState", f"client {index} got a fresh gameState: a gap it could not heal"
                assert message["v"] == last_v[index] + 1, f"client {index}: v {message['v']} after {last_v[index]}"
                last_v[index] = message["v"]
                if message["type"] == "gameEnd":
                    ended += 1
                    break
        return ended

    assert not await versions_follow(5)
    killed = server.client_kill_filter(_type="pubsub")
    assert killed == 2
    # The subscribers wait 0.1 s before they connect again: the game ticks into that lapse.
    assert subscribers(server, game_id) == 0
    # Ticks published while the subscribers were away reach every socket by its resync.
    await versions_follow(30)
    for port, sockets in ((first, 2), (second, 1)):
        status, health = http_json(stack.http(port) + "/healthz")
        assert status == 200, health
        relay = health["relay"]
        assert relay["subscriber"] == {"connected": True, "connections_lost": 1}, relay
        assert relay["resyncs"] >= sockets and relay["dropped_feed_full"] == 0, relay
    for client in clients:
        await client.close()
    # The last socket of the game in each process unsubscribes it.
    wait_for_subscribers(server, game_id, 0)

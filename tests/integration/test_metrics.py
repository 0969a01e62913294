"""Metrics and structured logs over the Procfile's real processes: the worker serves its engine's
metrics on METRICS_PORT, the web process answers GET /metrics, and with LOG_FORMAT=json every
log line of the worker is a JSON object naming the worker (and the game, where it is about one)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.harness import REDIS_TEST_URL, Client, free_port, http_json, new_guest, procfile_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def metrics_stack():
    port = free_port()
    worker_env = {"METRICS_PORT": str(port), "LOG_FORMAT": "json"}
    with procfile_stack(redis_url=REDIS_TEST_URL, web_processes=1, worker_env=worker_env) as stack:
        yield stack, port


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape_until(url: str, check, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(url)
        if check(samples):
            return samples
        assert time.monotonic() < deadline, f"{url} never showed what was expected"
        time.sleep(0.2)


def bot_game(stack, token: str, body: dict) -> str:
    status, answer = http_json(stack.http() + "/api/bot-games", "POST", json.dumps(body).encode(), token=token)
    assert status == 201, answer
    return answer["game_id"]


async def test_worker_and_web_metrics_after_a_snake_game_and_a_chess_bot_move(metrics_stack):
    stack, metrics_port = metrics_stack
    _, token = new_guest(stack)
    snake_id = bot_game(stack, token, {"game": "snake", "target_players": 4, "bot_level": "easy"})
    chess_id = bot_game(stack, token, {"game": "chess", "tc": "5+0", "bot_level": "easy", "color": "black"})
    snake = await Client.open(stack.ws(f"/ws/game/{snake_id}/?token={token}"))
    chess = await Client.open(stack.ws(f"/ws/game/{chess_id}/?token={token}"))
    assert (await snake.receive())["type"] == "gameState"
    assert (await chess.receive())["type"] == "gameState"
    await snake.send({"type": "direction", "direction": "UP"})
    await snake.receive_until(lambda message: message["type"] == "tick")
    await chess.receive_until(lambda message: message["type"] == "move")  # the bot, playing white

    worker = scrape_until(
        f"http://127.0.0.1:{metrics_port}/metrics",
        lambda samples: (
            samples.get(("kogame_engine_intents_total", ()), 0) >= 1
            and samples.get(("kogame_store_records_saved_total", (("record", "MoveMade"),)), 0) >= 1
        ),
    )
    assert worker[("kogame_engine_running", ())] == 1
    assert worker[("kogame_engine_games", (("kind", "snake"), ("state", "live")))] >= 1
    assert worker[("kogame_engine_games", (("kind", "chess"), ("state", "live")))] == 1
    assert worker[("kogame_engine_ticks_total", ())] > 0
    assert worker[("kogame_engine_events_total", ())] > 0
    assert worker[("kogame_engine_iteration_seconds_count", ())] > 0
    assert worker[("kogame_bot_moves_answered_total", ())] >= 1
    assert worker[("kogame_broadcast_published_total", ())] > 0
    assert next(labels for name, labels in worker if name == "kogame_process_info")[0] == ("role", "worker")

    web = scrape_until(stack.http() + "/metrics", lambda samples: samples.get(("kogame_relay_lag_seconds_count", ()), 0) > 0)
    assert web[("kogame_websockets_open", (("kind", "game"),))] == 2
    assert web[("kogame_relay_sockets", ())] == 2
    assert web[("kogame_relay_subscriber_connected", ())] == 1
    assert web[("kogame_relay_received_total", ())] > 0
    assert web[("kogame_to_engine_messages_total", (("type", "engine.intent"),))] >= 1
    # Same host, same clock: the lag is the relay's own, well under a second.
    assert web[("kogame_relay_lag_seconds_bucket", (("le", "1.0"),))] == web[("kogame_relay_lag_seconds_count", ())]
    # The web process runs no engine: its metrics have none of the engine's.
    assert not any(name.startswith("kogame_engine_") for name, _ in web)
    assert next(labels for name, labels in web if name == "kogame_process_info")[0] == ("role", "web")
    await snake.close()
    await chess.close()

    log = [line for line in stack.worker().log().splitlines() if line.strip()]
    entries = [json.loads(line) for line in log if line.startswith("{")]
    # Every line the worker's loggers wrote is JSON (tracebacks included, inside their line).
    assert len(entries) == len(log), [line for line in log if not line.startswith("{")][:5]
    assert any(entry.get("metrics_port") == metrics_port for entry in entries)
    # Lines written before the worker took its lease name it host:pid, the rest by its lease's id.
    names = {entry["worker"] for entry in entries}
    leased = [name for name in names if ":" not in name]
    assert len(leased) == 1 and len(names) <= 2, names
    started = [entry for entry in entries if entry["message"].startswith(f"game {chess_id} ")]
    assert started and all(entry["game_id"] == chess_id and entry["worker"] == leased[0] for entry in started)

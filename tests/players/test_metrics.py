"""GET /metrics on a web process: its sockets, its relay, what it handed to the engine, and in
embedded mode (this test process) the engine's own figures."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import AsyncClient, Client
from prometheus_client.parser import text_string_to_metric_families

from kogame.open_sockets import CountOpenSockets, socket_kind, this_process_sockets
from kogame.routing import websocket_urlpatterns
from players.auth import WebsocketAuthStack
from tests.conftest import eventually
from tests.players.test_consumers import make_guest, receive_until, started_game

pytestmark = pytest.mark.django_db(transaction=True)

# The websocket stack as kogame/asgi.py builds it.
application = CountOpenSockets(WebsocketAuthStack(URLRouter(websocket_urlpatterns)), this_process_sockets)


def samples_of(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape() -> dict[tuple[str, tuple], float]:
    response = await AsyncClient().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return samples_of(response.content.decode())


def game_sockets(samples) -> float:
    return samples.get(("kogame_websockets_open", (("kind", "game"),)), 0)


def intents_sent(samples) -> float:
    return samples.get(("kogame_to_engine_messages_total", (("type", "engine.intent"),)), 0)


async def test_metrics_count_the_sockets_the_relay_and_the_engine_after_a_game_is_played():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 0, "tick_hz": 20})
    before = await scrape()

    communicator = WebsocketCommunicator(application, f"/ws/game/{game.id}/?token={token}")
    assert (await communicator.connect())[0]
    state = await communicator.receive_json_from(timeout=3)
    assert state["type"] == "gameState"
    await communicator.send_json_to({"type": "direction", "direction": "UP"})
    await receive_until(communicator, lambda message: message["type"] == "tick")
    during = await eventually(lambda: _scraped_after_intent(before))

    assert game_sockets(during) == game_sockets(before) + 1
    assert during[("kogame_websockets_opened_total", (("kind", "game"),))] >= 1
    assert during[("kogame_relay_sockets", ())] >= 1
    assert during[("kogame_relay_delivered_total", ())] > before.get(("kogame_relay_delivered_total", ()), 0)
    assert during[("kogame_to_engine_messages_total", (("type", "engine.sync"),))] >= 1
    assert during[("kogame_relay_lag_seconds_count", ())] > before.get(("kogame_relay_lag_seconds_count", ()), 0)
    # Embedded mode: the engine runs in this process, and its figures are here too.
    assert during[("kogame_engine_running", ())] == 1
    assert during[("kogame_engine_games", (("kind", "snake"), ("state", "live")))] >= 1
    assert during[("kogame_engine_ticks_total", ())] > before.get(("kogame_engine_ticks_total", ()), 0)
    assert during[("kogame_engine_intents_total", ())] > before.get(("kogame_engine_intents_total", ()), 0)
    assert during[("kogame_engine_iteration_seconds_count", ())] > 0
    assert next(labels for name, labels in during if name == "kogame_process_info")[0] == ("role", "embedded")

    await communicator.disconnect()
    after = await eventually(lambda: _scraped_with_game_sockets(game_sockets(before)))
    assert game_sockets(after) == game_sockets(before)


async def _scraped_after_intent(before):
    samples = await scrape()
    return samples if intents_sent(samples) > intents_sent(before) else None


async def _scraped_with_game_sockets(count):
    samples = await scrape()
    return samples if game_sockets(samples) == count else None


def test_socket_kinds_come_from_the_path():
    assert socket_kind("/ws/game/abc/") == "game"
    assert socket_kind("/ws/queue/") == "queue"
    assert socket_kind("/ws/room/ABC234/") == "room"
    assert socket_kind("/ws/nothing/") == "other"
    assert socket_kind("/") == "other"


def test_metrics_ask_for_the_token_when_one_is_set(settings):
    settings.METRICS_TOKEN = "s3cret"
    client = Client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answered = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert answered.status_code == 200
    assert b"kogame_relay_sockets" in answered.content


def test_a_scrape_makes_no_guest(client):
    users_before = get_user_model().objects.count()
    assert client.get("/metrics").status_code == 200
    assert get_user_model().objects.count() == users_before

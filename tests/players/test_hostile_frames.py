"""Frames and handshakes from a hostile client: each once crashed a consumer with close 1011.

Each bad frame must get an `error`, reach nothing beyond the consumer, and leave the socket open.
"""

import json

import pytest
from channels.testing import WebsocketCommunicator

from players.consumers import game as game_consumer
from tests.players.test_consumers import application, closed_with, connect, make_guest, receive_until, started_game

pytestmark = pytest.mark.django_db(transaction=True)

DEEP_LIST = "[" * 1200 + "]" * 1200


@pytest.fixture
def engine_messages(monkeypatch):
    """What the consumers send to the engine (recorded on the way)."""
    sent = []
    deliver = game_consumer.send_to_engine

    async def record(message):
        sent.append(message)
        await deliver(message)

    monkeypatch.setattr(game_consumer, "send_to_engine", record)
    return sent


async def player_socket(**settings):
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100, **settings})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    assert (await communicator.receive_json_from(timeout=3))["type"] == "gameState"
    return communicator


async def assert_still_open(communicator):
    await communicator.send_json_to({"type": "ping"})
    await receive_until(communicator, lambda m: m["type"] == "pong")


@pytest.mark.parametrize(
    "frame, code",
    [
        ('{"type": "chat", "message": ' + DEEP_LIST + "}", "too_deep"),
        ("[" * 3000, "too_deep"),
        ('{"type": "chat", "message": "\\ud800"}', "bad_field"),
        ('{"type": "chat", "message": "a\\udfffb"}', "bad_field"),
        ('{"type": "chat", "message": "bell \\u0007"}', "bad_field"),
        ('{"type": "chat", "message": "two\\nlines"}', "bad_field"),
        ('{"type": "chat", "message": "\\u202emirrored"}', "bad_field"),
        ('{"type": "direction", "direction": ["UP"]}', "bad_field"),
        ('{"type": "direction", "direction": {"UP": 1}}', "bad_field"),
        ('{"type": "direction", "direction": "UP\\n"}', "bad_field"),
        ('{"type": "direction", "direction": NaN}', "not_json"),
        (json.dumps({"type": "x" * 3000}), "bad_type"),
        ('{"type": ["chat"]}', "bad_type"),
        ('{"type": {"chat": 1}}', "bad_type"),
    ],
)
async def test_hostile_frames_get_an_error_and_reach_nothing(frame, code, engine_messages):
    communicator = await player_socket()
    await communicator.send_to(text_data=frame)
    error = await receive_until(communicator, lambda m: m["type"] == "error")
    assert error["code"] == code and error["message"]
    assert len(error["message"]) < 200
    await assert_still_open(communicator)
    assert [m for m in engine_messages if m["type"] == "engine.intent"] == []
    await communicator.disconnect()


@pytest.mark.parametrize(
    "text, code",
    [
        # Raw lone surrogates cannot come through Daphne (it decodes strict UTF-8), but the
        # consumer must not depend on that.
        ('{"type": "chat", "message": "\ud800"}', "bad_field"),
        ('{"type": "\udc80"}', "unknown_type"),
        ("\ud800", "not_json"),
    ],
)
async def test_text_that_is_not_valid_unicode_gets_an_error(text, code, engine_messages):
    communicator = await player_socket()
    await communicator.send_to(text_data=text)
    error = await receive_until(communicator, lambda m: m["type"] == "error")
    assert error["code"] == code
    await assert_still_open(communicator)
    assert [m for m in engine_messages if m["type"] == "engine.intent"] == []
    await communicator.disconnect()


async def test_oversize_text_of_lone_surrogates_closes_with_1009():
    communicator = await player_socket()
    await communicator.send_to(text_data="\ud800" * 2000)
    assert await closed_with(communicator) == 1009


async def test_chat_keeps_emoji_sequences_and_other_scripts(engine_messages):
    communicator = await player_socket()
    message = "gg 👨‍👩‍👧 שלום café"
    await communicator.send_json_to({"type": "chat", "message": message})
    await assert_still_open(communicator)
    intents = [m["intent"] for m in engine_messages if m["type"] == "engine.intent"]
    assert intents == [{"type": "chat", "message": message, "room": "player"}]
    await communicator.disconnect()


@pytest.mark.parametrize("seen", ["%C2%B2", "1" * 5000, "-1", "%201", "1e3", "%EF%BC%91"])
async def test_a_bad_version_parameter_means_full_state(seen):
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    communicator = await connect(f"/ws/game/{game.id}/?v={seen}", token=token)
    state = await communicator.receive_json_from(timeout=3)
    assert state["type"] == "gameState"
    await assert_still_open(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "path",
    ["/ws/game/abc$def/", "/ws/room/abc$def/", "/ws/game/abc/def/", "/ws/nothing", "/", "/ws/game/abc%0A/", "/ws/queue"],
)
async def test_unknown_paths_are_accepted_then_closed_with_4004(path):
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    assert await closed_with(communicator) == 4004


async def test_a_server_bug_while_handling_a_frame_keeps_the_socket_open(monkeypatch, caplog):
    communicator = await player_socket()

    def broken_cleaner(kind, content):
        raise RuntimeError("a bug")

    monkeypatch.setattr(game_consumer, "clean_game_intent", broken_cleaner)
    await communicator.send_json_to({"type": "direction", "direction": "UP"})
    error = await receive_until(communicator, lambda m: m["type"] == "error")
    assert error["code"] == "server_error"
    await assert_still_open(communicator)
    assert "failed to handle a client frame" in caplog.text
    await communicator.disconnect()

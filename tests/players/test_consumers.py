"""The websocket consumers against the embedded engine, through WebsocketCommunicator."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from engine import services as game_services
from engine.models import Game
from kogame.routing import websocket_urlpatterns
from players import services
from players.auth import WebsocketAuthStack
from players.engine_link import send_to_engine
from players.models import QueueSeat
from players.tokens import token_for
from tests.conftest import eventually

pytestmark = pytest.mark.django_db(transaction=True)

application = WebsocketAuthStack(URLRouter(websocket_urlpatterns))

# Fast, small boards so games finish within a test.
QUICK = {"countdown_ticks": 0, "tick_hz": 20}


@database_sync_to_async
def make_guest():
    user = services.guest_create()
    return user, token_for(user_id=user.pk)


@database_sync_to_async
def make_game(users, settings):
    # No wait for players who never connect (unless a test asks): most tests connect only some.
    return game_services.game_create(kind="snake", users=users, settings={"seating_seconds": 0, **settings})


async def started_game(users, settings=QUICK):
    game = await make_game(users, settings)
    await send_to_engine(await database_sync_to_async(game_services.game_start_message)(game=game))
    return game


async def connect(path, token=None, headers=None):
    if token is not None:
        path += ("&" if "?" in path else "?") + f"token={token}"
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive_until(communicator, predicate, timeout=5.0):
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if predicate(message):
            return message


async def closed_with(communicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output.get("code")


async def test_socket_without_credentials_is_closed_with_4002():
    communicator = await connect("/ws/game/abc/")
    assert await closed_with(communicator) == 4002


async def test_tampered_token_is_refused():
    user, token = await make_guest()
    game = await started_game([user])
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    communicator = await connect(f"/ws/game/{game.id}/", token=tampered)
    assert await closed_with(communicator) == 4002


async def test_unknown_game_is_closed_with_4004():
    _, token = await make_guest()
    communicator = await connect("/ws/game/nosuchgame1/", token=token)
    assert await closed_with(communicator) == 4004


@database_sync_to_async
def session_cookie_for(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.parametrize(
    "origin, expected_close",
    [(None, 4002), (b"http://evil.example", 4002), (b"http://127.0.0.1:8000", None)],
)
async def test_session_sockets_need_an_allowed_origin(origin, expected_close):
    user, _ = await make_guest()
    game = await started_game([user])
    headers = [(b"cookie", await session_cookie_for(user))]
    if origin is not None:
        headers.append((b"origin", origin))
    communicator = await connect(f"/ws/game/{game.id}/", headers=headers)
    if expected_close is None:
        state = await communicator.receive_json_from(timeout=3)
        assert state["type"] == "gameState"
        assert state["you"] == {"username": user.username, "role": "player"}
        await communicator.disconnect()
    else:
        assert await closed_with(communicator) == expected_close


async def test_player_gets_state_then_ticks_with_versions_rising_by_one():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 50})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    state = await communicator.receive_json_from(timeout=3)
    assert state["type"] == "gameState" and state["game"] == "snake" and state["game_id"] == game.id
    assert [p["username"] for p in state["players"]] == [alice.username, bob.username]
    versions = [state["v"]]
    for _ in range(5):
        tick = await communicator.receive_json_from(timeout=3)
        assert tick["type"] == "tick"
        assert {"head", "direction", "alive", "score"} <= set(tick["players"][0])
        versions.append(tick["v"])
    assert versions == list(range(versions[0], versions[0] + 6))
    await communicator.disconnect()


async def test_direction_is_applied_at_the_next_tick():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    state = await communicator.receive_json_from(timeout=3)
    mine = next(p for p in state["players"] if p["username"] == alice.username)
    turn = {"UP": "LEFT", "DOWN": "LEFT", "LEFT": "UP", "RIGHT": "UP"}[mine["direction"]]
    await communicator.send_json_to({"type": "direction", "direction": turn})

    def turned(message):
        return message["type"] == "tick" and message["players"][0]["direction"] == turn

    await receive_until(communicator, turned)
    await communicator.disconnect()


async def test_spectator_watches_but_cannot_act():
    (alice, _), (bob, _), (_, carol_token) = await make_guest(), await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    communicator = await connect(f"/ws/game/{game.id}/", token=carol_token)
    state = await communicator.receive_json_from(timeout=3)
    assert state["you"]["role"] == "spectator"
    before = {p["username"]: p["direction"] for p in state["players"]}
    await communicator.send_json_to({"type": "direction", "direction": "DOWN"})
    error = await receive_until(communicator, lambda m: m["type"] == "error")
    assert error["code"] == "not_player"
    tick = await receive_until(communicator, lambda m: m["type"] == "tick")
    assert {p["username"]: p["direction"] for p in tick["players"]} == before
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame, code",
    [
        ("not json", "not_json"),
        ("[1, 2]", "not_object"),
        ('{"direction": "UP"}', "bad_type"),
        ('{"type": "fly"}', "unknown_type"),
        ('{"type": "direction", "direction": "NORTH"}', "bad_field"),
        ('{"type": "direction", "direction": 3}', "bad_field"),
        ('{"type": "chat", "message": 5}', "bad_field"),
        (json.dumps({"type": "chat", "message": "x" * 501}), "bad_field"),
        ('{"type": "respawn"}', "refused"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(frame, code):
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    await communicator.receive_json_from(timeout=3)
    await communicator.send_to(text_data=frame)
    error = await receive_until(communicator, lambda m: m["type"] == "error")
    assert error["code"] == code and error["message"]
    await communicator.send_json_to({"type": "ping"})
    await receive_until(communicator, lambda m: m["type"] == "pong")
    await communicator.disconnect()


async def test_oversize_frame_closes_with_1009():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    await communicator.send_to(text_data=json.dumps({"type": "chat", "message": "x" * 5000}))
    assert await closed_with(communicator) == 1009


async def test_flood_closes_with_1008():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    for _ in range(60):
        await communicator.send_json_to({"type": "ping"})
    assert await closed_with(communicator) == 1008


async def test_chat_is_broadcast_with_a_version():
    (alice, token), (bob, bob_token) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    sender = await connect(f"/ws/game/{game.id}/", token=token)
    listener = await connect(f"/ws/game/{game.id}/", token=bob_token)
    await sender.receive_json_from(timeout=3)
    await listener.receive_json_from(timeout=3)
    await sender.send_json_to({"type": "chat", "message": "  good luck  "})
    chat = await receive_until(listener, lambda m: m["type"] == "chat")
    assert (chat["username"], chat["message"]) == (alice.username, "good luck")
    assert isinstance(chat["v"], int)
    await sender.disconnect()
    await listener.disconnect()


async def test_reconnect_with_v_gets_exactly_the_missed_events():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    first = await connect(f"/ws/game/{game.id}/", token=token)
    state = await first.receive_json_from(timeout=3)
    await receive_until(first, lambda m: m["type"] == "tick")
    seen = state["v"] + 1
    await first.disconnect()
    again = await connect(f"/ws/game/{game.id}/?v={seen}", token=token)
    replayed = [await again.receive_json_from(timeout=3) for _ in range(3)]
    assert [m["v"] for m in replayed] == [seen + 1, seen + 2, seen + 3]
    assert all(m["type"] == "tick" for m in replayed)
    await again.disconnect()


async def test_game_plays_to_its_end_and_the_result_is_saved():
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    # Nobody steers: both snakes run into walls on a small fast board.
    game = await started_game([alice, bob], {"countdown_ticks": 0, "tick_hz": 30, "width": 10, "height": 10})
    communicator = await connect(f"/ws/game/{game.id}/", token=token)
    end = await receive_until(communicator, lambda m: m["type"] == "gameEnd", timeout=10)
    assert end["status"] == "finished"
    assert set(end["scores"]) == {alice.username, bob.username}

    @database_sync_to_async
    def saved():
        return Game.objects.filter(pk=game.id, status="finished").prefetch_related("seats__user").first()

    stored = await eventually(saved)
    assert stored.reason == end["reason"]
    assert [seat.name for seat in stored.seats.all() if seat.is_winner] == ([end["winner"]] if end["winner"] else [])
    assert stored.result == {"scores": end["scores"], "last_v": end["v"]}
    await communicator.disconnect()
    late = await connect(f"/ws/game/{game.id}/", token=token)
    final = await late.receive_json_from(timeout=3)
    assert (final["type"], final["status"]) == ("gameState", "finished")
    await late.disconnect()


async def test_arena_players_join_with_respawn():
    (alice, token), = [await make_guest()]
    arena = await database_sync_to_async(game_services.arena_get_or_create)()
    communicator = await connect(f"/ws/game/{arena.id}/", token=token)
    state = await communicator.receive_json_from(timeout=3)
    assert state["mode"] == "arena" and state["you"]["role"] == "player"
    await communicator.send_json_to({"type": "respawn"})

    def joined(message):
        return message["type"] == "tick" and any(
            p["username"] == alice.username and p["alive"] for p in message["players"]
        )

    await receive_until(communicator, joined)
    await communicator.disconnect()


# -- matchmaking ------------------------------------------------------------------------


async def test_two_players_are_matched_into_one_snake_game(settings):
    settings.KOGAME = {**settings.KOGAME, "SNAKE_MATCH_WAIT_SECONDS": 0.0}
    (alice, a_token), (bob, b_token) = await make_guest(), await make_guest()
    first = await connect("/ws/queue/?game=snake", token=a_token)
    assert (await first.receive_json_from(timeout=3))["type"] == "queued"
    second = await connect("/ws/queue/?game=snake", token=b_token)
    found = []
    for communicator in (first, second):
        message = await receive_until(communicator, lambda m: m["type"] == "match_found")
        found.append(message["game_id"])
        assert await closed_with(communicator) == 4001
    assert found[0] == found[1]

    @database_sync_to_async
    def players_of(game_id):
        return sorted(Game.objects.get(pk=game_id).players.values_list("username", flat=True))

    assert await players_of(found[0]) == sorted([alice.username, bob.username])
    assert await database_sync_to_async(QueueSeat.objects.count)() == 0


async def test_a_snake_player_waiting_alone_is_offered_bots_and_gets_a_game_with_them(settings):
    settings.KOGAME = {**settings.KOGAME, "SNAKE_BOT_OFFER_SECONDS": 0.2}
    alice, token = await make_guest()
    communicator = await connect("/ws/queue/?game=snake", token=token)
    assert (await communicator.receive_json_from(timeout=3))["type"] == "queued"
    await communicator.send_json_to({"type": "play_bots"})
    refused = await communicator.receive_json_from(timeout=3)
    assert (refused["type"], refused["code"]) == ("error", "not_offered")
    offer = await communicator.receive_json_from(timeout=3)
    assert offer == {"type": "bot_offer", "waited_s": 0.2}
    await communicator.send_json_to({"type": "play_bots"})
    found = await receive_until(communicator, lambda m: m["type"] == "match_found")
    assert await closed_with(communicator) == 4001

    @database_sync_to_async
    def seats_of(game_id):
        return [(seat.name, seat.bot_level) for seat in Game.objects.get(pk=game_id).seats.select_related("user")]

    assert await seats_of(found["game_id"]) == [
        (alice.username, ""), ("Medium bot 2", "medium"), ("Medium bot 3", "medium"), ("Medium bot 4", "medium")
    ]
    assert await database_sync_to_async(QueueSeat.objects.count)() == 0
    # The engine plays the game: the player's socket sees the bots' snakes tick.
    game_socket = await connect(f"/ws/game/{found['game_id']}/", token=token)
    state = await receive_until(game_socket, lambda m: m["type"] == "gameState")
    assert [seat["bot"] for seat in state["seats"]] == [None, "medium", "medium", "medium"]
    await game_socket.disconnect()


async def test_a_user_is_never_matched_against_themselves(settings):
    settings.KOGAME = {**settings.KOGAME, "SNAKE_MATCH_WAIT_SECONDS": 0.0}
    user, token = await make_guest()
    first = await connect("/ws/queue/?game=snake", token=token)
    await first.receive_json_from(timeout=3)
    second = await connect("/ws/queue/?game=snake", token=token)
    assert (await second.receive_json_from(timeout=3))["type"] == "queued"
    replaced = await receive_until(first, lambda m: m["type"] == "error")
    assert replaced["code"] == "replaced"
    assert await closed_with(first) == 4000
    assert await database_sync_to_async(Game.objects.count)() == 0
    assert await database_sync_to_async(QueueSeat.objects.filter(user=user).count)() == 1
    await second.disconnect()


async def test_cancel_leaves_the_queue_with_4000():
    user, token = await make_guest()
    communicator = await connect("/ws/queue/?game=snake", token=token)
    await communicator.receive_json_from(timeout=3)
    await communicator.send_json_to({"type": "cancel"})
    assert await closed_with(communicator) == 4000
    assert await database_sync_to_async(QueueSeat.objects.filter(user=user).exists)() is False


async def test_queue_for_an_unknown_game_kind_is_refused():
    _, token = await make_guest()
    communicator = await connect("/ws/queue/?game=tetris", token=token)
    error = await communicator.receive_json_from(timeout=3)
    assert error["code"] == "bad_query"
    assert await closed_with(communicator) == 4000


def test_guest_api_issues_a_token_for_a_new_guest(client):
    response = client.post("/api/guest")
    assert response.status_code == 201
    body = response.json()
    user = get_user_model().objects.get(username=body["username"])
    assert user.is_guest
    assert body["token"]

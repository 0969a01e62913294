"""Play the computer: POST /api/bot-games seats the caller against bots and starts the game."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from engine.models import Game
from players.rooms import views as room_views
from players.tokens import token_for
from tests.players.test_consumers import connect, make_guest, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_create_limit():
    room_views.room_create_limit.cache_clear()
    yield
    room_views.room_create_limit.cache_clear()


async def post(body, user=None, client=None):
    headers = {"Authorization": f"Bearer {token_for(user_id=user.pk)}"} if user else {}
    client = client or AsyncClient(enforce_csrf_checks=True)
    return await client.post("/api/bot-games", data=json.dumps(body), content_type="application/json", headers=headers)


@database_sync_to_async
def seats_of(game_id):
    return [(seat.slot, seat.bot_level, seat.user_id) for seat in Game.objects.get(pk=game_id).seats.all()]


async def test_a_person_plays_black_against_a_chess_bot_that_moves_first():
    alice, token = await make_guest()
    response = await post({"game": "chess", "tc": "5+0", "bot_level": "medium", "color": "black"}, alice)
    assert response.status_code == 201
    game_id = response.json()["game_id"]
    assert await seats_of(game_id) == [(0, "medium", None), (1, "", alice.pk)]
    socket = await connect(f"/ws/game/{game_id}/", token=token)
    state = await receive_until(socket, lambda m: m["type"] == "gameState")
    assert (state["white"]["bot"], state["black"]["username"]) == ("medium", alice.username)
    opening = await receive_until(socket, lambda m: m["type"] == "move", timeout=15)
    assert (opening["ply"], opening["player"]) == (1, "white")
    await socket.disconnect()


async def test_snake_against_bots_fills_the_table():
    alice, token = await make_guest()
    response = await post({"game": "snake", "target_players": 3, "bot_level": "hard"}, alice)
    assert response.status_code == 201
    game_id = response.json()["game_id"]
    assert await seats_of(game_id) == [(0, "", alice.pk), (1, "hard", None), (2, "hard", None)]
    socket = await connect(f"/ws/game/{game_id}/", token=token)
    state = await receive_until(socket, lambda m: m["type"] == "gameState")
    assert [seat["bot"] for seat in state["seats"]] == [None, "hard", "hard"]
    await receive_until(socket, lambda m: m["type"] == "tick")
    await socket.disconnect()


@pytest.mark.parametrize(
    "body",
    [
        {"game": "snake", "target_players": 3, "color": "white"},
        {"game": "chess", "tc": "3+2", "color": "green"},
        {"game": "chess"},
        {"game": "snake", "target_players": 9},
        {"game": "go"},
    ],
)
async def test_bad_requests_start_nothing(body):
    alice, _ = await make_guest()
    response = await post(body, alice)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "bad_field")
    assert await database_sync_to_async(Game.objects.count)() == 0


async def test_no_credentials_get_401_and_a_session_without_csrf_403():
    assert (await post({"game": "snake"})).status_code == 401
    alice, _ = await make_guest()
    client = AsyncClient(enforce_csrf_checks=True)
    await database_sync_to_async(client.force_login)(alice)
    assert (await post({"game": "snake"}, client=client)).status_code == 403
    assert await database_sync_to_async(Game.objects.count)() == 0

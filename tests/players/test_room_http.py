"""POST /api/rooms: Bearer token or session + CSRF, settings checked, rate limited per user."""

import json

import pytest
from django.test import Client

from players import services
from players.models import Room
from players.rooms import views as room_views
from players.tokens import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_room_create_limit():
    room_views.room_create_limit.cache_clear()
    yield
    room_views.room_create_limit.cache_clear()


def post_json(client, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/rooms", data=data, content_type="application/json", headers=headers)


def bearer(user):
    return {"Authorization": f"Bearer {token_for(user_id=user.pk)}"}


def test_a_script_creates_a_room_with_its_bearer_token():
    user = services.guest_create()
    response = post_json(Client(enforce_csrf_checks=True), {"game": "snake", "target_players": 3}, **bearer(user))
    assert response.status_code == 201
    code = response.json()["code"]
    room = Room.objects.get(code=code)
    assert (room.kind, room.owner, room.settings) == ("snake", user, {"target_players": 3, "bot_level": "medium"})


def test_a_browser_creates_a_room_with_its_session_and_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")  # a guest, and the CSRF cookie the lobby's form hands out
    csrf = browser.cookies["csrftoken"].value
    response = post_json(browser, {"game": "chess", "tc": "3+2", "bot_level": "hard"}, **{"X-CSRFToken": csrf})
    assert response.status_code == 201
    room = Room.objects.get(code=response.json()["code"])
    assert room.owner.is_guest
    assert room.settings == {"tc": "3+2", "bot_level": "hard", "target_players": 2}


def test_a_session_request_without_csrf_is_refused():
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    response = post_json(browser, {"game": "snake"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert not Room.objects.exists()


def test_no_credentials_get_401():
    response = post_json(Client(enforce_csrf_checks=True), {"game": "snake"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_tampered_bearer_token_gets_401():
    user = services.guest_create()
    token = token_for(user_id=user.pk)
    response = post_json(Client(), {"game": "snake"}, Authorization=f"Bearer {token[:-2]}xx")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "bad_field"),
        ({"game": "checkers"}, "bad_field"),
        ({"game": "snake", "target_players": 1}, "bad_field"),
        ({"game": "snake", "target_players": 9}, "bad_field"),
        ({"game": "snake", "target_players": "4"}, "bad_field"),
        ({"game": "snake", "bot_level": "impossible"}, "bad_field"),
        ({"game": "snake", "tc": "3+2"}, "bad_field"),
        ({"game": "snake", "colour": "green"}, "bad_field"),
        ({"game": "chess"}, "bad_field"),
        ({"game": "chess", "tc": "3+2", "target_players": 4}, "bad_field"),
        ({"game": "chess", "tc": "0+0"}, "bad_field"),
        ({"game": "chess", "tc": 3}, "bad_field"),
        ("not json", "not_json"),
        ('["snake"]', "not_object"),
    ],
)
def test_bad_settings_get_400(body, code):
    user = services.guest_create()
    response = post_json(Client(), body, **bearer(user))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert not Room.objects.exists()


def test_room_creation_is_rate_limited_per_user():
    alice, bob = services.guest_create(), services.guest_create()
    for _ in range(room_views.ROOMS_PER_WINDOW):
        assert post_json(Client(), {"game": "snake"}, **bearer(alice)).status_code == 201
    refused = post_json(Client(), {"game": "snake"}, **bearer(alice))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused["Retry-After"]) >= 1
    assert post_json(Client(), {"game": "snake"}, **bearer(bob)).status_code == 201


def test_other_methods_get_405():
    user = services.guest_create()
    assert Client().get("/api/rooms", headers=bearer(user)).status_code == 405


def test_the_room_page_renders_for_any_code(client):
    response = client.get("/room/abc234/")
    assert response.status_code == 200
    assert b'data-room-code="ABC234"' in response.content

"""HTTP pages and APIs a browser, a script or an operator uses."""

import pytest
from django.contrib.auth import get_user_model

from engine import services as game_services
from engine.games.chess.records import MoveMade
from players import services

pytestmark = pytest.mark.django_db


def test_first_page_view_makes_a_guest_and_keeps_them(client):
    first = client.get("/")
    assert first.status_code == 200
    guest = first.wsgi_request.user
    assert guest.is_authenticated and guest.is_guest
    assert client.get("/").wsgi_request.user == guest
    assert get_user_model().objects.filter(is_guest=True).count() == 1


def test_scripts_and_health_checks_do_not_mint_guests(client):
    client.get("/healthz")
    client.get("/api/games/")
    assert get_user_model().objects.count() == 0


def test_sign_up_turns_a_visitor_into_a_registered_user(client):
    client.get("/")
    response = client.post(
        "/signup/", {"username": "ada", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"}
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="ada")
    assert not user.is_guest and user.check_password("a-long-passphrase-42")


def test_game_summary_and_live_list(client):
    alice, bob = services.guest_create(), services.guest_create()
    game = game_services.game_create(kind="snake", users=[alice, bob], settings={})
    live = client.get("/api/games/").json()["games"]
    assert [(g["id"], g["players"]) for g in live] == [(game.id, [alice.username, bob.username])]
    summary = client.get(f"/api/games/{game.id}").json()
    assert (summary["game"], summary["status"], [p["username"] for p in summary["players"]]) == (
        "snake",
        "started",
        [alice.username, bob.username],
    )
    assert client.get("/api/games/nosuchgame").status_code == 404
    assert client.get(f"/api/games/{game.id}/pgn").status_code == 404


def test_game_page_renders_for_existing_games_only(client):
    game = game_services.game_create(kind="snake", users=[services.guest_create(), services.guest_create()], settings={})
    assert client.get(f"/game/{game.id}/").status_code == 200
    assert client.get("/game/nosuchgame/").status_code == 404


def test_admin_lists_games_and_users(admin_client):
    game = game_services.game_create(kind="snake", users=[services.guest_create(), services.guest_create()], settings={})
    assert game.id.encode() in admin_client.get("/admin/engine/game/").content
    assert admin_client.get(f"/admin/engine/game/{game.id}/change/").status_code == 200
    assert admin_client.get("/admin/players/user/").status_code == 200


def test_healthz_is_503_when_no_engine_has_beaten(client, monkeypatch):
    from engine import runtime
    from engine.heartbeat import MemoryHeartbeat

    monkeypatch.setattr(runtime, "_memory_heartbeat", MemoryHeartbeat())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["engine"]["alive"] is False


def test_chess_summary_shows_the_clocks_players_start_with(client):
    game = game_services.game_create(
        kind="chess", users=[services.guest_create(), services.guest_create()], settings={"tc": "0+1"}
    )
    summary = client.get(f"/api/games/{game.id}").json()
    # Increment-only controls start each clock at max(increment, 3 s), as the engine does.
    assert summary["clock"] == {"white": 3000, "black": 3000}
    assert summary["tc"] == "0+1" and summary["moves"] == []


def test_chess_game_lost_on_time_answers_its_clocks_at_the_end(client):
    white, black = services.guest_create(), services.guest_create()
    game = game_services.game_create(kind="chess", users=[white, black], settings={"tc": "1+0"})
    moves = [("e2e4", 60_000, 60_000), ("e7e5", 60_000, 60_000), ("g1f3", 45_000, 60_000)]
    game_services.engine_records_save(
        records=[
            (game.id, MoveMade(ply=ply, uci=uci, san=uci, white_ms=white_ms, black_ms=black_ms, spent_ms=0, lag_comp_ms=0), ply)
            for ply, (uci, white_ms, black_ms) in enumerate(moves, start=1)
        ]
    )
    game_services.game_record_end(
        game_id=game.id,
        status="white_wins",
        reason="timeout",
        winner_seats=[0],
        scores={},
        last_v=4,
        final_clock={"white": 45_000, "black": 0},
    )
    summary = client.get(f"/api/games/{game.id}").json()
    assert (summary["status"], summary["reason"], summary["winner"]) == ("white_wins", "timeout", white.username)
    assert summary["clock"] == {"white": 45_000, "black": 0}
    assert summary["clock_history"][-1] == {"white": 45_000, "black": 60_000}


@pytest.mark.parametrize(
    "method, path",
    [
        ("head", "/"), ("post", "/"), ("options", "/"), ("get", "/robots.txt"), ("get", "/favicon.ico"),
        ("get", "/static/js/app.js"),
    ],
)
def test_only_page_views_mint_guests(client, method, path):
    getattr(client, method)(path)
    assert get_user_model().objects.count() == 0

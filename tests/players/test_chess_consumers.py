"""Chess through the websocket consumers and HTTP, against the embedded engine."""

import chess
import pytest
from channels.db import database_sync_to_async
from django.test import Client

from engine import services as game_services
from engine.models import ChessMove, Game
from players.engine_link import send_to_engine
from players.models import QueueSeat
from tests.conftest import eventually
from tests.players.test_consumers import closed_with, connect, make_guest, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def matched_chess_game(tc="5+3"):
    (one, one_token), (two, two_token) = await make_guest(), await make_guest()
    first = await connect(f"/ws/queue/?game=chess&tc={tc.replace('+', '%2B')}", token=one_token)
    queued = await first.receive_json_from(timeout=3)
    assert (queued["type"], queued["tc"]) == ("queued", tc)
    # A literal "+" reads as a space in a query string: both spellings are accepted.
    second = await connect(f"/ws/queue/?game=chess&tc={tc}", token=two_token)
    game_id = (await receive_until(first, lambda m: m["type"] == "match_found"))["game_id"]
    assert (await receive_until(second, lambda m: m["type"] == "match_found"))["game_id"] == game_id
    assert await closed_with(first) == 4001

    sockets = {}
    for username, token in ((one.username, one_token), (two.username, two_token)):
        sockets[username] = await connect(f"/ws/game/{game_id}/", token=token)
    state = await sockets[one.username].receive_json_from(timeout=3)
    await sockets[two.username].receive_json_from(timeout=3)
    assert state["game"] == "chess" and state["tc"] == tc and state["moves"] == []
    white, black = state["white"]["username"], state["black"]["username"]
    tokens = {one.username: one_token, two.username: two_token}
    return game_id, sockets[white], sockets[black], state, tokens


async def close_all(*communicators):
    for communicator in communicators:
        await communicator.disconnect()


async def test_players_with_different_time_controls_are_not_paired():
    (_, one_token), (_, two_token) = await make_guest(), await make_guest()
    first = await connect("/ws/queue/?game=chess&tc=3%2B2", token=one_token)
    second = await connect("/ws/queue/?game=chess&tc=5%2B0", token=two_token)
    await first.receive_json_from(timeout=3)
    await second.receive_json_from(timeout=3)
    assert await database_sync_to_async(QueueSeat.objects.count)() == 2
    assert await database_sync_to_async(Game.objects.count)() == 0
    await close_all(first, second)


async def test_a_bad_time_control_is_refused():
    _, token = await make_guest()
    communicator = await connect("/ws/queue/?game=chess&tc=7x", token=token)
    error = await communicator.receive_json_from(timeout=3)
    assert error["code"] == "bad_query"
    assert await closed_with(communicator) == 4000


async def test_an_acknowledged_move_is_already_in_the_database():
    game_id, white, black, _, _ = await matched_chess_game()
    await white.send_json_to({"type": "move", "uci": "e2e4"})
    move = await receive_until(black, lambda m: m["type"] == "move")
    assert (move["san"], move["player"], move["ply"]) == ("e4", "white", 1)
    # No waiting: the engine saves a move before anyone hears of it.
    stored = await database_sync_to_async(lambda: list(ChessMove.objects.filter(game_id=game_id).values_list("uci", flat=True)))()
    assert stored == ["e2e4"]
    assert set(move["clock"]) == {"white", "black", "running"}
    await close_all(white, black)


async def test_refused_moves_get_errors_and_change_nothing():
    game_id, white, black, _, _ = await matched_chess_game()
    await black.send_json_to({"type": "move", "uci": "e7e5"})
    assert (await receive_until(black, lambda m: m["type"] == "error"))["code"] == "not_your_turn"
    await white.send_json_to({"type": "move", "uci": "e2e5"})
    assert (await receive_until(white, lambda m: m["type"] == "error"))["code"] == "illegal_move"
    await white.send_json_to({"type": "move", "uci": "castle"})
    assert (await receive_until(white, lambda m: m["type"] == "error"))["code"] == "bad_field"
    _, spectator_token = await make_guest()
    spectator = await connect(f"/ws/game/{game_id}/", token=spectator_token)
    assert (await spectator.receive_json_from(timeout=3))["you"]["role"] == "spectator"
    await spectator.send_json_to({"type": "move", "uci": "e2e4"})
    assert (await receive_until(spectator, lambda m: m["type"] == "error"))["code"] == "not_player"
    await spectator.send_json_to({"type": "resign"})
    assert (await receive_until(spectator, lambda m: m["type"] == "error"))["code"] == "not_player"
    assert await database_sync_to_async(ChessMove.objects.filter(game_id=game_id).count)() == 0
    await close_all(white, black, spectator)


async def test_fools_mate_ends_the_game_and_the_pgn_has_result_and_clocks():
    game_id, white, black, state, _ = await matched_chess_game()
    for mover, uci in [(white, "f2f3"), (black, "e7e5"), (white, "g2g4"), (black, "d8h4")]:
        await mover.send_json_to({"type": "move", "uci": uci})
        await receive_until(white, lambda m, uci=uci: m["type"] == "move" and m["uci"] == uci)
    end = await receive_until(white, lambda m: m["type"] == "gameEnd")
    assert (end["status"], end["reason"], end["winner"]) == ("black_wins", "checkmate", "black")

    @database_sync_to_async
    def saved_game():
        game = Game.objects.filter(pk=game_id, status="black_wins").first()
        return game and [(seat.slot, seat.name) for seat in game.seats.select_related("user") if seat.is_winner]

    assert await eventually(saved_game) == [(1, state["black"]["username"])]
    pgn = await database_sync_to_async(lambda: Client().get(f"/api/games/{game_id}/pgn"))()
    text = pgn.content.decode()
    assert pgn.status_code == 200
    assert '[Result "0-1"]' in text and '[TimeControl "300+3"]' in text
    assert "1. f3 { [%clk 0:05:00] } 1... e5 { [%clk 0:05:00] } 2. g4" in text
    assert text.rstrip().endswith("0-1")
    summary = await database_sync_to_async(lambda: Client().get(f"/api/games/{game_id}").json())()
    assert summary["moves"] == ["f2f3", "e7e5", "g2g4", "d8h4"]
    assert summary["status"] == "black_wins" and summary["reason"] == "checkmate"
    await close_all(white, black)
    # Once the game is saved, a late visitor gets the final position from the database.
    _, token = await make_guest()
    late = await connect(f"/ws/game/{game_id}/", token=token)
    final = await late.receive_json_from(timeout=3)
    assert (final["type"], final["status"], final["result"]["winner"]) == ("gameState", "black_wins", "black")
    assert final["fen"].startswith("rnb1kbnr/pppp1ppp/8/4p3/6Pq/5P2/PPPPP2P/RNBQKBNR w")
    await late.disconnect()


async def test_draw_by_agreement_through_the_sockets():
    _, white, black, _, _ = await matched_chess_game()
    await white.send_json_to({"type": "draw_accept"})
    assert (await receive_until(white, lambda m: m["type"] == "error"))["code"] == "nothing_to_accept"
    await white.send_json_to({"type": "draw_offer"})
    assert (await receive_until(black, lambda m: m["type"] == "drawOffer"))["by"] == "white"
    await black.send_json_to({"type": "draw_accept"})
    end = await receive_until(white, lambda m: m["type"] == "gameEnd")
    assert (end["status"], end["reason"], end["winner"]) == ("draw", "agreement", None)
    await close_all(white, black)


async def test_spectator_chat_never_reaches_players_and_leaves_their_versions_gapless():
    game_id, white, black, _, _ = await matched_chess_game()
    _, spectator_token = await make_guest()
    spectator = await connect(f"/ws/game/{game_id}/", token=spectator_token)
    await spectator.receive_json_from(timeout=3)
    await white.send_json_to({"type": "chat", "message": "good luck"})
    first = await receive_until(black, lambda m: m["type"] == "chat")
    await spectator.send_json_to({"type": "chat", "message": "play Qh5"})
    spectator_chat = await receive_until(spectator, lambda m: m["type"] == "chat" and m["room"] == "spectator")
    assert spectator_chat["message"] == "play Qh5" and "v" not in spectator_chat
    await white.send_json_to({"type": "chat", "message": "have fun"})
    second = await receive_until(black, lambda m: m["type"] == "chat")
    assert (first["message"], first["room"], second["message"]) == ("good luck", "player", "have fun")
    assert second["v"] == first["v"] + 1
    # Spectators read the players' chat too.
    assert (await receive_until(spectator, lambda m: m["type"] == "chat"))["message"] == "have fun"
    await close_all(white, black, spectator)


async def test_a_player_who_asks_is_probed_for_lag_and_only_real_probes_count():
    game_id, white, black, state, tokens = await matched_chess_game()
    await white.disconnect()
    white_token = tokens[state["white"]["username"]]
    probed = await connect(f"/ws/game/{game_id}/?lag=1", token=white_token)
    probe = await receive_until(probed, lambda m: m["type"] == "lagProbe")
    assert probe["id"] == 1
    # true equals 1 in Python: it must not pass for the echo of probe 1.
    await probed.send_json_to({"type": "lagEcho", "id": True})
    assert (await receive_until(probed, lambda m: m["type"] == "error"))["code"] == "bad_field"
    await probed.send_json_to({"type": "lagEcho", "id": probe["id"]})
    await probed.send_json_to({"type": "ping"})
    # The echo is accepted silently: nothing but the state comes before the pong.
    before_pong = []
    while (message := await probed.receive_json_from(timeout=3))["type"] != "pong":
        before_pong.append(message["type"])
    assert "error" not in before_pong
    await probed.send_json_to({"type": "lagEcho", "id": 999})
    assert (await receive_until(probed, lambda m: m["type"] == "error"))["code"] == "bad_field"
    await close_all(probed, black)


@pytest.mark.parametrize("level", ["easy", "hard"])
async def test_a_person_plays_a_chess_bot_that_answers_on_its_own_clock(level):
    alice, token = await make_guest()
    game = await database_sync_to_async(game_services.game_create)(
        kind="chess", users=[alice], bots=[level], settings={"tc": "3+2"}
    )
    await send_to_engine(await database_sync_to_async(game_services.game_start_message)(game=game))
    socket = await connect(f"/ws/game/{game.id}/", token=token)
    state = await receive_until(socket, lambda m: m["type"] == "gameState")
    assert state["black"] == {"username": f"{level.capitalize()} bot 2", "connected": True, "bot": level}
    await socket.send_json_to({"type": "move", "uci": "e2e4"})
    answer = await receive_until(socket, lambda m: m["type"] == "move" and m["player"] == "black", timeout=15)
    assert answer["ply"] == 2 and answer["uci"] in state_after_e4_legal_moves()
    # The bot thought on its own clock: black's time went down by what it spent, plus the increment.
    assert answer["clock"]["black"] <= 180_000 + 2_000
    await socket.send_json_to({"type": "draw_offer"})
    declined = await receive_until(socket, lambda m: m["type"] in ("drawDeclined", "error"))
    assert declined["type"] == "drawDeclined"
    await socket.disconnect()


def state_after_e4_legal_moves() -> set[str]:
    board = chess.Board()
    board.push_uci("e2e4")
    return {move.uci() for move in board.legal_moves}

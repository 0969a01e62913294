"""Lost messages heal: events a socket missed, a socket whose relay feed overflowed, a lost
match_found, an unanswered sync, and the end of a game no engine could resume."""

import pytest
from channels.db import database_sync_to_async

from engine import runtime
from engine import services as game_services
from engine.wire import relay_channel
from players import services
from players.relay import this_relay
from players.socket_feed import FEED_LIMIT
from tests.conftest import eventually
from tests.players.test_chess_consumers import close_all, matched_chess_game
from tests.players.test_consumers import QUICK, connect, make_game, make_guest, receive_until, started_game

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_event_lost_on_the_way_reaches_the_socket_after_the_games_head_is_announced(monkeypatch):
    game_id, white, black, state, _ = await matched_chess_game()
    last_v = state["v"]
    while not await black.receive_nothing(timeout=0.3):
        last_v = (await black.receive_json_from())["v"]
    # Both sockets miss the move, as when a relay message is lost between the processes.
    lost = []
    real_deliver = this_relay.deliver

    def deliver_losing_the_move(channel, message):
        if channel == relay_channel(game_id) and not lost and message.get("events"):
            lost.append(message)
            return
        real_deliver(channel, message)

    monkeypatch.setattr(this_relay, "deliver", deliver_losing_the_move)
    uci = state["legal_moves"][0]
    await white.send_json_to({"type": "move", "uci": uci})
    # The engine announces its head once the game is quiet; each socket sees the gap and resyncs.
    moved = await receive_until(black, lambda m: m["type"] == "move", timeout=3)
    assert (moved["uci"], moved["v"]) == (uci, last_v + 1)
    assert (await receive_until(white, lambda m: m["type"] == "move", timeout=3))["v"] == moved["v"]
    assert [v for v, _ in lost[0]["events"]] == [moved["v"]]
    await close_all(white, black)


async def test_ticks_dropped_from_a_full_feed_are_counted_and_replayed_by_a_sync():
    (one, one_token), (two, _) = await make_guest(), await make_guest()
    game = await started_game([one, two], {**QUICK, "countdown_ticks": 100})
    socket = await connect(f"/ws/game/{game.id}/", token=one_token)
    seen = (await receive_until(socket, lambda m: m["type"] == "tick", timeout=3))["v"]
    (feed,) = this_relay._feeds[game.id]
    dropped_before = this_relay.dropped_feed_full
    # A feed with no room, as when the server loop stalls: every tick is dropped and counted.
    feed._limit = 0

    async def ticks_dropped():
        return this_relay.dropped_feed_full >= dropped_before + 3

    await eventually(ticks_dropped)
    feed._limit = FEED_LIMIT
    # The socket resynced after each loss: the client sees every version, with no fresh gameState.
    versions = [seen]
    while len(versions) < 20:
        message = await socket.receive_json_from(timeout=3)
        assert message["type"] == "tick", message
        versions.append(message["v"])
    assert versions == list(range(seen, seen + 20))
    await socket.disconnect()


async def test_a_match_made_elsewhere_whose_message_was_lost_is_announced_by_the_next_round():
    (_, token), (other, _) = await make_guest(), await make_guest()
    waiting = await connect("/ws/queue/?game=chess&tc=1%2B0", token=token)
    assert (await waiting.receive_json_from(timeout=3))["type"] == "queued"

    @database_sync_to_async
    def match_in_another_process():
        # Another web process seats `other` and pairs the two; its match_found to us is lost.
        services.queue_join(user=other, kind="chess", time_control="1+0", channel_name="elsewhere!1", process_id="elsewhere")
        return services.queue_match_chess(time_control="1+0")

    game, _ = await match_in_another_process()
    found = await receive_until(waiting, lambda m: m["type"] == "match_found", timeout=3)
    assert found["game_id"] == game.id
    await close_all(waiting)


async def test_a_sync_the_engine_never_answered_is_asked_again(monkeypatch):
    (one, one_token), (two, _) = await make_guest(), await make_guest()
    game = await started_game([one, two], QUICK)
    engine = runtime.start_engine(own_loop=False)
    real_submit = engine.submit
    lost = []

    def submit_losing_the_first_sync(message):
        if message.get("type") == "engine.sync" and not lost:
            lost.append(message)
            return True
        return real_submit(message)

    monkeypatch.setattr(engine, "submit", submit_losing_the_first_sync)
    socket = await connect(f"/ws/game/{game.id}/", token=one_token)
    state = await receive_until(socket, lambda m: m["type"] == "gameState", timeout=3)
    assert lost and state["game_id"] == game.id
    await socket.disconnect()


async def test_a_game_no_engine_could_resume_ends_for_its_connected_players_right_after_their_last_event():
    (one, one_token), (two, _) = await make_guest(), await make_guest()
    game = await started_game([one, two], {**QUICK, "countdown_ticks": 100})
    socket = await connect(f"/ws/game/{game.id}/", token=one_token)
    seen = (await receive_until(socket, lambda m: m["type"] == "tick", timeout=3))["v"]
    engine = runtime.start_engine(own_loop=False)
    # What a restarted engine does for a Snake game it cannot resume.
    engine.games.pop(game.id)
    engine.submit({"type": "engine.orphaned", "game_id": game.id, "status": "aborted", "reason": "server_restart"})
    end = await receive_until(socket, lambda m: m["type"] == "gameEnd", timeout=3)
    assert (end["status"], end["reason"]) == ("aborted", "server_restart")
    assert end["v"] > seen
    await socket.disconnect()


async def test_a_socket_whose_game_no_engine_runs_shows_the_database_state_once_the_game_has_ended():
    (one, one_token), (two, _) = await make_guest(), await make_guest()
    # A game the database holds as live but no engine runs (its start message was lost).
    game = await make_game([one, two], QUICK)
    socket = await connect(f"/ws/game/{game.id}/", token=one_token)
    # The socket keeps asking, well past its first answers of "unknown game" (it used to give up
    # after 2 s and crash on a database query made from async code)...
    assert await socket.receive_nothing(timeout=3)
    # ...until the game is ended in the database (as a restarted engine does with the Snake
    # games it cannot resume).
    await database_sync_to_async(game_services.game_record_end)(
        game_id=game.id, status="aborted", reason="server_restart", winner_seats=[], scores={}, last_v=0
    )
    state = await receive_until(socket, lambda m: m["type"] == "gameState", timeout=10)
    assert (state["status"], state["result"]["reason"]) == ("aborted", "server_restart")
    await socket.disconnect()

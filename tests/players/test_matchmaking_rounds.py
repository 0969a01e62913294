"""A matchmaking round seats the whole queue at once: every full Snake table and every chess
pair, at most a bounded number of games per round."""

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.models import Game
from kogame.routing import websocket_urlpatterns
from players import matchmaker as matchmaker_module
from players import services
from players.auth import WebsocketAuthStack
from players.consumers import matchmaking
from players.models import QueueSeat
from players.tokens import token_for
from players.web_process import this_process
from tests.conftest import eventually

pytestmark = pytest.mark.django_db


def seat(kind: str, time_control: str = "") -> None:
    user = services.guest_create()
    services.queue_join(user=user, kind=kind, time_control=time_control, channel_name=f"c!{user.pk}", process_id="p1")


def test_one_round_seats_every_full_table_and_every_pair():
    for _ in range(10):
        seat("snake")
    for time_control in ("1+0", "1+0", "1+0", "3+2", "3+2"):
        seat("chess", time_control)
    matches = services.queue_match_round(full_table=4, wait_seconds=60, most_games=100)
    kinds = sorted(game.kind for game, _ in matches)
    assert kinds == ["chess", "chess", "snake", "snake"]
    # Two Snake players wait for the table to fill (or the wait to pass), and one 1+0 player for a partner.
    assert QueueSeat.objects.filter(matched_game__isnull=True).count() == 3
    assert Game.objects.count() == 4


def test_a_round_starts_no_more_than_its_bound():
    for _ in range(12):
        seat("snake")
    assert len(services.queue_match_round(full_table=4, wait_seconds=60, most_games=2)) == 2
    assert len(services.queue_match_round(full_table=4, wait_seconds=60, most_games=2)) == 1



def statements(queries: CaptureQueriesContext) -> int:
    """The statements run, savepoints aside (PostgreSQL and SQLite nest them differently)."""
    return sum(1 for query in queries.captured_queries if "SAVEPOINT" not in query["sql"])


def test_joining_the_queue_and_matching_cost_a_few_statements_a_player_and_a_game():
    # A burst of a thousand players goes through one database thread per web process: each
    # statement a player or a game costs is thousands of statements in line.
    for _ in range(39):
        seat("snake")
    user = services.guest_create()
    with CaptureQueriesContext(connection) as joining:
        services.queue_join(user=user, kind="snake", time_control="", channel_name="c!last", process_id="p1")
    assert statements(joining) <= 3  # the lease renewed, the seat looked up, the seat written
    with CaptureQueriesContext(connection) as matching:
        assert len(services.queue_match_round(full_table=4, wait_seconds=60, most_games=100)) == 10
    assert statements(matching) <= 10 * 8 + 3


class Socket:
    """A queue socket as the matchmaker sees it."""

    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name
        self.told: list[str] = []

    async def announce_match(self, game_id: str) -> None:
        self.told.append(game_id)


def counting_database_calls(monkeypatch, module) -> list[str]:
    """The names of the functions `module` runs on the database thread from now on."""
    calls: list[str] = []
    real = module.database_sync_to_async

    def counted(function):
        calls.append(function.__name__)
        return real(function)

    monkeypatch.setattr(module, "database_sync_to_async", counted)
    return calls


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("players", [4, 40])
async def test_a_round_tells_its_sockets_then_gives_their_seats_up_in_one_query(monkeypatch, players):
    @database_sync_to_async
    def queue(count: int) -> list[Socket]:
        sockets = []
        for _ in range(count):
            user = services.guest_create()
            socket = Socket(f"c!{user.pk}")
            services.queue_join(
                user=user, kind="snake", time_control="", channel_name=socket.channel_name, process_id=this_process.id
            )
            sockets.append(socket)
        return sockets

    sockets = await queue(players)
    started: list[dict] = []

    async def engine(message: dict) -> None:
        started.append(message)

    monkeypatch.setattr(matchmaker_module, "send_to_engine", engine)
    calls = counting_database_calls(monkeypatch, matchmaker_module)
    matchmaker = matchmaker_module.Matchmaker()
    matchmaker.sockets = {socket.channel_name: socket for socket in sockets}
    await matchmaker.round()

    assert len(started) == players // 4
    assert sorted(game_id for socket in sockets for game_id in socket.told) == sorted(
        message["game_id"] for message in started for _ in range(4)
    )
    assert await database_sync_to_async(QueueSeat.objects.count)() == 0
    # Matching, the matched seats, the told seats given up: three calls, however many players.
    assert calls == ["_match_round", "queue_matched_seats", "queue_matches_told"]


@pytest.mark.django_db(transaction=True)
async def test_a_queue_socket_tells_its_match_without_a_database_call_of_its_own(monkeypatch, settings):
    settings.KOGAME = {**settings.KOGAME, "SNAKE_MATCH_WAIT_SECONDS": 60.0}
    calls = counting_database_calls(monkeypatch, matchmaking)
    application = WebsocketAuthStack(URLRouter(websocket_urlpatterns))
    sockets = []
    for _ in range(4):
        user = await database_sync_to_async(services.guest_create)()
        communicator = WebsocketCommunicator(application, f"/ws/queue/?game=snake&token={token_for(user_id=user.pk)}")
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from(timeout=3))["type"] == "queued"
        sockets.append(communicator)
    for communicator in sockets:
        found = await communicator.receive_json_from(timeout=5)
        assert found["type"] == "match_found"
        assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4001}
        await communicator.disconnect()

    async def no_seats_left() -> bool:
        return await database_sync_to_async(QueueSeat.objects.count)() == 0

    await eventually(no_seats_left)
    # Each socket took its seat; telling the match (and giving the seat up) was the matchmaker's.
    assert calls == ["queue_join"] * 4

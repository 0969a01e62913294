"""Open websockets per user and per client address, capped in each web process."""

import asyncio

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from kogame.routing import websocket_urlpatterns
from players.auth import WebsocketAuthStack
from tests.players.test_consumers import closed_with, make_guest, started_game

pytestmark = pytest.mark.django_db(transaction=True)


def from_address(address: str):
    """The consumers as a server would run them for a peer at `address`."""
    inner = WebsocketAuthStack(URLRouter(websocket_urlpatterns))

    async def app(scope, receive, send):
        return await inner({**scope, "client": (address, 40000)}, receive, send)

    return app


async def open_game_socket(app, game_id, token):
    communicator = WebsocketCommunicator(app, f"/ws/game/{game_id}/?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def watching(communicator) -> bool:
    """True once the socket got its gameState; False if the server closed it instead."""
    output = await communicator.receive_output(timeout=3)
    return output["type"] == "websocket.send"


@pytest.fixture
def small_caps(settings):
    settings.KOGAME = {**settings.KOGAME, "MAX_SOCKETS_PER_USER": 3, "MAX_SOCKETS_PER_ADDRESS": 5}


async def test_a_user_over_the_cap_is_accepted_then_closed_with_1008(small_caps):
    (alice, token), (bob, _) = await make_guest(), await make_guest()
    game = await started_game([alice, bob], {"countdown_ticks": 100})
    app = from_address("192.0.2.1")
    sockets = [await open_game_socket(app, game.id, token) for _ in range(3)]
    assert [await watching(s) for s in sockets] == [True, True, True]
    extra = await open_game_socket(from_address("192.0.2.2"), game.id, token)
    assert await closed_with(extra) == 1008
    await extra.disconnect()  # A refused socket raised nothing: disconnect would re-raise it.
    await sockets[0].disconnect()
    again = await open_game_socket(app, game.id, token)
    assert await watching(again)
    for socket in (*sockets[1:], again):
        await socket.disconnect()


async def test_an_address_over_the_cap_is_closed_with_1008_whoever_the_user(small_caps):
    players = [await make_guest() for _ in range(2)]
    game = await started_game([user for user, _ in players], {"countdown_ticks": 100})
    app = from_address("198.51.100.4")
    viewers = [await make_guest() for _ in range(6)]
    sockets = [await open_game_socket(app, game.id, token) for _, token in viewers[:5]]
    assert all([await watching(s) for s in sockets])
    refused = await open_game_socket(app, game.id, viewers[5][1])
    assert await closed_with(refused) == 1008
    elsewhere = await open_game_socket(from_address("198.51.100.5"), game.id, viewers[5][1])
    assert await watching(elsewhere)
    for socket in (*sockets, refused, elsewhere):
        await socket.disconnect()


async def test_a_socket_the_server_closed_frees_its_place_when_it_disconnects(small_caps):
    _, token = await make_guest()
    app = from_address("192.0.2.7")
    # Unknown games: the server closes each socket (4004) but the client has not gone yet.
    closed_by_server = [await open_game_socket(app, "nosuchgame1", token) for _ in range(3)]
    assert [await closed_with(s) for s in closed_by_server] == [4004, 4004, 4004]
    over = await open_game_socket(app, "nosuchgame1", token)
    assert await closed_with(over) == 1008
    await closed_by_server[0].disconnect()
    admitted = await open_game_socket(app, "nosuchgame1", token)
    assert await closed_with(admitted) == 4004
    for socket in (*closed_by_server[1:], over, admitted):
        await socket.disconnect()


async def test_a_consumer_that_dies_without_a_disconnect_still_frees_its_place(small_caps):
    _, token = await make_guest()
    app = from_address("192.0.2.8")
    sockets = [await open_game_socket(app, "nosuchgame1", token) for _ in range(3)]
    for socket in sockets:
        await closed_with(socket)
    # The server dropped the application (a crash, a shutdown): no websocket.disconnect at all.
    sockets[0].future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sockets[0].future
    admitted = await open_game_socket(app, "nosuchgame1", token)
    assert await closed_with(admitted) == 4004
    for socket in (*sockets[1:], admitted):
        await socket.disconnect()

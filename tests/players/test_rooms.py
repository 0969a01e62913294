"""Private rooms: `/ws/room/<code>/` through WebsocketCommunicator, and the room services."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from engine.models import Game
from players import services
from players.models import Room, RoomMember, WebProcessLease
from players.rooms import services as room_services
from players.rooms.errors import RoomRefused
from players.tokens import token_for
from tests.players.test_consumers import connect as open_socket
from tests.players.test_consumers import make_guest, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_room(owner, **fields):
    return room_services.room_create(owner=owner, fields={"game": "snake", **fields})


@database_sync_to_async
def room_row(code):
    return Room.objects.filter(code=code).first()


@database_sync_to_async
def ready_flags(code):
    return dict(RoomMember.objects.filter(room__code=code).values_list("user__username", "ready"))


async def next_of(communicator, message_type, timeout=3.0):
    """The next message of `message_type`, skipping others."""
    return await receive_until(communicator, lambda message: message["type"] == message_type, timeout=timeout)


async def closed_with(communicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output.get("code")


class Member:
    """A guest with an open room socket, past its `joined` and `settings_changed`."""

    def __init__(self, user, socket, joined, settings):
        self.user, self.socket, self.joined, self.settings = user, socket, joined, settings
        self.name = user.username

    async def send(self, message):
        await self.socket.send_json_to(message)

    async def next(self, message_type):
        return await next_of(self.socket, message_type)

    async def error(self):
        return await next_of(self.socket, "error")


async def join(code, guest=None) -> Member:
    user, token = guest or await make_guest()
    socket = await open_socket(f"/ws/room/{code}/", token)
    joined = await socket.receive_json_from(timeout=3)
    assert joined["type"] == "joined", joined
    settings = await socket.receive_json_from(timeout=3)
    assert settings["type"] == "settings_changed", settings
    return Member(user, socket, joined, settings)


async def hosted_room(**fields):
    """A room and its host, connected."""
    guest = await make_guest()
    room = await make_room(guest[0], **fields)
    return room.code, await join(room.code, guest)


# -- joining ---------------------------------------------------------------------------------


async def test_unauthenticated_socket_is_closed_with_4002():
    owner, _ = await make_guest()
    room = await make_room(owner)
    socket = await open_socket(f"/ws/room/{room.code}/")
    assert await closed_with(socket) == 4002


async def test_unknown_room_gets_an_error_then_4003():
    _, token = await make_guest()
    socket = await open_socket("/ws/room/ZZZZZZ/", token)
    assert (await socket.receive_json_from(timeout=3))["code"] == "no_such_room"
    assert await closed_with(socket) == 4003


async def test_host_joins_and_gets_the_room_and_its_settings():
    _code, host = await hosted_room(target_players=3, bot_level="hard")
    assert host.joined == {
        "type": "joined",
        "user": host.name,
        "owner": host.name,
        "is_owner": True,
        "players": [{"username": host.name, "ready_to_play": False}],
    }
    assert host.settings == {"type": "settings_changed", "game": "snake", "bot_level": "hard", "target_players": 3}


async def test_joined_goes_to_everyone_with_is_owner_per_recipient():
    code, host = await hosted_room()
    guest = await join(code)
    players = [{"username": host.name, "ready_to_play": False}, {"username": guest.name, "ready_to_play": False}]
    seen_by_host = await host.next("joined")
    assert seen_by_host == {"type": "joined", "user": guest.name, "owner": host.name, "is_owner": True, "players": players}
    assert guest.joined == {**seen_by_host, "is_owner": False}
    assert guest.settings["target_players"] == 4


async def test_full_room_closes_the_next_socket_with_4003():
    code, _host = await hosted_room(target_players=2)
    await join(code)
    _, token = await make_guest()
    third = await open_socket(f"/ws/room/{code}/", token)
    assert (await third.receive_json_from(timeout=3))["code"] == "room_full"
    assert await closed_with(third) == 4003
    assert len(await ready_flags(code)) == 2


async def test_a_members_second_socket_is_closed_with_4003_and_the_first_stays():
    guest = await make_guest()
    room = await make_room(guest[0])
    first = await join(room.code, guest)
    second = await open_socket(f"/ws/room/{room.code}/", guest[1])
    assert (await second.receive_json_from(timeout=3))["code"] == "already_in_room"
    assert await closed_with(second) == 4003
    await first.send({"type": "ready_status", "is_ready": True})
    assert (await first.next("ready_status"))["is_ready"] is True
    assert await ready_flags(room.code) == {first.name: True}


# -- ready, chat, settings -------------------------------------------------------------------


async def test_ready_status_reaches_everyone():
    code, host = await hosted_room()
    guest = await join(code)
    await guest.send({"type": "ready_status", "is_ready": True})
    for member, is_owner in ((host, True), (guest, False)):
        assert await member.next("ready_status") == {
            "type": "ready_status",
            "user": guest.name,
            "is_ready": True,
            "owner": host.name,
            "is_owner": is_owner,
        }
    assert await ready_flags(code) == {host.name: False, guest.name: True}


async def test_chat_reaches_everyone_cleaned():
    code, host = await hosted_room()
    guest = await join(code)
    await guest.send({"type": "chat_message", "message": "  good luck!  "})
    for member in (host, guest):
        assert await member.next("chat_message") == {"type": "chat_message", "user": guest.name, "message": "good luck!"}


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "chat_message", "message": "x" * 501},
        {"type": "chat_message", "message": "two\nlines"},
        {"type": "chat_message", "message": "   "},
        {"type": "chat_message"},
        {"type": "ready_status", "is_ready": "yes"},
        {"type": "ready_status"},
        {"type": "update_settings", "bot_level": "godlike"},
        {"type": "update_settings", "target_players": 9},
        {"type": "update_settings", "target_players": True},
        {"type": "update_settings", "tc": "3+2"},
        {"type": "update_settings", "game": "chess"},
        {"type": "update_settings"},
        {"type": "leave_room"},
    ],
)
async def test_bad_frames_get_an_error_and_change_nothing(frame):
    code, host = await hosted_room()
    await host.send(frame)
    error = await host.error()
    assert error["code"] in {"bad_field", "unknown_type"}, error
    await host.send({"type": "ping"})
    assert await host.socket.receive_json_from(timeout=3) == {"type": "pong"}
    room = await room_row(code)
    assert room.settings == {"target_players": 4, "bot_level": "medium"}
    assert await ready_flags(code) == {host.name: False}


async def test_frames_that_are_not_json_objects_get_an_error():
    _code, host = await hosted_room()
    await host.socket.send_to(text_data="not json")
    assert (await host.error())["code"] == "not_json"
    await host.socket.send_to(text_data="[1]")
    assert (await host.error())["code"] == "not_object"


async def test_host_changes_settings_and_everyone_sees_them():
    code, host = await hosted_room()
    guest = await join(code)
    await host.send({"type": "update_settings", "bot_level": "easy", "target_players": 6})
    expected = {"type": "settings_changed", "game": "snake", "bot_level": "easy", "target_players": 6}
    assert await host.next("settings_changed") == expected
    assert await guest.next("settings_changed") == expected
    assert (await room_row(code)).settings == {"bot_level": "easy", "target_players": 6}


async def test_only_the_host_changes_settings():
    code, _host = await hosted_room()
    guest = await join(code)
    await guest.send({"type": "update_settings", "bot_level": "hard"})
    assert (await guest.error())["code"] == "not_owner"
    assert (await room_row(code)).settings["bot_level"] == "medium"


async def test_seats_cannot_drop_below_the_players_in_the_room():
    code, host = await hosted_room()
    await join(code)
    await join(code)
    await host.send({"type": "update_settings", "target_players": 2})
    error = await host.error()
    assert error["code"] == "bad_field" and "3 players" in error["message"]
    await host.send({"type": "update_settings", "target_players": 3})
    assert (await host.next("settings_changed"))["target_players"] == 3


async def test_chess_room_changes_its_time_control():
    code, host = await hosted_room(game="chess", tc="5+3")
    assert host.settings == {"type": "settings_changed", "game": "chess", "bot_level": "medium", "target_players": 2, "tc": "5+3"}
    await host.send({"type": "update_settings", "tc": "0.5+0"})
    assert (await host.next("settings_changed"))["tc"] == "0.5+0"
    await host.send({"type": "update_settings", "tc": "3+2.5"})
    assert (await host.error())["code"] == "bad_field"
    await host.send({"type": "update_settings", "target_players": 3})
    assert (await host.error())["code"] == "bad_field"
    assert (await room_row(code)).settings["tc"] == "0.5+0"


# -- leaving ---------------------------------------------------------------------------------


async def test_host_leaving_hands_the_room_to_the_next_oldest_member():
    code, host = await hosted_room()
    second = await join(code)
    third = await join(code)
    await host.socket.disconnect()
    players = [{"username": second.name, "ready_to_play": False}, {"username": third.name, "ready_to_play": False}]
    for member, is_owner in ((second, True), (third, False)):
        assert await member.next("player_left") == {
            "type": "player_left",
            "user_left": host.name,
            "owner": second.name,
            "is_owner": is_owner,
            "players": players,
        }
    assert (await database_sync_to_async(lambda: Room.objects.get(code=code).owner)()) == second.user
    await second.send({"type": "update_settings", "bot_level": "hard"})
    assert (await third.next("settings_changed"))["bot_level"] == "hard"


async def test_a_member_leaving_keeps_the_host():
    code, host = await hosted_room()
    guest = await join(code)
    await guest.socket.disconnect()
    left = await host.next("player_left")
    assert (left["user_left"], left["owner"], left["is_owner"]) == (guest.name, host.name, True)


async def test_the_last_member_leaving_deletes_the_room():
    code, host = await hosted_room()
    guest = await join(code)
    await host.socket.disconnect()
    await guest.next("player_left")
    await guest.socket.disconnect()
    assert await room_row(code) is None


# -- starting --------------------------------------------------------------------------------


async def test_only_the_host_starts_and_only_once_everyone_is_ready():
    code, host = await hosted_room()
    guest = await join(code)
    await guest.send({"type": "ready_status", "is_ready": True})
    await guest.next("ready_status")
    await guest.send({"type": "start_game"})
    assert (await guest.error())["code"] == "not_owner"
    await host.send({"type": "start_game"})
    error = await host.error()
    assert error["code"] == "not_ready" and host.name in error["message"]
    assert await room_row(code) is not None
    assert await database_sync_to_async(Game.objects.count)() == 0


async def test_a_room_needs_two_seats_to_start():
    code, host = await hosted_room()
    # Settings no room can be given through the API, so only the guard itself can refuse them.
    await database_sync_to_async(Room.objects.filter(code=code).update)(settings={"target_players": 1, "bot_level": "easy"})
    await host.send({"type": "ready_status", "is_ready": True})
    await host.next("ready_status")
    await host.send({"type": "start_game"})
    assert (await host.error())["code"] == "too_few_players"
    assert await room_row(code) is not None


@database_sync_to_async
def seats_of(game_id):
    """[(username or None, bot level or "")] in seat order."""
    return list(Game.objects.get(pk=game_id).seats.values_list("user__username", "bot_level"))


async def test_start_sends_game_start_to_everyone_then_closes_with_4001():
    code, host = await hosted_room()
    guest = await join(code)
    for member in (host, guest):
        await member.send({"type": "ready_status", "is_ready": True})
        await host.next("ready_status")
    await host.send({"type": "start_game"})
    starts = [await member.next("game_start") for member in (host, guest)]
    game_id = starts[0]["game_id"]
    assert starts == [{"type": "game_start", "game_id": game_id}] * 2
    for member in (host, guest):
        assert await closed_with(member.socket) == 4001
    game = await database_sync_to_async(Game.objects.get)(pk=game_id)
    assert (game.kind, game.status) == ("snake", "started")
    # The members in the order they joined, then bots of the room's level up to target_players.
    assert await seats_of(game_id) == [(host.name, ""), (guest.name, ""), (None, "medium"), (None, "medium")]
    assert await room_row(code) is None
    # The engine heard of the game first: its players find it live.
    player = await open_socket(f"/ws/game/{game_id}/", token_for(user_id=guest.user.pk))
    state = await player.receive_json_from(timeout=3)
    assert state["type"] == "gameState" and state["you"]["role"] == "player"
    await player.disconnect()


async def test_chess_room_starts_a_game_with_its_time_control():
    code, host = await hosted_room(game="chess", tc="10+5")
    guest = await join(code)
    for member in (host, guest):
        await member.send({"type": "ready_status", "is_ready": True})
        await host.next("ready_status")
    await host.send({"type": "start_game"})
    game_id = (await guest.next("game_start"))["game_id"]
    game = await database_sync_to_async(Game.objects.get)(pk=game_id)
    assert (game.kind, game.settings) == ("chess", {"tc": "10+5"})
    assert sorted(name for name, _ in await seats_of(game_id)) == sorted([host.name, guest.name])


async def test_a_host_alone_plays_against_bots_of_the_rooms_level():
    _code, host = await hosted_room(target_players=3, bot_level="hard")
    await host.send({"type": "ready_status", "is_ready": True})
    await host.next("ready_status")
    await host.send({"type": "start_game"})
    game_id = (await host.next("game_start"))["game_id"]
    assert await closed_with(host.socket) == 4001
    assert await seats_of(game_id) == [(host.name, ""), (None, "hard"), (None, "hard")]
    player = await open_socket(f"/ws/game/{game_id}/", token_for(user_id=host.user.pk))
    state = await player.receive_json_from(timeout=3)
    assert state["type"] == "gameState" and len(state["players"]) == 3
    await player.disconnect()


# -- services --------------------------------------------------------------------------------


@pytest.fixture
def guests():
    return [services.guest_create() for _ in range(3)]


def test_rooms_nobody_joined_for_a_few_minutes_are_swept(guests):
    old = room_services.room_create(owner=guests[0], fields={"game": "snake"})
    fresh = room_services.room_create(owner=guests[1], fields={"game": "snake"})
    joined = room_services.room_create(owner=guests[2], fields={"game": "snake"})
    room_services.room_join(code=joined.code, user=guests[2], channel_name="chan", process_id="live")
    long_ago = timezone.now() - timedelta(seconds=room_services.ROOM_UNJOINED_SECONDS + 1)
    Room.objects.filter(pk__in=[old.pk, joined.pk]).update(created_at=long_ago)
    room_services.room_create(owner=guests[0], fields={"game": "chess", "tc": "3+2"})
    remaining = set(Room.objects.values_list("code", flat=True))
    assert old.code not in remaining
    assert {fresh.code, joined.code} <= remaining


def test_a_room_whose_members_web_process_died_is_swept(guests):
    room = room_services.room_create(owner=guests[0], fields={"game": "snake"})
    for user in guests[:2]:
        room_services.room_join(code=room.code, user=user, channel_name=f"chan-{user.pk}", process_id="dead")
    Room.objects.filter(pk=room.pk).update(created_at=timezone.now() - timedelta(hours=1))
    WebProcessLease.objects.filter(pk="dead").update(expires_at=timezone.now() - timedelta(seconds=1))
    other = room_services.room_create(owner=guests[2], fields={"game": "snake"})
    with pytest.raises(RoomRefused) as refusal:
        room_services.room_join(code=room.code, user=guests[2], channel_name="chan", process_id="live")
    assert refusal.value.code == "no_such_room"
    assert list(Room.objects.values_list("code", flat=True)) == [other.code]


def test_room_codes_are_six_unambiguous_capitals(guests):
    codes = {room_services.room_create(owner=guests[0], fields={"game": "snake"}).code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 6 and not set(code) & set("01ILO") and code.isupper()

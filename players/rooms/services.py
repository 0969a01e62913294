"""Writes about private rooms: create, join, leave, ready, settings, and start the game.

Every change locks the room's row first, so two sockets (in any web process) never both take
the last seat, both migrate the host, or both start a game. Refusals raise RoomRefused.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from engine import services as game_services
from engine.models import Game
from players.models import ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH, Room, RoomMember
from players.rooms.errors import RoomRefused
from players.rooms.selectors import Lobby, room_lobby
from players.rooms.settings import game_settings, room_settings_changed, room_settings_new
from players.services import web_process_lease_renew, web_process_leases_expire

User = get_user_model()

# A room nobody is in is deleted this long after it was created (its creator never came, or
# every member's web process died); a room whose last member leaves goes at once.
ROOM_UNJOINED_SECONDS = 300
# 31**6 codes: a clash is rare, two in a row rarer still.
ROOM_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class StartedGame:
    game: Game
    # The engine.start_game message: sent to the engine before the members hear of the game.
    engine_message: dict


def _new_room_code() -> str:
    return "".join(secrets.choice(ROOM_CODE_ALPHABET) for _ in range(ROOM_CODE_LENGTH))


@transaction.atomic
def rooms_sweep() -> int:
    """Removes the members of dead web processes, then the rooms nobody has been in for
    ROOM_UNJOINED_SECONDS since their creation. Returns how many rooms went."""
    web_process_leases_expire()
    cutoff = timezone.now() - timedelta(seconds=ROOM_UNJOINED_SECONDS)
    _, by_model = Room.objects.filter(created_at__lt=cutoff, members__isnull=True).delete()
    return by_model.get(Room._meta.label, 0)


@transaction.atomic
def room_create(*, owner: User, fields: dict) -> Room:
    """A room for `{"game": ..., ...settings}` (players.rooms.settings), hosted by `owner`."""
    game, settings = room_settings_new(fields=fields)
    rooms_sweep()
    for _ in range(ROOM_CODE_ATTEMPTS):
        room = Room(code=_new_room_code(), kind=game, settings=settings, owner=owner)
        room.full_clean(validate_unique=False)
        try:
            with transaction.atomic():  # a savepoint: a code already taken leaves the transaction usable
                room.save()
        except IntegrityError:
            continue
        return room
    raise RuntimeError(f"no free room code after {ROOM_CODE_ATTEMPTS} attempts")


def _room_for_update(code: str) -> Room | None:
    # Only the room's row is locked: PostgreSQL cannot lock the nullable side of the owner join.
    return Room.objects.select_for_update(of=("self",)).select_related("owner").filter(code=code).first()


def _locked_room(code: str) -> Room:
    room = _room_for_update(code)
    if room is None:
        raise RoomRefused("no_such_room", f"there is no room {code}")
    return room


@transaction.atomic
def room_join(*, code: str, user: User, channel_name: str, process_id: str) -> Lobby:
    """Seats `user` in the room for the socket `channel_name` of web process `process_id`."""
    rooms_sweep()
    lease = web_process_lease_renew(process_id=process_id)
    room = _locked_room(code)
    members = list(room.members.all())
    if any(member.user_id == user.pk for member in members):
        raise RoomRefused("already_in_room", "you are already in this room (in another tab or window?)")
    if len(members) >= room.settings["target_players"]:
        raise RoomRefused("room_full", f"room {code} is full")
    member = RoomMember(room=room, user=user, channel_name=channel_name, process=lease)
    member.full_clean()
    member.save()
    return room_lobby(room=room)


@transaction.atomic
def room_leave(*, code: str, user: User, channel_name: str) -> Lobby | None:
    """Takes `user` out of the room, if this socket holds their seat. The host's role goes to the
    next oldest member; the last member out deletes the room. Returns the room as the members
    left behind see it, or None when nobody is left to tell."""
    room = _room_for_update(code)
    if room is None:
        return None
    left, _ = room.members.filter(user=user, channel_name=channel_name).delete()
    if not left:
        return None
    next_oldest = room.members.select_related("user").order_by("joined_at", "pk").first()
    if next_oldest is None:
        room.delete()
        return None
    if room.owner_id in (user.pk, None):
        room.owner = next_oldest.user
        room.full_clean()
        room.save(update_fields=["owner"])
    return room_lobby(room=room)


@transaction.atomic
def room_set_ready(*, code: str, user: User, is_ready: bool) -> Lobby:
    room = _locked_room(code)
    member = room.members.filter(user=user).first()
    if member is None:
        raise RoomRefused("not_in_room", f"you are not in room {code}")
    member.ready = is_ready
    member.full_clean()
    member.save(update_fields=["ready"])
    return room_lobby(room=room)


def _require_owner(room: Room, user: User, action: str) -> None:
    if room.owner_id != user.pk:
        raise RoomRefused("not_owner", f"only the host can {action}")


@transaction.atomic
def room_update_settings(*, code: str, user: User, changes: dict) -> Lobby:
    """Applies the host's `changes` (any of target_players, bot_level, and tc for chess)."""
    room = _locked_room(code)
    _require_owner(room, user, "change the settings")
    room.settings = room_settings_changed(
        game=room.kind, current=room.settings, changes=changes, members=room.members.count()
    )
    room.full_clean()
    room.save(update_fields=["settings"])
    return room_lobby(room=room)


@transaction.atomic
def room_start(*, code: str, user: User) -> StartedGame:
    """The host starts the room's game once every member is ready: the members take the first
    seats, in the order they joined (chess: colours at random), bots of the room's level the
    rest up to target_players, and the room is done."""
    room = _locked_room(code)
    _require_owner(room, user, "start the game")
    members = list(room.members.select_related("user").order_by("joined_at", "pk"))
    if not members:
        raise RoomRefused("no_players", "nobody is in the room")
    waiting_for = [member.user.username for member in members if not member.ready]
    if waiting_for:
        raise RoomRefused("not_ready", f"everyone must be ready first (waiting for {', '.join(waiting_for)})")
    users = [member.user for member in members]
    if room.kind == Game.Kind.CHESS:
        random.shuffle(users)
    bots = [room.settings["bot_level"]] * (room.settings["target_players"] - len(users))
    if len(users) + len(bots) < 2:
        raise RoomRefused("too_few_players", "a game needs at least 2 seats")
    # Chess: a person facing a bot plays black half the time.
    bots_first = room.kind == Game.Kind.CHESS and bool(bots) and random.random() < 0.5
    game = game_services.game_create(
        kind=room.kind,
        users=users,
        bots=bots,
        bots_first=bots_first,
        settings=game_settings(game=room.kind, settings=room.settings),
    )
    engine_message = game_services.game_start_message(game=game)
    # Deleting the room (and its members) makes a second start_game find nothing to start.
    room.delete()
    return StartedGame(game=game, engine_message=engine_message)

"""`/ws/room/<code>/`: a private room's lobby. Members get ready and chat, the host sets the
game up and starts it; everyone then moves on to the game."""

from __future__ import annotations

from channels.db import database_sync_to_async

from players.consumers.guarded import CLOSE_MATCHED, CLOSE_UNAUTHENTICATED, GuardedConsumer
from players.engine_link import send_to_engine
from players.rooms import services as room_services
from players.rooms.errors import RoomRefused
from players.rooms.protocol import clean_room_message
from players.web_process import this_process

# Unknown room, full room, or a user already in it (on another socket).
CLOSE_NOT_ADMITTED = 4003


def room_group_name(code: str) -> str:
    return f"room.{code}"


class RoomConsumer(GuardedConsumer):
    """One member's socket: what it sends goes through room_services; what the room does reaches
    every member through the room's group."""

    member = False

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.reject(CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.code = self.scope["url_route"]["kwargs"]["code"].upper()
        self.group = room_group_name(self.code)
        await self.accept()
        # In the group before the join is read, so no change made after that read is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        try:
            lobby = await database_sync_to_async(room_services.room_join)(
                code=self.code, user=user, channel_name=self.channel_name, process_id=this_process.id
            )
        except RoomRefused as refusal:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.send_error(refusal.code, refusal.message)
            await self.close_with(CLOSE_NOT_ADMITTED)
            return
        self.member = True
        this_process.ensure_reporting()  # renews the lease that keeps this membership
        await self._broadcast("room.joined", user=user.username, owner=lobby.owner, players=lobby.players)
        # Through this socket's own channel, so it arrives right after its `joined`.
        await self.channel_layer.send(self.channel_name, {"type": "room.settings_changed", **lobby.settings_message()})

    async def disconnect(self, code):
        if not self.member:
            return
        self.member = False
        await self.channel_layer.group_discard(self.group, self.channel_name)
        lobby = await database_sync_to_async(room_services.room_leave)(
            code=self.code, user=self.user, channel_name=self.channel_name
        )
        if lobby is not None:
            await self._broadcast("room.player_left", user_left=self.user.username, owner=lobby.owner, players=lobby.players)

    async def on_message(self, content: dict) -> None:
        request = clean_room_message(content)
        try:
            await getattr(self, f"_on_{request['type']}")(request)
        except RoomRefused as refusal:
            await self.send_error(refusal.code, refusal.message)

    async def _on_ping(self, request: dict) -> None:
        await self.send_json({"type": "pong"})

    async def _on_ready_status(self, request: dict) -> None:
        lobby = await database_sync_to_async(room_services.room_set_ready)(
            code=self.code, user=self.user, is_ready=request["is_ready"]
        )
        await self._broadcast("room.ready_status", user=self.user.username, is_ready=request["is_ready"], owner=lobby.owner)

    async def _on_chat_message(self, request: dict) -> None:
        await self._broadcast("room.chat_message", user=self.user.username, message=request["message"])

    async def _on_update_settings(self, request: dict) -> None:
        lobby = await database_sync_to_async(room_services.room_update_settings)(
            code=self.code, user=self.user, changes=request["changes"]
        )
        await self._broadcast("room.settings_changed", **lobby.settings_message())

    async def _on_start_game(self, request: dict) -> None:
        started = await database_sync_to_async(room_services.room_start)(code=self.code, user=self.user)
        # The engine hears of the game before the players do, so their first sync finds it.
        await send_to_engine(started.engine_message)
        await self._broadcast("room.game_start", game_id=started.game.id)

    async def _broadcast(self, event_type: str, **fields) -> None:
        await self.channel_layer.group_send(self.group, {"type": event_type, **fields})

    # -- the room's broadcasts, as each member's socket passes them on -------------------------

    async def _relay(self, event: dict) -> None:
        """Sends a broadcast on as `{"type": ...}`; one naming the owner says whether that is
        this socket's user (`is_owner`)."""
        message = {**event, "type": event["type"].removeprefix("room.")}
        if "owner" in message:
            message["is_owner"] = message["owner"] == self.user.username
        await self.send_json(message)

    room_joined = room_player_left = room_ready_status = room_settings_changed = room_chat_message = _relay

    async def room_game_start(self, event: dict) -> None:
        await self._relay(event)
        await self.close_with(CLOSE_MATCHED)

"""Validation of the frames a room socket receives, before anything acts on them."""

from __future__ import annotations

from engine.games.intents import no_fields
from players.protocol import BadFrame, clean_chat


def _ready_status(content: dict) -> dict:
    is_ready = content.get("is_ready")
    if not isinstance(is_ready, bool):
        raise BadFrame("bad_field", '"is_ready" must be true or false')
    return {"type": "ready_status", "is_ready": is_ready}


def _chat_message(content: dict) -> dict:
    # Game chat's rules, so both chats agree.
    return {"type": "chat_message", "message": clean_chat(content)["message"]}


def _update_settings(content: dict) -> dict:
    # The values depend on the room's game: players.rooms.settings checks them.
    return {"type": "update_settings", "changes": {name: value for name, value in content.items() if name != "type"}}


ROOM_MESSAGES = {
    "ready_status": _ready_status,
    "start_game": no_fields,
    "chat_message": _chat_message,
    "update_settings": _update_settings,
    "ping": no_fields,
}


def clean_room_message(content: dict) -> dict:
    """The request in a frame from `parse_frame`, or BadFrame."""
    cleaner = ROOM_MESSAGES.get(content["type"])
    if cleaner is None:
        raise BadFrame("unknown_type", f"unknown message type {content['type']!r}")
    return cleaner(content)

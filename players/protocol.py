"""Validation of client frames: every frame is checked here before anything acts on it."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from engine.rules import chess_game

DIRECTIONS = frozenset({"UP", "DOWN", "LEFT", "RIGHT"})
CHAT_MAX_CHARS = 500


class BadFrame(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_frame(text: str | None, bytes_data: bytes | None) -> dict:
    """A client frame as a dict with a string "type", or BadFrame."""
    if text is None:
        raise BadFrame("not_json", "frames must be JSON text")
    try:
        content = json.loads(text)
    except ValueError:
        raise BadFrame("not_json", "frame is not valid JSON") from None
    if not isinstance(content, dict):
        raise BadFrame("not_object", "frame must be a JSON object")
    if not isinstance(content.get("type"), str):
        raise BadFrame("bad_type", 'frame needs a string "type"')
    return content


def _no_fields(content: dict) -> dict:
    return {"type": content["type"]}


def _chat(content: dict) -> dict:
    message = content.get("message")
    if not isinstance(message, str):
        raise BadFrame("bad_field", '"message" must be a string')
    message = message.strip()
    if not message:
        raise BadFrame("bad_field", '"message" must not be empty')
    if len(message) > CHAT_MAX_CHARS:
        raise BadFrame("bad_field", f'"message" is longer than {CHAT_MAX_CHARS} characters')
    return {"type": "chat", "message": message}


def _direction(content: dict) -> dict:
    direction = content.get("direction")
    if direction not in DIRECTIONS:
        raise BadFrame("bad_field", '"direction" must be one of UP, DOWN, LEFT, RIGHT')
    return {"type": "direction", "direction": direction}


UCI_PATTERN = re.compile(r"^[a-h][1-8][a-h][1-8][qrbn]?$")


def _move(content: dict) -> dict:
    uci = content.get("uci")
    if not isinstance(uci, str) or not UCI_PATTERN.match(uci):
        raise BadFrame("bad_field", '"uci" must be a move in UCI notation, e.g. "e2e4" or "e7e8q"')
    return {"type": "move", "uci": uci}



# Per game kind: the client message types and how each is cleaned into an engine intent.
GAME_INTENTS: dict[str, dict[str, Callable[[dict], dict]]] = {
    "snake": {"direction": _direction, "respawn": _no_fields, "chat": _chat},
    "chess": {
        **{intent: _no_fields for intent in chess_game.INTENTS},
        "move": _move,
        "chat": _chat,
    },
}


def clean_game_intent(kind: str, content: dict) -> dict:
    cleaners = GAME_INTENTS.get(kind, {})
    cleaner = cleaners.get(content["type"])
    if cleaner is None:
        raise BadFrame("unknown_type", f"unknown message type {content['type']!r}")
    return cleaner(content)


@dataclass
class TokenBucket:
    """Allows `burst` messages at once and `rate` per second sustained."""

    burst: float
    rate: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

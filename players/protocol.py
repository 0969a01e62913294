"""Validation of client frames: every frame is checked here before anything acts on it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

from engine.games import KINDS
from engine.games.intents import IntentError

CHAT_MAX_CHARS = 500
# Client messages are flat objects. The json module recurses once per level and fails near
# Python's recursion limit (about 1,000), which a 4 KiB frame can reach.
MAX_JSON_DEPTH = 32
# The longest client type is 16 characters; the bound keeps echoed types short.
MAX_TYPE_CHARS = 32

# A JSON string, or an unterminated one up to the end of the text (json.loads fails there, so
# nothing after it is parsed). Possessive repeats keep this linear on any text.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Whole ASCII digits, at most 18 of them (any version fits in 64 bits).
_VERSION_PARAM = re.compile(r"[0-9]{1,18}")


class BadFrame(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def frame_size(text: str | None, bytes_data: bytes | None) -> int:
    """The frame's length in bytes. A lone surrogate (possible only in-process: Daphne decodes
    strict UTF-8) counts as the three bytes it would take, instead of raising."""
    if text is not None:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(bytes_data or b"")


def _nests_too_deep(text: str) -> bool:
    """True if arrays and objects nest deeper than MAX_JSON_DEPTH in `text` (brackets inside
    strings aside)."""
    depth = 0
    for bracket in _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text)):
        depth += _DEPTH_STEP[bracket]
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def parse_frame(text: str | None, bytes_data: bytes | None) -> dict:
    """A client frame as a dict with a short string "type", or BadFrame."""
    if text is None:
        raise BadFrame("not_json", "frames must be JSON text")
    if _nests_too_deep(text):
        raise BadFrame("too_deep", f"frame nests arrays or objects deeper than {MAX_JSON_DEPTH} levels")
    try:
        content = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        raise BadFrame("not_json", "frame is not valid JSON") from None
    if not isinstance(content, dict):
        raise BadFrame("not_object", "frame must be a JSON object")
    if not isinstance(content.get("type"), str):
        raise BadFrame("bad_type", 'frame needs a string "type"')
    if len(content["type"]) > MAX_TYPE_CHARS:
        raise BadFrame("bad_type", f'"type" is longer than {MAX_TYPE_CHARS} characters')
    return content


def parse_version_param(text: str | None) -> int | None:
    """`?v=` as a version, or None (absent or malformed: the client gets the full state)."""
    if text is None or not _VERSION_PARAM.fullmatch(text):
        return None
    return int(text)


# Chat is one line of text: C0 and C1 controls (newlines and tabs too), and the bidirectional
# overrides and isolates, which can make a message display as something it is not.
_CHAT_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _is_unicode(text: str) -> bool:
    """False for text with lone surrogates, which no UTF-8 encoder (msgpack, a socket) accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_chat(content: dict) -> dict:
    message = content.get("message")
    if not isinstance(message, str):
        raise BadFrame("bad_field", '"message" must be a string')
    message = message.strip()
    if not message:
        raise BadFrame("bad_field", '"message" must not be empty')
    if len(message) > CHAT_MAX_CHARS:
        raise BadFrame("bad_field", f'"message" is longer than {CHAT_MAX_CHARS} characters')
    if not _is_unicode(message):
        raise BadFrame("bad_field", '"message" must be valid Unicode (it has a lone surrogate)')
    if _CHAT_FORBIDDEN.search(message):
        raise BadFrame("bad_field", '"message" must not contain control characters')
    return {"type": "chat", "message": message}


def clean_game_intent(kind: str, content: dict) -> dict:
    """The engine intent for a frame from `parse_frame`, or BadFrame. Chat is every kind's; the
    rest is the kind's own (engine/games/<kind>/intents.py)."""
    if content["type"] == "chat":
        return clean_chat(content)
    cleaner = KINDS[kind].intents.get(content["type"])
    if cleaner is None:
        raise BadFrame("unknown_type", f"unknown message type {content['type']!r}")
    try:
        return cleaner(content)
    except IntentError as refused:
        raise BadFrame(refused.code, refused.message) from None


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

"""Property tests: on any input, `parse_frame` and the intent cleaners return the documented
shape or raise BadFrame, and nothing else. Derandomized, so every run tries the same inputs."""

import json
import unicodedata

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.games import KINDS as GAME_KINDS
from engine.games.chess.intents import UCI_PATTERN
from engine.games.snake.rules import DIRECTIONS
from players.protocol import (
    CHAT_MAX_CHARS,
    MAX_JSON_DEPTH,
    MAX_TYPE_CHARS,
    BadFrame,
    clean_game_intent,
    parse_frame,
)

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=100)

# Per kind, every client message type and its cleaner; chat is common to all kinds.
GAME_INTENTS = {name: {**kind.intents, "chat": "chat"} for name, kind in GAME_KINDS.items()}
KINDS = sorted(GAME_INTENTS)
# One type per distinct cleaner of each kind (chess has many types that share one cleaner).
CLEANER_CASES = sorted(
    {(kind, cleaner): (kind, intent_type) for kind in KINDS for intent_type, cleaner in GAME_INTENTS[kind].items()}.values()
)
CLIENT_TYPES = sorted({kind for cleaners in GAME_INTENTS.values() for kind in cleaners} | {"ping", "lagEcho"})
PARSE_CODES = {"not_json", "not_object", "bad_type", "too_deep"}
CLEAN_CODES = {"unknown_type", "bad_field"}
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Any code point, lone surrogates included: Daphne never delivers them raw, but JSON escapes can.
any_text = st.text() | st.lists(st.characters() | st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])).map(
    "".join
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=8,
)
# Values close to the valid ones, where a loose check would let something through.
near_misses = st.sampled_from(
    ["UP", "up", "UP\n", " LEFT", "e2e4", "e7e8q", "e2e4\n", "e2e4 ", "e9e4", "", " ", "gl hf", "\ud800",
     "a\x00b", "\u202eab", "x" * (CHAT_MAX_CHARS + 1), "x" * CHAT_MAX_CHARS]
)
field_values = near_misses | json_values
client_messages = st.fixed_dictionaries(
    {"type": st.sampled_from(CLIENT_TYPES) | any_text},
    optional={"direction": field_values, "uci": field_values, "message": field_values, "id": field_values},
)
# Up to the 4,000 levels a 4 KiB frame can hold (under Hypothesis the recursion limit is ~2,000).
depths = st.integers(0, 4000) | st.sampled_from([MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 4000])
deep_texts = depths.flatmap(
    lambda depth: st.sampled_from(
        ["[" * depth + "]" * depth, "[" * depth, '{"type": "chat", "message": ' + "[" * depth + "]" * depth + "}",
         '{"a": ' * depth + "1" + "}" * depth, '"' + "[" * depth]
    )
)
frame_texts = any_text | json_values.map(json.dumps) | client_messages.map(json.dumps) | deep_texts


def assert_documented_intent(kind: str, intent: dict) -> None:
    assert intent["type"] in GAME_INTENTS[kind]
    if intent["type"] == "direction":
        assert set(intent) == {"type", "direction"} and intent["direction"] in DIRECTIONS
    elif intent["type"] == "move":
        assert set(intent) == {"type", "uci"} and UCI_PATTERN.fullmatch(intent["uci"])
    elif intent["type"] == "chat":
        message = intent["message"]
        assert set(intent) == {"type", "message"}
        assert 1 <= len(message) <= CHAT_MAX_CHARS and message == message.strip()
        assert all(unicodedata.category(char) != "Cc" and char not in BIDI_CONTROLS for char in message)
        message.encode("utf-8")
    else:
        assert intent == {"type": intent["type"]}
    # What the channel layer does with an intent: it must not fail (it once did on lone surrogates).
    msgpack.packb(intent)
    json.dumps(intent)


def assert_parsed(content: dict) -> None:
    assert isinstance(content, dict)
    assert isinstance(content["type"], str) and len(content["type"]) <= MAX_TYPE_CHARS


@FUZZ
@given(text=frame_texts)
def test_parse_frame_on_any_text(text):
    try:
        content = parse_frame(text, None)
    except BadFrame as bad:
        assert bad.code in PARSE_CODES and bad.message
        return
    assert_parsed(content)


@FUZZ
@given(data=st.binary())
def test_parse_frame_refuses_any_bytes(data):
    try:
        parse_frame(None, data)
    except BadFrame as bad:
        assert bad.code == "not_json"
    else:
        raise AssertionError("a binary frame was accepted")


@pytest.mark.parametrize("kind, intent_type", CLEANER_CASES)
@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={"direction": field_values, "uci": field_values, "message": field_values}))
def test_each_cleaner_on_any_fields(kind, intent_type, fields):
    check_cleaner(kind, {**fields, "type": intent_type})


@FUZZ
@given(kind=st.sampled_from(KINDS), content=client_messages)
def test_cleaners_on_any_message(kind, content):
    check_cleaner(kind, content)


def check_cleaner(kind: str, content: dict) -> None:
    try:
        intent = clean_game_intent(kind, content)
    except BadFrame as bad:
        assert bad.code in CLEAN_CODES and bad.message
        return
    assert_documented_intent(kind, intent)


@FUZZ
@given(kind=st.sampled_from(KINDS), text=frame_texts)
def test_parse_then_clean_on_any_text(kind, text):
    try:
        intent = clean_game_intent(kind, parse_frame(text, None))
    except BadFrame as bad:
        assert bad.code in PARSE_CODES | CLEAN_CODES
        return
    assert_documented_intent(kind, intent)

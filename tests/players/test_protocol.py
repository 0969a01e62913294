"""The frame parser, the intent cleaners and the `?v=` parser on the edge cases of each limit."""

import json

import pytest

from players.protocol import (
    MAX_JSON_DEPTH,
    MAX_TYPE_CHARS,
    BadFrame,
    clean_game_intent,
    frame_size,
    parse_frame,
    parse_version_param,
)


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def refusal(text: str) -> str:
    with pytest.raises(BadFrame) as refused:
        parse_frame(text, None)
    return refused.value.code


@pytest.mark.parametrize(
    "text, version",
    [
        (None, None),
        ("0", 0),
        ("42", 42),
        ("007", 7),
        ("9" * 18, 10**18 - 1),
        ("9" * 19, None),
        ("1" * 5000, None),
        ("", None),
        ("²", None),
        ("１", None),  # noqa: RUF001  # a fullwidth digit on purpose: int() accepts it, ?v= must not
        ("٣", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1 ", None),
        ("1\n", None),
        ("1_000", None),
        ("1e3", None),
    ],
)
def test_version_param_is_plain_ascii_digits_or_absent(text, version):
    assert parse_version_param(text) == version


def test_nesting_up_to_the_limit_is_parsed():
    content = parse_frame('{"type": "chat", "message": ' + nested_lists(MAX_JSON_DEPTH - 1) + "}", None)
    assert content["type"] == "chat"


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "chat", "message": ' + nested_lists(MAX_JSON_DEPTH) + "}",
        '{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1),
        "[" * 4000,
        '"x", ' + "[" * 4000,
    ],
)
def test_nesting_past_the_limit_is_refused_before_parsing(text):
    assert refusal(text) == "too_deep"


@pytest.mark.parametrize(
    "message",
    ["[" * 1000, '\\"[[[[' * 100, "{" * 500 + "}" * 500],
)
def test_brackets_inside_strings_do_not_count_as_nesting(message):
    content = parse_frame(json.dumps({"type": "chat", "message": message}), None)
    assert content["message"] == json.loads(json.dumps(message))


def test_an_unterminated_string_hides_nothing_json_would_parse():
    assert refusal('{"type": "chat", "message": "' + "[" * 2000) == "not_json"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_refused(constant):
    assert refusal('{"type": "direction", "direction": ' + constant + "}") == "not_json"


def test_types_are_short():
    assert parse_frame(json.dumps({"type": "x" * MAX_TYPE_CHARS}), None)["type"] == "x" * MAX_TYPE_CHARS
    assert refusal(json.dumps({"type": "x" * (MAX_TYPE_CHARS + 1)})) == "bad_type"


@pytest.mark.parametrize("uci", ["e2e4\n", " e2e4", "e2e4 ", "e2e4q\n", "e2e44", ["e2e4"], {"e2e4": 1}, 1234, None])
def test_uci_must_be_exactly_one_move(uci):
    with pytest.raises(BadFrame) as refused:
        clean_game_intent("chess", {"type": "move", "uci": uci})
    assert refused.value.code == "bad_field"


@pytest.mark.parametrize(
    "message, cleaned",
    [
        ("  gl hf  ", "gl hf"),
        ("trailing newline\n", "trailing newline"),
        ("gg 👨‍👩‍👧 שלום café", "gg 👨‍👩‍👧 שלום café"),
    ],
)
def test_chat_is_trimmed_and_keeps_any_script(message, cleaned):
    assert clean_game_intent("snake", {"type": "chat", "message": message}) == {"type": "chat", "message": cleaned}


@pytest.mark.parametrize("message", ["a\x00b", "a\tb", "a\nb", "a\x7fb", "a\x9bb", "a\u202eb", "a\u2066b", "a\ud800b"])
def test_chat_refuses_controls_bidi_overrides_and_lone_surrogates(message):
    with pytest.raises(BadFrame) as refused:
        clean_game_intent("snake", {"type": "chat", "message": message})
    assert refused.value.code == "bad_field"


@pytest.mark.parametrize(
    "text, bytes_data, size",
    [("é", None, 2), ("\ud800", None, 3), (None, b"abc", 3), (None, None, 0), ("", b"ignored", 0)],
)
def test_frame_size_never_raises(text, bytes_data, size):
    assert frame_size(text, bytes_data) == size

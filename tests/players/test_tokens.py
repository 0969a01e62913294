"""Websocket tokens: signed, expiring, refused after tampering."""

from players.tokens import token_for, user_id_from_token


def test_a_token_names_its_user():
    assert user_id_from_token(token=token_for(user_id=42)) == 42


def test_an_altered_token_is_refused():
    token = token_for(user_id=42)
    payload, rest = token.split(":", 1)
    assert user_id_from_token(token="x" + payload[1:] + ":" + rest) is None
    assert user_id_from_token(token=token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_an_expired_token_is_refused(settings):
    token = token_for(user_id=42)
    settings.KOGAME = {**settings.KOGAME, "TOKEN_MAX_AGE_SECONDS": -1}
    assert user_id_from_token(token=token) is None


def test_a_token_signed_for_another_purpose_is_refused():
    from django.core import signing

    assert user_id_from_token(token=signing.dumps({"uid": 42})) is None

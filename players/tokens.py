"""Signed, expiring websocket tokens for scripted clients (`?token=`)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

TOKEN_SALT = "kogame.players.ws-token"


def token_for(*, user_id: int) -> str:
    return signing.dumps({"uid": user_id}, salt=TOKEN_SALT, compress=False)


def user_id_from_token(*, token: str) -> int | None:
    """The user id a token was issued for; None if it is forged, altered or expired."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=settings.KOGAME["TOKEN_MAX_AGE_SECONDS"])
    except signing.BadSignature:
        return None
    uid = payload.get("uid") if isinstance(payload, dict) else None
    return uid if isinstance(uid, int) else None

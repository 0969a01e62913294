"""Reads about players."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from players.tokens import user_id_from_token

User = get_user_model()


def user_from_token(*, token: str) -> User | None:
    user_id = user_id_from_token(token=token)
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()

"""Game ids: opaque strings of letters and digits, hard to guess."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_game_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))

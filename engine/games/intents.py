"""Cleaning a client's game message into an engine intent: the part every game kind shares."""

from __future__ import annotations

from collections.abc import Callable


class IntentError(Exception):
    """A client message whose fields are wrong: answered with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


IntentCleaner = Callable[[dict], dict]


def no_fields(content: dict) -> dict:
    return {"type": content["type"]}

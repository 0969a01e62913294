"""Why a room request is refused: one code and message for both HTTP and the room socket."""

from __future__ import annotations


class RoomRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

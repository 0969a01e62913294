"""The inboxes of dead workers, followed by the workers that adopted their games.

Web processes see a worker's death only at their next look at the live workers (about a second),
so messages for its games keep arriving in its inbox for a moment after the survivors adopted
them. Each adopter reads on from where it last read, takes the messages for the games it
adopted, and stops following after DEAD_INBOX_SECONDS, when the inbox itself expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson
import redis

from engine.cluster.keys import inbox_key, text

# How long a dead worker's inbox is followed, and then kept before it expires.
DEAD_INBOX_SECONDS = 10


@dataclass
class _Followed:
    worker_id: str
    games: set[str]
    until: float
    # The last entry read ("-": none yet, read from the start).
    cursor: str = "-"


class DeadInboxes:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._followed: list[_Followed] = []

    def follow(self, worker_id: str, game_ids: list[str]) -> None:
        """Reads the inbox of `worker_id` for `game_ids` from its start (games adopted in a later
        round need what earlier reads skipped)."""
        self._followed.append(_Followed(worker_id, set(game_ids), until=time.monotonic() + DEAD_INBOX_SECONDS))

    def read_new(self) -> list[dict]:
        """The messages for adopted games that arrived since the last read, oldest first."""
        messages: list[dict] = []
        now = time.monotonic()
        self._followed = [followed for followed in self._followed if now <= followed.until]
        for followed in self._followed:
            start = followed.cursor if followed.cursor == "-" else f"({followed.cursor}"
            entries: list = list(self.client.xrange(inbox_key(followed.worker_id), min=start) or [])
            for entry_id, fields in entries:
                followed.cursor = text(entry_id)
                for message in orjson.loads((fields or {}).get(b"m", b"[]")):
                    if isinstance(message, dict) and message.get("game_id") in followed.games:
                        messages.append(message)
        return messages

"""What one loop iteration sends, gathered so each game gets one relay message per iteration."""

from __future__ import annotations

import time

from engine.wire import events_message

# ("game", game_id, message): relayed to every web process's sockets of the game;
# ("channel", reply_channel, message): to one socket, over the channel layer;
# ("snapshot", game_id, {"v": ..., "frozen": ...}): a frozen game, kept in Redis (engine/freezer.py).
Send = tuple[str, str, dict]


class Outbox:
    def __init__(self) -> None:
        self._events: dict[str, list] = {}
        self._heads: dict[str, int] = {}
        self._others: list[Send] = []
        self._snapshots: dict[str, dict] = {}

    def __bool__(self) -> bool:
        return bool(self._events or self._heads or self._others or self._snapshots)

    def event(self, game_id: str, v: int, text: str) -> None:
        self._events.setdefault(game_id, []).append([v, text])

    def head(self, game_id: str, v: int) -> None:
        self._heads[game_id] = v

    def to_game(self, game_id: str, message: dict) -> None:
        """A message for the game's sockets that is not one of its events (spectators' chat)."""
        self._others.append(("game", game_id, message))

    def snapshot(self, game_id: str, v: int, frozen: dict) -> None:
        self._snapshots[game_id] = {"v": v, "frozen": frozen}

    def reply(self, channel: str | None, message: dict) -> None:
        if channel:
            self._others.append(("channel", channel, message))

    def take(self) -> list[Send]:
        """Everything gathered, emptied: each game's events in version order, then its head."""
        # When the engine let go of them: web processes measure the relay's lag from it.
        sent_ms = round(time.time() * 1000)
        sends: list[Send] = [
            ("game", game_id, events_message(self._events.get(game_id, []), self._heads.get(game_id), sent_ms=sent_ms))
            for game_id in dict.fromkeys([*self._events, *self._heads])
        ]
        sends += self._others
        sends += [("snapshot", game_id, snapshot) for game_id, snapshot in self._snapshots.items()]
        self._events, self._heads, self._others, self._snapshots = {}, {}, [], {}
        return sends

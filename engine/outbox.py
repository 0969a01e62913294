"""What one loop iteration sends, gathered so each game gets one group message per iteration."""

from __future__ import annotations

from engine.wire import events_message, group_name

Send = tuple[str, str, dict]  # ("group" | "channel", name, message)


class Outbox:
    def __init__(self) -> None:
        self._events: dict[str, list] = {}
        self._heads: dict[str, int] = {}
        self._others: list[Send] = []

    def __bool__(self) -> bool:
        return bool(self._events or self._heads or self._others)

    def event(self, game_id: str, v: int, text: str) -> None:
        self._events.setdefault(game_id, []).append([v, text])

    def head(self, game_id: str, v: int) -> None:
        self._heads[game_id] = v

    def to_group(self, group: str, message: dict) -> None:
        self._others.append(("group", group, message))

    def reply(self, channel: str | None, message: dict) -> None:
        if channel:
            self._others.append(("channel", channel, message))

    def take(self) -> list[Send]:
        """Everything gathered, emptied: each game's events in version order, then its head."""
        sends: list[Send] = [
            ("group", group_name(game_id), events_message(self._events.get(game_id, []), self._heads.get(game_id)))
            for game_id in dict.fromkeys([*self._events, *self._heads])
        ]
        sends += self._others
        self._events, self._heads, self._others = {}, {}, []
        return sends

"""Reads about private rooms."""

from __future__ import annotations

from dataclasses import dataclass

from players.models import Room


@dataclass(frozen=True)
class Lobby:
    """A room as its members see it, read in the transaction that changed it."""

    code: str
    game: str
    settings: dict
    owner: str | None
    # [{"username": ..., "ready_to_play": ...}], oldest member first.
    players: list[dict]

    def settings_message(self) -> dict:
        """The fields of `settings_changed`: the game and its settings."""
        return {"game": self.game, **self.settings}


def room_lobby(*, room: Room) -> Lobby:
    members = room.members.select_related("user").order_by("joined_at", "pk")
    return Lobby(
        code=room.code,
        game=room.kind,
        settings=dict(room.settings),
        owner=room.owner.username if room.owner is not None else None,
        players=[{"username": member.user.username, "ready_to_play": member.ready} for member in members],
    )

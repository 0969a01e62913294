"""Each game kind's Django-facing module (engine/games/<kind>/storage.py), found through the
kind registry, so that services and selectors hold no kind's details."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Protocol

from engine.games import KINDS
from engine.games.effects import Record, Seat
from engine.models import Game


class KindStorage(Protocol):
    # The record types this kind saves (engine.games.effects.Record subclasses).
    RECORDS: tuple[type[Record], ...]

    def save_records(self, records: list[tuple[str, Record, int]]) -> None:
        """Saves (game id, record, event version) in order, inside the caller's transaction."""

    def winner_label(self, seats: list[Seat], winners: list[int]) -> str | None:
        """The winner as this kind's gameEnd names it, from the winning seats."""

    def resume_fields(self, game: Game) -> dict:
        """What engine.start_game needs to go on with a live game after a restart."""

    def finished_state(self, game: Game, seats: list[Seat], winners: list[int]) -> dict:
        """The kind's part of gameState for a finished game, by the same builder as a live one's."""

    def summary(self, game: Game, seats: list[Seat]) -> dict:
        """The kind's part of GET /api/games/<id>."""


@cache
def storage_of(kind: str) -> KindStorage:
    module: KindStorage = import_module(KINDS[kind].storage)
    return module


@cache
def _storage_by_record() -> dict[type[Record], KindStorage]:
    return {record: storage_of(kind) for kind in KINDS for record in storage_of(kind).RECORDS}


def storage_of_record(record: Record) -> KindStorage:
    try:
        return _storage_by_record()[type(record)]
    except KeyError:
        raise ValueError(f"no game kind saves {type(record).__name__}") from None

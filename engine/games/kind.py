"""What the rest of Kogame needs to know about a game kind; each kind's package makes one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.games.effects import GameSession
from engine.games.intents import IntentCleaner


@dataclass(frozen=True)
class GameKind:
    name: str
    # Builds the live session: (seats=..., settings=..., seed=..., now=..., [saved_moves=...]).
    session: Callable[..., GameSession]
    # Client message type -> its cleaner into an engine intent (chat is common to all kinds).
    intents: Mapping[str, IntentCleaner]
    # (mode, settings) -> the settings as stored, or ValueError.
    clean_settings: Callable[[str, dict], dict]
    # How many seats a match of this kind has, at least and at most.
    min_seats: int
    max_seats: int
    # Whether the kind can resume after an engine restart (from saved records).
    resumable: bool
    # Whether a live session can be frozen into plain data (`freeze(now)`) that a session in
    # another engine process picks up (built with `frozen=`); worker mode keeps it in Redis.
    # Snake freezes its whole board; chess, its turn in progress (its moves are in the database).
    freezes: bool
    # The dotted path of the kind's one Django-facing module (engine/kind_storage.py says what it
    # holds), imported only where Django runs, so the rules and the loop stay free of it.
    storage: str

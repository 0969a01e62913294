"""What a room may be set to: the game, how many seats, how strong the bots, chess' clock.

Settings arrive from a script's JSON or a host's update_settings frame; every value is checked
here, and a refusal names the field (`RoomRefused("bad_field", ...)`).
"""

from __future__ import annotations

from engine.games.chess.clock import TimeControl
from engine.games.effects import BOT_LEVELS
from players.rooms.errors import RoomRefused

GAMES = ("snake", "chess")
DEFAULT_BOT_LEVEL = "medium"
# Snake tables hold 2 to 8 snakes (the engine's SnakeConfig.max_players); chess is one on one.
SNAKE_MIN_PLAYERS = 2
SNAKE_MAX_PLAYERS = 8
SNAKE_DEFAULT_PLAYERS = 4
CHESS_PLAYERS = 2

# The settings a host may set, per game, beside the game itself.
SETTING_NAMES = {"snake": ("target_players", "bot_level"), "chess": ("target_players", "bot_level", "tc")}


def _bad(message: str) -> RoomRefused:
    return RoomRefused("bad_field", message)


def _target_players(game: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad('"target_players" must be a whole number')
    if game == "chess" and value != CHESS_PLAYERS:
        raise _bad(f'"target_players" of a chess room is {CHESS_PLAYERS}')
    if game == "snake" and not SNAKE_MIN_PLAYERS <= value <= SNAKE_MAX_PLAYERS:
        raise _bad(f'"target_players" of a Snake room is {SNAKE_MIN_PLAYERS} to {SNAKE_MAX_PLAYERS}')
    return value


def _bot_level(value: object) -> str:
    if not isinstance(value, str) or value not in BOT_LEVELS:
        raise _bad('"bot_level" must be "easy", "medium" or "hard"')
    return value


def _time_control(value: object) -> str:
    # The label is the canonical spelling ("3+2"), as the queue and the game store it.
    if not isinstance(value, str):
        raise _bad('"tc" must be a string "<minutes>+<increment>", e.g. "3+2"')
    try:
        return TimeControl.parse(value).label
    except ValueError as error:
        raise _bad(f'bad "tc": {error}') from None


def _clean_fields(game: str, fields: dict) -> dict:
    unknown = sorted(str(name) for name in fields if name not in SETTING_NAMES[game])
    if unknown:
        raise _bad(f"unknown field(s) for a {game} room: {', '.join(unknown)}")
    cleaners = {"target_players": lambda value: _target_players(game, value), "bot_level": _bot_level, "tc": _time_control}
    return {name: cleaners[name](value) for name, value in fields.items()}


def room_settings_new(*, fields: dict) -> tuple[str, dict]:
    """The game and full settings of a new room, from `{"game": ..., ...settings}`."""
    fields = dict(fields)
    game = fields.pop("game", None)
    if game not in GAMES:
        raise _bad('"game" must be "snake" or "chess"')
    if game == "chess" and "tc" not in fields:
        raise _bad('a chess room needs "tc": "<minutes>+<increment>", e.g. "3+2"')
    defaults = {
        "target_players": CHESS_PLAYERS if game == "chess" else SNAKE_DEFAULT_PLAYERS,
        "bot_level": DEFAULT_BOT_LEVEL,
    }
    return game, {**defaults, **_clean_fields(game, fields)}


def room_settings_changed(*, game: str, current: dict, changes: dict, members: int) -> dict:
    """`current` with `changes` applied; the seats may not drop below the `members` present."""
    if not changes:
        raise _bad(f"update_settings needs at least one of: {', '.join(SETTING_NAMES[game])}")
    updated = {**current, **_clean_fields(game, changes)}
    if updated["target_players"] < members:
        raise _bad(f'"target_players" cannot go below the {members} players in the room')
    return updated


def game_settings(*, game: str, settings: dict) -> dict:
    """The settings of the game a room (or a game against bots) starts: chess' clock; Snake's
    are the defaults."""
    return {"tc": settings["tc"]} if game == "chess" else {}

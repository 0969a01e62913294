"""What leaves the engine, one builder per message shape: the groups it sends to, the JSON of
its events (encoded once, whatever the number of sockets), and the channel-layer messages that
carry them to the web processes (docs/protocol.md, section 9)."""

from __future__ import annotations

import orjson

from engine.games.effects import Outcome


def encode_json(value: object) -> str:
    """Compact JSON text. orjson, because encoding every tick took about a third of the engine's
    iteration with the standard library's encoder (bench/engine_tick.py --json). Keys that are
    not strings become strings, as the standard library's encoder makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def group_name(game_id: str) -> str:
    return f"game.{game_id}"


def spectators_group_name(game_id: str) -> str:
    """Spectators' chat goes here only, unversioned: players never receive it."""
    return f"game.{game_id}.spectators"


def end_event(outcome: Outcome) -> dict:
    event: dict[str, object] = {
        "type": "gameEnd",
        "status": outcome.status,
        "reason": outcome.reason,
        "winner": outcome.winner,
        "scores": outcome.scores,
    }
    if outcome.final_clock is not None:
        # Chess: the clocks as they stopped, so no client keeps its own estimate.
        event["clock"] = {**outcome.final_clock, "running": None}
    return event


def game_state_message(*, v: int, kind: str, game_id: str, mode: str, status: str, result: dict | None, body: dict) -> dict:
    """gameState: the common header around a kind's state (engine/games/<kind>/state.py), for a
    live game and a finished one alike."""
    state = {"type": "gameState", "v": v, "game": kind, "game_id": game_id, "mode": mode, **body, "status": status}
    if result is not None:
        state["result"] = result
    return state


def result_of(outcome: Outcome) -> dict:
    return {
        "reason": outcome.reason,
        "winner": outcome.winner,
        "winner_seats": list(outcome.winner_seats),
        "scores": outcome.scores,
    }


def events_message(events: list, head: int | None = None) -> dict:
    """A game's events of one iteration, [v, text] in version order; `head` when it is quiet."""
    message: dict = {"type": "game.events", "events": events}
    if head is not None:
        message["head"] = head
    return message


def sync_message(*, known: bool, events: list) -> dict:
    return {"type": "game.sync", "known": known, "events": events}


def error_message(code: str, message: str) -> dict:
    return {"type": "game.error", "code": code, "message": message}


def spectator_chat_message(chat: dict) -> dict:
    return {"type": "game.spectator_chat", "text": encode_json(chat)}

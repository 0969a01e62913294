"""What leaves the engine, one builder per message shape: the JSON of its events (encoded once,
whatever the number of sockets), the relay's channels that carry them to every web process, and
the replies to one socket (docs/protocol.md, section 9)."""

from __future__ import annotations

import orjson

from engine.games.effects import Outcome


def encode_json(value: object) -> str:
    """Compact JSON text. orjson, because encoding every tick took about a third of the engine's
    iteration with the standard library's encoder (bench/engine_tick.py --json). Keys that are
    not strings become strings, as the standard library's encoder makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# The relay's Redis pub/sub channels (worker mode): a game's, on which every message for the
# game's sockets is published, and a web process's, for the replies to one of its sockets.
# Pub/sub channels are server-wide, not per database: random ids keep deployments apart.
RELAY_CHANNEL_PREFIX = "kogame:relay:"
REPLY_CHANNEL_PREFIX = "kogame:reply:"


def relay_channel(game_id: str) -> str:
    return f"{RELAY_CHANNEL_PREFIX}{game_id}"


def reply_channel(process_id: str) -> str:
    return f"{REPLY_CHANNEL_PREFIX}{process_id}"


def reply_address(process_id: str, socket_id: str) -> str:
    """A socket's `reply_channel` when its web process takes replies through the relay."""
    return f"{reply_channel(process_id)}/{socket_id}"


def reply_route(address: str) -> tuple[str, str] | None:
    """(the process's reply channel, the socket's id) of a relay reply address; None for a
    channel-layer channel name."""
    if not address.startswith(REPLY_CHANNEL_PREFIX):
        return None
    channel, _, socket_id = address.rpartition("/")
    return channel, socket_id


def relay_payload(message: dict) -> bytes:
    """A relay message as published: JSON, its event texts carried as strings, so a web process
    decodes the message once and sends each text to its sockets as it is."""
    return orjson.dumps(message)


def relay_message(payload: bytes) -> dict:
    return orjson.loads(payload)


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


def events_message(events: list, head: int | None = None, *, sent_ms: int | None = None) -> dict:
    """A game's events of one iteration, [v, text] in version order; `head` when it is quiet;
    `sent_ms`, the wall time in ms when the engine handed them over."""
    message: dict = {"type": "game.events", "events": events}
    if sent_ms is not None:
        message["sent_ms"] = sent_ms
    if head is not None:
        message["head"] = head
    return message


def sync_message(*, known: bool, events: list) -> dict:
    return {"type": "game.sync", "known": known, "events": events}


def error_message(code: str, message: str) -> dict:
    return {"type": "game.error", "code": code, "message": message}


def spectator_chat_message(chat: dict) -> dict:
    """Relayed on the game's channel like its events, but to spectators' sockets only, unversioned."""
    return {"type": "game.spectator_chat", "text": encode_json(chat)}

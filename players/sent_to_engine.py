"""Messages this process has handed to the engine, by type (`engine.intent`, `engine.sync`...):
a web process's side of the `game_engine` channel, shown by GET /metrics. Counted on the server's
event loop by `send_to_engine`, read by the metrics view on another thread (copying a dict is one
step under the GIL)."""

from __future__ import annotations

from collections import Counter

_sent: Counter[str] = Counter()


def count_sent(message: dict) -> None:
    _sent[str(message.get("type"))] += 1


def sent_by_type() -> dict[str, int]:
    return dict(_sent)

"""The names the engine workers and the web processes share in Redis.

- `kogame:workers`: a set of every worker id registered and not yet cleaned up after;
- `kogame:worker:<id>`: the worker's lease, holding its latest figures; it expires unless renewed;
- `kogame:inbox:<id>`: the worker's inbox, a stream the web processes append to;
- `kogame:owned:<id>`: a set of the games the worker owns;
- `kogame:owner:<game id>`: the worker that owns the game;
- `kogame:snapshot:<game id>`: the game frozen by its owner about once a second (Snake).

A worker id names one registration: a worker that loses its lease never takes it back, it
registers again under a new id, so "the lease key exists" is the whole fencing test.
"""

WORKERS = "kogame:workers"


def text(value: bytes | str) -> str:
    """A Redis reply as text (clients answer bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else value


def lease_key(worker_id: str) -> str:
    return f"kogame:worker:{worker_id}"


def inbox_key(worker_id: str) -> str:
    return f"kogame:inbox:{worker_id}"


def owned_key(worker_id: str) -> str:
    return f"kogame:owned:{worker_id}"


def owner_key(game_id: str) -> str:
    return f"kogame:owner:{game_id}"


SNAPSHOT_PREFIX = "kogame:snapshot:"


def snapshot_key(game_id: str) -> str:
    """A game frozen by its worker (engine/freezer.py), for the worker that adopts it."""
    return f"{SNAPSHOT_PREFIX}{game_id}"

"""The name this process goes by in its logs and metrics: an engine worker's id while it holds a
lease (engine/cluster/lease.py: host, pid and a tail that changes with each registration), else
host and process id, so a line or a series leads to one process on one machine."""

from __future__ import annotations

import os
import socket
import sys

_HOST = socket.gethostname()


def worker_id() -> str:
    # Looked up, not imported: logging is configured before Django and the engine are loaded.
    runtime = sys.modules.get("engine.runtime")
    leased = runtime.this_worker_id() if runtime is not None else None
    # The pid is read on every call: a child forked later (the bots' process pool) is another process.
    return leased or f"{_HOST}:{os.getpid()}"

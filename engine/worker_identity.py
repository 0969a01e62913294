"""The name this process goes by in its logs and metrics: host and process id, so a line or a
series leads to one process on one machine. Every caller asks here, so the name can change in
one place."""

from __future__ import annotations

import os
import socket

_HOST = socket.gethostname()


def worker_id() -> str:
    # The pid is read on every call: a child forked later (the bots' process pool) is another process.
    return f"{_HOST}:{os.getpid()}"

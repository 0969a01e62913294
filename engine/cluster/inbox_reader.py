"""Reads this worker's inbox stream into the engine, off the engine thread.

Web processes append batches of messages (one stream entry holds every message one web process
had for this worker in one turn of its event loop), so a busy worker reads thousands of messages
in one round trip. Each entry read is trimmed away: the stream holds only what is still unread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import orjson
import redis

from engine.cluster.keys import inbox_key, lease_key, text

logger = logging.getLogger("kogame.engine")

# Entries per read, and how long a read waits for one (it also bounds how long stop() waits).
READ_COUNT = 256
BLOCK_MS = 100


class InboxReader(threading.Thread):
    def __init__(self, client: redis.Redis, *, worker_id: Callable[[], str], submit: Callable[[dict], bool]) -> None:
        super().__init__(name="kogame-inbox", daemon=True)
        self.client = client
        self.worker_id = worker_id
        self.submit = submit
        self._stopping = threading.Event()

    def run(self) -> None:
        key, last_id = "", "0-0"
        while not self._stopping.is_set():
            if inbox_key(self.worker_id()) != key:
                # Registered again under a new id: a new inbox, read from its start.
                key, last_id = inbox_key(self.worker_id()), "0-0"
            try:
                answer = self.client.xread({key: last_id}, count=READ_COUNT, block=BLOCK_MS)
            except redis.RedisError as error:
                logger.warning("could not read the inbox: %s", error)
                self._stopping.wait(0.5)
                continue
            streams: list = list(answer or [])  # [[stream, [(entry id, {field: value})]]]
            if streams and not self._lease_alive():
                # Stalled past the lease: these messages are for games adopted elsewhere, whose new
                # owners read them here. Leave them, and wait to be registered again.
                self._stopping.wait(BLOCK_MS / 1000)
                continue
            for _, entries in streams:
                for entry_id, fields in entries:
                    last_id = text(entry_id)
                    self._hand_over(fields.get(b"m", b"[]"))
            if answer:
                # Everything up to and including the last entry read goes: a worker adopting this
                # one's games replays what is left, so nothing read here may be left.
                pipeline = self.client.pipeline(transaction=True)
                pipeline.xtrim(key, minid=last_id, approximate=False)
                pipeline.xdel(key, last_id)
                try:
                    pipeline.execute()
                except redis.RedisError as error:
                    logger.warning("could not trim the inbox: %s", error)

    def _lease_alive(self) -> bool:
        try:
            return bool(self.client.exists(lease_key(self.worker_id())))
        except redis.RedisError:
            return True  # the publish and the saves are fenced anyway; reading on loses nothing

    def _hand_over(self, payload: bytes) -> None:
        try:
            messages = orjson.loads(payload)
        except orjson.JSONDecodeError:
            logger.warning("ignored an inbox entry that is not JSON")
            return
        for message in messages if isinstance(messages, list) else []:
            if isinstance(message, dict):
                self.submit(message)

    def stop(self, timeout: float = 2.0) -> None:
        """Stops reading; what is still in the stream stays there."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

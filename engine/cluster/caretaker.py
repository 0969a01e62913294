"""Keeps this worker's share of the games in Redis true, on its own thread.

- Claims the games this engine starts itself (a rematch) and releases the games it has evicted;
  the engine hands these over without waiting (`claim`, `release`).
- Adopts the games of workers whose lease ran out: each survivor takes the games that hash to it
  (a Lua step per game makes each game move exactly once) and loads them from the database
  (chess resumes from its saved moves; a Snake board goes on from the snapshot its last owner
  kept in Redis, or ends as "server_restart" if there is none). It hands the start messages to
  its engine, then what the dead worker's inbox holds for those games (sent while it was dying,
  or by web processes that have not noticed yet), in order.
- Now and then adopts live games that nobody owns (a web process that died between creating a
  game and assigning it, or a Redis that lost its keys).
- When this worker's own lease ran out (it stalled), has the engine drop every game, then
  registers again under a new id with none.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable

import orjson
import redis

from engine.cluster.adoption_hold import AdoptionHold
from engine.cluster.dead_inboxes import DEAD_INBOX_SECONDS, DeadInboxes
from engine.cluster.directory import read_leases
from engine.cluster.keys import WORKERS, inbox_key, lease_key, owned_key, owner_key, snapshot_key, text
from engine.cluster.lease import WorkerLease
from engine.cluster.scripts import ADOPT, ASSIGN, RELEASE

logger = logging.getLogger("kogame.engine")

# How often the caretaker looks for dead workers and applies claims and releases.
POLL_SECONDS = 0.1
# How often it looks for live games that nobody owns.
UNOWNED_SCAN_SECONDS = 5.0
# After this long, a dead worker's games that the survivor they hash to has not taken are
# anyone's.
TAKE_ANY_AFTER_SECONDS = 2.0
# How long the engine may take to drop its games before the worker registers again anyway.
RESIGN_SECONDS = 5.0


class Caretaker(threading.Thread):
    def __init__(
        self,
        client: redis.Redis,
        *,
        lease: WorkerLease,
        submit: Callable[[dict], bool],
        adopt_games: Callable[[list[str], dict[str, dict]], list[dict]],
        unowned_games: Callable[[], list[str]],  # live games old enough to have been assigned
    ) -> None:
        super().__init__(name="kogame-caretaker", daemon=True)
        self.client = client
        self.lease = lease
        self.submit = submit
        self.adopt_games = adopt_games
        self.unowned_games = unowned_games
        # Messages for the games being adopted wait here until they are started (the engine's).
        self.hold = AdoptionHold()
        self._candidates: list[str] = []
        self._dead_since: dict[str, float] = {}
        self._inboxes = DeadInboxes(client)
        self._assign = client.register_script(ASSIGN)
        self._adopt = client.register_script(ADOPT)
        self._release = client.register_script(RELEASE)
        self._claims: deque[str] = deque()
        self._releases: deque[str] = deque()
        self._lease_lost = threading.Event()
        self._stopping = threading.Event()
        self._next_unowned_scan = 0.0

    # -- from any thread, never blocking ------------------------------------------------------

    def claim(self, game_id: str) -> None:
        self._claims.append(game_id)

    def release(self, game_id: str) -> None:
        self._releases.append(game_id)

    def lease_lost(self) -> None:
        self._lease_lost.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    # -- the thread ---------------------------------------------------------------------------

    def run(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                self.step()
            except Exception:
                logger.exception("the caretaker's round failed")

    def step(self) -> None:
        if self._lease_lost.is_set():
            self._resign()
        self._apply_claims_and_releases()
        self._candidates = []
        try:
            adopted = self._adopt_from_dead_workers()
            if time.monotonic() >= self._next_unowned_scan:
                self._next_unowned_scan = time.monotonic() + UNOWNED_SCAN_SECONDS
                adopted += self._adopt_unowned()
            if adopted:
                self._start(adopted)
            # After the start messages: what dead workers' inboxes hold for the games adopted.
            for message in self._inboxes.read_new():
                self.submit(message)
        finally:
            if self._candidates:
                # After the start messages: the engine handles what it held for these games.
                self.submit({"type": "engine.adopted", "game_ids": self._candidates})

    def _apply_claims_and_releases(self) -> None:
        me = self.lease.worker_id
        while self._claims:
            game_id = self._claims.popleft()
            self._assign(keys=[owner_key(game_id), owned_key(me)], args=[me, game_id])
        while self._releases:
            game_id = self._releases.popleft()
            self._release(keys=[owner_key(game_id), owned_key(me)], args=[me, game_id])

    def _adopt_from_dead_workers(self) -> list[str]:
        """Takes this worker's share of the games of dead workers, and starts following their
        inboxes for what was sent to them about those games."""
        me = self.lease.worker_id
        ids, leases = read_leases(self.client)
        live = [worker_id for worker_id, raw in zip(ids, leases, strict=True) if raw is not None]
        dead = [worker_id for worker_id, raw in zip(ids, leases, strict=True) if raw is None and worker_id != me]
        if me not in live:
            return []  # fenced out: the step that notices the lost lease resigns first
        adopted: list[str] = []
        for worker_id in dead:
            games = sorted(text(member) for member in self.client.smembers(owned_key(worker_id)))
            share = self._share(worker_id, games, live)
            self.hold.adopting(share)
            self._candidates += share
            taken = []
            for game_id in share:
                keys = [owner_key(game_id), owned_key(worker_id), owned_key(me), lease_key(me)]
                if self._adopt(keys=keys, args=[worker_id, me, game_id]):
                    taken.append(game_id)
            if taken:
                self._inboxes.follow(worker_id, taken)
            adopted += taken
            if not self.client.scard(owned_key(worker_id)):
                # Web processes learn of the death within a second or so; what they send to the
                # dead inbox meanwhile is followed by its adopters (DeadInboxes), then it expires.
                self.client.srem(WORKERS, worker_id)
                self._dead_since.pop(worker_id, None)
                self.client.delete(owned_key(worker_id))
                self.client.expire(inbox_key(worker_id), DEAD_INBOX_SECONDS)
                logger.warning("worker %s is gone; its games have new owners", worker_id)
        return adopted

    def _share(self, dead_id: str, games: list[str], live: list[str]) -> list[str]:
        """The games of `dead_id` this worker adopts: each survivor takes the games that hash to
        it, so all of them move in one round; once the dead worker has been dead a while, any
        survivor takes what is left (a survivor may have died too). The Lua step still makes
        each game move exactly once."""
        dead_since = self._dead_since.setdefault(dead_id, time.monotonic())
        if time.monotonic() - dead_since >= TAKE_ANY_AFTER_SECONDS:
            return games
        mine = live.index(self.lease.worker_id)
        return [game_id for game_id in games if zlib.crc32(game_id.encode()) % len(live) == mine]

    def _adopt_unowned(self) -> list[str]:
        me = self.lease.worker_id
        adopted = []
        candidates = self.unowned_games()
        owners = self.client.mget([owner_key(game_id) for game_id in candidates]) if candidates else []
        unowned = [game_id for game_id, owner in zip(candidates, owners, strict=True) if owner is None]
        self.hold.adopting(unowned)
        self._candidates += unowned
        for game_id in unowned:
            if text(self._assign(keys=[owner_key(game_id), owned_key(me)], args=[me, game_id])) == me:
                adopted.append(game_id)
        return adopted

    def _start(self, game_ids: list[str]) -> None:
        snapshots = self.client.mget([snapshot_key(game_id) for game_id in game_ids])
        frozen = {game_id: orjson.loads(raw) for game_id, raw in zip(game_ids, snapshots, strict=True) if raw is not None}
        messages = self.adopt_games(game_ids, frozen)
        for message in messages:
            self.submit(message)
        # Games that ended meanwhile need no owner.
        for game_id in set(game_ids) - {message["game_id"] for message in messages}:
            self.release(game_id)
        logger.warning("worker %s adopted %d game(s)", self.lease.worker_id, len(game_ids))

    def _resign(self) -> None:
        """Drops every game (another worker has them now), then takes a new lease."""
        dropped = threading.Event()
        self.submit({"type": "engine.resign", "done": dropped})
        if not dropped.wait(RESIGN_SECONDS):
            logger.error("the engine did not drop its games in time; registering again anyway")
        self._claims.clear()
        self._releases.clear()
        self._lease_lost.clear()
        self.lease.register()

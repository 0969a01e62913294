"""Workers sharing games through Redis: leases, assignment, adoption, fencing and the inbox
streams, against a real Redis (a database of these tests' own, flushed by them)."""

from __future__ import annotations

import asyncio
import threading

import orjson
import pytest
import redis
import redis.asyncio as aioredis

from engine.cluster.caretaker import Caretaker
from engine.cluster.channel_router import ChannelRouter
from engine.cluster.inbox_reader import InboxReader
from engine.cluster.keys import WORKERS, inbox_key, lease_key, owned_key, owner_key
from engine.cluster.lease import WorkerLease
from engine.cluster.scripts import ASSIGN
from engine.relay_publisher import FencedOut, RedisRelayPublisher
from players.engine_link import EngineLink
from tests.engine.test_heartbeat import CLUSTER_TEST_REDIS


@pytest.fixture
def client():
    client = redis.Redis.from_url(CLUSTER_TEST_REDIS)
    client.flushdb()
    yield client
    client.flushdb()


def live_lease(client, games: int = 0) -> WorkerLease:
    lease = WorkerLease(client, lease_ms=5000)
    lease.register()
    lease.beat({"at": 0, "games": games})
    return lease


def assign(client, game_id: str, worker_id: str) -> str:
    return client.register_script(ASSIGN)(keys=[owner_key(game_id), owned_key(worker_id)], args=[worker_id, game_id]).decode()


def caretaker_of(client, lease, adopted: list[str]) -> Caretaker:
    def adopt_games(game_ids, frozen):
        adopted.extend(game_ids)
        return [{"type": "engine.start_game", "game_id": game_id} for game_id in game_ids]

    return Caretaker(client, lease=lease, submit=lambda message: True, adopt_games=adopt_games, unowned_games=list)


def test_a_game_has_one_owner_whoever_assigns_it_first(client):
    first, second = live_lease(client), live_lease(client)
    assert assign(client, "g1", first.worker_id) == first.worker_id
    assert assign(client, "g1", second.worker_id) == first.worker_id
    assert client.smembers(owned_key(second.worker_id)) == set()


def test_a_lease_that_ran_out_is_not_renewed_and_the_worker_is_told(client):
    lost = threading.Event()
    lease = live_lease(client)
    lease.on_lost = lost.set
    client.delete(lease_key(lease.worker_id))  # as if it had expired while the process was stopped
    lease.beat({"at": 1, "games": 0})
    assert lost.is_set() and not client.exists(lease_key(lease.worker_id))


def test_the_survivors_share_a_dead_workers_games_and_each_moves_once(client):
    dead, first, second = live_lease(client), live_lease(client), live_lease(client)
    games = sorted(f"g{index}" for index in range(20))
    for game_id in games:
        assign(client, game_id, dead.worker_id)
    client.delete(lease_key(dead.worker_id))
    taken_by_first: list[str] = []
    taken_by_second: list[str] = []
    # One round each: every game hashes to one of the two survivors.
    caretaker_of(client, first, taken_by_first).step()
    caretaker_of(client, second, taken_by_second).step()
    assert taken_by_first and taken_by_second
    assert sorted(taken_by_first + taken_by_second) == games
    for game_id in taken_by_first:
        assert client.get(owner_key(game_id)).decode() == first.worker_id
    # The dead worker is forgotten once it owns nothing.
    assert dead.worker_id.encode() not in client.smembers(WORKERS)
    # A later round moves nothing again.
    before = len(taken_by_first)
    caretaker_of(client, first, taken_by_first).step()
    assert len(taken_by_first) == before


def test_a_worker_whose_lease_ran_out_adopts_nothing(client):
    dead, stalled = live_lease(client), live_lease(client)
    assign(client, "g1", dead.worker_id)
    client.delete(lease_key(dead.worker_id), lease_key(stalled.worker_id))
    taken: list[str] = []
    caretaker_of(client, stalled, taken).step()
    assert taken == [] and client.get(owner_key("g1")).decode() == dead.worker_id


def test_a_worker_that_lost_its_lease_drops_its_games_and_registers_again(client):
    lease = live_lease(client)
    submitted: list[dict] = []

    def submit(message):
        submitted.append(message)
        message["done"].set()
        return True

    caretaker = Caretaker(client, lease=lease, submit=submit, adopt_games=lambda ids, frozen: [], unowned_games=list)
    old_id = lease.worker_id
    caretaker.lease_lost()
    caretaker.step()
    assert [message["type"] for message in submitted] == ["engine.resign"]
    assert lease.worker_id != old_id and client.exists(lease_key(lease.worker_id))


async def test_a_worker_past_its_lease_publishes_nothing(client):
    lease = live_lease(client)
    publisher = RedisRelayPublisher(CLUSTER_TEST_REDIS, worker_id=lambda: lease.worker_id)
    listener = aioredis.Redis.from_url(CLUSTER_TEST_REDIS).pubsub()
    await listener.subscribe("kogame:relay:g1")
    await listener.get_message(timeout=1)  # the subscribe confirmation
    await publisher.publish([("kogame:relay:g1", {"type": "game.events", "events": [[1, "{}"]]})])
    assert (await listener.get_message(timeout=1))["channel"] == b"kogame:relay:g1"
    client.delete(lease_key(lease.worker_id))
    with pytest.raises(FencedOut):
        await publisher.publish([("kogame:relay:g1", {"type": "game.events", "events": [[2, "{}"]]})])
    assert await listener.get_message(timeout=0.3) is None
    await listener.aclose()


async def test_the_web_side_addresses_each_game_to_its_owner_one_entry_per_worker_and_turn(client, settings):
    busy, idle = live_lease(client, games=5), live_lease(client, games=1)
    link = EngineLink(CLUSTER_TEST_REDIS)
    await link.send({"type": "engine.start_game", "game_id": "new"})
    assert client.get(owner_key("new")).decode() == idle.worker_id
    assign(client, "old", busy.worker_id)
    # One turn of the loop: a burst of messages for two games.
    await asyncio.gather(
        *[link.send({"type": "engine.intent", "game_id": game, "n": n}) for n in range(20) for game in ("old", "new")]
    )
    await link._flusher
    to_busy = client.xrange(inbox_key(busy.worker_id))
    assert len(to_busy) == 1 and [m["n"] for m in orjson.loads(to_busy[0][1][b"m"])] == list(range(20))
    to_idle = [m for _, fields in client.xrange(inbox_key(idle.worker_id)) for m in orjson.loads(fields[b"m"])]
    assert [m["type"] for m in to_idle] == ["engine.start_game"] + ["engine.intent"] * 20
    assert link.figures()["lost"] == 0
    await link.send({"type": "engine.presence_report", "process": "p", "seq": 1, "sockets": []})
    await link._flusher
    for lease in (busy, idle):
        assert orjson.loads(client.xrange(inbox_key(lease.worker_id))[-1][1][b"m"])[0]["type"] == "engine.presence_report"


def test_the_inbox_reader_hands_every_message_over_in_order_and_trims_what_it_read(client):
    lease = live_lease(client)
    for first in (0, 3):
        client.xadd(inbox_key(lease.worker_id), {"m": orjson.dumps([{"n": n} for n in range(first, first + 3)])})
    received: list[dict] = []
    got_all = threading.Event()

    def submit(message):
        received.append(message)
        if len(received) == 6:
            got_all.set()
        return True

    reader = InboxReader(client, worker_id=lambda: lease.worker_id, submit=submit)
    reader.start()
    assert got_all.wait(5)
    reader.stop()
    assert [m["n"] for m in received] == list(range(6))
    assert client.xlen(inbox_key(lease.worker_id)) == 0


async def test_a_message_the_channel_delivers_twice_is_handled_once(client):
    me = live_lease(client)
    router = ChannelRouter(CLUSTER_TEST_REDIS, worker_id=lambda: me.worker_id)
    submitted: list[dict] = []
    message = {"type": "engine.start_game", "game_id": "g1", "mid": "m-1"}
    await router.route(dict(message), submitted.append)
    await router.route(dict(message), submitted.append)
    assert [m["game_id"] for m in submitted] == ["g1"] and client.get(owner_key("g1")).decode() == me.worker_id


async def test_the_channel_passes_a_game_to_its_live_owner(client):
    me, owner = live_lease(client), live_lease(client)
    assign(client, "g1", owner.worker_id)
    router = ChannelRouter(CLUSTER_TEST_REDIS, worker_id=lambda: me.worker_id)
    submitted: list[dict] = []
    await router.route({"type": "engine.sync", "game_id": "g1", "mid": "m-2"}, submitted.append)
    assert submitted == []
    assert orjson.loads(client.xrange(inbox_key(owner.worker_id))[0][1][b"m"]) == [{"type": "engine.sync", "game_id": "g1"}]


def test_an_adopter_takes_what_reaches_the_dead_inbox_for_its_games_even_after_the_adoption(client):
    dead, me = live_lease(client), live_lease(client)
    assign(client, "mine", dead.worker_id)
    client.xadd(inbox_key(dead.worker_id), {"m": orjson.dumps([{"type": "engine.intent", "game_id": "mine", "n": 1}])})
    client.delete(lease_key(dead.worker_id))
    submitted: list[dict] = []

    def adopt_games(game_ids, frozen):
        return [{"type": "engine.start_game", "game_id": game_id} for game_id in game_ids]

    caretaker = Caretaker(client, lease=me, submit=submitted.append, adopt_games=adopt_games, unowned_games=list)
    caretaker.step()
    # A web process that has not noticed the death yet writes to the dead inbox once more.
    late = [{"type": "engine.intent", "game_id": "mine", "n": 2}, {"type": "engine.intent", "game_id": "other", "n": 3}]
    client.xadd(inbox_key(dead.worker_id), {"m": orjson.dumps(late)})
    caretaker.step()
    assert [(m["type"], m.get("n")) for m in submitted] == [
        ("engine.start_game", None),
        ("engine.intent", 1),
        ("engine.adopted", None),
        ("engine.intent", 2),
    ]
    assert 0 < client.ttl(inbox_key(dead.worker_id)) <= 10


def test_a_game_adopted_in_a_later_round_gets_what_its_dead_owner_was_sent_before(client):
    dead, me, other = live_lease(client), live_lease(client), live_lease(client)
    for game_id in ("a", "b"):
        assign(client, game_id, dead.worker_id)
    for game_id in ("a", "b"):
        message = {"type": "engine.intent", "game_id": game_id}
        client.xadd(inbox_key(dead.worker_id), {"m": orjson.dumps([message])})
    client.delete(lease_key(dead.worker_id))
    submitted: list[dict] = []

    def adopt_games(game_ids, frozen):
        return [{"type": "engine.start_game", "game_id": game_id} for game_id in game_ids]

    caretaker = Caretaker(client, lease=me, submit=submitted.append, adopt_games=adopt_games, unowned_games=list)
    caretaker.step()  # two live workers: this one takes what hashes to it
    client.delete(lease_key(other.worker_id))  # the other one dies before taking its share
    caretaker.step()  # now the only survivor: the rest is all its own
    intents = [m["game_id"] for m in submitted if m["type"] == "engine.intent"]
    assert sorted(intents) == ["a", "b"]


def test_a_reader_whose_lease_ran_out_leaves_its_inbox_to_the_adopters(client):
    lease = live_lease(client)
    client.delete(lease_key(lease.worker_id))
    client.xadd(inbox_key(lease.worker_id), {"m": orjson.dumps([{"n": 1}])})
    received: list[dict] = []
    first = threading.Event()

    def submit(message):
        received.append(message)
        first.set()
        return True

    reader = InboxReader(client, worker_id=lambda: lease.worker_id, submit=submit)
    reader.start()
    # Registered again under a new id: that inbox is read, the old one left alone.
    lease.register()
    client.xadd(inbox_key(lease.worker_id), {"m": orjson.dumps([{"n": 2}])})
    assert first.wait(5)
    reader.stop()
    assert received == [{"n": 2}]

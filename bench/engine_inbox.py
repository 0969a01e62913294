"""The way into the engine: how many messages a second reach an engine worker from a web
process, and how long each takes, over the `game_engine` channel of channels-redis' core layer
(how every message went before) and over the worker's inbox stream (how a game's messages go now:
players/engine_link.py sends, engine/cluster/inbox_reader.py reads).

What is measured
----------------
A sender process plays a web process: --senders asyncio tasks (sockets) on one event loop send
--messages intent-sized messages in all (about 200 B, each stamped with time.time()), at each
--rate in turn (messages/s offered by all tasks together, spread evenly; 0: as fast as the path
takes them). A receiver process plays the worker:
- channel: `channel_layer.receive("game_engine")` in a loop, as `runworker` reads it;
- stream: an InboxReader thread handing each message to a list, as the engine's inbox.
Both run the real code on Redis (--redis-url, a database FLUSHED first). Reported per path:
messages/s received (from the first sent to the last received), latency p50 / p99 / max (receipt minus stamp, same
machine), messages lost, CPU of the sender and the receiver in microseconds per message, and the
machine's 1-minute load average before and after.

Run
---
    .venv/bin/python -m bench.engine_inbox
    .venv/bin/python -m bench.engine_inbox --messages 50000 --senders 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import threading
import time

import django

from bench.end_to_end import percentile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kogame.settings")


# Once messages have arrived, this long without one ends the receipt.
QUIET_SECONDS = 5.0


def _setup(redis_url: str) -> None:
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("SECRET_KEY", "bench")
    django.setup()


def _message(n: int) -> dict:
    intent = {"type": "direction", "direction": "UP"}
    return {
        "type": "engine.intent",
        "game_id": "benchgame0001",
        "username": f"player{n % 4}",
        "intent": intent,
        "reply_channel": "kogame:reply:0123456789abcdef!socket42",
        "sent": time.time(),
        "n": n,
    }


async def _send(path: str, count: int, senders: int, worker_id: str, rate: float) -> None:
    from channels.exceptions import ChannelFull
    from channels.layers import get_channel_layer

    from players.engine_link import EngineLink

    link = EngineLink(os.environ["REDIS_URL"])
    link._live = {worker_id: 0}
    link._live_read_at = float("inf")
    link._owners["benchgame0001"] = worker_id
    layer = get_channel_layer()

    # Each task sends every `interval` seconds (all of them together: `rate` a second), or as
    # fast as the path takes them when the rate is 0.
    interval = senders / rate if rate else 0.0
    started = time.monotonic()

    async def sender(first: int) -> None:
        for turn, n in enumerate(range(first, count, senders)):
            if interval:
                await asyncio.sleep(max(0.0, started + first * interval / senders + turn * interval - time.monotonic()))
            message = _message(n)
            if path == "channel":
                # Past the channel's capacity channels-redis refuses the message: lost, as a
                # consumer's send would lose it (counted below as not received).
                with contextlib.suppress(ChannelFull):
                    await layer.send("game_engine", message)  # type: ignore[union-attr]
            else:
                await link.send(message)

    await asyncio.gather(*(sender(first) for first in range(senders)))
    if link._flusher is not None:
        await link._flusher


def sender_process(
    path: str, count: int, senders: int, rate: float, worker_id: str, redis_url: str, cpu: multiprocessing.Queue
) -> None:
    _setup(redis_url)
    started = time.process_time()
    asyncio.run(_send(path, count, senders, worker_id, rate))
    cpu.put(time.process_time() - started)


def _gone_quiet(received: list) -> bool:
    """Nothing more has come for a while: the rest was refused on the way (lost)."""
    return bool(received) and time.time() - received[-1][0] > QUIET_SECONDS


def receive(path: str, count: int, worker_id: str, timeout: float) -> tuple[list[float], list[float], float]:
    """(the first send time then the receipt times, latencies in ms, receiver CPU seconds) of what
    arrived before `timeout`."""
    received: list[tuple[float, float, float]] = []
    done = threading.Event()
    cpu_start = time.process_time()

    def take(message: dict) -> bool:
        now = time.time()
        received.append((now, (now - message["sent"]) * 1000, message["sent"]))
        if len(received) == count:
            done.set()
        return True

    if path == "stream":
        import redis

        from engine.cluster.inbox_reader import InboxReader

        reader = InboxReader(redis.Redis.from_url(os.environ["REDIS_URL"]), worker_id=lambda: worker_id, submit=take)
        reader.start()
        deadline = time.monotonic() + timeout
        while not done.wait(0.2) and time.monotonic() < deadline and not _gone_quiet(received):
            pass
        reader.stop()
    else:
        from channels.layers import get_channel_layer

        async def read() -> None:
            layer = get_channel_layer()
            while len(received) < count:
                try:
                    take(await asyncio.wait_for(layer.receive("game_engine"), QUIET_SECONDS))  # type: ignore[union-attr]
                except TimeoutError:
                    if received:
                        return

        with contextlib.suppress(TimeoutError):
            asyncio.run(asyncio.wait_for(read(), timeout))
    first_sent = min((sent for _, _, sent in received), default=0.0)
    return [first_sent] + [at for at, _, _ in received], [ms for _, ms, _ in received], time.process_time() - cpu_start


def run(path: str, args: argparse.Namespace) -> dict:
    import redis

    from engine.cluster.keys import lease_key

    client = redis.Redis.from_url(args.redis_url)
    client.flushdb()
    worker_id = "bench-worker"
    # A reader hands over only while its worker's lease is alive.
    client.set(lease_key(worker_id), "{}", px=int(args.timeout * 1000) + 60_000)
    load_before = os.getloadavg()[0]
    cpu: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    sender = multiprocessing.get_context("spawn").Process(
        target=sender_process, args=(path, args.messages, args.senders, args.rate, worker_id, args.redis_url, cpu)
    )
    sender.start()
    times, latencies, receiver_cpu = receive(path, args.messages, worker_id, args.timeout)
    sender.join()
    sender_cpu = cpu.get()
    # From the first message sent to the last one received.
    span = max(times) - times[0] if latencies else float("nan")
    return {
        "path": path,
        "received": len(latencies),
        "per_second": len(latencies) / span if span else float("nan"),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "lost": args.messages - len(latencies),
        "sender_us": sender_cpu / max(1, len(latencies)) * 1e6,
        "receiver_us": receiver_cpu / max(1, len(latencies)) * 1e6,
        "load": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--senders", type=int, default=1000, help="concurrent sending tasks (sockets)")
    parser.add_argument("--rate", type=float, nargs="+", default=[1000, 5000, 0], help="messages/s offered (0: as fast as taken)")
    parser.add_argument("--paths", nargs="+", default=["channel", "stream"], choices=["channel", "stream"])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    _setup(args.redis_url)
    print(f"{args.messages} messages from {args.senders} tasks of one sender process to one receiver")
    print(
        f"{'path':8} {'received':>8} {'msg/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lost':>6} "
        f"{'send us/msg':>11} {'recv us/msg':>11}  load 1m"
    )
    for rate in args.rate:
        print(f"offered: {f'{rate:.0f} messages/s' if rate else 'as fast as the path takes them'}")
        for path in args.paths:
            r = run(path, argparse.Namespace(**{**vars(args), "rate": rate}))
            print(
                f"{r['path']:8} {r['received']:>8} {r['per_second']:>9.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
                f"{r['max']:>8.1f} {r['lost']:>6} {r['sender_us']:>11.1f} {r['receiver_us']:>11.1f}  "
                f"{r['load'][0]:.2f} -> {r['load'][1]:.2f}"
            )


if __name__ == "__main__":
    main()

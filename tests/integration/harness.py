"""Real processes for integration tests: the Procfile's lines, Daphne, runworker, Redis, PostgreSQL.

Nothing here is mocked. A missing Redis or PostgreSQL fails the tests; it never skips them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
import websockets

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
POSTGRES_TEST_URL = os.environ.get("POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    client.ping()
    client.flushdb()


@contextlib.contextmanager
def private_redis():
    """A throwaway redis-server of our own, for tests that must stall or break Redis (DEBUG SLEEP)
    without touching the shared server. Yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kogame-redis-") as directory:
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--enable-debug-command", "yes", "--dir", directory]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
                    break
                except redis.ConnectionError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"redis-server on port {port} did not start") from None
                    time.sleep(0.05)
            yield url
        finally:
            server.terminate()
            server.wait(10)


@contextlib.contextmanager
def latency_proxy(url: str, delay: float):
    """A TCP relay in front of the server of `url` (redis://host:port/db) that holds everything
    `delay` seconds each way, connection closes included: a link of that latency, as to a Redis
    on another host. Yields the URL to use instead."""
    target = urllib.parse.urlsplit(url)
    loop = asyncio.new_event_loop()

    async def relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        chunks: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await chunks.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not data:
                    sink.close()
                    return
                sink.write(data)

        delivering = asyncio.ensure_future(deliver())
        data = b"-"
        while data:
            try:
                data = await source.read(65536)
            except OSError:
                data = b""
            chunks.put_nowait((loop.time() + delay, data))
        await delivering

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target.hostname, target.port)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(relay(reader, upstream_writer), relay(upstream_reader, writer), return_exceptions=True)
        except asyncio.CancelledError:
            # The proxy is shutting down: cut both sides.
            writer.close()
            upstream_writer.close()

    async def serve() -> asyncio.AbstractServer:
        return await asyncio.start_server(connect, "127.0.0.1", 0)

    async def shut(server: asyncio.AbstractServer) -> None:
        server.close()
        relays = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    thread = threading.Thread(target=loop.run_forever, name="latency-proxy", daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(serve(), loop).result(5)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}{target.path}"
    finally:
        asyncio.run_coroutine_threadsafe(shut(server), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


class PostgresDatabase:
    """A throwaway database on the test PostgreSQL server."""

    def __init__(self) -> None:
        self.name = f"kogame_it_{uuid.uuid4().hex[:10]}"
        base = POSTGRES_TEST_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def __enter__(self) -> str:
        with psycopg.connect(POSTGRES_TEST_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc) -> None:
        with psycopg.connect(POSTGRES_TEST_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def base_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        {"SECRET_KEY": "integration-secret", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> float:
        """Sends `sig` and returns how long the process took to exit."""
        started = time.monotonic()
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                raise AssertionError(f"{self.name} did not stop within {timeout} s:\n{self.log()[-3000:]}") from None
        return time.monotonic() - started


@dataclass
class Stack:
    """The processes of one deployment and the address of its web process(es)."""

    env: dict[str, str]
    workdir: Path
    processes: list[Process] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    # What the worker processes get on top of `env`.
    worker_env: dict[str, str] = field(default_factory=dict)

    def run_line(self, name: str, command: str, port: int | None = None, extra_env: dict[str, str] | None = None) -> Process:
        env = {**self.env, **(extra_env or {})}
        if port is not None:
            env["PORT"] = str(port)
        # A process started again under the same name (a new worker) gets its own log: the old
        # process's log stays readable.
        runs = sum(1 for process in self.processes if process.name == name)
        log_path = self.workdir / (f"{name}.log" if not runs else f"{name}-{runs + 1}.log")
        popen = subprocess.Popen(
            ["bash", "-c", command], cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT
        )
        process = Process(name=name, popen=popen, log_path=log_path)
        self.processes.append(process)
        return process

    def release(self) -> None:
        result = subprocess.run(
            ["bash", "-c", procfile()["release"]], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def start_web(self) -> int:
        return self.start_webs(1)[0]

    def start_webs(self, count: int, extra_env: dict[str, str] | None = None) -> list[int]:
        """Starts `count` web processes side by side (`extra_env` added to their environment) and
        waits until each serves HTTP."""
        ports = [free_port() for _ in range(count)]
        for port in ports:
            self.run_line(f"web-{port}", procfile()["web"], port=port, extra_env=extra_env)
            self.ports.append(port)
        for port in ports:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", accept={200, 503})
        return ports

    def web(self, port: int) -> Process:
        return next(p for p in self.processes if p.name == f"web-{port}")

    def start_worker(self) -> Process:
        return self.run_line("worker", procfile()["worker"], extra_env=self.worker_env)

    def worker(self) -> Process:
        """The worker process that is still running."""
        return next(p for p in self.processes if p.name == "worker" and p.popen.poll() is None)

    def http(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.ports[0]}"

    def ws(self, path: str, port: int | None = None) -> str:
        return f"ws://127.0.0.1:{port or self.ports[0]}{path}"

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-4000:]}" for p in self.processes)

    @contextlib.contextmanager
    def running(self):
        """Stops every process on the way out, and prints their logs if the block failed."""
        try:
            yield self
        except BaseException:
            print(self.logs())
            raise
        finally:
            self.stop()


@contextlib.contextmanager
def procfile_stack(*, redis_url: str, web_processes: int = 1, worker_env: dict[str, str] | None = None, **env: str):
    """The Procfile's release, one worker and `web_processes` web processes, on `redis_url`
    (flushed first) and a throwaway PostgreSQL database. `worker_env` is added to the workers'
    environment. Their logs are printed if starting or using the stack fails."""
    require_redis(redis_url)
    with tempfile.TemporaryDirectory(prefix="kogame-") as workdir, PostgresDatabase() as database_url:
        stack = Stack(
            env=base_env(DATABASE_URL=database_url, REDIS_URL=redis_url, **env),
            workdir=Path(workdir),
            worker_env=dict(worker_env or {}),
        )
        with stack.running():
            stack.release()
            stack.start_worker()
            stack.start_webs(web_processes)
            wait_for_http(stack.http() + "/healthz", accept={200}, timeout=60)
            yield stack


def wait_for_http(url: str, *, accept: set[int], timeout: float = 30.0) -> int:
    """Waits for a server that is starting up to answer `url` with one of `accept`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = None
        if status in accept:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer {accept} within {timeout} s (last: {status})")
        time.sleep(0.1)


async def open_silent_websocket(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A websocket handshake for `path` over a raw TCP connection, which then never reads,
    answers a ping or sends anything: a client that vanished without closing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    return reader, writer


def http_json(
    url: str, method: str = "GET", data: bytes | None = None, timeout: float = 5.0, *, token: str | None = None
) -> tuple[int, dict]:
    """(status, JSON body). With `token`, authenticated as a script is (Authorization: Bearer)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"} if token else {}
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def new_guest(stack: Stack, port: int | None = None) -> tuple[str, str]:
    status, body = http_json(stack.http(port) + "/api/guest", method="POST", data=b"")
    assert status == 201, body
    return body["username"], body["token"]


class Client:
    """A scripted websocket client following shared/CONTRACT.md."""

    def __init__(self, socket) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, url: str, **kwargs) -> Client:
        return cls(await websockets.connect(url, open_timeout=5, max_size=2**22, **kwargs))

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))

    async def receive_until(self, predicate, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(timeout=max(0.01, deadline - time.monotonic()))
            if predicate(message):
                return message

    async def close_code(self, timeout: float = 5.0) -> int | None:
        """Reads until the server closes; returns the close code it sent."""
        try:
            while True:
                await asyncio.wait_for(self.socket.recv(), timeout)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.socket.close()


NGINX_CONF = ROOT / "docs" / "deploy" / "nginx.conf"


def render_nginx_conf(web_ports: list[int], listen_port: int) -> str:
    """docs/deploy/nginx.conf as committed, with only its upstream's `server` lines pointed at
    `web_ports`, its `listen` port and its static `root` (this checkout) changed. Fails when the
    file no longer has the lines this rendering expects."""
    text = NGINX_CONF.read_text()
    servers = list(re.finditer(r"^( *)server 127\.0\.0\.1:\d+( [^;]*)?;\n", text, re.MULTILINE))
    assert servers, "no `server 127.0.0.1:<port>` line in the upstream"
    indent, options = servers[0].group(1), servers[0].group(2) or ""
    lines = "".join(f"{indent}server 127.0.0.1:{port}{options};\n" for port in web_ports)
    text = text[: servers[0].start()] + lines + text[servers[-1].end() :]
    for old, new in (("listen 8080;", f"listen 127.0.0.1:{listen_port};"), ("root /srv/kogame;", f"root {ROOT};")):
        assert text.count(old) == 1, f"expected one `{old}` in {NGINX_CONF}"
        text = text.replace(old, new)
    return text


@dataclass
class Nginx:
    port: int
    prefix: Path

    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def access_log(self) -> str:
        return (self.prefix / "access.log").read_text(errors="replace")


@contextlib.contextmanager
def nginx_in_front(web_ports: list[int]):
    """nginx with the rendered docs/deploy/nginx.conf in front of `web_ports`, in a temporary
    prefix of its own (pid, logs, temporary files), in the foreground. A missing nginx fails the
    test (scripts/test installs Debian's package)."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    assert binary, "nginx is not installed (Debian: apt-get install nginx; scripts/test does it)"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kogame-nginx-") as directory:
        prefix = Path(directory)
        # nginx's own worker processes run as `nobody` when it starts as root: they must get in.
        prefix.chmod(0o755)
        conf = prefix / "nginx.conf"
        conf.write_text(render_nginx_conf(web_ports, port))
        command = [binary, "-p", f"{prefix}/", "-c", str(conf), "-g", "daemon off;"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(prefix / "stderr.log").open("w"))
        nginx = Nginx(port=port, prefix=prefix)
        try:
            wait_for_http(nginx.http() + "/healthz", accept={200, 503}, timeout=15)
            yield nginx
        except BaseException:
            for name in ("stderr.log", "error.log", "access.log"):
                if (prefix / name).exists():
                    print(f"--- nginx {name}\n{(prefix / name).read_text(errors='replace')[-4000:]}")
            raise
        finally:
            server.terminate()
            server.wait(10)

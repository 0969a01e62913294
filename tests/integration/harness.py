"""Real processes for integration tests: the Procfile's lines, Daphne, runworker, Redis, PostgreSQL.

Nothing here is mocked. A missing Redis or PostgreSQL fails the tests; it never skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
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

    def run_line(self, name: str, command: str, port: int | None = None) -> Process:
        env = dict(self.env)
        if port is not None:
            env["PORT"] = str(port)
        log_path = self.workdir / f"{name}.log"
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
        port = free_port()
        self.run_line(f"web-{port}", procfile()["web"], port=port)
        self.ports.append(port)
        wait_for_http(f"http://127.0.0.1:{port}/healthz", accept={200, 503})
        return port

    def start_worker(self) -> Process:
        return self.run_line("worker", procfile()["worker"])

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
def procfile_stack(*, redis_url: str, web_processes: int = 1, **env: str):
    """The Procfile's release, one worker and `web_processes` web processes, on `redis_url`
    (flushed first) and a throwaway PostgreSQL database. Their logs are printed if starting or
    using the stack fails."""
    require_redis(redis_url)
    with tempfile.TemporaryDirectory(prefix="kogame-") as workdir, PostgresDatabase() as database_url:
        stack = Stack(env=base_env(DATABASE_URL=database_url, REDIS_URL=redis_url, **env), workdir=Path(workdir))
        try:
            stack.release()
            stack.start_worker()
            for _ in range(web_processes):
                stack.start_web()
            wait_for_http(stack.http() + "/healthz", accept={200}, timeout=60)
            yield stack
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop()


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


def http_json(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
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

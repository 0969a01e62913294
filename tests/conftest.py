import asyncio
import os
import time

import pytest

# The test process is always the embedded single-process mode; integration tests give the
# services' URLs to the servers they start, never to this process.
os.environ.pop("REDIS_URL", None)
os.environ.pop("DATABASE_URL", None)


async def eventually(check, *, timeout: float = 5.0, interval: float = 0.02):
    """Awaits `check()` becoming truthy, for state written by another thread with no event to await."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


@pytest.fixture
def anyio_backend():
    return "asyncio"

"""Browser end-to-end tests: Debian's Chromium, driven by Playwright, against a real server.

Each test module gets its own server: the Procfile's web line (Daphne) in embedded mode, on a
throwaway copy of a SQLite database that the Procfile's release line migrated once per run. One
headless Chromium serves the whole run; each player is a browser context of its own, so a separate
guest with its own session cookie.

Chromium is never downloaded: the tests launch the Debian package's binary (`apt-get install
chromium`, which `scripts/test` does when it can) and FAIL, never skip, when it is missing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.browser.proxy import CuttableProxy
from tests.integration.harness import Stack, base_env, wait_for_http

# Auto-waiting budget for every expect() and every action. Generous next to what a person would
# tolerate, because CI machines are slow; a passing run never waits for it.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "screen": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/156.0.0.0 Mobile Safari/537.36"
    ),
}


def chromium_path() -> str:
    """Debian's Chromium (or $KOGAME_CHROMIUM); a missing browser fails the test."""
    path = os.environ.get("KOGAME_CHROMIUM") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            "Chromium is missing: the browser tests need Debian's package "
            "(`apt-get install chromium`, done by `bash scripts/test` when run as root), "
            "or KOGAME_CHROMIUM pointing at a Chromium binary",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def migrated_database():
    """A SQLite file migrated by the Procfile's release line, once; each module's server gets a copy."""
    with tempfile.TemporaryDirectory(prefix="kogame-browser-") as workdir:
        path = Path(workdir) / "migrated.sqlite3"
        Stack(env=base_env(REDIS_URL=None, DATABASE_URL=f"sqlite:///{path}"), workdir=Path(workdir)).release()
        yield path


@pytest.fixture(scope="module")
def server(migrated_database):
    """The Procfile's web line (Daphne) in embedded mode (no REDIS_URL) on a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="kogame-browser-") as workdir:
        database = Path(workdir) / "browser.sqlite3"
        shutil.copyfile(migrated_database, database)
        stack = Stack(env=base_env(REDIS_URL=None, DATABASE_URL=f"sqlite:///{database}"), workdir=Path(workdir))
        with stack.running():
            stack.start_web()
            wait_for_http(stack.http() + "/healthz", accept={200}, timeout=60)
            yield stack


# One Chromium for the whole run (each player still gets a fresh context). Playwright's objects
# belong to the event loop that made them, so the browser tests, and these async fixtures, all
# run in the session's loop: each test module says `pytest.mark.asyncio(loop_scope="session")`.
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> Browser:
    executable = chromium_path()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=executable,
            args=["--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


class Players:
    """Opens players: each a new browser context (a new guest), on the lobby page."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.page_errors: list[str] = []
        self.contexts = []

    async def open(self, *, phone: bool = False, base_url: str | None = None) -> Page:
        options = dict(PHONE) if phone else {"viewport": {"width": 1280, "height": 900}}
        context = await self.browser.new_context(base_url=base_url or self.base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        await page.goto("/")
        await expect(page.locator(".user-chip")).to_contain_text("guest-")
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def players(browser, server):
    opened = Players(browser, server.http())
    yield opened
    await opened.close()
    assert not opened.page_errors, "uncaught errors in the pages:\n" + "\n".join(opened.page_errors)


@pytest_asyncio.fixture(loop_scope="session")
async def proxy(server):
    """A TCP proxy in front of the server that the test can cut and restore."""
    cuttable = CuttableProxy(target_port=server.ports[0])
    await cuttable.start()
    try:
        yield cuttable
    finally:
        await cuttable.stop()

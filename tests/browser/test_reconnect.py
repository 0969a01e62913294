"""A dropped connection: the game page says it is reconnecting, then recovers by itself."""

import pytest
from playwright.async_api import expect

from tests.browser.ui import (
    chess_pair,
    click_piece,
    drag_piece,
    expect_moves,
    expect_your_move,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_a_dropped_connection_shows_reconnecting_and_recovers(players, proxy):
    # Both players reach the server only through the proxy the test can cut.
    white, black = await chess_pair(players, "3+2", base_url=proxy.url)

    await expect_your_move(white)
    await click_piece(white, "e2", "e4")
    await expect_your_move(black)
    await drag_piece(black, "e7", "e5")
    await expect_moves(["e4", "e5"], white, black)
    for page in (white, black):
        await expect(page.locator("[data-connection-text]")).to_have_text("Connected")
        await expect(page.locator("[data-reconnecting]")).to_be_hidden()

    # The network goes away: every connection drops and new ones are refused.
    proxy.cut()
    for page in (white, black):
        banner = page.locator("[data-reconnecting]")
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("Reconnecting")
        await expect(page.locator("[data-connection-text]")).to_have_text("Reconnecting…")
    # Both pages keep trying (and failing) for a while.
    await proxy.wait_for_refusals(4)
    for page in (white, black):
        await expect(page.locator("[data-reconnecting]")).to_be_visible()

    # The network comes back: both pages reconnect by themselves, the game as it was.
    proxy.restore()
    for page in (white, black):
        await expect(page.locator("[data-reconnecting]")).to_be_hidden()
        await expect(page.locator("[data-connection-text]")).to_have_text("Connected")
    await expect_moves(["e4", "e5"], white, black)

    # And moves go through again, both ways.
    await expect_your_move(white)
    await drag_piece(white, "g1", "f3")
    await expect_moves(["e4", "e5", "Nf3"], white, black)
    await expect_your_move(black)
    await click_piece(black, "b8", "c6")
    await expect_moves(["e4", "e5", "Nf3", "Nc6"], white, black)
    await expect_your_move(white)

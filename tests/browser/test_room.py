"""Two friends meet in a private room: one makes it from the lobby, the other follows its link."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.ui import LOBBY_URL, chess_colors, same_game, username

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ROOM_URL = re.compile(r"/room/[A-Z2-9]{6}/$")


async def test_a_host_and_a_friend_ready_up_and_start_a_chess_game(players):
    host = await players.open()
    friend = await players.open()
    names = {host: await username(host), friend: await username(friend)}

    # The host makes a chess room from the lobby's "Play with friends" form.
    form = host.locator("[data-room-form]")
    await form.get_by_label("Game").select_option("chess")
    await expect(form.get_by_label("Players")).to_be_hidden()
    await form.get_by_label("Time control").select_option("5+3")
    await form.get_by_role("button", name="Create room").click()
    await expect(host).to_have_url(ROOM_URL)
    await expect(host.locator("[data-members] .member-row")).to_have_count(1)
    await expect(host.locator("[data-members]").get_by_role("img", name="Host")).to_have_count(1)

    # The friend follows the share link.
    link = await host.locator("[data-share-link]").input_value()
    assert link.endswith(host.url.split("/", 3)[3])
    await friend.goto(link)
    for page in (host, friend):
        rows = page.locator("[data-members] .member-row")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_contain_text(names[host])
        await expect(rows.nth(1)).to_contain_text(names[friend])
        await expect(rows.nth(0).get_by_role("img", name="Host")).to_be_visible()
        await expect(rows.nth(1).get_by_role("img", name="Host")).to_have_count(0)
        await expect(page.locator("[data-connection-text]")).to_have_text("Connected")

    # Only the host may change the settings; the friend sees each change at once.
    tc = '[data-settings] select[name="tc"]'
    await expect(friend.locator(tc)).to_be_disabled()
    await expect(friend.locator(tc)).to_have_value("5+3")
    await host.locator(tc).select_option("3+2")
    await expect(friend.locator(tc)).to_have_value("3+2")

    await friend.locator("[data-chat-form] input").fill("ready when you are")
    await friend.locator("[data-chat-form]").get_by_role("button", name="Send").click()
    await expect(host.locator("[data-chat-log]")).to_contain_text("ready when you are")

    # Start waits for everyone to be ready, and only the host sees it.
    start = host.get_by_role("button", name="Start game")
    await expect(friend.get_by_role("button", name="Start game")).to_be_hidden()
    await host.get_by_role("button", name="I'm ready").click()
    await expect(start).to_be_disabled()
    await expect(host.locator("[data-start-hint]")).to_have_text(f"Waiting for {names[friend]} to get ready")
    await friend.get_by_role("button", name="I'm ready").click()
    await expect(host.locator("[data-members] .member-row.is-ready")).to_have_count(2)
    await expect(start).to_be_enabled()
    await start.click()

    # Both land on the game and see its board.
    await same_game(host, friend)
    for page in (host, friend):
        await expect(page.locator("[data-chess-board]")).to_be_visible()
    await chess_colors(host, friend)

    # The room is done: its link now says so, with a way back.
    late = await players.open()
    await late.goto(link)
    await expect(late.get_by_role("heading", name="Room not found or full")).to_be_visible()
    await late.get_by_role("link", name="Back to the lobby").click()
    await expect(late).to_have_url(LOBBY_URL)

"""Bots in the browser: two friends fill a Snake room with bots and play it out; a player takes on
the chess computer straight from the lobby."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.ui import (
    ARROW_KEYS,
    GAME_URL,
    GameFrames,
    click_piece,
    move_list,
    play_snake_to_the_end,
    same_game,
    snake_of,
    username,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ROOM_URL = re.compile(r"/room/[A-Z2-9]{6}/$")
BOTS = ["Easy bot 3", "Easy bot 4"]


async def test_two_friends_fill_a_snake_room_with_bots_and_play_it_out(players):
    host = await players.open()
    friend = await players.open()
    names = {host: await username(host), friend: await username(friend)}
    frames = {page: GameFrames(page) for page in (host, friend)}

    form = host.locator("[data-room-form]")
    await form.get_by_label("Game").select_option("snake")
    await form.get_by_label("Players").select_option("4")
    await form.get_by_label("Bots").select_option("easy")
    await form.get_by_role("button", name="Create room").click()
    await expect(host).to_have_url(ROOM_URL)
    await expect(host.locator("[data-members] .member-row")).to_have_count(1)
    await friend.goto(await host.locator("[data-share-link]").input_value())
    await expect(host.locator("[data-members] .member-row")).to_have_count(2)
    for page in (host, friend):
        await page.get_by_role("button", name="I'm ready").click()
    start = host.get_by_role("button", name="Start game")
    await expect(start).to_be_enabled()
    await start.click()
    await same_game(host, friend)

    # Four snakes: the two friends and the two bots that took the empty seats.
    for page in (host, friend):
        scoreboard = page.locator("[data-scoreboard] .score-name")
        await expect(scoreboard).to_have_count(4)
        for bot in BOTS:
            await expect(page.locator("[data-scoreboard]")).to_contain_text(bot)
    # The bots steer themselves: each one turns (or dies) while the game runs.
    first_direction: dict[str, str] = {}
    steered = set()
    async for message in frames[host].follow(timeout=15):
        if message.get("type") == "gameEnd" or steered == set(BOTS):
            break
        if message.get("type") != "tick":
            continue
        for bot in BOTS:
            snake = snake_of(message, bot) or {}
            first_direction.setdefault(bot, snake.get("direction"))
            if not snake.get("alive", True) or snake.get("direction") != first_direction[bot]:
                steered.add(bot)
    assert steered == set(BOTS)

    end = await play_snake_to_the_end(frames[host], names[host], lambda turn: host.keyboard.press(ARROW_KEYS[turn]), timeout=120)
    for page in (host, friend):
        over = page.locator("[data-game-over]")
        await expect(over).to_be_visible()
        await expect(over.locator("[data-final-scores] .final-name")).to_have_count(4)
    assert end["type"] == "gameEnd"


async def test_a_player_takes_on_the_chess_computer_from_the_lobby(players):
    page = await players.open()
    form = page.locator("[data-room-form]")
    await form.get_by_label("Game").select_option("chess")
    await form.get_by_label("Time control").select_option("3+2")
    await form.get_by_label("Bots").select_option("hard")
    await form.get_by_label("Colour vs computer").select_option("white")
    await form.get_by_role("button", name="Play the computer").click()
    await expect(page).to_have_url(GAME_URL)
    await expect(page.locator("[data-chess-board]")).to_be_visible()
    await expect(page.get_by_text("Hard bot 2")).to_be_visible()
    await click_piece(page, "e2", "e4")
    # The bot answers on its own: the move list holds white's move and black's reply.
    await expect(move_list(page)).to_have_count(2, timeout=15_000)

"""A phone-sized screen (390x844, touch): the lobby, a chess game and a Snake game are usable."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.ui import (
    LOBBY_URL,
    SWIPES,
    Finger,
    GameFrames,
    chess_colors,
    chess_status,
    expect_moves,
    expect_your_move,
    horizontal_overflow,
    is_truncated,
    play_snake_to_the_end,
    same_game,
    snake_of,
    square,
    tap_piece,
    turn_towards_centre,
    username,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# For checks of where things sit once the page has shown them.
LAYOUT_MS = 5_000


async def test_the_lobby_fits_a_phone_and_its_buttons_work(players):
    phone = await players.open(phone=True)
    assert await horizontal_overflow(phone) <= 0
    await expect(phone.locator(".user-chip")).to_be_in_viewport()

    play = phone.get_by_role("button", name="Play Snake")
    await expect(play).to_be_in_viewport(ratio=1)
    await play.tap()
    snake = phone.locator('[data-queue-game="snake"]')
    await expect(snake.locator("[data-queue-status]")).to_contain_text("Looking for players")
    await snake.get_by_role("button", name="Cancel").tap()
    await expect(play).to_be_visible()

    # Every time control is reachable and fits the screen's width.
    buttons = phone.locator('[data-queue-game="chess"] [data-tc]')
    assert await buttons.count() >= 4
    for index in range(await buttons.count()):
        button = buttons.nth(index)
        await button.scroll_into_view_if_needed()
        await expect(button).to_be_in_viewport(ratio=1)
    blitz = phone.locator('[data-queue-game="chess"] [data-tc="3+2"]')
    await blitz.tap()
    chess = phone.locator('[data-queue-game="chess"]')
    await expect(chess.locator("[data-queue-status]")).to_contain_text("Looking for an opponent")
    cancel = chess.get_by_role("button", name="Cancel")
    await expect(cancel).to_be_in_viewport(ratio=1)
    await cancel.tap()
    await expect(blitz).to_be_visible()
    assert await horizontal_overflow(phone) <= 0


async def test_chess_on_a_phone(players):
    first = await players.open(phone=True)
    second = await players.open(phone=True)
    for page in (first, second):
        await page.locator('[data-queue-game="chess"] [data-tc="3+2"]').tap()
    await same_game(first, second)
    white, black = await chess_colors(first, second)

    for page in (white, black):
        # The whole board and both clocks are on screen as the game opens.
        await expect(page.locator("[data-chess-board]")).to_be_in_viewport(ratio=1)
        await expect(page.locator("[data-player-strip='top'] [data-clock]")).to_be_in_viewport(ratio=1)
        await expect(page.locator("[data-player-strip='bottom'] [data-clock]")).to_be_in_viewport(ratio=1)
        assert await horizontal_overflow(page) <= 0

    # White's first-move countdown shows next to white's name, which stays readable in full.
    own = white.locator("[data-player-strip='bottom']")
    await expect(own.locator("[data-first-move]")).to_have_text(re.compile(r"^first move: \d+ s$"))
    await expect(own.locator("[data-name]")).to_have_text(await username(white))
    # (Checked at the end, so that the rest of the game is tried whatever this says.)
    name_cut_off = await is_truncated(own.locator("[data-name]"))

    await expect_your_move(white)
    await tap_piece(white, "e2", "e4")
    await expect_your_move(black)
    await tap_piece(black, "e7", "e5")
    await expect_moves(["e4", "e5"], white, black)
    assert await horizontal_overflow(white) <= 0

    # The buttons under the board are reachable: white resigns (tap, then tap to confirm).
    resign = white.locator("[data-actions] [data-action='resign']")
    await resign.scroll_into_view_if_needed()
    await expect(resign).to_be_in_viewport(ratio=1)
    await resign.tap()
    await expect(resign).to_have_text("Confirm resign?")
    await resign.tap()
    for page in (white, black):
        result = page.locator("[data-result]")
        await result.scroll_into_view_if_needed()
        await expect(result).to_be_in_viewport()
        await expect(result.locator("[data-result-text]")).to_have_text("Black wins by resignation")
        await expect(chess_status(page)).to_have_text("Black wins")
    new_opponent = white.get_by_role("link", name="New opponent")
    await expect(new_opponent).to_be_in_viewport(ratio=1)
    assert await square(white, "e4").locator(".chess-piece.white.pawn").count() == 1
    assert not name_cut_off, "white's own name was cut off while the first-move countdown showed"


async def test_snake_on_a_phone(players):
    first = await players.open(phone=True)
    second = await players.open(phone=True)
    frames = GameFrames(first)
    name = await username(first)
    for page in (first, second):
        await page.get_by_role("button", name="Play Snake").tap()
    await same_game(first, second)

    for page in (first, second):
        await expect(page.locator("[data-role]")).to_have_text("Playing")
        await expect(page.locator("[data-board]")).to_be_in_viewport(ratio=1)
        await expect(page.locator("[data-controls-hint]")).to_have_text(
            "Swipe on the board to steer", use_inner_text=True
        )
        assert await horizontal_overflow(page) <= 0

    # A swipe on the board steers (turns count during the countdown too): the server turns the snake.
    tick = await frames.wait_for(lambda m: m.get("type") == "tick" and (snake_of(m, name) or {}).get("alive"))
    turn = turn_towards_centre(snake_of(tick, name))
    since = frames.mark()
    finger = await Finger.on(first)
    canvas = first.locator("[data-board-canvas]")
    await finger.swipe(canvas, *SWIPES[turn])
    await frames.wait_for(
        lambda m: m.get("type") == "tick" and (snake_of(m, name) or {}).get("direction") == turn, since=since
    )

    # The first player keeps swiping clear of trouble, the other lets go, till the game ends.
    # On both phones the card, and its ways on, then fit on the board on screen.
    await play_snake_to_the_end(frames, name, lambda turn: finger.swipe(canvas, *SWIPES[turn]))
    for page in (first, second):
        await expect(page.locator("[data-game-over]")).to_be_visible()
    for page in (first, second):
        over = page.locator("[data-game-over]")
        # The card is up: this is layout, nothing left to wait for.
        await expect(page.locator("[data-board]")).to_be_in_viewport(ratio=1, timeout=LAYOUT_MS)
        await expect(over.locator("[data-game-over-title]")).to_be_in_viewport(ratio=1, timeout=LAYOUT_MS)
        await expect(over.get_by_role("link", name="Play again")).to_be_in_viewport(ratio=1, timeout=LAYOUT_MS)
        back = over.get_by_role("link", name="Back to lobby")
        await expect(back).to_be_in_viewport(ratio=1, timeout=LAYOUT_MS)
        await back.tap()
        await expect(page).to_have_url(LOBBY_URL)

"""Chess in the browser: two guests play to checkmate with the mouse (drag for one, click-click
for the other) with a promotion and a premove on the way, and a flag falls with nobody clicking."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.ui import (
    chess_pair,
    chess_status,
    click_piece,
    drag_piece,
    expect_moves,
    expect_your_move,
    square,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_checkmate_by_drag_and_by_clicks_with_a_promotion_and_a_premove(players):
    white, black = await chess_pair(players, "3+2")
    for page in (white, black):
        await expect(page.locator("[data-tc-label]")).to_contain_text("3+2")
        await expect(page.locator("[data-player-strip='bottom'] [data-you]")).to_be_visible()
    # Each player sees their own side at the bottom.
    await expect(white.locator("[data-chess-board]")).to_have_attribute("data-orientation", "white")
    await expect(black.locator("[data-chess-board]")).to_have_attribute("data-orientation", "black")

    # White drags, black clicks: a-pawn runs to b8 and promotes, then a fool's mate by premove.
    sans: list[str] = []

    async def play(page, move, san, by):
        await expect_your_move(page)
        await by(page, move[:2], move[2:])
        sans.append(san)
        await expect_moves(sans, white, black)

    await play(white, "a2a4", "a4", drag_piece)
    await play(black, "b7b5", "b5", click_piece)
    await play(white, "a4b5", "axb5", drag_piece)
    await play(black, "a7a6", "a6", click_piece)
    await play(white, "b5a6", "bxa6", drag_piece)
    await play(black, "e7e5", "e5", click_piece)
    await play(white, "a6a7", "a7", drag_piece)
    await play(black, "c8b7", "Bb7", click_piece)

    # Promotion: the pawn dropped on b8 asks which piece it becomes; white takes a knight.
    await expect_your_move(white)
    await drag_piece(white, "a7", "b8")
    knight = white.get_by_role("button", name="Promote to knight")
    await expect(white.get_by_role("button", name=re.compile(r"^Promote to "))).to_have_count(4)
    await knight.click()
    await expect(white.locator(".cb-promotion")).to_have_count(0)
    sans.append("axb8=N")
    await expect_moves(sans, white, black)
    await expect(square(black, "b8").locator(".chess-piece.white.knight")).to_be_visible()

    await play(black, "a8b8", "Rxb8", click_piece)
    await play(white, "f2f3", "f3", drag_piece)
    await play(black, "b8c8", "Rc8", click_piece)

    # While white thinks, black premoves the queen to h4; white's g4 sets it off by itself.
    await expect(chess_status(black)).to_have_text("Waiting for your opponent")
    await click_piece(black, "d8", "h4")
    await expect(chess_status(black)).to_have_text(re.compile(r"^Premove d8h4"))
    await expect(square(black, "d8")).to_have_class(re.compile(r"\bis-premove\b"))
    await expect(square(black, "h4")).to_have_class(re.compile(r"\bis-premove\b"))
    await expect_your_move(white)
    await drag_piece(white, "g2", "g4")
    sans += ["g4", "Qh4#"]
    await expect_moves(sans, white, black)

    for page, you in ((white, "You lost"), (black, "You won!")):
        await expect(chess_status(page)).to_have_text("Black wins")
        result = page.locator("[data-result]")
        await expect(result).to_be_visible()
        await expect(result.locator("[data-result-score]")).to_have_text("0-1")
        await expect(result.locator("[data-result-text]")).to_have_text("Black wins by checkmate")
        await expect(result.locator("[data-result-you]")).to_have_text(you)
        await expect(page.locator("[data-actions]")).to_be_hidden()
        await expect(page.get_by_role("button", name="Rematch")).to_be_visible()
    await expect(square(white, "e1")).to_have_class(re.compile(r"\bis-check\b"))


async def test_a_flag_falls_with_nobody_clicking(players):
    white, black = await chess_pair(players, "0.25+0")
    await expect(white.locator("[data-tc-label]")).to_contain_text("¼+0")
    await expect_your_move(white)
    await click_piece(white, "e2", "e4")
    await expect_moves(["e4"], white, black)
    await expect_your_move(black)
    await drag_piece(black, "e7", "e5")
    await expect_moves(["e4", "e5"], white, black)

    # White's clock runs from the second ply; nobody touches anything until the server flags it.
    white_clock = white.locator("[data-player-strip='bottom'] [data-clock]")
    await expect(white_clock).to_have_class(re.compile(r"\bis-running\b"))
    for page in (white, black):
        result = page.locator("[data-result-text]")
        await expect(result).to_have_text("Black wins on time", timeout=30_000)
        await expect(page.locator("[data-result-score]")).to_have_text("0-1")
        await expect(chess_status(page)).to_have_text("Black wins")
    await expect(white.locator("[data-result-you]")).to_have_text("You lost")
    await expect(black.locator("[data-result-you]")).to_have_text("You won!")
    # White's clock stopped at zero on both screens.
    await expect(white_clock.locator("[data-clock-text]")).to_have_text("00:00.0")
    await expect(black.locator("[data-player-strip='top'] [data-clock-text]")).to_have_text("00:00.0")

"""Two guests meet in the Snake queue from the lobby and play a match to its end."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.ui import (
    ARROW_KEYS,
    LOBBY_URL,
    GameFrames,
    play_snake_to_the_end,
    queue_for_snake,
    same_game,
    snake_of,
    turn_towards_centre,
    username,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_two_guests_queue_play_snake_and_see_the_game_over_card(players):
    alice = await players.open()
    bob = await players.open()
    names = {alice: await username(alice), bob: await username(bob)}
    assert names[alice] != names[bob]
    frames = {page: GameFrames(page) for page in (alice, bob)}

    await queue_for_snake(alice)
    await queue_for_snake(bob, waits=False)
    await same_game(alice, bob)

    for page in (alice, bob):
        await expect(page.locator("[data-role]")).to_have_text("Playing")
        await expect(page.locator("[data-connection-text]")).to_have_text("Connected")
        # Both players are on the scoreboard, each page marking its own player.
        scoreboard = page.locator("[data-scoreboard] .score-name")
        await expect(scoreboard).to_have_count(2)
        await expect(page.locator("[data-scoreboard] .score-name", has=page.locator(".you-tag"))).to_contain_text(
            names[page]
        )
        await expect(page.locator("[data-controls-hint]")).to_be_visible()

    # Alice steers with the keyboard (turns count during the countdown too); the server turns her snake.
    tick = await frames[alice].wait_for(
        lambda m: m.get("type") == "tick" and (snake_of(m, names[alice]) or {}).get("alive")
    )
    turn = turn_towards_centre(snake_of(tick, names[alice]))
    since = frames[alice].mark()
    await alice.keyboard.press(ARROW_KEYS[turn])
    await frames[alice].wait_for(
        lambda m: m.get("type") == "tick" and (snake_of(m, names[alice]) or {}).get("direction") == turn, since=since
    )

    # Alice keeps steering clear of walls and snakes; Bob lets go. The game runs to its end.
    await expect(alice.locator("[data-countdown]")).to_be_hidden()
    end = await play_snake_to_the_end(frames[alice], names[alice], lambda turn: alice.keyboard.press(ARROW_KEYS[turn]))
    winner = end.get("winner")
    for page in (alice, bob):
        over = page.locator("[data-game-over]")
        await expect(over).to_be_visible()
        await expect(over.locator(".eyebrow")).to_have_text("Game over")
        title = over.locator("[data-game-over-title]")
        if winner is None:
            await expect(title).to_have_text(re.compile(r"^(Draw|No winner)$"))
        elif winner == names[page]:
            await expect(title).to_have_text("You win!")
        else:
            await expect(title).to_have_text(f"{winner} wins")
        await expect(over.locator("[data-game-over-reason]")).not_to_be_empty()
        await expect(over.locator("[data-final-scores] .final-name")).to_have_count(2)
        for name in names.values():
            await expect(over.locator("[data-final-scores]")).to_contain_text(name)
        await expect(page.locator("[data-role]")).to_have_text("Watching")

    # From the card: one goes back to the lobby, the other queues again and changes their mind.
    await alice.get_by_role("link", name="Back to lobby").click()
    await expect(alice).to_have_url(LOBBY_URL)
    await expect(alice.get_by_role("button", name="Play Snake")).to_be_visible()

    await bob.get_by_role("link", name="Play again").click()
    await expect(bob).to_have_url(LOBBY_URL)
    waiting = bob.locator('[data-queue-game="snake"] [data-queue-waiting]')
    await expect(waiting.locator("[data-queue-status]")).to_contain_text("Looking for players")
    await waiting.get_by_role("button", name="Cancel").click()
    await expect(waiting).to_be_hidden()
    await expect(bob.get_by_role("button", name="Play Snake")).to_be_visible()

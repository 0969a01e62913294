"""What a person does and sees on Kogame's pages, in Playwright terms.

Selectors use the templates' data-* hooks and visible texts, never layout details.
"""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import aclosing

from playwright.async_api import Locator, Page, expect

from engine.games.snake.rules import apply_tick

GAME_URL = re.compile(r"/game/[A-Za-z0-9]+/$")
LOBBY_URL = re.compile(r"^https?://[^/]+/(\?.*)?$")


async def username(page: Page) -> str:
    return (await page.locator(".user-chip").inner_text()).strip()


# -- lobby -------------------------------------------------------------------------------------


async def queue_for_snake(page: Page, *, waits: bool = True) -> None:
    """Clicks "Play Snake". `waits`: the page must say it is looking for players (a player who
    completes a table that already waited long enough is matched at once)."""
    await page.get_by_role("button", name="Play Snake").click()
    if waits:
        await expect(page.locator('[data-queue-game="snake"] [data-queue-status]')).to_contain_text(
            "Looking for players"
        )


async def queue_for_chess(page: Page, tc: str, *, waits: bool = True) -> None:
    """Clicks a time control. `waits`: nobody is waiting yet, so the page says it is looking
    (a second player is matched at once and may never show that)."""
    await page.locator(f'[data-queue-game="chess"] [data-tc="{tc}"]').click()
    if waits:
        await expect(page.locator('[data-queue-game="chess"] [data-queue-status]')).to_contain_text(
            "Looking for an opponent"
        )


async def same_game(*pages: Page) -> str:
    """Waits for every page to land on the game page; they must all be in the same game."""
    for page in pages:
        await expect(page).to_have_url(GAME_URL)
    urls = {page.url for page in pages}
    assert len(urls) == 1, urls
    return urls.pop().rstrip("/").rsplit("/", 1)[-1]


# -- chess -------------------------------------------------------------------------------------


def square(page: Page, name: str) -> Locator:
    return page.locator(f'[data-chess-board] [data-square="{name}"]')


def chess_status(page: Page) -> Locator:
    return page.locator("[data-status]")


def move_list(page: Page) -> Locator:
    return page.locator("[data-moves] .chess-move:not(.chess-move-empty)")


async def chess_pair(players, tc: str, *, base_url: str | None = None) -> tuple[Page, Page]:
    """Two guests queue from the lobby for `tc`; returns (white's page, black's page)."""
    first = await players.open(base_url=base_url)
    second = await players.open(base_url=base_url)
    await queue_for_chess(first, tc)
    await queue_for_chess(second, tc, waits=False)
    await same_game(first, second)
    return await chess_colors(first, second)


async def chess_colors(first: Page, second: Page) -> tuple[Page, Page]:
    """(white's page, black's page), from what each page says its player plays."""
    for page in (first, second):
        await expect(page.locator("[data-role]")).to_have_text(re.compile(r"^Playing (white|black)$"))
    if await first.locator("[data-role]").inner_text() == "Playing white":
        await expect(second.locator("[data-role]")).to_have_text("Playing black")
        return first, second
    await expect(second.locator("[data-role]")).to_have_text("Playing white")
    return second, first


async def square_center(page: Page, name: str) -> tuple[float, float]:
    box = await square(page, name).bounding_box()
    assert box, f"square {name} is not on screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def drag_piece(page: Page, origin: str, target: str) -> None:
    """Presses the mouse on a piece, carries it over the board and lets go on the target square."""
    await square(page, origin).scroll_into_view_if_needed()
    x0, y0 = await square_center(page, origin)
    x1, y1 = await square_center(page, target)
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    await page.mouse.move(x1, y1, steps=8)
    await page.mouse.up()


async def click_piece(page: Page, origin: str, target: str) -> None:
    """Clicks a piece, then its destination."""
    await square(page, origin).click()
    await expect(square(page, origin)).to_have_class(re.compile(r"\bis-selected\b"))
    await square(page, target).click()


async def tap_piece(page: Page, origin: str, target: str) -> None:
    """Taps a piece, then its destination (a touch screen)."""
    await square(page, origin).tap()
    await expect(square(page, origin)).to_have_class(re.compile(r"\bis-selected\b"))
    await square(page, target).tap()


async def expect_moves(san: list[str], *pages: Page) -> None:
    """Every page shows exactly these moves in its move list."""
    for page in pages:
        await expect(move_list(page)).to_have_text(san)


async def expect_your_move(page: Page) -> None:
    await expect(chess_status(page)).to_have_text(re.compile(r"^(Check! )?Your move$"))


# -- snake -------------------------------------------------------------------------------------

ARROW_KEYS = {"UP": "ArrowUp", "DOWN": "ArrowDown", "LEFT": "ArrowLeft", "RIGHT": "ArrowRight"}


class GameFrames:
    """The messages a page receives on its game socket, as the page's own websocket sees them,
    and the Snake board they describe: a gameState's, then each tick's deltas applied."""

    def __init__(self, page: Page) -> None:
        self.messages: list[dict] = []
        self.latest_tick: dict | None = None
        # The board after the latest tick; None until a gameState, and after a version gap until the next one.
        self.board: dict | None = None
        self._board_v: int | None = None
        self._arrived = asyncio.Event()
        page.on("websocket", self._on_socket)

    def _on_socket(self, socket) -> None:
        if "/ws/game/" in socket.url:
            socket.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        try:
            message = json.loads(payload)
        except (TypeError, ValueError):
            return
        if isinstance(message, dict):
            self.messages.append(message)
            if message.get("type") == "tick":
                self.latest_tick = message
            self._follow_board(message)
            self._arrived.set()

    def _follow_board(self, message: dict) -> None:
        kind, v = message.get("type"), message.get("v")
        if kind == "gameState":
            self.board, self._board_v = message, v
        elif isinstance(v, int) and self._board_v is not None and v > self._board_v:
            if v != self._board_v + 1:
                self.board = None  # a gap: the page resyncs, and the board waits for its gameState
            elif kind == "tick" and self.board is not None:
                self.board = apply_tick(self.board, message)
            self._board_v = v

    def mark(self) -> int:
        """A bookmark: pass it as `since` to look only at messages that arrive after now."""
        return len(self.messages)

    async def follow(self, since: int = 0, timeout: float = 15.0):
        """Every message from `since` on, waiting (at most `timeout` s each) for new ones."""
        index = since
        while True:
            while index < len(self.messages):
                index += 1
                yield self.messages[index - 1]
            self._arrived.clear()
            if index == len(self.messages):
                await asyncio.wait_for(self._arrived.wait(), timeout)

    def is_latest_tick(self, message: dict) -> bool:
        return message is self.latest_tick

    async def wait_for(self, predicate, timeout: float = 15.0, since: int = 0) -> dict:
        """The first message from `since` on (received already or still to come) that matches."""

        async def scan() -> dict:
            async with aclosing(self.follow(since, timeout)) as messages:
                async for message in messages:
                    if predicate(message):
                        return message

        return await asyncio.wait_for(scan(), timeout)


def snake_of(tick: dict, name: str) -> dict | None:
    return next((player for player in tick.get("players", []) if player["username"] == name), None)


STEPS = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}
TURNS = {"UP": ("LEFT", "RIGHT"), "DOWN": ("RIGHT", "LEFT"), "LEFT": ("DOWN", "UP"), "RIGHT": ("UP", "DOWN")}


def safe_direction(board: dict, name: str) -> str | None:
    """Where a careful player would steer their snake now: straight on while the way ahead is
    clear for a few cells, else into the turn with the longest clear run. None: no snake."""
    me = snake_of(board, name)
    if not me or not me.get("alive") or not me.get("head"):
        return None
    width, height = board["width"], board["height"]
    blocked = {tuple(cell) for player in board["players"] for cell in player["body"]}
    for other in board["players"]:
        if other is not me and other.get("alive") and other.get("head"):
            ox, oy = other["head"]
            sx, sy = STEPS[other["direction"]]
            blocked.add((ox + sx, oy + sy))  # where its head goes next

    def clear_run(direction: str) -> int:
        x, y = me["head"]
        dx, dy = STEPS[direction]
        run = 0
        while True:
            x, y = x + dx, y + dy
            if not (0 <= x < width and 0 <= y < height) or (x, y) in blocked:
                return run
            run += 1

    ahead = me["direction"]
    if clear_run(ahead) > 2:
        return ahead
    return max((ahead, *TURNS[ahead]), key=clear_run)


async def play_snake_to_the_end(frames: GameFrames, name: str, steer, timeout: float = 60.0) -> dict:
    """Steers `name`'s snake clear of walls and snakes, from each newest board, with
    `await steer(direction)`, until the game ends (even if it already has); returns the gameEnd."""
    async with asyncio.timeout(timeout), aclosing(frames.follow(timeout=timeout)) as messages:
        async for message in messages:
            if message.get("type") == "gameEnd":
                return message
            if not frames.is_latest_tick(message) or frames.board is None:
                continue  # Steer from the newest board only.
            direction = safe_direction(frames.board, name)
            if direction and direction != snake_of(frames.board, name)["direction"]:
                await steer(direction)


def turn_towards_centre(snake: dict, width: int = 24, height: int = 24) -> str:
    """The perpendicular direction with more room ahead: a sensible first turn."""
    x, y = snake["head"]
    if snake["direction"] in ("UP", "DOWN"):
        return "LEFT" if x >= width / 2 else "RIGHT"
    return "UP" if y >= height / 2 else "DOWN"


# -- phones ------------------------------------------------------------------------------------


async def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0 when nothing sticks out)."""
    return await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


async def is_truncated(locator: Locator) -> bool:
    """Whether the element's text is cut off (ellipsis or clipping) instead of shown in full."""
    return await locator.evaluate("node => node.scrollWidth > node.clientWidth + 0.5")


class Finger:
    """Real touch input (through Chromium's input pipeline, as a touch screen sends it)."""

    def __init__(self, page: Page, cdp) -> None:
        self.page = page
        self.cdp = cdp

    @classmethod
    async def on(cls, page: Page) -> Finger:
        return cls(page, await page.context.new_cdp_session(page))

    async def swipe(self, target: Locator, dx: float, dy: float, steps: int = 6) -> None:
        """A swipe from the middle of `target` by (dx, dy) CSS pixels."""
        box = await target.bounding_box()
        assert box, "nothing to swipe on"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        touch = self.cdp.send
        await touch("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, steps + 1):
            point = {"x": x + dx * step / steps, "y": y + dy * step / steps}
            await touch("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        await touch("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


SWIPES = {"UP": (0, -60), "DOWN": (0, 60), "LEFT": (-60, 0), "RIGHT": (60, 0)}

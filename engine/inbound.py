"""What each message from the web processes and the engine's own threads does to the engine's
games: intents, bot moves, presence, syncs, orphans, confirmed saves and adopted games. Runs on
the engine thread, called by GameEngine.handle; the engine starts games itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from engine.games.effects import Event, IntentRefused, Outcome
from engine.live_game import LiveGame
from engine.orphans import ORPHAN_HEAD
from engine.presence import Flip
from engine.wire import error_message, spectator_chat_message, sync_message

if TYPE_CHECKING:
    from engine.loop import GameEngine

logger = logging.getLogger("kogame.engine")


class Inbound:
    def __init__(self, engine: GameEngine) -> None:
        self.engine = engine

    def handle(self, message: dict) -> bool:
        """Applies `message`; False if its type is not one of these."""
        handler = self._handlers.get(str(message.get("type")))
        if handler is None:
            return False
        handler(self, message)
        return True

    def _game_of(self, message: dict) -> LiveGame | None:
        game_id = message.get("game_id")
        return self.engine.games.get(game_id) if isinstance(game_id, str) else None

    def _intent(self, message: dict) -> None:
        engine, game = self.engine, self._game_of(message)
        engine.stats.intents += 1
        reply_to = message.get("reply_channel")
        name = message["username"]
        intent = message["intent"]
        if game is None:
            engine.outbox.reply(reply_to, error_message("game_over", "this game is not running"))
            return
        if game.ended_at is not None and intent.get("type") not in game.session.post_game_intents | {"chat"}:
            engine.outbox.reply(reply_to, error_message("game_over", "this game is over"))
            return
        if intent.get("type") == "chat":
            self._chat(game, name, intent)
            return
        error = game.session.validate(name, intent)
        if error is not None:
            engine.outbox.reply(reply_to, error_message("refused", error))
            return
        if intent["type"] in game.session.immediate_intents:
            now = engine.clock()
            try:
                engine.play(game, now, f"{intent['type']} by {name}", lambda: game.session.apply(name, intent, now))
            except IntentRefused as refused:
                engine.outbox.reply(reply_to, error_message(refused.code, refused.message))
            return
        if len(game.intents) == game.intents.maxlen:
            game.dropped_intents += 1
            engine.stats.dropped_intents += 1
        game.intents.append((name, intent))

    def _chat(self, game: LiveGame, name: str, intent: dict) -> None:
        chat = {"type": "chat", "username": name, "message": intent["message"], "room": intent.get("room", "player")}
        if chat["room"] == "spectator":
            # Unversioned and never to the players (in chess it would let spectators feed
            # hints); spectators miss none of the versioned events for it.
            self.engine.outbox.to_game(game.game_id, spectator_chat_message(chat))
        else:
            self.engine.emit(game, Event(chat))

    def _bot_move(self, message: dict) -> None:
        """A bot's move, chosen off the engine thread for the position at `ply`."""
        game = self._game_of(message)
        if game is None or game.ended_at is not None:
            return
        seat, ply, uci = str(message["seat"]), int(message["ply"]), str(message["uci"])
        now = self.engine.clock()
        self.engine.play(game, now, f"bot move by {seat}", lambda: game.session.bot_move(seat, ply, uci, now))

    def _presence(self, message: dict) -> None:
        """One player socket opened or closed in a web process."""
        now = self.engine.clock()
        seat = (str(message["game_id"]), str(message["username"]))
        delta = 1 if message["connected"] else -1
        flips = self.engine.presence.change(
            process=str(message["process"]), seq=int(message["seq"]), seat=seat, delta=delta, now=now
        )
        self.apply_presence(flips, now)

    def _presence_report(self, message: dict) -> None:
        """Every player socket a web process has open: keeps presence true across restarts."""
        now = self.engine.clock()
        seats = [(str(game_id), str(name)) for game_id, name in message["sockets"]]
        flips = self.engine.presence.report(process=str(message["process"]), seq=int(message["seq"]), seats=seats, now=now)
        self.apply_presence(flips, now)

    def apply_presence(self, flips: list[Flip], now: float) -> None:
        """Tells the rules when a player's first socket arrived or last socket left."""
        for (game_id, name), connected in flips:
            game = self.engine.games.get(game_id)
            if game is None or game.ended_at is not None:
                continue
            self.engine.play(game, now, f"presence of {name}", partial(game.session.presence, name, connected, now))

    def _persisted(self, message: dict) -> None:
        """The store saved (or failed to save) the record of event `v`: what it held back leaves."""
        engine, game = self.engine, self._game_of(message)
        if game is None:
            return
        now = engine.clock()
        engine.publish_released(game, game.confirm(message["v"], now))
        if not message["saved"] and game.ended_at is None:
            logger.error(
                "game %s: the store could not save event %d; ending the game",
                game.game_id,
                message["v"],
                extra={"game_id": game.game_id},
            )
            engine.abort(game, now)

    def _adopted(self, message: dict) -> None:
        """The caretaker has started the games it adopted: what waited for them goes in now."""
        if self.engine.hold is not None:
            for held in self.engine.hold.release(list(message["game_ids"])):
                self.engine.handle(held)

    def _orphaned(self, message: dict) -> None:
        game_id = str(message["game_id"])
        outcome = Outcome(status=message["status"], reason=message["reason"], winner=None)
        self.engine.orphans.add(game_id, outcome, self.engine.clock())
        self.engine.outbox.head(game_id, ORPHAN_HEAD)

    def _sync(self, message: dict) -> None:
        """Answers a (re)connecting socket with the events it missed, or with a fresh gameState."""
        engine = self.engine
        reply_to = message.get("reply_channel")
        game_id, seen = str(message.get("game_id")), message.get("v")
        game = engine.games.get(game_id)
        if game is not None:
            engine.outbox.reply(reply_to, sync_message(known=True, events=game.missed_since(seen, engine.clock())))
            return
        # The socket's versions came from the process that ran the game: its end follows them.
        end = engine.orphans.end_after(game_id, seen) if isinstance(seen, int) else None
        engine.outbox.reply(reply_to, sync_message(known=end is not None, events=[end] if end else []))

    _handlers: ClassVar[dict[str, Callable[[Inbound, dict], None]]] = {
        "engine.intent": _intent,
        "engine.sync": _sync,
        "engine.bot_move": _bot_move,
        "engine.presence": _presence,
        "engine.presence_report": _presence_report,
        "engine.orphaned": _orphaned,
        "engine.persisted": _persisted,
        "engine.adopted": _adopted,
    }

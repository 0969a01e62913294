"""The ticks of one loop iteration: every game due, each with the intents queued for it. Sessions
of a kind that ticks together (`tick_together`, as Snake's moves every board at once) take one
call for all their games; the others tick one by one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.games.effects import Effect, GameSession
from engine.live_game import LiveGame

# A game's effects, or what its session raised.
Ticked = list[Effect] | Exception
TickTogether = Callable[[Sequence[tuple[GameSession, list[tuple[str, dict]]]], float], list[Ticked]]


def tick_games(games: list[LiveGame], now: float) -> list[tuple[LiveGame, Ticked]]:
    groups: dict[TickTogether | None, list[LiveGame]] = {}
    for game in games:
        groups.setdefault(getattr(type(game.session), "tick_together", None), []).append(game)
    ticked: list[tuple[LiveGame, Ticked]] = []
    for tick_together, group in groups.items():
        turns = [(game.session, _take_intents(game)) for game in group]
        if tick_together is None:
            ticked += [(game, _tick(session, intents, now)) for game, (session, intents) in zip(group, turns, strict=True)]
            continue
        try:
            paired = list(zip(group, tick_together(turns, now), strict=True))
            ticked += paired
        except Exception as error:  # only a bug in the kind's shared step: it stops all of them
            ticked += [(game, error) for game in group]
    return ticked


def _take_intents(game: LiveGame) -> list[tuple[str, dict]]:
    intents = list(game.intents)
    game.intents.clear()
    return intents


def _tick(session: GameSession, intents: list[tuple[str, dict]], now: float) -> Ticked:
    try:
        return session.tick(intents, now)
    except Exception as error:
        return error

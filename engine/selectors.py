"""Reads about games and the engine."""

from __future__ import annotations

import re
import time

from django.conf import settings

from engine.models import Game

GAME_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")


def game_get(*, game_id: str) -> Game | None:
    if not GAME_ID_PATTERN.match(game_id or ""):
        return None
    return Game.objects.filter(pk=game_id).first()


def game_usernames(*, game: Game) -> list[str]:
    return list(game.seats.order_by("slot").values_list("user__username", flat=True))


def game_summary(*, game: Game) -> dict:
    seats = list(game.seats.select_related("user").order_by("slot"))
    return {
        "id": game.id,
        "game": game.kind,
        "mode": game.mode,
        "status": game.status,
        "reason": game.reason or None,
        "winner": game.winner.username if game.winner_id else None,
        "players": [{"username": seat.user.username, "score": seat.score} for seat in seats],
        "settings": game.settings,
        "result": game.result,
        "created_at": game.created_at.isoformat(),
        "ended_at": game.ended_at.isoformat() if game.ended_at else None,
    }


def games_live(*, limit: int = 50) -> list[dict]:
    games = Game.objects.filter(status=Game.Status.STARTED).prefetch_related("seats__user").order_by("-created_at")[:limit]
    return [
        {
            "id": game.id,
            "game": game.kind,
            "mode": game.mode,
            "players": [seat.user.username for seat in game.seats.all()],
            "created_at": game.created_at.isoformat(),
        }
        for game in games
    ]


def finished_game_state(*, game: Game) -> dict:
    """The gameState of a game the engine no longer holds, from what the database kept."""
    summary = game_summary(game=game)
    result = game.result or {}
    return {
        "type": "gameState",
        "v": result.get("last_v", 0),
        "game": game.kind,
        "game_id": game.id,
        "mode": game.mode,
        "status": game.status,
        "players": summary["players"],
        "result": {"reason": summary["reason"], "winner": summary["winner"], "scores": result.get("scores", {})},
        "settings": game.settings,
    }


def engine_health() -> tuple[bool, dict]:
    """Whether the engine has ticked recently, and what it last reported."""
    from engine import runtime

    stats = runtime.heartbeat_reader().read()
    max_age = settings.KOGAME["HEARTBEAT_MAX_AGE_SECONDS"]
    if stats is None:
        return False, {"alive": False, "last_beat_age_s": None}
    age = max(0.0, time.time() - stats["at"])
    alive = age <= max_age
    return alive, {"alive": alive, "last_beat_age_s": round(age, 3), **{k: v for k, v in stats.items() if k != "at"}}

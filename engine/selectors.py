"""Reads about games and the engine."""

from __future__ import annotations

import datetime
import re
import time

from django.conf import settings

from engine.games.chess import storage as chess_storage
from engine.games.effects import Seat
from engine.kind_storage import storage_of
from engine.models import Game, GamePlayer
from engine.wire import game_state_message

GAME_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")


def game_get(*, game_id: str) -> Game | None:
    if not GAME_ID_PATTERN.match(game_id or ""):
        return None
    return Game.objects.filter(pk=game_id).first()


def _seat_rows(game: Game) -> list[GamePlayer]:
    return list(game.seats.select_related("user").order_by("slot"))


def game_seats(*, game: Game) -> list[Seat]:
    return [row.seat for row in _seat_rows(game)]


def _winning_slots(rows: list[GamePlayer]) -> list[int]:
    return [row.slot for row in rows if row.is_winner]


def game_summary(*, game: Game) -> dict:
    rows = _seat_rows(game)
    seats = [row.seat for row in rows]
    winners = _winning_slots(rows)
    return {
        "id": game.id,
        "game": game.kind,
        "mode": game.mode,
        "status": game.status,
        "reason": game.reason or None,
        "winner": seats[winners[0]].name if winners else None,
        "winner_seats": winners,
        "players": [{"username": seat.name, "bot": seat.bot, "score": row.score} for seat, row in zip(seats, rows, strict=True)],
        "settings": game.settings,
        "result": game.result,
        "created_at": game.created_at.isoformat(),
        "ended_at": game.ended_at.isoformat() if game.ended_at else None,
        **storage_of(game.kind).summary(game, seats),
    }


def game_pgn(*, game: Game) -> str:
    """The PGN of a chess game (PGN is chess' own format)."""
    return chess_storage.pgn(game, game_seats(game=game))


def live_game_ids(*, created_before: datetime.datetime) -> list[str]:
    """Live games created before `created_before` (older than any assignment still under way)."""
    return list(Game.objects.filter(status=Game.Status.STARTED, created_at__lt=created_before).values_list("id", flat=True))


def games_live(*, limit: int = 50) -> list[dict]:
    games = Game.objects.filter(status=Game.Status.STARTED).prefetch_related("seats__user").order_by("-created_at")[:limit]
    return [
        {
            "id": game.id,
            "game": game.kind,
            "mode": game.mode,
            "players": [seat.name for seat in game.seats.all()],
            "created_at": game.created_at.isoformat(),
        }
        for game in games
    ]


def finished_game_state(*, game: Game) -> dict:
    """The gameState of a game the engine no longer holds, from what the database kept, built by
    its kind's one state builder."""
    rows = _seat_rows(game)
    seats = [row.seat for row in rows]
    winners = _winning_slots(rows)
    storage = storage_of(game.kind)
    saved = game.result or {}
    result = {
        "reason": game.reason or None,
        "winner": storage.winner_label(seats, winners),
        "winner_seats": winners,
        "scores": saved.get("scores", {}),
    }
    return game_state_message(
        v=saved.get("last_v", 0),
        kind=game.kind,
        game_id=game.id,
        mode=game.mode,
        status=game.status,
        result=result,
        body=storage.finished_state(game, seats, winners),
    )


def engine_health() -> tuple[bool, dict]:
    """Whether every live game has an engine worker that ticks, and what each worker reported.
    The figures of all workers are added up (lateness: the worst of them)."""
    from engine import runtime

    if settings.EMBEDDED_ENGINE:
        stats = runtime.memory_heartbeat().read()
        workers = [] if stats is None else [_embedded_worker(stats)]
        without_owner = 0
    else:
        workers, without_owner = runtime.worker_directory().read()
    max_age_ms = settings.KOGAME["HEARTBEAT_MAX_AGE_SECONDS"] * 1000  # type: ignore[operator]  # a float
    ages = [worker["last_tick_age_ms"] for worker in workers if worker["last_tick_age_ms"] is not None]
    alive = any(age <= max_age_ms for age in ages)
    body = {
        "alive": alive,
        "last_beat_age_s": round(min(ages) / 1000, 3) if ages else None,
        "lease_ms": settings.LEASE_MS,
        "workers": [{key: worker[key] for key in ("id", "games", "last_tick_age_ms", "lag_ms")} for worker in workers],
        "games_without_owner": without_owner,
        **_totals([worker["figures"] for worker in workers]),
        "games": sum(worker["games"] for worker in workers),
    }
    return alive and without_owner == 0, body


def _embedded_worker(stats: dict) -> dict:
    age_ms = max(0, round((time.time() - stats["at"]) * 1000))
    return {
        "id": "embedded",
        "games": stats.get("games", 0),
        "last_tick_age_ms": age_ms,
        "lag_ms": stats.get("lag_ms", 0.0),
        "figures": stats,
    }


def _totals(figures: list[dict]) -> dict:
    """Counters added up over the workers; durations (`*_ms`) the worst of them."""
    totals: dict = {}
    for entry in figures:
        for key, value in entry.items():
            if key in ("at", "games", "lag_ms"):
                continue
            if isinstance(value, dict):
                totals[key] = _totals([totals.get(key, {}), value])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                totals[key] = max(totals.get(key, 0), value) if key.endswith("_ms") else totals.get(key, 0) + value
    return totals

"""Writes about games. Keyword-only, validated with full_clean() before save(), atomic."""

from __future__ import annotations

import secrets
from typing import Sequence

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from engine.models import Game, GamePlayer
from engine.rules.snake import SnakeConfig

User = get_user_model()


@transaction.atomic
def game_create(*, kind: str, users: Sequence[User], settings: dict, mode: str = Game.Mode.MATCH) -> Game:
    if kind == Game.Kind.SNAKE:
        settings = SnakeConfig.from_settings({**settings, "arena": mode == Game.Mode.ARENA}).to_settings()
    game = Game(kind=kind, mode=mode, settings=settings, seed=secrets.randbits(48))
    game.full_clean()
    game.save()
    for slot, user in enumerate(users):
        seat = GamePlayer(game=game, user=user, slot=slot)
        seat.full_clean()
        seat.save()
    return game


def game_start_message(*, game: Game, usernames: Sequence[str]) -> dict:
    """The engine.start_game message for a game just created."""
    return {
        "type": "engine.start_game",
        "game_id": game.id,
        "kind": game.kind,
        "mode": game.mode,
        "players": list(usernames),
        "settings": game.settings,
        "seed": game.seed,
    }


def arena_get_or_create() -> Game:
    """The one live public Snake arena, made when there is none."""
    existing = Game.objects.filter(kind=Game.Kind.SNAKE, mode=Game.Mode.ARENA, status=Game.Status.STARTED).first()
    if existing is not None:
        return existing
    try:
        return game_create(kind=Game.Kind.SNAKE, mode=Game.Mode.ARENA, users=[], settings={"countdown_ticks": 0})
    except IntegrityError:
        # Another process made it between our read and our write.
        return Game.objects.get(kind=Game.Kind.SNAKE, mode=Game.Mode.ARENA, status=Game.Status.STARTED)


@transaction.atomic
def game_record_end(
    *,
    game_id: str,
    status: str,
    reason: str,
    winner_username: str | None,
    scores: dict[str, int],
    last_v: int,
) -> Game | None:
    game = Game.objects.select_for_update().filter(pk=game_id).first()
    if game is None:
        return None
    game.status = status
    game.reason = reason
    game.winner = User.objects.filter(username=winner_username).first() if winner_username else None
    game.result = {"scores": scores, "last_v": last_v}
    game.ended_at = timezone.now()
    game.full_clean()
    game.save()
    for seat in game.seats.select_related("user"):
        if seat.user.username in scores:
            seat.score = scores[seat.user.username]
            seat.full_clean()
            seat.save(update_fields=["score"])
    return game


@transaction.atomic
def games_abort_orphaned() -> int:
    """Ends games a previous engine process left live: their state died with that process."""
    return Game.objects.filter(status=Game.Status.STARTED).update(
        status=Game.Status.ABORTED, reason="server_restart", ended_at=timezone.now()
    )

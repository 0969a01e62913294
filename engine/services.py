"""Writes about games. Keyword-only, validated with full_clean() before save(), atomic."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from engine.models import ChessMove, Game, GamePlayer
from engine.rules.chess_clock import TimeControl
from engine.rules.snake import SnakeConfig

if TYPE_CHECKING:
    from players.models import User  # AUTH_USER_MODEL
else:
    User = get_user_model()


def _clean_settings(kind: str, mode: str, settings: dict) -> dict:
    if kind == Game.Kind.SNAKE:
        return SnakeConfig.from_settings({**settings, "arena": mode == Game.Mode.ARENA}).to_settings()
    if set(settings) != {"tc"}:
        raise ValueError('chess settings are exactly {"tc": "<minutes>+<increment>"}')
    return {"tc": TimeControl.parse(settings["tc"]).label}


@transaction.atomic
def game_create(
    *,
    kind: str,
    users: Sequence[User],
    settings: dict,
    mode: str = Game.Mode.MATCH,
    game_id: str | None = None,
) -> Game:
    """Creates a game with its players in seat order (chess: white first)."""
    game = Game(kind=kind, mode=mode, settings=_clean_settings(kind, mode, settings), seed=secrets.randbits(48))
    if game_id is not None:
        game.id = game_id
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
    final_clock: dict[str, int] | None = None,
) -> Game | None:
    """Saves how a game ended; `final_clock` is chess' {"white": ms, "black": ms} at the end."""
    game = Game.objects.select_for_update().filter(pk=game_id).first()
    if game is None:
        return None
    game.status = status
    game.reason = reason
    game.winner = User.objects.filter(username=winner_username).first() if winner_username else None
    game.result = {"scores": scores, "last_v": last_v}
    game.ended_at = timezone.now()
    if final_clock is not None:
        game.final_white_ms, game.final_black_ms = final_clock["white"], final_clock["black"]
    game.full_clean()
    game.save()
    for seat in game.seats.select_related("user"):
        if seat.user.username in scores:
            seat.score = scores[seat.user.username]
            seat.full_clean()
            seat.save(update_fields=["score"])
    return game


@transaction.atomic
def games_recover_after_restart() -> list[dict]:
    """For the games a previous engine process left live: chess games go on from their saved
    moves (returned as engine.start_game messages); Snake games, whose boards lived only in that
    process, end as aborted with reason "server_restart" (returned as engine.orphaned messages,
    so the engine tells their still-connected players)."""
    live = Game.objects.select_for_update().filter(status=Game.Status.STARTED)
    orphaned = list(live.exclude(kind=Game.Kind.CHESS).values_list("id", flat=True))
    live.exclude(kind=Game.Kind.CHESS).update(status=Game.Status.ABORTED, reason="server_restart", ended_at=timezone.now())
    messages = [
        {"type": "engine.orphaned", "game_id": game_id, "status": Game.Status.ABORTED.value, "reason": "server_restart"}
        for game_id in orphaned
    ]
    for game in live.filter(kind=Game.Kind.CHESS).prefetch_related("seats__user", "chess_moves"):
        message = game_start_message(game=game, usernames=[seat.user.username for seat in game.seats.all()])
        saved = list(game.chess_moves.all())
        message["saved_moves"] = [[move.uci, move.white_ms, move.black_ms, move.spent_ms] for move in saved]
        message["resume_after_v"] = max((move.v for move in saved), default=0) + 1
        messages.append(message)
    return messages


def _chess_move(
    *,
    game_id: str,
    ply: int,
    uci: str,
    san: str,
    white_ms: int,
    black_ms: int,
    spent_ms: int,
    lag_comp_ms: int,
    v: int,
) -> ChessMove:
    """A validated, unsaved move: saved alone or with others in one INSERT."""
    move = ChessMove(
        game_id=game_id,
        v=v,
        ply=ply,
        uci=uci,
        san=san,
        white_ms=white_ms,
        black_ms=black_ms,
        spent_ms=spent_ms,
        lag_comp_ms=lag_comp_ms,
    )
    # The database enforces the game's foreign key and one move per ply; checking both here
    # took two extra queries per move and halved the worker's move throughput (bench/chess_latency.py).
    move.full_clean(exclude={"game"}, validate_constraints=False)
    return move


@transaction.atomic
def chess_takeback_record(*, game_id: str, ply: int) -> int:
    """Removes the moves after `ply` (a takeback)."""
    deleted, _ = ChessMove.objects.filter(game_id=game_id, ply__gt=ply).delete()
    return deleted


@transaction.atomic
def engine_records_save(*, records: list[tuple[str, dict]]) -> None:
    """Saves records in their order in one transaction: one commit for a whole batch, and one
    INSERT for each run of consecutive moves."""
    moves: list[ChessMove] = []
    for game_id, record in records:
        if record["op"] == "move":
            moves.append(_chess_move(game_id=game_id, **{k: v for k, v in record.items() if k != "op"}))
            continue
        if moves:
            ChessMove.objects.bulk_create(moves)
            moves = []
        engine_record_save(game_id=game_id, record=record)
    if moves:
        ChessMove.objects.bulk_create(moves)


@transaction.atomic
def engine_record_save(*, game_id: str, record: dict) -> None:
    """Saves one record an engine event depends on (see GameSession.apply)."""
    fields = {k: v for k, v in record.items() if k not in ("op", "v")}
    if record["op"] == "move":
        _chess_move(game_id=game_id, v=record["v"], **fields).save()
    elif record["op"] == "takeback":
        chess_takeback_record(game_id=game_id, **fields)
    elif record["op"] == "create_game":
        users = [User.objects.get(username=name) for name in fields["players"]]
        game_create(kind=fields["kind"], users=users, settings=fields["settings"], game_id=fields["game_id"])
    else:
        raise ValueError(f"unknown record op {record['op']!r}")

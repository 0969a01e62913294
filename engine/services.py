"""Writes about games. Keyword-only, validated with full_clean() before save(), atomic."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from engine.games import KINDS
from engine.games.effects import GameCreated, Record, Seat
from engine.kind_storage import KindStorage, storage_of, storage_of_record
from engine.models import Game, GamePlayer

if TYPE_CHECKING:
    from players.models import User  # AUTH_USER_MODEL
else:
    User = get_user_model()


@transaction.atomic
def game_create(
    *,
    kind: str,
    users: Sequence[User],
    settings: dict,
    bots: Sequence[str] = (),
    bots_first: bool = False,
    mode: str = Game.Mode.MATCH,
    game_id: str | None = None,
) -> Game:
    """Creates a game with its seats: the users in order (chess: white first), then a bot of each
    level in `bots`; or the bots first (a person playing black against a bot)."""
    game_kind = KINDS[kind]
    game = Game(kind=kind, mode=mode, settings=game_kind.clean_settings(mode, settings), seed=secrets.randbits(48))
    if game_id is not None:
        game.id = game_id
    seat_count = len(users) + len(bots)
    if mode == Game.Mode.MATCH and not game_kind.min_seats <= seat_count <= game_kind.max_seats:
        raise ValueError(f"a {kind} game has {game_kind.min_seats} to {game_kind.max_seats} seats, not {seat_count}")
    game.full_clean()
    game.save()
    first_person, first_bot = (len(bots), 0) if bots_first else (0, len(users))
    people = [GamePlayer(game=game, user=user, slot=first_person + index) for index, user in enumerate(users)]
    robots = [GamePlayer(game=game, bot_level=level, slot=first_bot + index) for index, level in enumerate(bots)]
    seats = people + robots
    for seat in seats:
        # The seats are made right here, a person or a bot each in a slot of its own, for a game
        # just saved: the key, uniqueness and person-or-bot checks (the database enforces them too)
        # would cost four queries a seat, and matchmaking makes hundreds of games a second.
        seat.full_clean(exclude=["game", "user"], validate_unique=False, validate_constraints=False)
    GamePlayer.objects.bulk_create(seats)
    return game


def _seat_records(seats: Sequence[Seat]) -> tuple[list[User], list[str], bool]:
    """A GameCreated record's seats as game_create takes them: people, bots, and whether the bots
    sit first (a rematch swaps the colours)."""
    people = [seat for seat in seats if seat.bot is None]
    robots = [seat for seat in seats if seat.bot is not None]
    bots_first = bool(robots) and robots[0].index == 0
    order = robots + people if bots_first else people + robots
    if [seat.index for seat in order] != list(range(len(seats))):
        raise ValueError("a new game's people and bots must each sit together")
    by_name = User.objects.in_bulk([seat.name for seat in people], field_name="username")
    return [by_name[seat.name] for seat in people], [str(seat.bot) for seat in robots], bots_first


def game_start_message(*, game: Game) -> dict:
    """The engine.start_game message for a game just created (or resumed)."""
    return {
        "type": "engine.start_game",
        "game_id": game.id,
        "kind": game.kind,
        "mode": game.mode,
        "seats": [seat.seat.to_message() for seat in game.seats.select_related("user")],
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


def _fenced(game: Game, worker_id: str | None) -> bool:
    """Whether `worker_id` lost `game` to a worker that adopted it (None: the only engine)."""
    return worker_id is not None and game.worker not in ("", worker_id)


@transaction.atomic
def game_record_end(
    *,
    game_id: str,
    status: str,
    reason: str,
    winner_seats: Sequence[int],
    scores: dict[str, int],
    last_v: int,
    final_clock: dict[str, int] | None = None,
    worker_id: str | None = None,
) -> Game | None:
    """Saves how a game ended: `scores` by seat name, `final_clock` chess' {"white": ms, "black": ms}
    at the end. Nothing, if `worker_id` no longer owns the game."""
    game = Game.objects.select_for_update().filter(pk=game_id).first()
    if game is None or _fenced(game, worker_id):
        return None
    game.status = status
    game.reason = reason
    game.result = {"scores": scores, "last_v": last_v}
    game.ended_at = timezone.now()
    if final_clock is not None:
        game.final_white_ms, game.final_black_ms = final_clock["white"], final_clock["black"]
    game.full_clean()
    game.save()
    for seat in game.seats.select_related("user"):
        seat.score = scores.get(seat.name, seat.score)
        seat.is_winner = seat.slot in winner_seats
        seat.full_clean()
        seat.save(update_fields=["score", "is_winner"])
    return game


@transaction.atomic
def games_adopt(
    *, game_ids: Sequence[str] | None = None, worker_id: str = "", frozen: dict[str, dict] | None = None
) -> list[dict]:
    """For live games whose engine process is gone (`game_ids`, or every live game when None: a
    lone engine starting): games of a resumable kind (chess) go on from their saved records (and
    their turn in progress, if in `frozen`), other games in `frozen` (Snake, {game id: {"v": last
    version, "frozen": board}}) from their board (both returned as engine.start_game messages);
    the others end as aborted with reason "server_restart" (returned as engine.orphaned messages,
    so the engine tells their still-connected players). Games no longer live get no message.
    From now on only `worker_id` may save them (the rows stay locked until this commits, so a
    save of the worker that lost them lands before and is read here, or is refused after)."""
    live = Game.objects.select_for_update().filter(status=Game.Status.STARTED)
    if game_ids is not None:
        live = live.filter(pk__in=list(game_ids))
    live.update(worker=worker_id)
    frozen = frozen or {}
    resumable = [name for name, kind in KINDS.items() if kind.resumable]
    lost = live.exclude(kind__in=resumable).exclude(pk__in=list(frozen))
    orphaned = list(lost.values_list("id", flat=True))
    lost.update(status=Game.Status.ABORTED, reason="server_restart", ended_at=timezone.now())
    messages = [
        {"type": "engine.orphaned", "game_id": game_id, "status": Game.Status.ABORTED.value, "reason": "server_restart"}
        for game_id in orphaned
    ]
    for game in live.filter(kind__in=resumable):
        message = {**game_start_message(game=game), **storage_of(game.kind).resume_fields(game)}
        if game.id in frozen:
            message["frozen"] = frozen[game.id]["frozen"]
        messages.append(message)
    for game in live.filter(pk__in=list(frozen)).exclude(kind__in=resumable):
        snapshot = frozen[game.id]
        messages.append({**game_start_message(game=game), "frozen": snapshot["frozen"], "resume_after_v": snapshot["v"]})
    return messages


@transaction.atomic
def engine_records_save(*, records: list[tuple[str, Record, int]], worker_id: str | None = None) -> set[str]:
    """Saves (game id, record, event version) in their order in one transaction: one commit for a
    whole batch; each run of one kind's records goes to that kind's storage together (chess
    makes one INSERT of a run of moves). Answers the games whose records were refused because
    `worker_id` no longer owns them (their rows stay locked until the commit)."""
    game_ids = {game_id for game_id, record, _ in records if not isinstance(record, GameCreated)}
    games = Game.objects.select_for_update().filter(pk__in=game_ids).only("id", "worker")
    refused = {game.id for game in games if _fenced(game, worker_id)}
    run: list[tuple[str, Record, int]] = []
    for entry in records if not refused else [entry for entry in records if entry[0] not in refused]:
        if run and _saver_of(run[-1][1]) is not _saver_of(entry[1]):
            _save_run(run)
            run = []
        run.append(entry)
    if run:
        _save_run(run)
    return refused


def _saver_of(record: Record) -> KindStorage | None:
    """The kind storage that saves `record`; None for the engine's own GameCreated."""
    return None if isinstance(record, GameCreated) else storage_of_record(record)


def _save_run(run: list[tuple[str, Record, int]]) -> None:
    saver = _saver_of(run[0][1])
    if saver is not None:
        saver.save_records(run)
        return
    for _, record, _ in run:
        assert isinstance(record, GameCreated)
        users, bots, bots_first = _seat_records(record.seats)
        game_create(
            kind=record.kind, users=users, bots=bots, bots_first=bots_first, settings=record.settings, game_id=record.game_id
        )


@transaction.atomic
def engine_record_save(*, game_id: str, record: Record, v: int, worker_id: str | None = None) -> bool:
    """Saves one record an engine event depends on (see engine.games.effects.Event); False if it
    was refused (see engine_records_save)."""
    return not engine_records_save(records=[(game_id, record, v)], worker_id=worker_id)

"""Writes about players and the matchmaking queue."""

from __future__ import annotations

import random
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from engine import services as game_services
from engine.models import Game
from players.models import QueueSeat, WebProcessLease

User = get_user_model()


@transaction.atomic
def guest_create() -> User:
    # last_login from the start, so a guest's idle time is measurable (guest_purge_stale).
    user = User(username=f"guest-{secrets.token_hex(4)}", is_guest=True, last_login=timezone.now())
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


def guest_purge_stale(*, max_age: timedelta, batch_size: int = 500) -> int:
    """Deletes guests idle for `max_age` (since their last login, or creation if they never
    logged in) who never sat at a game and hold no queue seat. Returns how many.

    One transaction per batch rather than one for all: a backlog left by crawlers can be large,
    and a single transaction would lock every row it deletes until the end.
    """
    cutoff = timezone.now() - max_age
    deleted = 0
    while True:
        in_batch = _guest_purge_batch(cutoff=cutoff, batch_size=batch_size)
        deleted += in_batch
        if in_batch < batch_size:
            return deleted


@transaction.atomic
def _guest_purge_batch(*, cutoff: datetime, batch_size: int) -> int:
    stale = User.objects.filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff),
        is_guest=True,
        # Game seats are history (results, PGNs, scores): a guest who ever played is kept.
        game_seats__isnull=True,
        queue_seats__isnull=True,
    )
    batch = list(stale.values_list("pk", flat=True)[:batch_size])
    _, per_model = User.objects.filter(pk__in=batch).delete()
    return per_model.get(User._meta.label, 0)


# Three missed reports of a web process (players.web_process.REPORT_SECONDS) end its lease.
WEB_PROCESS_LEASE_SECONDS = 6.0


@transaction.atomic
def web_process_lease_renew(*, process_id: str) -> WebProcessLease:
    lease = WebProcessLease(id=process_id, expires_at=timezone.now() + timedelta(seconds=WEB_PROCESS_LEASE_SECONDS))
    lease.full_clean(validate_unique=False)
    lease.save()
    return lease


@transaction.atomic
def web_process_lease_end(*, process_id: str) -> None:
    """A web process that stops gives up its lease, and with it its queue seats."""
    WebProcessLease.objects.filter(id=process_id).delete()


@transaction.atomic
def web_process_leases_expire() -> int:
    """Removes the leases of web processes that stopped renewing them, and with them their seats."""
    _, by_model = WebProcessLease.objects.filter(expires_at__lt=timezone.now()).delete()
    return by_model.get(WebProcessLease._meta.label, 0)


@transaction.atomic
def queue_join(*, user: User, kind: str, time_control: str, channel_name: str, process_id: str) -> str | None:
    """Takes (or takes over) the user's seat for `kind`. Returns the channel of the socket that
    held the seat before, which must now be closed, or None. A seat taken over keeps its match,
    if it had one, for the new socket to announce."""
    lease = web_process_lease_renew(process_id=process_id)
    seat = QueueSeat.objects.select_for_update().filter(user=user, kind=kind).first()
    if seat is None:
        seat = QueueSeat(user=user, kind=kind, time_control=time_control, channel_name=channel_name, process=lease)
        _clean_seat(seat)
        seat.save()
        return None
    previous = seat.channel_name
    seat.channel_name = channel_name
    seat.process = lease
    if seat.matched_game_id is None:
        seat.time_control = time_control
    _clean_seat(seat)
    seat.save()
    return previous if previous != channel_name else None


def queue_matches_told(*, channel_names: Collection[str]) -> int:
    """Gives up the matched seats whose sockets (named by channel) have told their players: one
    query for a whole round's announcements. A seat taken over meanwhile by another socket of its
    user has that socket's channel, and stays for it to announce. Returns how many went."""
    deleted, _ = QueueSeat.objects.filter(channel_name__in=channel_names, matched_game__isnull=False).delete()
    return deleted


def _clean_seat(seat: QueueSeat) -> None:
    # The user and the lease were just read, and the one seat per user and kind was looked up under
    # a row lock: their checks (three queries, the database enforces them too) are left out of
    # what every queue join pays.
    seat.full_clean(exclude=["user", "process", "matched_game"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def queue_leave(*, user: User, kind: str, channel_name: str) -> None:
    # Only the socket that holds the seat may give it up: a replaced socket must not.
    QueueSeat.objects.filter(user=user, kind=kind, channel_name=channel_name).delete()


@transaction.atomic
def queue_match_snake(*, full_table: int, wait_seconds: float) -> tuple[Game, list[tuple[str, str]]] | None:
    """Seats the oldest waiting Snake players at one game if there are enough of them.

    The seats are claimed with row locks that other matchers skip, and marked matched in the same
    transaction that creates the game, so concurrent matchers (in any web process) never hand one
    seat to two games; each seat then stays until its socket has told its player
    (`queue_matches_told`). A full table starts at once; two or more start once the oldest has waited
    `wait_seconds`. Returns the game and its players' (username, queue channel), or None.
    """
    seats = list(
        QueueSeat.objects.select_for_update(skip_locked=True)
        .filter(kind=QueueSeat.Kind.SNAKE, matched_game__isnull=True)
        .select_related("user")
        .order_by("created_at", "pk")[:full_table]
    )
    if len(seats) < 2:
        return None
    waited_enough = seats[0].created_at <= timezone.now() - timedelta(seconds=wait_seconds)
    if len(seats) < full_table and not waited_enough:
        return None
    users = [seat.user for seat in seats]
    game = game_services.game_create(kind=Game.Kind.SNAKE, users=users, settings={})
    QueueSeat.objects.filter(pk__in=[seat.pk for seat in seats]).update(matched_game=game)
    return game, [(seat.user.username, seat.channel_name) for seat in seats]


@transaction.atomic
def queue_play_with_bots(*, user: User, channel_name: str, table: int, bot_level: str) -> Game | None:
    """Seats a waiting Snake player at a game with bots filling the table (the queue's offer to
    someone who waited alone). None if the seat is gone or was matched meanwhile; the seat is
    then marked matched like any other, for the socket to announce."""
    seat = (
        QueueSeat.objects.select_for_update()
        .filter(user=user, kind=QueueSeat.Kind.SNAKE, channel_name=channel_name, matched_game__isnull=True)
        .first()
    )
    if seat is None:
        return None
    game = game_services.game_create(kind=Game.Kind.SNAKE, users=[user], bots=[bot_level] * (table - 1), settings={})
    seat.matched_game = game
    seat.full_clean()
    seat.save(update_fields=["matched_game"])
    return game


@transaction.atomic
def queue_match_chess(*, time_control: str) -> tuple[Game, list[tuple[str, str]]] | None:
    """Pairs the two oldest chess players waiting with the same time control, colours at random.
    Claimed with skip-locked row locks like Snake, so no seat is ever paired twice."""
    seats = list(
        QueueSeat.objects.select_for_update(skip_locked=True)
        .filter(kind=QueueSeat.Kind.CHESS, time_control=time_control, matched_game__isnull=True)
        .select_related("user")
        .order_by("created_at", "pk")[:2]
    )
    if len(seats) < 2:
        return None
    random.shuffle(seats)
    game = game_services.game_create(
        kind=Game.Kind.CHESS, users=[seat.user for seat in seats], settings={"tc": time_control}
    )
    QueueSeat.objects.filter(pk__in=[seat.pk for seat in seats]).update(matched_game=game)
    return game, [(seat.user.username, seat.channel_name) for seat in seats]


Match = tuple[Game, list[tuple[str, str]]]


def queue_match_round(*, full_table: int, wait_seconds: float, most_games: int) -> list[Match]:
    """One matchmaking round over the whole queue: removes the seats of dead web processes, then
    seats every Snake table and chess pair it can, at most `most_games` games. Each game is made
    in a transaction of its own, so the seats it takes stay locked only while it is made."""
    web_process_leases_expire()
    matches: list[Match] = []
    while len(matches) < most_games and (match := queue_match_snake(full_table=full_table, wait_seconds=wait_seconds)):
        matches.append(match)
    waiting = (
        QueueSeat.objects.filter(kind=QueueSeat.Kind.CHESS, matched_game__isnull=True)
        .values("time_control")
        .annotate(seats=Count("pk"))
        .filter(seats__gte=2)
    )
    for time_control in [row["time_control"] for row in waiting]:
        while len(matches) < most_games and (match := queue_match_chess(time_control=time_control)):
            matches.append(match)
    return matches


def queue_matched_seats(*, process_id: str) -> list[tuple[str, str]]:
    """(queue channel, game id) of this web process's seats that are matched and not yet told."""
    seats = QueueSeat.objects.filter(process_id=process_id, matched_game__isnull=False)
    return [(channel, str(game_id)) for channel, game_id in seats.values_list("channel_name", "matched_game_id")]

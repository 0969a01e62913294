"""The database store: records saved in batches, in order, one bad record failing alone."""

import threading

import pytest

from engine import services
from engine.games.chess.records import MoveMade, MovesTakenBack
from engine.games.effects import GameCreated, Outcome, Seat
from engine.models import ChessMove, Game
from engine.store import DatabaseResultStore
from players import services as player_services

pytestmark = pytest.mark.django_db(transaction=True)


def move_record(ply: int, uci: str, v: int) -> tuple[MoveMade, int]:
    return MoveMade(ply=ply, uci=uci, san=uci, white_ms=1000, black_ms=1000, spent_ms=0, lag_comp_ms=0), v


def persist_all(store, game_id, records):
    """Persists records back to back and waits for every confirmation."""
    results = [None] * len(records)
    done = threading.Semaphore(0)

    def confirm(index):
        def on_done(saved):
            results[index] = saved
            done.release()

        return on_done

    for index, (record, v) in enumerate(records):
        store.persist(game_id, record, v, confirm(index))
    for _ in records:
        assert done.acquire(timeout=10)
    return results


@pytest.fixture
def game():
    users = [player_services.guest_create(), player_services.guest_create()]
    return services.game_create(kind="chess", users=users, settings={"tc": "3+2"})


def test_records_are_saved_in_order_including_a_takeback_between_moves(game):
    store = DatabaseResultStore()
    records = [
        move_record(1, "e2e4", 1),
        move_record(2, "e7e5", 2),
        (MovesTakenBack(ply=1), 3),
        move_record(2, "c7c5", 4),
    ]
    assert persist_all(store, game.id, records) == [True, True, True, True]
    assert list(ChessMove.objects.filter(game=game).values_list("ply", "uci")) == [(1, "e2e4"), (2, "c7c5")]
    store.close()


def test_a_bad_record_fails_alone(game):
    store = DatabaseResultStore()
    records = [move_record(1, "e2e4", 1), move_record(1, "d2d4", 2), move_record(2, "e7e5", 3)]
    assert persist_all(store, game.id, records) == [True, False, True]
    assert list(ChessMove.objects.filter(game=game).values_list("ply", "uci")) == [(1, "e2e4"), (2, "e7e5")]
    store.close()


def test_the_store_counts_what_it_saved_and_failed_by_kind_of_record(game):
    store = DatabaseResultStore()
    records = [move_record(1, "e2e4", 1), move_record(1, "d2d4", 2), (MovesTakenBack(ply=1), 3)]
    persist_all(store, game.id, records)
    store.game_ended(game.id, Outcome(status="aborted", reason="aborted", winner=None), 3)
    store.game_ended(game.id, Outcome(status="no such status", reason="aborted", winner=None), 3)
    store.close()
    assert store.figures() == {
        "records_saved": {"MoveMade": 1, "MovesTakenBack": 1},
        "records_failed": {"MoveMade": 1},
        "ends": {"saved": 1, "failed": 1},
        "pending_records": 0,
    }


def test_a_rematch_against_a_bot_is_saved_with_the_bot_playing_white(game):
    person = game.seats.get(slot=0).user
    seats = [Seat.robot(0, "hard"), Seat.person(1, person.username)]
    created = GameCreated(game_id="rematch1", kind="chess", seats=seats, settings={"tc": "3+2"})
    services.engine_records_save(records=[(game.id, created, 7)])
    rematch = Game.objects.get(pk="rematch1")
    assert [(seat.slot, seat.bot_level, seat.user_id) for seat in rematch.seats.all()] == [(0, "hard", None), (1, "", person.pk)]

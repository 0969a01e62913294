"""The clocks a chess game ended with: saved with its end, shown by the summary and the
finished game's gameState instead of the clocks of its last move."""

import pytest
from django.core.exceptions import ValidationError

from engine import selectors, services
from engine.games.chess.records import MoveMade
from engine.games.effects import Outcome
from engine.models import Game
from engine.store import DatabaseResultStore
from players import services as player_services

pytestmark = pytest.mark.django_db


def move_record(ply: int, uci: str, white_ms: int, black_ms: int) -> MoveMade:
    return MoveMade(ply=ply, uci=uci, san=uci, white_ms=white_ms, black_ms=black_ms, spent_ms=0, lag_comp_ms=0)


@pytest.fixture
def game():
    """A 0.25+0 game where white played e4, black e5 and white Nf3 with 15 s left each."""
    users = [player_services.guest_create(), player_services.guest_create()]
    game = services.game_create(kind="chess", users=users, settings={"tc": "0.25+0"})
    records = [
        move_record(1, "e2e4", 15_000, 15_000), move_record(2, "e7e5", 15_000, 15_000), move_record(3, "g1f3", 15_000, 15_000)
    ]
    services.engine_records_save(records=[(game.id, record, record.ply) for record in records])
    return game


def record_black_flagged(game: Game, final_clock: dict[str, int] | None) -> Game:
    return services.game_record_end(
        game_id=game.id,
        status="white_wins",
        reason="timeout",
        winner_seats=[0],
        scores={},
        last_v=4,
        final_clock=final_clock,
    )


def test_the_end_of_a_game_saves_its_final_clocks(game):
    record_black_flagged(game, {"white": 15_000, "black": 0})
    game.refresh_from_db()
    assert (game.final_white_ms, game.final_black_ms) == (15_000, 0)


def test_summary_and_finished_game_state_show_the_clocks_at_the_end(game):
    game = record_black_flagged(game, {"white": 15_000, "black": 0})
    assert selectors.game_summary(game=game)["clock"] == {"white": 15_000, "black": 0}
    state = selectors.finished_game_state(game=game)
    assert state["clock"] == {"white": 15_000, "black": 0, "running": None}
    # The history stays per move: the last ply is still white's Nf3.
    assert state["clock_history"][-1] == {"white": 15_000, "black": 15_000}
    assert state["turn"] == "black"


def test_a_game_ended_without_final_clocks_shows_those_of_its_last_move(game):
    # Games saved before the final clocks were, and games the engine ended on an error.
    game = record_black_flagged(game, None)
    assert (game.final_white_ms, game.final_black_ms) == (None, None)
    assert selectors.finished_game_state(game=game)["clock"] == {"white": 15_000, "black": 15_000, "running": None}


def test_final_clocks_are_both_saved_or_neither(game):
    game.final_white_ms = 0
    with pytest.raises(ValidationError, match="final_clocks_together"):
        game.full_clean()


@pytest.mark.django_db(transaction=True)
def test_the_store_saves_the_final_clocks_of_an_outcome(game):
    store = DatabaseResultStore()
    outcome = Outcome(status="black_wins", reason="timeout", winner="black", final_clock={"white": 0, "black": 14_250})
    store.game_ended(game.id, outcome, 4)
    store.close()
    game.refresh_from_db()
    assert (game.status, game.final_white_ms, game.final_black_ms) == ("black_wins", 0, 14_250)

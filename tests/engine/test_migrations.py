"""Games saved before seats could hold bots keep their players and winners through 0006."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("engine", "0005_game_final_clocks"), ("players", "0002_web_process_leases")]
AFTER = [("engine", "0006_seats_with_bots")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_won_game_keeps_its_winner_as_a_winning_seat():
    apps = migrate(BEFORE)
    User = apps.get_model("players", "User")
    Game = apps.get_model("engine", "Game")
    GamePlayer = apps.get_model("engine", "GamePlayer")
    alice, bob = User.objects.create(username="alice"), User.objects.create(username="bob")
    won = Game.objects.create(kind="chess", settings={"tc": "3+2"}, seed=1, status="black_wins", winner=bob)
    drawn = Game.objects.create(kind="chess", settings={"tc": "3+2"}, seed=2, status="draw")
    for game in (won, drawn):
        GamePlayer.objects.create(game=game, user=alice, slot=0)
        GamePlayer.objects.create(game=game, user=bob, slot=1)

    apps = migrate(AFTER)
    GamePlayer = apps.get_model("engine", "GamePlayer")
    seats = GamePlayer.objects.order_by("game_id", "slot")
    assert [(seat.game_id, seat.slot, seat.is_winner, seat.bot_level) for seat in seats] == sorted(
        [(won.id, 0, False, ""), (won.id, 1, True, ""), (drawn.id, 0, False, ""), (drawn.id, 1, False, "")]
    )
    # And back: the winner returns to its game.
    apps = migrate(BEFORE)
    assert apps.get_model("engine", "Game").objects.get(pk=won.id).winner_id == bob.pk
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(latest)

"""A matchmaking round seats the whole queue at once: every full Snake table and every chess
pair, at most a bounded number of games per round."""

import pytest

from engine.models import Game
from players import services
from players.models import QueueSeat

pytestmark = pytest.mark.django_db


def seat(kind: str, time_control: str = "") -> None:
    user = services.guest_create()
    services.queue_join(user=user, kind=kind, time_control=time_control, channel_name=f"c!{user.pk}", process_id="p1")


def test_one_round_seats_every_full_table_and_every_pair():
    for _ in range(10):
        seat("snake")
    for time_control in ("1+0", "1+0", "1+0", "3+2", "3+2"):
        seat("chess", time_control)
    matches = services.queue_match_round(full_table=4, wait_seconds=60, most_games=100)
    kinds = sorted(game.kind for game, _ in matches)
    assert kinds == ["chess", "chess", "snake", "snake"]
    # Two Snake players wait for the table to fill (or the wait to pass), and one 1+0 player for a partner.
    assert QueueSeat.objects.filter(matched_game__isnull=True).count() == 3
    assert Game.objects.count() == 4


def test_a_round_starts_no_more_than_its_bound():
    for _ in range(12):
        seat("snake")
    assert len(services.queue_match_round(full_table=4, wait_seconds=60, most_games=2)) == 2
    assert len(services.queue_match_round(full_table=4, wait_seconds=60, most_games=2)) == 1


"""Stale guests (never played, no queue seat, idle past the age limit) are deleted."""

import asyncio
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from engine import services as game_services
from players import services
from players.guest_purge import PeriodicGuestPurge
from tests.conftest import eventually

User = get_user_model()
DAY = timedelta(hours=24)


def aged(user, *, hours: float, logged_in: bool = True):
    """Backdates a user's creation (and last login, or none) by `hours`."""
    when = timezone.now() - timedelta(hours=hours)
    User.objects.filter(pk=user.pk).update(date_joined=when, last_login=when if logged_in else None)
    return user


@pytest.mark.django_db
def test_minted_guests_have_a_last_login(client):
    username = client.post("/api/guest").json()["username"]
    assert User.objects.get(username=username).last_login is not None


@pytest.mark.django_db
def test_purge_deletes_only_idle_guests_who_never_played_and_wait_for_nothing():
    aged(services.guest_create(), hours=25)
    aged(services.guest_create(), hours=25, logged_in=False)
    recent = aged(services.guest_create(), hours=23)
    played = aged(services.guest_create(), hours=25)
    opponent = aged(services.guest_create(), hours=25)
    game = game_services.game_create(kind="snake", users=[played, opponent], settings={})
    queued = aged(services.guest_create(), hours=25)
    services.queue_join(user=queued, kind="snake", time_control="", channel_name="specific.x", process_id="web1")
    registered = aged(User.objects.create_user(username="ada", password="a-long-passphrase-42"), hours=500)

    assert services.guest_purge_stale(max_age=DAY) == 2

    remaining = set(User.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, played.pk, opponent.pk, queued.pk, registered.pk}
    assert game.seats.count() == 2


@pytest.mark.django_db
def test_purge_works_through_more_guests_than_one_batch():
    for _ in range(7):
        aged(services.guest_create(), hours=30)
    assert services.guest_purge_stale(max_age=DAY, batch_size=3) == 7
    assert not User.objects.exists()


@pytest.mark.django_db
def test_purge_guests_command_uses_the_configured_age(settings):
    settings.KOGAME = {**settings.KOGAME, "STALE_GUEST_AGE_SECONDS": 3600}
    aged(services.guest_create(), hours=2)
    aged(services.guest_create(), hours=0.5)
    out = StringIO()
    call_command("purge_guests", stdout=out)
    assert "deleted 1 stale guest" in out.getvalue()
    assert User.objects.count() == 1


async def passthrough(scope, receive, send):
    pass


async def test_a_web_process_purges_when_it_serves_its_first_request_and_not_again_per_request():
    runs = []
    purging = PeriodicGuestPurge(passthrough, interval_seconds=3600, purge=lambda: runs.append(1) or 0)
    await purging({"type": "http"}, None, None)
    await eventually(async_value(lambda: runs))
    for _ in range(3):
        await purging({"type": "http"}, None, None)
    await asyncio.sleep(0.1)
    purging.task.cancel()
    assert len(runs) == 1


async def test_the_purge_repeats_at_every_interval_even_after_a_failure(caplog):
    attempts = []

    def failing_once():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database is down")
        return 0

    purging = PeriodicGuestPurge(passthrough, interval_seconds=0.01, purge=failing_once)
    await purging({"type": "http"}, None, None)
    await eventually(async_value(lambda: len(attempts) >= 3))
    purging.task.cancel()
    assert "database is down" in caplog.text


def async_value(read):
    async def check():
        return read()

    return check

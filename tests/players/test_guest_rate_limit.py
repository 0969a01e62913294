"""New guests per client address: POST /api/guest and first page views share one limit."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_window(settings):
    settings.KOGAME = {**settings.KOGAME, "GUEST_MINTS_PER_WINDOW": 3, "GUEST_MINT_WINDOW_SECONDS": 60}


def guests() -> int:
    return get_user_model().objects.filter(is_guest=True).count()


def test_guest_api_answers_429_with_retry_after_once_an_address_is_over_the_limit(client, three_per_window):
    assert [client.post("/api/guest").status_code for _ in range(3)] == [201, 201, 201]
    refused = client.post("/api/guest")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["type"] == "error" and refused.json()["code"] == "rate_limited"
    assert guests() == 3
    assert client.post("/api/guest", REMOTE_ADDR="203.0.113.9").status_code == 201


def test_page_views_mint_under_the_same_limit(client, three_per_window):
    for _ in range(3):
        client.post("/api/guest")
    refused = client.get("/")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert not refused.wsgi_request.user.is_authenticated
    assert guests() == 3


def test_a_visitor_who_already_has_a_session_is_not_counted(client, three_per_window):
    client.get("/")
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert guests() == 1


def test_forwarded_for_is_ignored_unless_a_trusted_proxy_is_configured(client, three_per_window):
    for hop in range(3):
        client.post("/api/guest", HTTP_X_FORWARDED_FOR=f"198.51.100.{hop}")
    assert client.post("/api/guest", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_behind_one_trusted_proxy_the_address_it_appended_counts(client, settings, three_per_window):
    settings.KOGAME = {**settings.KOGAME, "TRUSTED_PROXY_HOPS": 1}
    # The proxy appends the peer it saw; whatever the client wrote before that is not trusted.
    for forged in range(3):
        client.post("/api/guest", HTTP_X_FORWARDED_FOR=f"10.9.9.{forged}, 198.51.100.7")
    assert client.post("/api/guest", HTTP_X_FORWARDED_FOR="10.9.9.200, 198.51.100.7").status_code == 429
    assert client.post("/api/guest", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 201

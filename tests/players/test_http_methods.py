"""Every URL answers the methods it does not serve with 405 and an Allow header, not a CSRF 403."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import get_resolver

from engine import services as game_services
from players import services

pytestmark = pytest.mark.django_db

# Route (as written in kogame/urls.py) -> the methods it serves. A new route must be added here.
SERVED_METHODS = {
    "": {"GET", "HEAD"},
    "game/<str:game_id>/": {"GET", "HEAD"},
    "arena/": {"GET", "HEAD"},
    "api/games/": {"GET", "HEAD"},
    "api/games/<str:game_id>": {"GET", "HEAD"},
    "api/games/<str:game_id>/pgn": {"GET", "HEAD"},
    "healthz": {"GET", "HEAD"},
    "metrics": {"GET", "HEAD"},
    "room/<str:code>/": {"GET", "HEAD"},
    "api/guest": {"POST"},
    "api/rooms": {"POST"},
    "api/bot-games": {"POST"},
    # Forms: unsafe methods go through Django's CSRF check like any form post.
    "signup/": None,
    "login/": None,
    "logout/": None,
    "admin/": None,
}
READ_ONLY_ROUTES = [route for route, methods in SERVED_METHODS.items() if methods == {"GET", "HEAD"}]


def test_every_route_is_listed_here():
    assert {str(pattern.pattern) for pattern in get_resolver().url_patterns} == set(SERVED_METHODS)


@pytest.fixture
def concrete_path():
    players = [services.guest_create(), services.guest_create()]
    game = game_services.game_create(kind="chess", users=players, settings={"tc": "3+2"})
    return lambda route: "/" + route.replace("<str:game_id>", game.id).replace("<str:code>", "ABC234")


@pytest.mark.parametrize("route", READ_ONLY_ROUTES)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_routes_answer_other_methods_with_405(route, method, concrete_path):
    client = Client(enforce_csrf_checks=True)
    users_before = get_user_model().objects.count()
    response = getattr(client, method)(concrete_path(route))
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}
    assert get_user_model().objects.count() == users_before


@pytest.mark.parametrize("route", READ_ONLY_ROUTES)
def test_read_only_routes_answer_head(route, concrete_path, client):
    assert client.head(concrete_path(route)).status_code in {200, 302, 503}


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_guest_api_answers_other_methods_with_405(method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/guest")
    assert response.status_code == 405 and response["Allow"] == "POST"

"""Private rooms over HTTP: `POST /api/rooms` makes one; `/room/<code>/` is its page."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from kogame.read_only import read_only_view
from players.http_auth import api_login_required
from players.json_api import api_error, json_object_or_refusal, rate_limited
from players.limits import MemoryWindowLimit, RedisWindowLimit
from players.rooms import services as room_services
from players.rooms.errors import RoomRefused

# Rooms one user may create per window: plenty for people, a stop for a runaway script.
ROOMS_PER_WINDOW = 10
ROOM_WINDOW_SECONDS = 60


@cache
def room_create_limit() -> MemoryWindowLimit | RedisWindowLimit:
    """One per process. With Redis every web process counts in the same keys."""
    window = {"limit": ROOMS_PER_WINDOW, "window_seconds": ROOM_WINDOW_SECONDS}
    if settings.REDIS_URL:
        return RedisWindowLimit(redis_url=settings.REDIS_URL, prefix="kogame:room-creates", **window)
    return MemoryWindowLimit(**window)


@require_POST
@api_login_required
def room_create(request, *, user):
    fields, refusal = json_object_or_refusal(request)
    if refusal is not None:
        return refusal
    verdict = room_create_limit().hit(f"user:{user.pk}")
    if not verdict.allowed:
        return rate_limited(verdict, too_many="new rooms")
    try:
        room = room_services.room_create(owner=user, fields=fields)
    except RoomRefused as refusal:
        return api_error(status=400, code=refusal.code, message=refusal.message)
    return JsonResponse({"code": room.code}, status=201)


@read_only_view
def room_page(request, code: str):
    # The page is a shell: its socket says whether the room exists and has a seat (close 4003).
    return render(request, "room.html", {"code": code.upper()})

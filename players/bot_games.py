"""Play the computer: a game against bots at once, without a room (`POST /api/bot-games`).

The body is a room's (players.rooms.settings): `game`, chess' `tc`, Snake's `target_players`
(seats in all, the caller's included), `bot_level`; chess also takes `color` (`white`, `black`
or `random`, the default).
"""

from __future__ import annotations

import random

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from engine import services as game_services
from players.engine_link import send_to_engine
from players.http_auth import api_user_or_refusal
from players.json_api import api_error, json_object_or_refusal, rate_limited
from players.rooms.errors import RoomRefused
from players.rooms.services import StartedGame
from players.rooms.settings import game_settings, room_settings_new
from players.rooms.views import room_create_limit

User = get_user_model()

COLORS = ("white", "black", "random")


@transaction.atomic
def bot_game_create(*, user: User, fields: dict) -> StartedGame:
    fields = dict(fields)
    color = fields.pop("color", "random")
    kind, settings = room_settings_new(fields=fields)
    if color not in COLORS or (color != "random" and kind != "chess"):
        raise RoomRefused("bad_field", '"color" is "white", "black" or "random", and only for chess')
    bots = [settings["bot_level"]] * (settings["target_players"] - 1)
    bots_first = kind == "chess" and (color == "black" or (color == "random" and random.random() < 0.5))
    game = game_services.game_create(
        kind=kind, users=[user], bots=bots, bots_first=bots_first, settings=game_settings(game=kind, settings=settings)
    )
    return StartedGame(game=game, engine_message=game_services.game_start_message(game=game))


@csrf_exempt  # api_user_or_refusal checks CSRF for sessions; a bearer token needs none
@require_POST
async def bot_game_start(request):
    # Async, so the engine is told from the server's own event loop (embedded mode lives there).
    user, refusal = await sync_to_async(api_user_or_refusal)(request)
    if refusal is not None:
        return refusal
    fields, refusal = json_object_or_refusal(request)
    if refusal is not None:
        return refusal
    # Counted with room creation: both start something on the server at a user's say-so.
    verdict = await sync_to_async(room_create_limit().hit)(f"user:{user.pk}")
    if not verdict.allowed:
        return rate_limited(verdict, too_many="new games")
    try:
        started = await sync_to_async(bot_game_create)(user=user, fields=fields)
    except RoomRefused as refusal:
        return api_error(status=400, code=refusal.code, message=refusal.message)
    # The engine hears of the game before its player does, so the first sync finds it.
    await send_to_engine(started.engine_message)
    return JsonResponse({"game_id": started.game.id}, status=201)

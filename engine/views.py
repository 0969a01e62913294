import logging

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse

from engine import selectors
from kogame.read_only import read_only_view
from players.engine_link import engine_link
from players.relay import this_relay

logger = logging.getLogger("kogame.health")


@read_only_view
def healthz(request):
    try:
        alive, engine = selectors.engine_health()
    except Exception as error:
        logger.warning("health check could not read the heartbeat: %s", error)
        alive, engine = False, {"alive": False, "error": str(error)}
    # The relay's figures are this web process's own: each web process answers for its sockets.
    body = {"status": "ok" if alive else "unavailable", "engine": engine, "relay": this_relay.figures()}
    if not settings.EMBEDDED_ENGINE:
        body["engine_link"] = engine_link().figures()
    return JsonResponse(body, status=200 if alive else 503)


@read_only_view
def game_detail(request, game_id: str):
    game = selectors.game_get(game_id=game_id)
    if game is None:
        raise Http404("no such game")
    return JsonResponse(selectors.game_summary(game=game))


@read_only_view
def games_live(request):
    return JsonResponse({"games": selectors.games_live()})


@read_only_view
def game_pgn(request, game_id: str):
    game = selectors.game_get(game_id=game_id)
    if game is None or game.kind != "chess":
        raise Http404("no such chess game")
    response = HttpResponse(selectors.game_pgn(game=game), content_type="application/x-chess-pgn; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="kogame-{game.id}.pgn"'
    return response

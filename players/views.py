from django.contrib.auth import login
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from engine import selectors as game_selectors
from engine import services as game_services
from kogame.read_only import read_only_view
from players.forms import SignUpForm
from players.guest_minting import TooManyGuests, guest_mint
from players.tokens import token_for


@read_only_view
def lobby(request):
    return render(request, "lobby.html")


@read_only_view
def game_page(request, game_id: str):
    game = game_selectors.game_get(game_id=game_id)
    if game is None:
        raise Http404("no such game")
    return render(request, "game.html", {"game": game})


@read_only_view
def arena(request):
    return redirect("game", game_id=game_services.arena_get_or_create().id)


def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("lobby")
    return render(request, "registration/signup.html", {"form": form})


# A token request carries no cookie-borne authority to forge: it only mints a new guest.
@csrf_exempt
@require_POST
def guest_token(request):
    try:
        user = guest_mint(request=request)
    except TooManyGuests as refusal:
        return refusal.response()
    return JsonResponse({"username": user.username, "token": token_for(user_id=user.pk)}, status=201)

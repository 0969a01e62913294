from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from engine import views as engine_views
from kogame import metrics_view
from players import bot_games
from players import views as player_views
from players.rooms import views as room_views

urlpatterns = [
    path("", player_views.lobby, name="lobby"),
    path("game/<str:game_id>/", player_views.game_page, name="game"),
    path("arena/", player_views.arena, name="arena"),
    path("room/<str:code>/", room_views.room_page, name="room"),
    path("signup/", player_views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/guest", player_views.guest_token, name="api-guest"),
    path("api/rooms", room_views.room_create, name="api-rooms"),
    path("api/bot-games", bot_games.bot_game_start, name="api-bot-games"),
    path("api/games/", engine_views.games_live, name="api-games"),
    path("api/games/<str:game_id>", engine_views.game_detail, name="api-game"),
    path("api/games/<str:game_id>/pgn", engine_views.game_pgn, name="api-game-pgn"),
    path("healthz", engine_views.healthz, name="healthz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("admin/", admin.site.urls),
]

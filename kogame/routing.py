from django.urls import path, re_path

from players.consumers.game import PlayerConsumer
from players.consumers.matchmaking import QueueConsumer
from players.consumers.room import RoomConsumer
from players.unknown_path import refuse_unknown_path

websocket_urlpatterns = [
    re_path(r"^ws/game/(?P<game_id>[A-Za-z0-9]+)/$", PlayerConsumer.as_asgi()),
    path("ws/queue/", QueueConsumer.as_asgi()),
    re_path(r"^ws/room/(?P<code>[A-Za-z0-9]+)/$", RoomConsumer.as_asgi()),
    # Keep last: it matches every path.
    re_path(r"", refuse_unknown_path),
]

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models


class User(AbstractUser):
    # Guests are made on a first page view or by POST /api/guest; they have no usable password.
    is_guest = models.BooleanField(default=False)


class WebProcessLease(models.Model):
    """A live web process, renewed every few seconds by its report: seats die with it."""

    id = models.CharField(primary_key=True, max_length=32)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"web process {self.id} until {self.expires_at:%H:%M:%S}"


class QueueSeat(models.Model):
    """A user waiting in the public matchmaking queue for one kind of game."""

    class Kind(models.TextChoices):
        SNAKE = "snake"
        CHESS = "chess"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_seats")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    time_control = models.CharField(max_length=16, blank=True)
    # The channel of the queue socket that holds the seat: match_found is sent there.
    channel_name = models.CharField(max_length=200)
    # The web process that holds that socket; its lease expiring removes the seat.
    process = models.ForeignKey(WebProcessLease, on_delete=models.CASCADE, related_name="seats")
    # Set when the seat is matched; the seat stays until its socket has told its player.
    matched_game = models.ForeignKey("engine.Game", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_seat_per_user_and_kind")]

    def __str__(self) -> str:
        return f"{self.user} waits for {self.kind} {self.time_control}".strip()


# Room codes are read aloud and typed: no 0/O, 1/I/L.
ROOM_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ROOM_CODE_LENGTH = 6


class Room(models.Model):
    """A private lobby: its host shares the code, friends join, the host starts a game."""

    code = models.CharField(
        max_length=ROOM_CODE_LENGTH,
        unique=True,
        validators=[RegexValidator(f"^[{ROOM_CODE_ALPHABET}]{{{ROOM_CODE_LENGTH}}}$")],
    )
    kind = models.CharField(max_length=8, choices=QueueSeat.Kind.choices)
    # The creator at first; the next oldest member when the host leaves.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="rooms_owned"
    )
    # {"bot_level", "target_players"}, and "tc" for chess (players.rooms.settings). Declared after
    # `owner`: from here on `settings` in this class body is the field, not django.conf's.
    settings = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} room {self.code}"


class RoomMember(models.Model):
    """A user in a room, for as long as their room socket is open."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships")
    ready = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    channel_name = models.CharField(max_length=200)
    # The web process that holds the member's socket; its lease expiring removes the member.
    process = models.ForeignKey(WebProcessLease, on_delete=models.CASCADE, related_name="room_members")

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="one_membership_per_user_and_room")]

    def __str__(self) -> str:
        return f"{self.user} in room {self.room_id}"

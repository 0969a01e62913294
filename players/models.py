from django.conf import settings
from django.contrib.auth.models import AbstractUser
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

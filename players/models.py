from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    # Guests are made on a first page view or by POST /api/guest; they have no usable password.
    is_guest = models.BooleanField(default=False)


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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_seat_per_user_and_kind")]

    def __str__(self) -> str:
        return f"{self.user} waits for {self.kind} {self.time_control}".strip()

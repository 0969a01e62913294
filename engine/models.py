from django.conf import settings as django_settings
from django.db import models

from engine.games.effects import BOT_LEVELS, Seat
from engine.ids import new_game_id


class Game(models.Model):
    class Kind(models.TextChoices):
        SNAKE = "snake"
        CHESS = "chess"

    class Mode(models.TextChoices):
        MATCH = "match"
        ARENA = "arena"

    class Status(models.TextChoices):
        STARTED = "started"
        # Snake
        FINISHED = "finished"
        # Chess
        WHITE_WINS = "white_wins"
        BLACK_WINS = "black_wins"
        DRAW = "draw"
        ABORTED = "aborted"

    id = models.CharField(primary_key=True, max_length=16, default=new_game_id, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.MATCH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED, db_index=True)
    reason = models.CharField(max_length=32, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField()
    # Final scores and the last event version, so a finished game can be shown without the engine.
    result = models.JSONField(null=True, blank=True)
    # Chess: each side's remaining ms when the game ended (0 for a flagged side). Null while the
    # game is live, for Snake, for games ended before these were saved, and for engine errors.
    final_white_ms = models.PositiveBigIntegerField(null=True, blank=True)
    final_black_ms = models.PositiveBigIntegerField(null=True, blank=True)
    players = models.ManyToManyField(django_settings.AUTH_USER_MODEL, through="GamePlayer", related_name="games")
    # The engine worker that adopted the game last (blank: the one it was first given to). Saves
    # of any other worker are refused: it stalled past its lease and its games moved on.
    worker = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(mode="arena", status="started"),
                name="one_live_arena_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(final_white_ms__isnull=True, final_black_ms__isnull=True)
                | models.Q(final_white_ms__isnull=False, final_black_ms__isnull=False),
                name="final_clocks_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.STARTED


class GamePlayer(models.Model):
    """A seat at a game: a person, or a bot of some level (never both)."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="game_seats"
    )
    bot_level = models.CharField(max_length=8, choices=[(level, level.capitalize()) for level in BOT_LEVELS], blank=True)
    slot = models.PositiveSmallIntegerField()
    score = models.IntegerField(null=True, blank=True)
    is_winner = models.BooleanField(default=False)

    class Meta:
        ordering = ["slot"]
        constraints = [
            models.UniqueConstraint(fields=["game", "user"], name="one_seat_per_user_and_game"),
            models.UniqueConstraint(fields=["game", "slot"], name="one_user_per_slot"),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, bot_level="") | models.Q(user__isnull=True) & ~models.Q(bot_level=""),
                name="seat_is_a_person_or_a_bot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.game_id}"

    @property
    def seat(self) -> Seat:
        if self.bot_level:
            return Seat.robot(self.slot, self.bot_level)
        return Seat.person(self.slot, self.user.username)  # type: ignore[union-attr]  # a person's seat has a user

    @property
    def name(self) -> str:
        return self.seat.name


class ChessMove(models.Model):
    """One ply of a chess game, saved before the engine broadcasts it."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="chess_moves")
    ply = models.PositiveIntegerField()
    uci = models.CharField(max_length=5)
    san = models.CharField(max_length=10)
    # Both clocks right after the move, and what the move cost its player after lag compensation.
    white_ms = models.BigIntegerField()
    black_ms = models.BigIntegerField()
    spent_ms = models.BigIntegerField()
    lag_comp_ms = models.IntegerField(default=0)
    # The version of the move event: a game resumed after a restart numbers its events above it.
    v = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ply"]
        constraints = [models.UniqueConstraint(fields=["game", "ply"], name="one_move_per_ply")]

    def __str__(self) -> str:
        return f"{self.game_id} {self.ply}. {self.san}"

"""Seats that hold a person or a bot, and winners named by seat instead of by user."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def mark_winning_seats(apps, schema_editor):
    GamePlayer = apps.get_model("engine", "GamePlayer")
    Game = apps.get_model("engine", "Game")
    for game_id, winner_id in Game.objects.filter(winner__isnull=False).values_list("id", "winner_id"):
        GamePlayer.objects.filter(game_id=game_id, user_id=winner_id).update(is_winner=True)


def mark_winners(apps, schema_editor):
    GamePlayer = apps.get_model("engine", "GamePlayer")
    Game = apps.get_model("engine", "Game")
    for seat in GamePlayer.objects.filter(is_winner=True, user__isnull=False):
        Game.objects.filter(pk=seat.game_id).update(winner_id=seat.user_id)


class Migration(migrations.Migration):

    dependencies = [
        ('engine', '0005_game_final_clocks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='gameplayer',
            name='bot_level',
            field=models.CharField(blank=True, choices=[('easy', 'Easy'), ('medium', 'Medium'), ('hard', 'Hard')], max_length=8),
        ),
        migrations.AddField(
            model_name='gameplayer',
            name='is_winner',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_winning_seats, mark_winners, elidable=False),
        migrations.RemoveField(
            model_name='game',
            name='winner',
        ),
        migrations.AlterField(
            model_name='gameplayer',
            name='user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='game_seats', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='gameplayer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('bot_level', ''), ('user__isnull', False)), models.Q(('user__isnull', True), models.Q(('bot_level', ''), _negated=True)), _connector='OR'), name='seat_is_a_person_or_a_bot'),
        ),
    ]

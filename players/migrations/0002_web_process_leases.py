import django.db.models.deletion
from django.db import migrations, models


def drop_waiting_seats(apps, schema_editor):
    # Seats are bound to live sockets from now on; none of those that wait now can be.
    apps.get_model("players", "QueueSeat").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0004_chess_move_version"),
        ("players", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebProcessLease",
            fields=[
                ("id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(drop_waiting_seats, migrations.RunPython.noop),
        migrations.AddField(
            model_name="queueseat",
            name="process",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="seats", to="players.webprocesslease"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="queueseat",
            name="matched_game",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="engine.game"
            ),
        ),
    ]

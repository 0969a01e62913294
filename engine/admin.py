from django.contrib import admin

from engine.models import Game, GamePlayer


class GamePlayerInline(admin.TabularInline):
    model = GamePlayer
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "mode", "status", "reason", "created_at", "ended_at")
    list_filter = ("kind", "mode", "status")
    search_fields = ("id", "seats__user__username")
    readonly_fields = ("id", "seed", "created_at")
    inlines = [GamePlayerInline]

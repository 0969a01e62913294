from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from players.models import QueueSeat, User


@admin.register(User)
class KogameUserAdmin(UserAdmin):
    list_display = ("username", "is_guest", "is_staff", "date_joined", "last_login")
    list_filter = ("is_guest", "is_staff", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Kogame", {"fields": ("is_guest",)}))


@admin.register(QueueSeat)
class QueueSeatAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "time_control", "created_at")
    list_filter = ("kind",)

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from players import services


class Command(BaseCommand):
    help = (
        "Deletes guest users idle for KOGAME['STALE_GUEST_AGE_SECONDS'] who never played a game and "
        "hold no queue seat. Web processes also run this every hour by themselves."
    )

    def handle(self, *args, **options):
        max_age = timedelta(seconds=settings.KOGAME["STALE_GUEST_AGE_SECONDS"])
        deleted = services.guest_purge_stale(max_age=max_age)
        self.stdout.write(f"deleted {deleted} stale guest(s) idle for more than {max_age}")

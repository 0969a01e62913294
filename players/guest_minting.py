"""New guests, limited per client address: POST /api/guest and first page views share one count."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse

from players import services
from players.client_address import client_address_from_request
from players.limits import MemoryWindowLimit, RedisWindowLimit, Verdict

User = get_user_model()


@cache
def guest_mint_limit() -> MemoryWindowLimit | RedisWindowLimit:
    """One per process. With Redis every web process counts in the same keys."""
    limits = settings.KOGAME
    window = {"limit": limits["GUEST_MINTS_PER_WINDOW"], "window_seconds": limits["GUEST_MINT_WINDOW_SECONDS"]}
    if settings.REDIS_URL:
        return RedisWindowLimit(redis_url=settings.REDIS_URL, prefix="kogame:guest-mints", **window)
    return MemoryWindowLimit(**window)


class TooManyGuests(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"too many new guests from this address; retry in {verdict.retry_after} s")
        self.retry_after = verdict.retry_after

    def response(self) -> JsonResponse:
        response = JsonResponse({"type": "error", "code": "rate_limited", "message": str(self)}, status=429)
        response["Retry-After"] = str(self.retry_after)
        return response


def guest_mint(*, request: HttpRequest) -> User:
    """A new guest user; TooManyGuests if the request's address has made too many lately."""
    verdict = guest_mint_limit().hit(client_address_from_request(request) or "unknown")
    if not verdict.allowed:
        raise TooManyGuests(verdict)
    return services.guest_create()

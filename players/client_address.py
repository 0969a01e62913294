"""The address a request or websocket comes from, for limits kept per client address.

Without a trusted proxy it is the peer's address (REMOTE_ADDR, the ASGI scope's client). With
KOGAME["TRUSTED_PROXY_HOPS"] = N, it is the N-th X-Forwarded-For entry from the right: each proxy
appends the address it saw, so that entry was written by the outermost trusted proxy, while
anything to its left is whatever the client sent (and could be forged to dodge a limit).
"""

from __future__ import annotations

from django.conf import settings


def _client_address(*, peer: str | None, forwarded_for: str | None) -> str | None:
    hops = settings.KOGAME["TRUSTED_PROXY_HOPS"]
    if hops <= 0 or not forwarded_for:
        return peer
    chain = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not chain:
        return peer
    return chain[-hops] if len(chain) >= hops else chain[0]


def client_address_from_request(request) -> str | None:
    return _client_address(peer=request.META.get("REMOTE_ADDR"), forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"))


def client_address_from_scope(scope) -> str | None:
    client = scope.get("client")
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"x-forwarded-for"]
    return _client_address(peer=client[0] if client else None, forwarded_for=",".join(forwarded) or None)

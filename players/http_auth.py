"""Who calls a JSON API view: a script with `Authorization: Bearer <token>` (the token of
POST /api/guest), or a browser with its session cookie AND a valid CSRF token.

A bearer token is never sent by a browser on its own, so it needs no CSRF token; a session
cookie is, so a session request without one is refused (403). No credentials at all: 401.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from players import selectors
from players.json_api import api_error

if TYPE_CHECKING:
    from players.models import User  # AUTH_USER_MODEL


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, run on demand; a refusal comes back as its reason."""

    def _reject(self, request, reason):
        return reason


def _csrf_refusal(request: HttpRequest) -> str | None:
    check = _CsrfCheck(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _refused(status: int, code: str, message: str) -> JsonResponse:
    response = api_error(status=status, code=code, message=message)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kogame"'
    return response


def api_user_or_refusal(request: HttpRequest) -> tuple[User, None] | tuple[None, JsonResponse]:
    """(user, None) for an authenticated call, or (None, the 401 or 403 answer)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        user = selectors.user_from_token(token=token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return None, _refused(401, "bad_token", "the bearer token is not valid (altered, expired, or its user is gone)")
        return user, None
    if not request.user.is_authenticated:
        return None, _refused(401, "not_authenticated", "send Authorization: Bearer <token> (POST /api/guest) or sign in")
    reason = _csrf_refusal(request)
    if reason is not None:
        return None, _refused(403, "csrf_failed", f"a session request needs a valid CSRF token: {reason}")
    return request.user, None


def api_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Calls `view(request, *args, user=<the caller>, **kwargs)` or answers 401/403 itself.
    The view is CSRF-exempt for Django's middleware: the check above runs for sessions only."""

    @csrf_exempt
    @wraps(view)
    def authenticated(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user, refusal = api_user_or_refusal(request)
        if refusal is not None:
            return refusal
        return view(request, *args, user=user, **kwargs)

    return authenticated

"""The JSON API's answers to what it refuses: one error shape, a body that is not a JSON object,
and a caller over a rate limit."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse

from players.limits import Verdict


def api_error(*, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def json_object_or_refusal(request: HttpRequest) -> tuple[dict | None, JsonResponse | None]:
    """(the body's JSON object, None), or (None, the 400 answer)."""
    try:
        fields = json.loads(request.body)
    except ValueError:
        return None, api_error(status=400, code="not_json", message="the body must be a JSON object")
    if not isinstance(fields, dict):
        return None, api_error(status=400, code="not_object", message="the body must be a JSON object")
    return fields, None


def rate_limited(verdict: Verdict, *, too_many: str) -> JsonResponse:
    """429 with Retry-After, for a caller the verdict refused."""
    response = api_error(status=429, code="rate_limited", message=f"too many {too_many}; retry in {verdict.retry_after} s")
    response["Retry-After"] = str(verdict.retry_after)
    return response

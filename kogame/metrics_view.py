"""GET /metrics: this web process's metrics in Prometheus' text format (players/metrics.py),
and in embedded mode the engine's too (engine/metrics.py), since it runs in this process. Each
web process answers for itself; `runworker` serves its engine's on its own port
(engine/metrics_server.py)."""

from __future__ import annotations

import hmac
from functools import cache

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from engine import runtime
from engine.metrics import EngineCollector
from kogame.open_sockets import this_process_sockets
from kogame.process_metrics import process_registry
from kogame.read_only import read_only_view
from players.metrics import WebCollector
from players.relay import this_relay
from players.sent_to_engine import sent_by_type


@cache
def web_registry() -> CollectorRegistry:
    web = WebCollector(relay=this_relay, sockets=this_process_sockets, sent_to_engine=sent_by_type)
    if settings.EMBEDDED_ENGINE:
        return process_registry("embedded", web, EngineCollector(runtime.current_engine))
    return process_registry("web", web)


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@read_only_view
def metrics(request):
    if not _authorized(request):
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(generate_latest(web_registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)

"""`runworker`'s Prometheus endpoint. A worker serves no HTTP of its own, so prometheus_client's
small HTTP server (a daemon thread) answers scrapes on METRICS_PORT, on every IPv4 interface:

- unset or empty: no endpoint;
- a port, "9100": that port (one worker per host or per container, as Heroku's dynos are);
- a range, "9100-9107": the first free port in it, so several workers on one host run with one
  configuration: each binds the next free port, which the kernel hands to one process only, and
  Prometheus scrapes the range as static targets (a port without a worker is a target down);
- "0": any free port, chosen by the kernel.

Whichever it is, the worker logs the port it took (field `metrics_port`). A port that is taken
costs the worker its metrics, never its games: the worker logs an error and runs on.
"""

from __future__ import annotations

import errno
import logging
import re
from wsgiref.simple_server import WSGIServer

from django.core.exceptions import ImproperlyConfigured
from prometheus_client import start_http_server

from engine import runtime
from engine.metrics import EngineCollector
from kogame.process_metrics import process_registry

logger = logging.getLogger("kogame.engine")


def metrics_ports(spec: str) -> range | None:
    """The ports METRICS_PORT allows, in the order they are tried; None when it is unset."""
    spec = spec.strip()
    if not spec:
        return None
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", spec)
    if match is None:
        raise ImproperlyConfigured(f'METRICS_PORT must be a port, a range "first-last" or 0, not {spec!r}')
    first, last = int(match[1]), int(match[2] or match[1])
    if not first <= last <= 65535 or (first == 0 and last > 0):
        raise ImproperlyConfigured(f"METRICS_PORT {spec!r} is not a port or a range of ports")
    return range(first, last + 1)


def start_worker_metrics(spec: str) -> WSGIServer | None:
    """Serves this worker's metrics on the first free port METRICS_PORT allows; the server, or
    None when METRICS_PORT is unset or no port was free."""
    ports = metrics_ports(spec)
    if ports is None:
        return None
    registry = process_registry("worker", EngineCollector(runtime.current_engine))
    for port in ports:
        try:
            server, _thread = start_http_server(port, registry=registry)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            continue
        logger.info("metrics served on port %d", server.server_port, extra={"metrics_port": server.server_port})
        return server
    logger.error("no free port for metrics in METRICS_PORT %s: this worker serves none", spec)
    return None

"""What every Kogame process's metrics start with: the process's CPU, memory and file
descriptors, Python's garbage collections, and `kogame_process_info` naming the process as its
logs do (`worker`), so a series leads to the log lines of the same process."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine.worker_identity import worker_id


class ProcessInfo(Collector):
    def __init__(self, role: str) -> None:
        self.role = role

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("kogame_process_info", "This process: its worker id and its role", labels=["worker", "role"])
        info.add_metric([worker_id(), self.role], 1)
        yield info


def process_registry(role: str, *collectors: Collector) -> CollectorRegistry:
    """A registry of its own (not prometheus_client's global one), so nothing registers in it
    by import."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(ProcessInfo(role))
    for collector in collectors:
        registry.register(collector)
    return registry

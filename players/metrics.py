"""A web process's Prometheus metrics, read at scrape time from the figures the process already
keeps: its websockets by kind (kogame/open_sockets.py), its relay's fan-out and losses
(players/relay.py, the same figures as GET /healthz's "relay"), and the messages it handed to
the engine, by type (players/sent_to_engine.py), and how they travelled (players/engine_link.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kogame.open_sockets import SocketCensus
from players.engine_link import engine_link
from players.relay import GameRelay

# GameRelay counters: (figure, metric name without _total, help).
RELAY_COUNTERS = (
    ("received", "kogame_relay_received", "Relay messages that reached this process for a socket it has"),
    ("delivered", "kogame_relay_delivered", "Relay messages put in a socket's feed (one per socket they are for)"),
    ("dropped_feed_full", "kogame_relay_dropped_feed_full", "Relay messages dropped because a socket's feed was full"),
    ("resyncs", "kogame_relay_resyncs", "Sockets told to resync because their messages may have been lost"),
)


# EngineLink counters (worker mode): (figure, help).
ENGINE_LINK_COUNTERS = (
    ("sent", "Messages appended to an engine worker's inbox stream"),
    ("round_trips", "Pipelined Redis round trips that carried them"),
    ("lost", "Messages lost because Redis failed while handing them over"),
    ("via_channel", "Messages sent over the game_engine channel (no live worker known)"),
)


class WebCollector(Collector):
    def __init__(self, *, relay: GameRelay, sockets: SocketCensus, sent_to_engine: Callable[[], dict[str, int]]) -> None:
        self.relay = relay
        self.sockets = sockets
        self.sent_to_engine = sent_to_engine

    def collect(self) -> Iterator[Metric]:
        yield from self._sockets()
        yield from self._relay()
        sent = CounterMetricFamily(
            "kogame_to_engine_messages", "Messages this process handed to the engine, by type", labels=["type"]
        )
        for kind, count in sorted(self.sent_to_engine().items()):
            sent.add_metric([kind], count)
        yield sent
        if not settings.EMBEDDED_ENGINE:
            yield from self._engine_link()

    def _engine_link(self) -> Iterator[Metric]:
        figures = engine_link().figures()
        for figure, documentation in ENGINE_LINK_COUNTERS:
            yield CounterMetricFamily(f"kogame_to_engine_{figure}", documentation, value=figures[figure])

    def _sockets(self) -> Iterator[Metric]:
        figures = self.sockets.figures()
        open_now = GaugeMetricFamily("kogame_websockets_open", "Websockets open in this process, by kind", labels=["kind"])
        opened = CounterMetricFamily("kogame_websockets_opened", "Websockets opened in this process, by kind", labels=["kind"])
        for kind, count in sorted(figures["open"].items()):
            open_now.add_metric([kind], count)
        for kind, count in sorted(figures["opened"].items()):
            opened.add_metric([kind], count)
        yield open_now
        yield opened

    def _relay(self) -> Iterator[Metric]:
        figures = self.relay.figures()
        yield GaugeMetricFamily("kogame_relay_games", "Games this process has sockets of", value=figures["games"])
        yield GaugeMetricFamily("kogame_relay_sockets", "Game sockets this process relays to", value=figures["sockets"])
        for figure, name, documentation in RELAY_COUNTERS:
            yield CounterMetricFamily(name, documentation, value=figures[figure])
        yield self.relay.lag.family(
            "kogame_relay_lag_seconds", "From the engine handing a game's events over to their arrival in this process"
        )
        subscriber = figures["subscriber"]
        if subscriber is not None:
            # Worker mode only: embedded mode has no subscriber.
            yield GaugeMetricFamily(
                "kogame_relay_subscriber_connected",
                "1 while the relay's Redis subscription is up",
                value=int(subscriber["connected"]),
            )
            yield CounterMetricFamily(
                "kogame_relay_subscriber_connections_lost",
                "Redis subscriber connections that broke",
                value=subscriber["connections_lost"],
            )

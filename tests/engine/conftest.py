"""Fakes for driving the engine loop without a server: a clock, a broadcaster and a store."""

import json

import pytest

from engine.games.effects import Outcome


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingBroadcaster:
    def __init__(self) -> None:
        self.sends: list[tuple[str, str, dict]] = []

    def publish(self, sends):
        self.sends.extend(sends)

    def figures(self):
        return {"published": len(self.sends)}

    def game_events(self, game_id: str) -> list[dict]:
        return [
            json.loads(text)
            for target, name, message in self.sends
            if target == "game" and name == game_id and message["type"] == "game.events"
            for _, text in message["events"]
        ]

    def replies(self, channel: str) -> list[dict]:
        return [message for target, name, message in self.sends if target == "channel" and name == channel]


class RecordingStore:
    def __init__(self) -> None:
        self.ended: list[tuple[str, Outcome, int]] = []
        self.records: list[tuple[str, object, int]] = []
        self.confirmations: list = []

    def game_ended(self, game_id, outcome, last_v):
        self.ended.append((game_id, outcome, last_v))

    def persist(self, game_id, record, v, on_done):
        self.records.append((game_id, record, v))
        self.confirmations.append(on_done)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def broadcaster():
    return RecordingBroadcaster()


@pytest.fixture
def store():
    return RecordingStore()



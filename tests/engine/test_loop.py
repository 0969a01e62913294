"""The engine loop under a fake clock: scheduling, queues, versions, history, isolation."""

import json
import threading
from dataclasses import dataclass

import pytest

from engine.games.effects import Event, GameCreated, IntentRefused, NewGame, Outcome, Record
from engine.live_game import (
    HEAD_AFTER_QUIET_SECONDS,
    HEAD_REPEAT_SECONDS,
    HISTORY_LIMIT,
    INTENT_QUEUE_LIMIT,
    RETAIN_ENDED_SECONDS,
    TICK_PHASES,
    next_beat,
)
from engine.loop import GameEngine
from engine.orphans import ORPHAN_HEAD
from tests.engine.conftest import RecordingStore as RecordingStoreBase


@dataclass(frozen=True)
class Saved(Record):
    value: int


class CountingSession:
    """A minimal game kind: counts ticks, records the intents each tick saw, can be told to fail."""

    kind = "counter"
    immediate_intents = frozenset({"bump", "save", "refuse", "clone"})
    post_game_intents = frozenset({"clone"})

    def __init__(self, *, seats, settings, seed, now):
        self.seats = seats
        self.players = [seat.name for seat in seats]
        self.period = settings.get("period", 0.1)
        self.fail_on_tick = settings.get("fail_on_tick")
        self.end_on_tick = settings.get("end_on_tick")
        self.ticks = 0
        self.seen_intents: list[list] = []
        self.bumps = 0

    def validate(self, username, intent):
        if username not in self.players:
            return "not a player of this game"
        return None

    def apply(self, username, intent, now):
        if intent["type"] == "refuse":
            raise IntentRefused("nope", "refused by the rules")
        if intent["type"] == "save":
            return [Event({"type": "saved"}, record=Saved(value=intent["value"]))]
        if intent["type"] == "clone":
            return [Event({"type": "cloned"}, new_game=NewGame(kind="counter", seats=self.seats, settings={}))]
        self.bumps += 1
        return [Event({"type": "bumped", "by": username, "at": now})]

    def presence(self, username, connected, now):
        return [Event({"type": "presence", "username": username, "connected": connected})]

    def tick(self, intents, now):
        self.ticks += 1
        if self.ticks == self.fail_on_tick:
            raise RuntimeError("rules bug")
        self.seen_intents.append(list(intents))
        return [Event({"type": "tick", "tick": self.ticks})]

    def snapshot(self, now):
        return {"ticks": self.ticks}

    def abort(self, reason, now):
        return Outcome(status="aborted", reason=reason, winner=None)

    def outcome(self):
        if self.end_on_tick is not None and self.ticks >= self.end_on_tick:
            return Outcome(status="finished", reason="done", winner=self.players[0], scores={"a": 1})
        return None


@pytest.fixture
def engine(clock, broadcaster, store):
    return GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"counter": CountingSession})


def start(engine, game_id="g1", players=("a", "b"), **settings):
    engine.submit(
        {
            "type": "engine.start_game",
            "game_id": game_id,
            "kind": "counter",
            "mode": "match",
            "seats": [{"name": name, "bot": None} for name in players],
            "settings": settings,
            "seed": 1,
        }
    )
    engine.pump()
    return engine.games[game_id].session


def intent(engine, username, body, game_id="g1", reply_channel="reply.1"):
    engine.submit(
        {"type": "engine.intent", "game_id": game_id, "username": username, "intent": body, "reply_channel": reply_channel}
    )


def test_ticks_follow_a_fixed_timestep_without_drift(engine, clock):
    session = start(engine, period=0.1)
    first = engine.games["g1"].deadline
    assert clock.now < first <= clock.now + 0.1
    # Wake up a little late every time: deadlines stay on the original grid.
    for step in range(50):
        clock.now = first + step * 0.1 + 0.03
        engine.pump()
    assert session.ticks == 50
    assert engine.games["g1"].deadline == pytest.approx(first + 50 * 0.1)
    assert engine.stats.late_ticks == 0


def test_games_of_one_period_tick_together_on_a_few_beats_within_it():
    # Together, so a kind steps them in one go; on several beats, so their events are spread.
    firsts = [next_beat(1000.0, 0.1, f"game-{index}") for index in range(200)]
    assert len(set(firsts)) == TICK_PHASES
    assert all(1000.0 < first <= 1000.1 for first in firsts)


def test_a_late_tick_is_counted_and_missed_ticks_are_skipped_not_replayed(engine, clock):
    session = start(engine, period=0.1)
    first = engine.games["g1"].deadline
    clock.now = first
    engine.pump()
    # The loop stalls for 0.55 s: one tick runs now, the 4 whole periods missed are skipped.
    clock.now = first + 0.55
    engine.pump()
    assert session.ticks == 2
    assert engine.stats.late_ticks == 1
    assert engine.stats.skipped_ticks == 4
    assert engine.games["g1"].deadline == pytest.approx(first + 0.6)


def test_games_keep_their_own_tick_rates(engine, clock):
    # Periods that are exact in binary floating point, so the count is exact.
    fast = start(engine, "fast", period=0.0625)
    slow = start(engine, "slow", period=0.25)
    start_time = clock.now
    for step in range(1, 21):
        clock.now = start_time + step * 0.0625
        engine.pump()
    assert fast.ticks == 20
    assert slow.ticks == 5


def test_queued_intents_reach_the_next_tick_in_arrival_order(engine, clock):
    session = start(engine)
    intent(engine, "a", {"type": "turn", "n": 1})
    intent(engine, "b", {"type": "turn", "n": 2})
    engine.pump()
    assert session.seen_intents == []
    clock.now += 0.1
    engine.pump()
    assert session.seen_intents == [[("a", {"type": "turn", "n": 1}), ("b", {"type": "turn", "n": 2})]]


def test_a_full_intent_queue_drops_the_oldest_intent(engine, clock):
    session = start(engine)
    for n in range(INTENT_QUEUE_LIMIT + 5):
        intent(engine, "a", {"type": "turn", "n": n})
    engine.pump()
    clock.now += 0.1
    engine.pump()
    seen = [body["n"] for _, body in session.seen_intents[0]]
    assert seen == list(range(5, INTENT_QUEUE_LIMIT + 5))
    assert engine.stats.dropped_intents == 5


def test_immediate_intents_apply_at_once_without_waiting_for_a_tick(engine, clock, broadcaster):
    session = start(engine)
    intent(engine, "a", {"type": "bump"})
    engine.pump()
    assert session.bumps == 1
    assert [e["type"] for e in broadcaster.game_events("g1")] == ["bumped"]


def test_intent_from_a_non_player_is_refused_and_changes_nothing(engine, clock, broadcaster):
    session = start(engine)
    intent(engine, "mallory", {"type": "bump"}, reply_channel="reply.m")
    intent(engine, "mallory", {"type": "turn"}, reply_channel="reply.m")
    engine.pump()
    clock.now += 0.1
    engine.pump()
    assert session.bumps == 0
    assert session.seen_intents == [[]]
    assert [r["code"] for r in broadcaster.replies("reply.m")] == ["refused", "refused"]


def test_intent_for_another_game_touches_only_that_game(engine, clock):
    mine = start(engine, "mine", players=("a",))
    theirs = start(engine, "theirs", players=("b",))
    intent(engine, "a", {"type": "bump"}, game_id="theirs")
    engine.pump()
    assert theirs.bumps == 0 and mine.bumps == 0


def test_every_event_carries_a_version_rising_by_one(engine, clock, broadcaster):
    start(engine)
    for _ in range(5):
        clock.now += 0.1
        engine.pump()
    intent(engine, "a", {"type": "chat", "message": "hi"})
    engine.pump()
    events = broadcaster.game_events("g1")
    assert [e["v"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert {k: v for k, v in events[-1].items() if k != "ts"} == {
        "type": "chat", "username": "a", "message": "hi", "room": "player", "v": 6
    }
    assert all(isinstance(e["ts"], int) for e in events)


def test_sync_replays_missed_events_or_sends_a_fresh_state(engine, clock, broadcaster):
    start(engine)
    for _ in range(HISTORY_LIMIT + 10):
        clock.now += 0.1
        engine.pump()
    latest = engine.games["g1"].v
    engine.submit({"type": "engine.sync", "game_id": "g1", "v": latest - 3, "reply_channel": "c.recent"})
    engine.submit({"type": "engine.sync", "game_id": "g1", "v": 2, "reply_channel": "c.old"})
    engine.submit({"type": "engine.sync", "game_id": "g1", "v": None, "reply_channel": "c.new"})
    engine.submit({"type": "engine.sync", "game_id": "nope", "v": None, "reply_channel": "c.unknown"})
    engine.pump()
    recent = broadcaster.replies("c.recent")[0]
    assert [v for v, _ in recent["events"]] == [latest - 2, latest - 1, latest]
    for channel in ("c.old", "c.new"):
        (v, text), = broadcaster.replies(channel)[0]["events"]
        state = json.loads(text)
        assert (v, state["type"], state["v"], state["ticks"]) == (latest, "gameState", latest, HISTORY_LIMIT + 10)
    assert broadcaster.replies("c.unknown")[0]["known"] is False


def test_a_failing_game_ends_with_a_reason_and_the_others_keep_ticking(engine, clock, broadcaster, store):
    broken = start(engine, "broken", fail_on_tick=3)
    healthy = start(engine, "healthy")
    for _ in range(6):
        clock.now += 0.1
        engine.pump()
    assert healthy.ticks == 6
    assert broken.ticks == 3
    end = broadcaster.game_events("broken")[-1]
    assert (end["type"], end["status"], end["reason"]) == ("gameEnd", "aborted", "engine_error")
    assert [(game_id, outcome.reason) for game_id, outcome, _ in store.ended] == [("broken", "engine_error")]
    assert engine.stats.failed_games == 1


def test_malformed_messages_do_not_stop_the_engine(engine, clock):
    session = start(engine)
    for bad in [
        {}, {"type": "engine.intent"}, {"type": "engine.start_game", "kind": "nope"}, {"type": 7}, {"type": "engine.sync"}
    ]:
        engine.submit(bad)
    engine.pump()
    clock.now += 0.1
    engine.pump()
    assert session.ticks == 1


def test_game_end_is_broadcast_saved_and_the_game_evicted_later(engine, clock, broadcaster, store):
    start(engine, end_on_tick=2)
    for _ in range(3):
        clock.now += 0.1
        engine.pump()
    events = broadcaster.game_events("g1")
    assert [e["type"] for e in events] == ["tick", "tick", "gameEnd"]
    assert events[-1]["winner"] == "a"
    assert store.ended[0][2] == events[-1]["v"]
    intent(engine, "a", {"type": "bump"}, reply_channel="late")
    engine.pump()
    assert broadcaster.replies("late")[0]["code"] == "game_over"
    clock.now += RETAIN_ENDED_SECONDS + 1
    engine.pump()
    assert "g1" not in engine.games


def test_starting_a_running_game_again_changes_nothing(engine, clock):
    session = start(engine)
    clock.now += 0.1
    engine.pump()
    start(engine)
    assert engine.games["g1"].session is session
    assert session.ticks == 1


def test_events_of_one_iteration_leave_as_one_message_per_game(engine, clock, broadcaster):
    start(engine)
    intent(engine, "a", {"type": "bump"})
    intent(engine, "b", {"type": "bump"})
    engine.pump()
    game_sends = [s for s in broadcaster.sends if s[0] == "game"]
    assert len(game_sends) == 1
    assert [v for v, _ in game_sends[0][2]["events"]] == [1, 2]


def test_an_event_that_must_be_durable_leaves_only_after_the_store_confirms_it(engine, clock, broadcaster, store):
    start(engine)
    intent(engine, "a", {"type": "save", "value": 1})
    intent(engine, "b", {"type": "bump"})
    engine.pump()
    assert store.records == [("g1", Saved(value=1), 1)]
    # Neither the saved event nor the bump after it is out before the store says so.
    assert broadcaster.game_events("g1") == []
    store.confirmations[0](True)
    engine.pump()
    assert [(e["type"], e["v"]) for e in broadcaster.game_events("g1")] == [("saved", 1), ("bumped", 2)]
    assert broadcaster.game_events("g1")[0].keys() == {"type", "v", "ts"}


def test_a_record_the_store_cannot_save_ends_the_game(engine, clock, broadcaster, store):
    start(engine)
    intent(engine, "a", {"type": "save", "value": 1})
    engine.pump()
    store.confirmations[0](False)
    engine.pump()
    assert [e["type"] for e in broadcaster.game_events("g1")] == ["saved", "gameEnd"]
    assert store.ended[0][1].reason == "engine_error"


def test_a_refused_immediate_intent_answers_the_sender_only(engine, clock, broadcaster):
    start(engine)
    intent(engine, "a", {"type": "refuse"}, reply_channel="reply.a")
    engine.pump()
    assert broadcaster.replies("reply.a") == [{"type": "game.error", "code": "nope", "message": "refused by the rules"}]
    assert broadcaster.game_events("g1") == []


def test_a_spawned_game_starts_and_its_id_is_announced_once_saved(engine, clock, broadcaster, store):
    start(engine)
    intent(engine, "a", {"type": "clone"})
    engine.pump()
    (_, record, _), = store.records
    new_id = record.game_id
    assert isinstance(record, GameCreated) and new_id in engine.games and new_id != "g1"
    store.confirmations[0](True)
    engine.pump()
    assert broadcaster.game_events("g1")[0]["game_id"] == new_id


def presence(engine, connected, seq, username="a", process="web1", game_id="g1"):
    engine.submit(
        {
            "type": "engine.presence", "process": process, "seq": seq, "game_id": game_id, "username": username,
            "connected": connected,
        }
    )


def presence_events(broadcaster, game_id="g1"):
    return [(e["username"], e["connected"]) for e in broadcaster.game_events(game_id) if e["type"] == "presence"]


def test_presence_reaches_the_rules_only_when_a_players_first_socket_comes_or_last_goes(engine, clock, broadcaster):
    start(engine)
    for seq, connected in enumerate((True, True, False, False), start=1):
        presence(engine, connected, seq)
    engine.pump()
    assert presence_events(broadcaster) == [("a", True), ("a", False)]


def test_a_web_process_that_stops_reporting_takes_its_players_presence_with_it(engine, clock, broadcaster):
    start(engine)
    presence(engine, True, 1, process="web1")
    presence(engine, True, 1, username="b", process="web2")
    engine.pump()
    # web2 keeps reporting; web1 was killed and never says its sockets closed.
    for _ in range(8):
        clock.now += 1.0
        engine.submit({"type": "engine.presence_report", "process": "web2", "seq": 1, "sockets": [["g1", "b"]]})
        engine.pump()
    assert presence_events(broadcaster) == [("a", True), ("b", True), ("a", False)]


def test_a_restarted_engine_learns_who_is_connected_from_the_reports(engine, clock, broadcaster):
    start(engine)
    engine.submit({"type": "engine.presence_report", "process": "web1", "seq": 40, "sockets": [["g1", "a"], ["g1", "b"]]})
    engine.pump()
    presence(engine, False, 41, username="b")
    engine.pump()
    assert presence_events(broadcaster) == [("a", True), ("b", True), ("b", False)]


def test_players_connected_before_their_game_started_are_present_in_it(engine, clock, broadcaster):
    # A worker adopting a dead worker's game knows its players' sockets from the web processes'
    # reports before it starts the game: the rules hear of them as the game starts.
    engine.submit({"type": "engine.presence_report", "process": "web1", "seq": 40, "sockets": [["g1", "a"]]})
    engine.pump()
    start(engine)
    assert presence_events(broadcaster) == [("a", True)]


def test_an_ended_game_announces_its_head_when_quiet_so_a_socket_that_lost_its_end_resyncs(engine, clock, broadcaster):
    start(engine, end_on_tick=1)
    clock.now += 0.1
    engine.pump()
    last_v = engine.games["g1"].v
    heads = lambda: [m["head"] for t, n, m in broadcaster.sends if t == "game" and "head" in m]  # noqa: E731
    assert heads() == []
    clock.now += HEAD_AFTER_QUIET_SECONDS
    engine.pump()
    assert heads() == [last_v]
    clock.now += HEAD_REPEAT_SECONDS
    engine.pump()
    assert heads() == [last_v, last_v]


def test_a_game_that_sends_every_tick_needs_no_head(engine, clock, broadcaster):
    start(engine, period=0.1)
    for _ in range(100):
        clock.now += 0.1
        engine.pump()
    assert not [m for t, n, m in broadcaster.sends if t == "game" and "head" in m]


def test_a_quiet_live_game_announces_the_head_of_released_events_only(engine, clock, broadcaster, store):
    start(engine, period=10.0)
    intent(engine, "a", {"type": "save", "value": 1})
    engine.pump()
    clock.now += 10.0
    engine.pump()
    # The saved event is held until the store confirms it: its version is not announced.
    assert not [m for t, n, m in broadcaster.sends if t == "game" and "head" in m]


def test_spectator_chat_is_unversioned_and_goes_to_spectators_only(engine, clock, broadcaster):
    start(engine)
    intent(engine, "watcher", {"type": "chat", "message": "play Qh5", "room": "spectator"})
    intent(engine, "a", {"type": "chat", "message": "hi"})
    engine.pump()
    assert [e["v"] for e in broadcaster.game_events("g1")] == [1]
    (target, name, message), = [s for s in broadcaster.sends if s[2].get("type") == "game.spectator_chat"]
    assert (target, name) == ("game", "g1")
    assert json.loads(message["text"]) == {"type": "chat", "username": "watcher", "message": "play Qh5", "room": "spectator"}


def test_an_orphaned_game_tells_each_socket_its_end_right_after_the_versions_it_has(engine, clock, broadcaster):
    engine.submit({"type": "engine.orphaned", "game_id": "lost", "status": "aborted", "reason": "server_restart"})
    engine.pump()
    assert [m["head"] for t, n, m in broadcaster.sends if n == "lost"] == [ORPHAN_HEAD]
    engine.submit({"type": "engine.sync", "game_id": "lost", "v": 57, "reply_channel": "c.old"})
    engine.submit({"type": "engine.sync", "game_id": "lost", "v": None, "reply_channel": "c.new"})
    engine.pump()
    (old,) = broadcaster.replies("c.old")
    ((v, text),) = old["events"]
    assert v == 58 and json.loads(text) == {
        "type": "gameEnd", "v": 58, "status": "aborted", "reason": "server_restart", "winner": None, "scores": {}
    }
    # A new socket gets the final state from the database instead.
    assert broadcaster.replies("c.new") == [{"type": "game.sync", "known": False, "events": []}]


def test_stopping_handles_what_the_inbox_holds_and_waits_for_the_store(clock, broadcaster):
    class ConfirmingStore(RecordingStoreBase):
        def persist(self, game_id, record, v, on_done):
            super().persist(game_id, record, v, on_done)
            threading.Timer(0.2, on_done, args=(True,)).start()

    engine = GameEngine(
        broadcaster=broadcaster, store=ConfirmingStore(), clock=clock, session_factories={"counter": CountingSession}
    )
    start(engine)
    engine.start()
    engine.submit(
        {"type": "engine.intent", "game_id": "g1", "username": "a", "intent": {"type": "save", "value": 7}, "reply_channel": None}
    )
    engine.stop()
    assert not engine.is_alive()
    assert [e["type"] for e in broadcaster.game_events("g1") if e["type"] == "saved"] == ["saved"]


def test_a_finished_game_wakes_the_loop_only_to_announce_its_head_and_to_be_evicted(engine, clock, broadcaster):
    session = start(engine, end_on_tick=1)
    for _ in range(50):
        clock.now += 0.1
        engine.pump()
    game = engine.games["g1"]
    assert session.ticks == 1
    assert game.deadline == pytest.approx(game.head_sent_at + HEAD_REPEAT_SECONDS)
    clock.now = game.ended_at + RETAIN_ENDED_SECONDS
    engine.pump()
    assert "g1" not in engine.games



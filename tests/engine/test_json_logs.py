"""Structured logs: one JSON object per line, naming the process and, where it concerns one, the game."""

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

from engine.loop import GameEngine
from engine.worker_identity import worker_id
from kogame.json_logs import JsonLogFormatter
from tests.engine.test_loop import CountingSession, start


def record(message, *args, exc_info=None, **extra) -> logging.LogRecord:
    made = logging.LogRecord("kogame.engine", logging.WARNING, __file__, 1, message, args, exc_info)
    made.__dict__.update(extra)
    return made


def test_a_line_is_one_json_object_with_the_worker_and_the_game():
    line = JsonLogFormatter().format(record("game %s failed during %s", "g1", "tick", game_id="g1"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "game g1 failed during tick"
    assert (entry["level"], entry["logger"], entry["game_id"]) == ("WARNING", "kogame.engine", "g1")
    assert entry["worker"] == worker_id() == f"{socket.gethostname()}:{os.getpid()}"
    assert entry["time"].endswith("+00:00")
    # Nothing of the record's own machinery leaks in.
    assert set(entry) == {"time", "level", "logger", "message", "worker", "game_id"}


def test_a_traceback_stays_on_the_line_and_what_json_cannot_hold_becomes_text():
    try:
        raise RuntimeError("rules bug")
    except RuntimeError:
        failed = record("it failed", exc_info=sys.exc_info(), request=object())
    entry = json.loads(JsonLogFormatter().format(failed))
    assert entry["exception"].startswith("Traceback") and "RuntimeError: rules bug" in entry["exception"]
    assert entry["request"].startswith("<object object")
    assert "game_id" not in entry


def test_the_engine_names_the_game_when_it_logs_about_one(clock, broadcaster, store, caplog):
    engine = GameEngine(broadcaster=broadcaster, store=store, clock=clock, session_factories={"counter": CountingSession})
    with caplog.at_level(logging.INFO, logger="kogame.engine"):
        start(engine, "broken", fail_on_tick=1)
        clock.now += 0.1
        engine.pump()
    about_the_game = [entry for entry in caplog.records if "broken" in entry.getMessage()]
    assert [entry.levelname for entry in about_the_game] == ["INFO", "ERROR"]  # started, then failed
    assert all(entry.game_id == "broken" for entry in about_the_game)
    line = json.loads(JsonLogFormatter().format(about_the_game[-1]))
    assert line["game_id"] == "broken" and "rules bug" in line["exception"]


def test_log_format_json_turns_a_process_console_into_json_lines():
    """The setting as an operator gives it: a management command's log line, in a fresh process."""
    code = "import logging; logging.getLogger('kogame.engine').warning('game %s ended', 'g7', extra={'game_id': 'g7'})"
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    finished = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    (entry,) = [json.loads(line) for line in finished.stderr.splitlines() if line.startswith("{")]
    assert (entry["message"], entry["game_id"], entry["level"]) == ("game g7 ended", "g7", "WARNING")
    # That process's own name: this host, another pid.
    assert entry["worker"].startswith(f"{socket.gethostname()}:") and entry["worker"] != worker_id()

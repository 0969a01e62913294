"""One JSON object per log line (LOG_FORMAT=json), for log stores that index fields.

Every line has `time` (UTC, ISO 8601), `level`, `logger`, `message` and `worker` (the process,
engine.worker_identity); what a call passes in `extra` follows as fields of its own, so
`logger.warning("game %s ...", game_id, extra={"game_id": game_id})` makes a line a log store
can select by game; a traceback comes as `exception`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from engine.worker_identity import worker_id

# What every LogRecord has: anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "worker": worker_id(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in line:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # str() for what JSON cannot hold (Django logs the request object, for one).
        return json.dumps(line, default=str, ensure_ascii=False)

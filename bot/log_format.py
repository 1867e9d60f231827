"""LOG_FORMAT=json: one JSON object per log line, for a log collector (Loki, CloudWatch, ELK).

Only the format changes: what reaches a handler is still decided by the loggers' levels and the
floors of bot/log_privacy.py (the libraries that would write cédulas, phones or tokens at DEBUG
stay capped), and our own messages carry no personal data (tests/e2e/test_private_logs.py).
The record's arguments are rendered into `message` exactly as the text format does; no extra
field of the record (which a library could fill with a request or a row) is copied out, only
the fixed keys below and the exception's traceback.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TextIO


class JsonFormatter(logging.Formatter):
    """Formats a record as `{"time", "level", "logger", "message"[, "exception"]}`."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON (non-ASCII kept readable)."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def log_handler(log_format: str, stream: TextIO) -> logging.Handler:
    """A stream handler writing the configured format ("text" or "json")."""
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler

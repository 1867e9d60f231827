"""LOG_FORMAT=json writes one JSON object per line, and the library floors still hold."""

from __future__ import annotations

import io
import json
import logging

from bot.config import Settings
from bot.log_format import JsonFormatter, log_handler
from bot.log_privacy import cap_library_logs


def _logged(log_format: str) -> list[str]:
    stream = io.StringIO()
    handler = log_handler(log_format, stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        cap_library_logs()
        logging.getLogger("bot.flows.engine").info("flow failure on channel %s", "telegram")
        # SQLAlchemy at DEBUG would write result rows (a cédula, a birth date): capped.
        logging.getLogger("sqlalchemy.engine.Engine").debug("Row ('1100000015', '1988-03-14')")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("notificaciones.dispatcher").exception("Dispatch pass failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return stream.getvalue().splitlines()


def test_json_lines_carry_level_logger_message_and_traceback() -> None:
    lines = _logged("json")
    entries = [json.loads(line) for line in lines]  # every line is one object, traceback too

    assert [e["logger"] for e in entries] == ["bot.flows.engine", "notificaciones.dispatcher"]
    assert entries[0]["message"] == "flow failure on channel telegram"
    assert entries[0]["level"] == "INFO" and entries[0]["time"].endswith("+00:00")
    assert "RuntimeError: boom" in entries[1]["exception"]
    assert not any("1100000015" in line for line in lines)


def test_the_text_format_is_unchanged_by_default() -> None:
    assert Settings(_env_file=None).log_format == "text"  # type: ignore[call-arg]
    lines = _logged("text")
    assert any(
        line.endswith("INFO bot.flows.engine: flow failure on channel telegram") for line in lines
    )
    assert not any("1100000015" in line for line in lines)


def test_a_record_extra_is_not_copied_into_the_json() -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "hola", None, None)
    record.update = {"message": {"text": "mi cédula 1100000015"}}  # what a library might attach
    assert "1100000015" not in JsonFormatter().format(record)
